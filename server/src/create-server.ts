import Fastify, { LogController, type FastifyInstance } from 'fastify';
import app from './app.ts';
import type { Config } from './config.ts';
import { createPool } from './db/pool.ts';
import { hardenedValidatorCompiler } from './lib/validation.ts';
import { rejectNulCharacters } from './lib/errors.ts';
import { security } from './lib/security.ts';

/**
 * Builds a ready-to-listen server: one pool, the app plugin, and shutdown that closes the
 * sockets first and the pool last. Used by the boot file and by the tests.
 */
export async function createServer(config: Config): Promise<FastifyInstance> {
  const fastify = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    // Wall screens keep connections open; don't let a stuck one block shutdown forever.
    forceCloseConnections: true,
    // The access log is written by the app (lib/access-log.ts): one line per request, tiles at debug.
    logController: new LogController({ disableRequestLogging: true }),
    // A proxy's or caller's request id is kept, so one id follows a request through every log.
    requestIdHeader: 'x-request-id',
  });
  // Bodies are not coerced; query and path numbers only from plain decimals (see validation.ts).
  fastify.setValidatorCompiler(hardenedValidatorCompiler());
  // Routes without a schema (Open311's form POST) get the NUL check too.
  fastify.addHook('preValidation', rejectNulCharacters);
  await fastify.register(security, { config });
  const pool = createPool(config.databaseUrl);

  fastify.addHook('onClose', async () => {
    await pool.end();
  });
  await fastify.register(app, { config, pool });
  return fastify;
}
