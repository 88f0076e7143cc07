import { resolvePrincipal } from '../auth/plugin.ts';
import { can, scopeOf } from '../auth/principal.ts';
import { isPermission, type Permission } from '../auth/permissions.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { CoverageService } from '../coverage/service.ts';
import { ErrorResponse } from '../lib/error-schema.ts';
import { COLLECTIONS } from './catalog.ts';
import * as S from './schemas.ts';
import { CONFORMANCE, GEOJSON, OgcService, type OgcContext } from './service.ts';

type ItemsQuery = Static<typeof S.ItemsQuery>;

function baseOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

/**
 * The request's context: what the caller may read. The authorization hook refuses a route by
 * its `config.permission` before this runs; `can` also hides collections from the list. A
 * collection is served whole, so a principal whose case reading is scoped (a commander, a
 * responder) is not given the cases collection at all: their scoped list is /api/cases.
 */
function contextOf(app: FastifyInstance, req: FastifyRequest): OgcContext {
  const p = req.principal;
  const scoped = scopeOf(p).subdistrictId !== null || scopeOf(p).departmentId !== null;
  return { db: app.db, can: (perm) => isPermission(perm) && can(p, perm) && !(perm === 'cases.read' && scoped), base: baseOf(req) };
}

const geojson = (schema: typeof S.Feature | typeof S.FeatureCollection) => ({ content: { [GEOJSON]: { schema } } });
const errors = { 400: ErrorResponse, 404: ErrorResponse };

/**
 * OGC API – Features Part 1 at /ogc: landing page, conformance, collections, items with
 * bbox, datetime and paging, and single features, served as GeoJSON.
 */
export async function ogcRoutes(app: FastifyInstance): Promise<void> {
  // Coverage gaps come from the coverage model; it is loaded the first time a gap collection is read.
  let coverage: CoverageService | null = null;
  const service = new OgcService(() => {
    const cfg = app.config.coverage;
    coverage ??= new CoverageService(app.db, { walkSpeed: cfg.walkSpeed, snapLimit: cfg.snapLimitM, isochroneBuffer: cfg.isochroneBufferM });
    return coverage;
  });
  const tags = ['ogc'];

  app.get('/ogc', { config: { permission: 'public' }, schema: { tags, summary: 'OGC API landing page', querystring: S.PlainQuery, response: { 200: S.LandingPage, ...errors } } }, async (req) =>
    service.landing(contextOf(app, req)),
  );

  app.get('/ogc/conformance', { config: { permission: 'public' }, schema: { tags, summary: 'Conformance classes', querystring: S.PlainQuery, response: { 200: S.Conformance, ...errors } } }, async () => ({
    conformsTo: CONFORMANCE,
  }));

  app.get('/ogc/collections', { config: { permission: 'public' }, schema: { tags, summary: 'The collections the caller may read', querystring: S.PlainQuery, response: { 200: S.Collections, ...errors } } }, async (req) =>
    service.collections(contextOf(app, req)),
  );

  /**
   * The collection routes, once with a path parameter for public collections and once per
   * collection that needs a permission, with that permission in its route config: a static
   * path wins over the parameter, so the authorization hook sees each collection's permission.
   */
  // The public routes (landing page, the list of collections) still name a signed-in caller,
  // so that the list shows what that caller may read.
  app.addHook('onRequest', async (req) => {
    if (req.principal.kind === 'anonymous') req.principal = await resolvePrincipal(app, req);
  });
  const collectionRoutes = (path: string, permission: Permission, fixedId?: string) => {
    // A collection is served only by the route that carries its permission.
    const idOf = (req: FastifyRequest) => {
      const id = fixedId ?? (req.params as { collectionId: string }).collectionId;
      return COLLECTIONS.some((c) => c.id === id && c.permission !== permission) ? '' : id;
    };
    const params = fixedId ? S.NoParams : S.CollectionParams;
    const featureParams = fixedId ? S.FixedFeatureParams : S.FeatureParams;
    app.get(path, { config: { permission }, schema: { tags, summary: 'A collection', params, querystring: S.PlainQuery, response: { 200: S.CollectionInfo, ...errors } } }, async (req) => {
      const ctx = contextOf(app, req);
      return service.describe(ctx, await service.collection(ctx, idOf(req)));
    });
    app.get(
      `${path}/items`,
      { config: { permission }, schema: { tags, summary: 'A page of features', params, querystring: S.ItemsQuery, response: { 200: geojson(S.FeatureCollection), ...errors } } },
      async (req, reply) => reply.type(GEOJSON).send(await service.items(contextOf(app, req), idOf(req), req.query as ItemsQuery)),
    );
    app.get(
      `${path}/items/:featureId`,
      { config: { permission }, schema: { tags, summary: 'One feature', params: featureParams, querystring: S.PlainQuery, response: { 200: geojson(S.Feature), ...errors } } },
      async (req, reply) => reply.type(GEOJSON).send(await service.item(contextOf(app, req), idOf(req), (req.params as { featureId: number }).featureId)),
    );
  };
  collectionRoutes('/ogc/collections/:collectionId', 'public');
  for (const c of COLLECTIONS) if (c.permission !== 'public') collectionRoutes(`/ogc/collections/${c.id}`, c.permission, c.id);
}
