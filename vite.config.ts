import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * One config for the client build (root `client/`, output `dist/client`) and for Vitest
 * (root of the repository). `npm test` runs Vitest through scripts/bootstrap.mjs, which
 * provisions the database and Chromium first.
 */
const testing = Boolean(process.env.VITEST);

export default defineConfig({
  root: testing ? '.' : 'client',
  plugins: [
    react(),
    // The responder's phone app is installable and opens offline. Its service worker is scoped to
    // /responder, so the wall, the planner and the commander never run under it: their data stays
    // live and their own caching stays theirs. It precaches the app shell (scripts, styles, the
    // page, icons); API answers are never cached by it (the view keeps its own copy in IndexedDB).
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false,
      scope: '/responder',
      base: '/',
      includeAssets: ['icons/*.png'],
      manifest: {
        id: '/responder',
        name: '城市运行 · 部门报到',
        short_name: '部门报到',
        description: '部门报到：接单、现场报到、拍照反馈，离线也能用',
        lang: 'zh-CN',
        start_url: '/responder',
        scope: '/responder',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#0b1220',
        theme_color: '#111b2e',
        icons: [
          { src: '/icons/responder-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/responder-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/responder-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The fonts' hundreds of unicode-range slices are not precached (a glyph not yet seen
        // falls back to the phone's own CJK font offline); the main bundle is larger than
        // workbox's 2 MiB default.
        globPatterns: ['**/*.{js,css,html,png,webmanifest}'],
        maximumFileSizeToCacheInBytes: 6 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackAllowlist: [/^\/responder(\/|$|\?)/],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        runtimeCaching: [
          {
            // A font slice the phone has shown once is kept for the offline reload.
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /\/assets\/.*\.woff2$/.test(url.pathname),
            handler: 'CacheFirst',
            options: { cacheName: 'fonts', expiration: { maxEntries: 200 } },
          },
        ],
      },
    }),
  ],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': 'http://localhost:8080',
      '/tiles': 'http://localhost:8080',
      '/open311': 'http://localhost:8080',
      '/socket.io': { target: 'ws://localhost:8080', ws: true },
    },
  },
  test: {
    globalSetup: ['tests/setup/global-setup.ts'],
    // Integration tests share one PostGIS database per run; two cores, so two workers.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit+integration',
          include: ['tests/**/*.test.ts', 'server/src/**/*.test.ts', 'client/src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
          exclude: ['tests/e2e/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Browser tests render WebGL in software (SwiftShader): each one wants both cores,
        // so they run after the rest and one file at a time.
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
