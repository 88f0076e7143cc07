import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Gauge, Histogram, Registry } from 'prom-client';
import { publisherOf } from '../events/plugin.ts';
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
  const refuse = (req: FastifyRequest) => {
    if (!isLocalAddress(req.socket.remoteAddress)) {
      throw new HttpError(403, 'forbidden', '/metrics answers only local addresses; scrape it from this host or through a local proxy');
    }
  };

  app.get(
    '/metrics',
    {
      config: { permission: 'metrics.read' },
      // A scrape every few seconds is not worth an access-log line.
      logLevel: 'warn',
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (local addresses only)',
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: { content: { 'text/plain': { schema: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) } } }, 403: ErrorResponse },
      },
    },
    async (req, reply) => {
      refuse(req);
      const merged = Registry.merge([registry, processRegistry]);
      return reply.type(merged.contentType).send(await merged.metrics());
    },
  );
}
