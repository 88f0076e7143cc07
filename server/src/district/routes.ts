import type { FastifyInstance } from 'fastify';
import { District, NoQuery } from './schemas.ts';
import { getDistrict } from './service.ts';

export async function districtRoutes(app: FastifyInstance): Promise<void> {
  /** The district's names, time zone and data extent: the views frame it and show its name. */
  app.get('/api/district', {
    config: { permission: 'public' },
    schema: { querystring: NoQuery, response: { 200: District } },
  }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    return getDistrict(app.db);
  });
}
