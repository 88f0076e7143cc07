import type { ComponentType, ReactNode } from 'react';
import { I18nProvider, type MessageKey } from './i18n.tsx';
import { HomeView } from '../features/home/HomeView.tsx';
import { WallView } from '../features/wall/WallView.tsx';
import { CommandView } from '../features/command/CommandView.tsx';
import { ResponderView } from '../features/responder/ResponderView.tsx';
import { PlannerView } from '../features/planner/PlannerView.tsx';
import { AuthGate, useMe } from '../features/auth/auth.tsx';
import { LiveProvider, roomsForViewer } from '../live/index.ts';

/**
 * One app, four views; each is a full page, so plain links are the router. Each view opens
 * only for a principal with the permission its data needs (the server checks it again on
 * every request); the wall signs itself in with the display token in its URL.
 */
const ROUTES: Record<string, { View: ComponentType; permission: string; title: MessageKey }> = {
  '/wall': { View: WallView, permission: 'wall.read', title: 'nav.wall' },
  '/command': { View: CommandView, permission: 'whistles.read', title: 'nav.command' },
  '/responder': { View: ResponderView, permission: 'whistles.read', title: 'nav.responder' },
  '/planner': { View: PlannerView, permission: 'coverage.read', title: 'nav.planner' },
};

export function App() {
  const path = window.location.pathname.replace(/\/+$/, '') || '/';
  const route = ROUTES[path];
  return (
    <I18nProvider>
      {route ? (
        <AuthGate permission={route.permission} titleKey={route.title}>
          <LiveForViewer>
            <route.View />
          </LiveForViewer>
        </AuthGate>
      ) : (
        <HomeView />
      )}
    </I18nProvider>
  );
}

/** The page's one live connection, following the rooms of whoever is signed in. */
function LiveForViewer({ children }: { children: ReactNode }) {
  const me = useMe();
  return <LiveProvider rooms={roomsForViewer(me)}>{children}</LiveProvider>;
}
