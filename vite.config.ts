import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

/**
 * One config for the client build (root `client/`, output `dist/client`) and for Vitest
 * (root of the repository). `npm test` runs Vitest through scripts/bootstrap.mjs, which
 * provisions the database and Chromium first.
 */
const testing = Boolean(process.env.VITEST);

export default defineConfig({
  root: testing ? '.' : 'client',
  plugins: [react()],
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
    include: ['tests/**/*.test.ts', 'server/src/**/*.test.ts', 'client/src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
    globalSetup: ['tests/setup/global-setup.ts'],
    // Integration tests share one PostGIS database per run; two cores, so keep it to two workers.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
