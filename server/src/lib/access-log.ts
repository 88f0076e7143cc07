import type { FastifyInstance } from 'fastify';

/** Requests logged at debug rather than info: a wall or a GIS client fetches hundreds of tiles a minute. */
const QUIET = /^\/(tiles|assets|docs\/static)\//;

/**
 * One structured access-log line per request (Fastify's own request logging is off), with the
 * request id, route pattern, status and duration; tiles and static assets only at debug level.
 * Each answer carries its request id in `x-request-id`, so a caller can quote it.
 */
export function installAccessLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    const line = {
      method: req.method,
      url: req.url,
      route: req.routeOptions.url,
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (reply.statusCode >= 500) req.log.warn(line, 'request completed with a server error');
    else if (QUIET.test(req.url)) req.log.debug(line, 'request completed');
    else req.log.info(line, 'request completed');
  });
}
