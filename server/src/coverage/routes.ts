import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, demand } from '../auth/principal.ts';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CIRCLES, KINDS, THRESHOLD_LIMITS } from './standards.ts';
import { CoverageService, ModelLoadingError, type ProgressFn } from './service.ts';
import { GeoJsonFeature, GeoJsonFeatureCollection } from '../lib/response-schemas.ts';
import * as R from './responses.ts';

/**
 * Thresholds: `minutes` (with an optional walking `speed` in m/s) or `metres`. Kinds are
 * checked by the service so the refusal can list every allowed kind.
 */
const thresholdFields = {
  minutes: Type.Optional(Type.Number({ minimum: THRESHOLD_LIMITS.minutes.min, maximum: THRESHOLD_LIMITS.minutes.max, description: 'walking minutes (5, 10, 15 in the standard)' })),
  metres: Type.Optional(Type.Number({ minimum: THRESHOLD_LIMITS.metres.min, maximum: THRESHOLD_LIMITS.metres.max, description: 'walking distance (300, 500, 1000 in GB 50180-2018)' })),
  speed: Type.Optional(Type.Number({ minimum: THRESHOLD_LIMITS.speed.min, maximum: THRESHOLD_LIMITS.speed.max, description: 'walking speed, m/s' })),
};
/** Count planned facilities as if open; by default they serve nobody yet. */
const plannedField = { planned: Type.Optional(Type.Boolean({ description: 'count planned facilities as if they were open (default false)' })) };
const kindField = Type.String({ minLength: 1, maxLength: 64, description: 'life-circle kind' });
/** The socket id that receives `coverage.progress` events, and the job id they carry. */
const progressFields = {
  progress_to: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
  job: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
};
const Lon0 = Type.Number({ minimum: -180, maximum: 180 });
const Lat0 = Type.Number({ minimum: -90, maximum: 90 });
const Lon = Lon0;
const Lat = Lat0;
const LEVELS = ['subdistrict', 'community', 'grid'] as const;

const CoverageQuery = Type.Object(
  {
    kind: kindField,
    ...thresholdFields,
    ...plannedField,
    level: Type.Optional(Type.Array(Type.Union(LEVELS.map((l) => Type.Literal(l))), { maxItems: 3, description: 'breakdown levels (default subdistrict and community)' })),
  },
  { additionalProperties: false },
);
const KindQuery = Type.Object({ kind: kindField, ...thresholdFields, ...plannedField }, { additionalProperties: false });
const AdoptBody = Type.Object(
  { kind: kindField, lon: Lon0, lat: Lat0, name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  { additionalProperties: false },
);
const ComplaintsQuery = Type.Object(
  { kind: kindField, ...thresholdFields, ...plannedField, until: Type.Optional(Type.String({ format: 'date-time', description: 'end of the complaint window (default now); the window is the days of data/standards/complaint-categories.json before it' })) },
  { additionalProperties: false },
);
const PlannedQuery = Type.Object({ kind: Type.Optional(kindField) }, { additionalProperties: false });
const ThresholdQuery = Type.Object(thresholdFields, { additionalProperties: false });
const IsochroneParams = Type.Object(
  { source: Type.Union([Type.Literal('facility'), Type.Literal('pocket_park')]), id: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
const WhatIfBody = Type.Object(
  {
    kind: kindField,
    ...thresholdFields,
    ...plannedField,
    add: Type.Optional(Type.Array(Type.Object({ lon: Lon, lat: Lat, name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false }), { maxItems: 20 })),
    move: Type.Optional(Type.Array(Type.Object({ id: Type.Integer({ minimum: 1 }), lon: Lon, lat: Lat }, { additionalProperties: false }), { maxItems: 20 })),
    remove: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 50 })),
    save: Type.Optional(Type.Boolean({ description: 'write the change to the database (default false: a what-if only)' })),
  },
  { additionalProperties: false },
);
const SitingBody = Type.Object(
  { kind: kindField, ...thresholdFields, ...plannedField, count: Type.Integer({ minimum: 1, maximum: 20 }), ...progressFields },
  { additionalProperties: false },
);
const ReachQuery = Type.Object({ node: Type.Integer({ minimum: 1, description: 'walk node id' }), ...thresholdFields }, { additionalProperties: false });
const ChecklistQuery = Type.Object({ community_id: Type.Optional(Type.Integer({ minimum: 1 })), ...progressFields }, { additionalProperties: false });

