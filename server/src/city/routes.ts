import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { FACILITY_KINDS, RENOVATION_STATUSES } from './kinds.ts';
import { citySummary, facilitiesGeoJson, pocketParksGeoJson, renovationsGeoJson } from './repository.ts';
import { Described, GeoJsonFeatureCollection } from '../lib/response-schemas.ts';

const CitySummary = Described('What the loaded city holds', {
  seed: Type.Unknown(),
  generator: Type.Unknown(),
  admin_units: Type.Record(Type.String(), Type.Number()),
  population: Type.Unknown(),
  counts: Type.Record(Type.String(), Type.Number()),
  facilities_by_kind: Type.Record(Type.String(), Type.Number()),
});

const FacilityQuery = Type.Object(
  { kind: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: [...FACILITY_KINDS], description: 'a life-circle facility kind' })) },
  { additionalProperties: false },
);
const RenovationQuery = Type.Object(
  { status: Type.Optional(Type.Unsafe<(typeof RENOVATION_STATUSES)[number]>({ type: 'string', enum: [...RENOVATION_STATUSES] })) },
  { additionalProperties: false },
);
const NoQuery = Type.Object({}, { additionalProperties: false });

export async function cityRoutes(app: FastifyInstance): Promise<void> {
  const geo = (body: string, reply: import('fastify').FastifyReply) => reply.header('cache-control', 'public, max-age=60').type('application/geo+json').send(body);

  /** Service facilities as points; `kind` filters to one life-circle kind. */
  app.get<{ Querystring: Static<typeof FacilityQuery> }>('/api/facilities', { config: { permission: 'public' }, schema: { querystring: FacilityQuery, response: { 200: GeoJsonFeatureCollection } } }, async (req, reply) =>
    geo(await facilitiesGeoJson(app.db, req.query.kind), reply),
  );

  /** Pocket parks (口袋公园) as polygons with their area. */
  app.get('/api/pocket-parks', { config: { permission: 'public' }, schema: { querystring: NoQuery, response: { 200: GeoJsonFeatureCollection } } }, async (_req, reply) => geo(await pocketParksGeoJson(app.db), reply));

  /** Old-compound renovation projects (老旧小区改造) as points; `status` filters. */
  app.get<{ Querystring: Static<typeof RenovationQuery> }>('/api/renovation-projects', { config: { permission: 'public' }, schema: { querystring: RenovationQuery, response: { 200: GeoJsonFeatureCollection } } }, async (req, reply) =>
    geo(await renovationsGeoJson(app.db, req.query.status), reply),
  );

  /** What the loaded city holds: counts, population, the seed and which data are synthetic. */
  app.get('/api/city/summary', { config: { permission: 'public' }, schema: { querystring: NoQuery, response: { 200: CitySummary } } }, async () => citySummary(app.db));
}
