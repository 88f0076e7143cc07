import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ADMIN_LEVELS, listAdminUnits } from './repository.ts';
import { GeoJsonFeatureCollection } from '../lib/response-schemas.ts';

const Query = Type.Object(
  {
    level: Type.Union(ADMIN_LEVELS.map((l) => Type.Literal(l)), { description: 'administrative level' }),
    parent_id: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  /** Administrative units of one level as a GeoJSON FeatureCollection (WGS84). */
  app.get<{ Querystring: Static<typeof Query> }>('/api/admin-units', { config: { permission: 'public' }, schema: { querystring: Query, response: { 200: GeoJsonFeatureCollection } } }, async (req, reply) => {
    const collection = await listAdminUnits(app.db, req.query.level, req.query.parent_id);
    reply.header('cache-control', 'public, max-age=60');
    return reply.type('application/geo+json').send(collection);
  });
}
