import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Config } from './config.ts';
import type { Pool } from './db/pool.ts';
import { installErrorHandler, notFound } from './lib/errors.ts';
import type { RealtimeServer } from './realtime/gateway.ts';
import { attachEventPush, type PushToSession } from './realtime/plugin.ts';
import { caseRoutes } from './cases/routes.ts';
import { kpiRoutes } from './kpis/routes.ts';
import { callbackRoutes } from './callbacks/routes.ts';
import { open311Routes } from './open311/routes.ts';
import { healthRoutes } from './health/routes.ts';
import { adminRoutes } from './admin/routes.ts';
import { cityRoutes } from './city/routes.ts';
import { tileRoutes } from './tiles/routes.ts';
import { coverageRoutes } from './coverage/routes.ts';
import { wallRoutes } from './wall/routes.ts';
import { whistleRoutes } from './whistles/routes.ts';
import { operationRoutes } from './operations/routes.ts';
import authPlugin from './auth/plugin.ts';
import { authRoutes } from './auth/routes.ts';
import { districtRoutes } from './district/routes.ts';
import { registerDocs } from './docs/plugin.ts';
import { ogcRoutes } from './ogc/routes.ts';
import { tileCatalogRoutes } from './tiles/catalog.ts';
import { installMetrics, metricsRoutes } from './metrics/plugin.ts';
import { installAccessLog } from './lib/access-log.ts';
import { exportRoutes } from './exports/routes.ts';
import { eventLogRoutes } from './events/plugin.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's one PostgreSQL pool. */
    db: Pool;
    /** socket.io on the same HTTP server. */
    io: RealtimeServer;
    /** Ephemeral messages (siting progress) to one session's sockets, on whichever node holds them. */
    pushToSession: PushToSession;
    config: Config;
  }
}

export interface AppOptions {
  config: Config;
  pool: Pool;
}

/**
 * The whole application as a Fastify plugin: the boot file and the tests register it on
 * their own Fastify instance. Domains register their routes here, one plugin each.
 */
const app: FastifyPluginAsync<AppOptions> = async (fastify: FastifyInstance, opts) => {
  fastify.decorate('config', opts.config);
  fastify.decorate('db', opts.pool);
  // socket.io, pushed from the event log (LISTEN/NOTIFY), heartbeats carrying the newest seq.
  const realtime = attachEventPush(fastify, opts.config, opts.pool);
  fastify.decorate('io', realtime.io);
  fastify.decorate('pushToSession', realtime.pushToSession);
  installErrorHandler(fastify);
  // Before the domains: the OpenAPI document is collected from routes as they are added,
  // and the request metrics and access log hooks must see every route. The docs are public
  // (registered before the authorization seam, which every route after it passes).
  await registerDocs(fastify);
  const metrics = installMetrics(fastify);
  installAccessLog(fastify);
  // Principals next: every route below declares the permission it needs.
  await fastify.register(authPlugin);

  await fastify.register(authRoutes);
  await fastify.register(healthRoutes);
  await fastify.register(adminRoutes);
  await fastify.register(cityRoutes);
  await fastify.register(caseRoutes);
  await fastify.register(kpiRoutes);
  await fastify.register(callbackRoutes);
  await fastify.register(open311Routes);
  await fastify.register(tileRoutes);
  await fastify.register(coverageRoutes);
  await fastify.register(wallRoutes);
  await fastify.register(whistleRoutes);
  await fastify.register(operationRoutes);
  await fastify.register(districtRoutes);
  await fastify.register(ogcRoutes);
  await fastify.register(tileCatalogRoutes);
  await fastify.register(metricsRoutes, { registry: metrics });
  await fastify.register(exportRoutes);
  await fastify.register(eventLogRoutes);

  await registerClient(fastify, opts.config.clientDist);
};

/** Serves the built client; any non-API GET falls back to index.html so /wall etc. are deep-linkable. */
async function registerClient(fastify: FastifyInstance, dist: string): Promise<void> {
  const hasClient = existsSync(path.join(dist, 'index.html'));
  if (hasClient) {
    // The hashed assets may be cached; `/` itself falls through to the handler below
    // (index.html, never cached) instead of a directory listing refusal.
    await fastify.register(fastifyStatic, {
      root: dist,
      index: false,
      maxAge: '1h',
      allowedPath: (p) => p !== '/',
      // The responder's service worker and manifest name the build's files: a new build must
      // reach phones at their next check, not an hour later.
      setHeaders: (reply, filePath) => {
        if (/(^|[\\/])(sw\.js|workbox-[\w-]+\.js|manifest\.webmanifest)$/.test(filePath)) reply.header('cache-control', 'no-cache');
      },
    });
  }
  fastify.setNotFoundHandler((req, reply) => {
    const pathname = req.url.split('?')[0]!;
    const isApi = /^\/(api|tiles|open311|socket\.io|ogc|docs|metrics)(\/|$)/.test(pathname);
    // A view (`/`, `/wall`) gets the app; a missing file (`/assets/x.js`) stays a 404, or the
    // browser would try to run index.html as a script.
    const isView = !/\.[a-z0-9]+$/i.test(pathname);
    if ((req.method === 'GET' || req.method === 'HEAD') && !isApi && isView && hasClient) {
      // A new build must reach walls at their next reload, so the page itself is never cached.
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    }
    throw notFound(isApi || hasClient ? `no route for ${req.method} ${pathname}` : 'the client is not built: run `npm run build`');
  });
}

export default app;
