import { resolvePrincipal } from '../auth/plugin.ts';
import { can } from '../auth/principal.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Gauge, Histogram, Registry } from 'prom-client';
import { publisherOf } from '../realtime/plugin.ts';
import { HttpError } from '../lib/errors.ts';
import { ErrorResponse } from '../lib/error-schema.ts';
import { processRegistry } from './registry.ts';
import { readNewestSeq } from './repository.ts';

/** Loopback callers only, until principals exist (then the `metrics.read` permission also admits). */
export function isLocalAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || /^127\./.test(a);
}

/**
 * Prometheus metrics: request durations by route pattern, socket clients by room, event lag
 * and pool connections of this app. Installed on the app itself, before the domains, so the
 * request hook sees every route.
 */
export function installMetrics(app: FastifyInstance): Registry {
  const registry = new Registry();

  const duration = new Histogram({
    name: 'cityops_http_request_duration_seconds',
    help: 'HTTP request durations by method, route pattern (not the raw URL) and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // The route's pattern keeps the label set small: one series per route, not per tile or id.
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    duration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  new Gauge({
    name: 'cityops_socket_clients',
    help: 'Connected socket.io clients by room (wall, subdistrict:<id>, department:<id>; the room named after each socket is left out)',
    labelNames: ['room'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const io = app.io;
      const sockets = io.of('/').sockets;
      for (const [room, members] of io.of('/').adapter.rooms) {
        if (sockets.has(room)) continue;
        this.set({ room }, members.size);
      }
    },
  });
  new Gauge({
    name: 'cityops_socket_connections',
    help: 'Connected socket.io clients in all',
    registers: [registry],
    collect() {
      this.set(app.io.of('/').sockets.size);
    },
  });
  new Gauge({
    name: 'cityops_event_lag',
    help: 'Events written to the log but not yet pushed to sockets: newest seq written minus newest seq published',
    registers: [registry],
    async collect() {
      const written = await readNewestSeq(app.db);
      const published = publisherOf.get(app.io)?.currentSeq ?? 0;
      this.set(Math.max(0, written - published));
    },
  });
  new Gauge({
    name: 'cityops_db_pool_connections',
    help: 'PostgreSQL pool connections by state: in_use, idle, and waiting (requests queued for a connection)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const p = app.db;
      this.set({ state: 'in_use' }, p.totalCount - p.idleCount);
      this.set({ state: 'idle' }, p.idleCount);
      this.set({ state: 'waiting' }, p.waitingCount);
    },
  });

  return registry;
}

/** GET /metrics: the app's registry and the process-wide one, merged. */
export async function metricsRoutes(app: FastifyInstance, opts: { registry: Registry }): Promise<void> {
  const registry = opts.registry;
  /**
   * A scraper on this host needs no account; from elsewhere the caller must hold `metrics.read`
   * (an administrator, or an integration key given that permission).
   */
  const refuse = async (req: FastifyRequest) => {
    if (isLocalAddress(req.socket.remoteAddress)) return;
    req.principal = await resolvePrincipal(app, req);
    if (!can(req.principal, 'metrics.read')) {
      throw new HttpError(req.principal.kind === 'anonymous' ? 401 : 403, 'forbidden', '/metrics answers local addresses, and elsewhere a principal holding metrics.read (an API key with that permission)');
    }
  };

  app.get(
    '/metrics',
    {
      // Checked in the handler: local scrapers need no account (see `refuse`).
      config: { permission: 'public' },
      // A scrape every few seconds is not worth an access-log line.
      logLevel: 'warn',
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (local addresses, or metrics.read)',
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: { content: { 'text/plain': { schema: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) } } }, 401: ErrorResponse, 403: ErrorResponse },
      },
    },
    async (req, reply) => {
      await refuse(req);
      const merged = Registry.merge([registry, processRegistry]);
      return reply.type(merged.contentType).send(await merged.metrics());
    },
  );
}
