import { registerSW } from 'virtual:pwa-register';

let registered = false;

/**
 * Registers the service worker that keeps the responder's app shell for offline use (built by
 * vite-plugin-pwa, scoped to /responder). Only this view registers it, so the other views never
 * run under a service worker. A new build's worker takes over at once but does not reload the
 * page under the responder's hands: the new shell is used the next time the app opens.
 */
export function registerResponderApp(): void {
  if (registered || !('serviceWorker' in navigator)) return;
  registered = true;
  void registerSW({ immediate: true, onNeedReload: () => undefined });
}
