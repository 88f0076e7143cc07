import Fastify, { type FastifyInstance } from 'fastify';
import app from './app.ts';
import './auth/plugin.ts';
import type { Config } from './config.ts';
import { createPool } from './db/pool.ts';

/**
 * Builds a ready-to-listen server: one pool, the app plugin, and shutdown that closes the
 * sockets first and the pool last. Used by the boot file and by the tests.
 */
export async function createServer(config: Config): Promise<FastifyInstance> {
  const fastify = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    // Wall screens keep connections open; don't let a stuck one block shutdown forever.
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  const pool = createPool(config.databaseUrl);
  // Filled by the auth plugin with every guarded route and its permission.
  fastify.decorate('routeCatalog', []);
  fastify.addHook('onClose', async () => {
    await pool.end();
  });
  await fastify.register(app, { config, pool });
  return fastify;
}
