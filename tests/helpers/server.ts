import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../server/src/config.ts';
import { createServer } from '../../server/src/create-server.ts';
import { testDatabaseUrl } from './db.ts';

export interface TestServer {
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  url: string;
  close: () => Promise<void>;
}

/** Starts the real server on a free loopback port against the run's test database. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  // Test servers load the coverage model on first use, not at start (most tests never need it),
  // and a request waits for the load however slow the shared test machine is.
  const config: Config = {
    ...loadConfig({ DATABASE_URL: testDatabaseUrl(), CITYOPS_COVERAGE_PRELOAD: '0', CITYOPS_COVERAGE_WAIT_MS: '120000' }),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    // Every test file signs in from 127.0.0.1 against one database: the per-address limit would
    // add up their deliberate failures. The per-user limit stays, and tests of it set their own.
    loginRate: { perUser: 5, perAddress: 100_000 },
    ...overrides,
  };
  const app = await createServer(config);
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // Absolute URLs (TileJSON, Open311 discovery) come from the public URL; on a free port it is known only now.
  if (!overrides.publicUrl) config.publicUrl = `http://127.0.0.1:${port}`;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
