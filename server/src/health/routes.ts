import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { readDatabaseInfo } from './repository.ts';
import { DB_RETRY_AFTER_S } from '../lib/errors.ts';

export const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  uptime_s: Type.Number(),
  database: Type.Object({
    connected: Type.Boolean(),
    name: Type.Optional(Type.String()),
    postgres: Type.Optional(Type.String()),
    postgis: Type.Optional(Type.String()),
    pgrouting: Type.Optional(Type.String()),
    error: Type.Optional(Type.String()),
  }),
});
export type HealthResponse = Static<typeof HealthResponse>;

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/health', { config: { permission: 'public' }, schema: { response: { 200: HealthResponse, 503: HealthResponse } } }, async (_req, reply) => {
    const uptime_s = Math.round(process.uptime());
    try {
      const database = await readDatabaseInfo(app.db);
      return { status: 'ok', uptime_s, database: { connected: true, ...database } } satisfies HealthResponse;
    } catch (err) {
      // The driver's message names the database host and port; the log keeps it, the world does not.
      app.log.warn({ err: (err as Error).message }, 'health: database unreachable');
      return reply
        .status(503)
        .header('retry-after', String(DB_RETRY_AFTER_S))
        .send({ status: 'degraded', uptime_s, database: { connected: false, error: 'the database is unreachable' } } satisfies HealthResponse);
    }
  });
}
