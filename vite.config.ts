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