type Q<T extends TSchema> = Static<T>;

export async function coverageRoutes(app: FastifyInstance): Promise<void> {
  const cfg = app.config.coverage;
  const service = new CoverageService(app.db, {
    walkSpeed: cfg.walkSpeed,
    snapLimit: cfg.snapLimitM,
    isochroneBuffer: cfg.isochroneBufferM,
    databaseUrl: app.config.databaseUrl,
    loadWaitMs: cfg.loadWaitMs,
  });
  // The model loads in a worker thread as the server starts; requests meanwhile wait a little,
  // then get a 503 with the load's progress (below), so nothing hangs and nothing blocks.
  if (cfg.preload) {
    app.addHook('onReady', async () => {
      service.preload().catch((err: Error) => app.log.warn({ err: err.message }, 'preloading the coverage model failed; the first request loads it'));
    });
  }
  app.addHook('onError', async (_req, reply, err) => {
    if (err instanceof ModelLoadingError) reply.header('retry-after', String(err.retryAfterS));
  });

  /**
   * Progress goes only to the sockets of the session that asked (each sits in its session's
   * private room; the message travels through PostgreSQL to whichever node holds them); `progress_to` only says that progress is wanted,
   * so no caller can push events into another socket or onto the walls.
   */
  const progressFor = (req: FastifyRequest, q: { progress_to?: string; job?: string }): ProgressFn | undefined => {
    const sessionId = req.principal.sessionId;
    if (!q.progress_to || sessionId === null) return undefined;
    const job = q.job ?? 'coverage';
    let last = 0;
    return (stage, done, total) => {
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      app.pushToSession(sessionId, 'coverage.progress', { job, stage, done, total });
    };
  };

  /** The life-circle kinds, circles and limits, with how many facilities each kind has. */
  app.get('/api/coverage/kinds', { config: { permission: 'coverage.read' }, schema: { response: { 200: R.Kinds } } }, async () => {
    const model = await service.current();
    const counts = new Map<string, number>();
    for (const f of model.facilities) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    return {
      kinds: KINDS.map((k) => ({ ...k, facilities: counts.get(k.kind) ?? 0 })),
      circles: CIRCLES,
      limits: THRESHOLD_LIMITS,
      defaults: { speed: service.options.walkSpeed, snap_limit_m: service.options.snapLimit, isochrone_buffer_m: service.options.isochroneBuffer },
    };
  });

  /** Population within the threshold of a kind, for the district and per unit. */
  app.get<{ Querystring: Q<typeof CoverageQuery> }>('/api/coverage', { config: { permission: 'coverage.read' }, schema: { querystring: CoverageQuery, response: { 200: R.Coverage } } }, async (req) => {
    const { kind, level, ...t } = req.query;
    return service.coverage(kind, t, level ?? ['subdistrict', 'community']);
  });

  /** The walking distance (metres) from one walk node to every node within the threshold. */
  app.get<{ Querystring: Q<typeof ReachQuery> }>('/api/coverage/reach', { config: { permission: 'coverage.read' }, schema: { querystring: ReachQuery, response: { 200: R.Reach } } }, async (req) => {
    const { node, ...t } = req.query;
    return service.reachFromNode(node, t);
  });

  /** Buildings the kind does not reach: GeoJSON points weighted by population. */
  app.get<{ Querystring: Q<typeof KindQuery> }>('/api/coverage/gaps', { config: { permission: 'coverage.read' }, schema: { querystring: KindQuery, response: { 200: GeoJsonFeatureCollection } } }, async (req, reply) => {
    const { kind, ...t } = req.query;
    return reply.type('application/geo+json').send(await service.gaps(kind, t));
  });

  /** The area every facility of a kind reaches (one polygon) and the facilities themselves. */
  app.get<{ Querystring: Q<typeof KindQuery> }>('/api/coverage/isochrones', { config: { permission: 'coverage.read' }, schema: { querystring: KindQuery, response: { 200: GeoJsonFeatureCollection } } }, async (req, reply) => {
    const { kind, ...t } = req.query;
    return reply.type('application/geo+json').send(await service.kindIsochrones(kind, t));
  });

  /** One facility's (or pocket park's) isochrone. */
  app.get<{ Params: Q<typeof IsochroneParams>; Querystring: Q<typeof ThresholdQuery> }>(
    '/api/coverage/isochrones/:source/:id',
    { config: { permission: 'coverage.read' }, schema: { params: IsochroneParams, querystring: ThresholdQuery, response: { 200: GeoJsonFeature } } },
    async (req, reply) => reply.type('application/geo+json').send(await service.facilityIsochrone(req.params.source, req.params.id, req.query)),
  );

  /** Coverage with facilities added, moved or removed, against today's; saved only with `save: true`. */
  app.post<{ Body: Q<typeof WhatIfBody> }>('/api/coverage/what-if', { config: { permission: 'coverage.read', heavy: true }, schema: { body: WhatIfBody, response: { 200: R.WhatIf } } }, async (req) => {
    // Trying a change is reading; writing it is editing the city's facilities.
    if (req.body.save) demand(req.principal, 'coverage.edit');
    return service.whatIf(req.body, actorOf(req.principal));
  });

  /** N proposed sites by greedy maximum coverage, each with the population it adds. */
  app.post<{ Body: Q<typeof SitingBody> }>('/api/coverage/siting', { config: { permission: 'coverage.read', heavy: true }, schema: { body: SitingBody, response: { 200: R.Siting } } }, async (req) => {
    const { kind, count, progress_to, job, ...t } = req.body;
    return service.siting(kind, { ...t, count }, progressFor(req, { progress_to, job }));
  });

  /**
   * Adopts a site (a suggestion, or any point on the network) as a planned facility: stored
   * with status planned, audited with the principal as actor, shown as planned on the wall.
   */
  app.post<{ Body: Q<typeof AdoptBody> }>('/api/coverage/planned', { config: { permission: 'coverage.edit' }, schema: { body: AdoptBody, response: { 201: R.Adopted } } }, async (req, reply) =>
    reply.code(201).send(await service.adopt(req.body, actorOf(req.principal))),
  );

  /** Planned facilities (of one kind, or all), with who adopted each and when. */
  app.get<{ Querystring: Q<typeof PlannedQuery> }>('/api/coverage/planned', { config: { permission: 'coverage.read' }, schema: { querystring: PlannedQuery, response: { 200: R.Planned } } }, async (req) =>
    service.planned(req.query.kind),
  );

  /** The kind's related complaints per community beside its coverage, ranked where complaints are high and coverage low. */
  app.get<{ Querystring: Q<typeof ComplaintsQuery> }>('/api/coverage/complaints', { config: { permission: 'coverage.read' }, schema: { querystring: ComplaintsQuery, response: { 200: R.Complaints } } }, async (req) => {
    const { kind, until, ...t } = req.query;
    return service.complaints(kind, { ...t, ...(until ? { until: new Date(until) } : {}) });
  });

  /** The life-circle checklist per community, with a score. */
  app.get<{ Querystring: Q<typeof ChecklistQuery> }>('/api/coverage/checklist', { config: { permission: 'coverage.read' }, schema: { querystring: ChecklistQuery, response: { 200: R.Checklist } } }, async (req) =>
    service.checklist(req.query.community_id, progressFor(req, req.query)),
  );
}
