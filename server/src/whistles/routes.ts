import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ctxOf } from '../auth/plugin.ts';
import { scopeOf } from '../auth/principal.ts';
import { notFound } from '../lib/errors.ts';
import { listActiveWhistles } from './repository.ts';
import * as repo from './repository.ts';
import { ensureDemoWhistles, rotateDemoWhistles } from './demo.ts';
import { PHOTO_RESPONSE, sendPhoto } from '../photos/photos.ts';
import * as service from './service.ts';
import { departmentRanking } from './ranking.ts';
import {
  AcceptCheckInInput,
  AcceptInput,
  CheckInInput,
  CloseInput,
  Department,
  DepartmentRanking,
  IdParams,
  PhotoParams,
  ReportInput,
  WhistleDetail,
  WhistleInput,
  WhistleListQuery,
  WhistleView,
} from './schemas.ts';
import { IdempotencyHeaders } from '../lib/idempotency.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const WhistleCall = Type.Object({
  department_id: Type.Integer(),
  department_zh: Type.String(),
  department_en: Type.String(),
  accepted_at: Nullable(Type.String()),
  checked_in_at: Nullable(Type.String()),
  on_time: Type.Union([Type.Boolean(), Type.Null()]),
});

export const ActiveWhistle = Type.Object({
  id: Type.Integer(),
  case_id: Type.Union([Type.Integer(), Type.Null()]),
  subdistrict_id: Type.Union([Type.Integer(), Type.Null()]),
  subdistrict_zh: Nullable(Type.String()),
  subdistrict_en: Nullable(Type.String()),
  title_zh: Type.String(),
  title_en: Type.String(),
  called_at: Type.String(),
  deadline_at: Type.String(),
  radius_m: Type.Number(),
  lng: Type.Number(),
  lat: Type.Number(),
  synthetic: Type.Boolean(),
  calls: Type.Array(WhistleCall),
});

export const ActiveWhistles = Type.Object({ as_of: Type.String(), whistles: Type.Array(ActiveWhistle) });

type IdempotencyHeaders = Static<typeof IdempotencyHeaders>;

export async function whistleRoutes(app: FastifyInstance): Promise<void> {
  const settings = app.config.whistles;
  let timer: NodeJS.Timeout | undefined;
  const runSweep = () =>
    Promise.all([
      service.sweep(app.db).catch((err: Error) => app.log.warn({ err }, 'the whistle deadline sweep failed; it runs again shortly')),
      // A demo city's whistles are closed some time after their deadline and blown again.
      rotateDemoWhistles(app.db).catch((err: Error) => app.log.warn({ err }, 'rotating the demo whistles failed; it runs again shortly')),
    ]);
  // A demo city gets a few synthetic whistles once, so its arrival board is not empty.
  // Deadlines live in the database: the sweep runs at once on start (a deadline that passed
  // while no server ran is recorded now) and then every few seconds.
  app.addHook('onReady', async () => {
    await ensureDemoWhistles(app.db).catch((err: Error) => app.log.warn({ err }, 'could not add the demo whistles'));
    await runSweep();
    timer = setInterval(runSweep, settings.sweepMs);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));

  app.get(
    '/api/whistles/active',
    { config: { permission: 'whistles.read' }, schema: { querystring: Type.Object({}, { additionalProperties: false }), response: { 200: ActiveWhistles } } },
    async () => ({ as_of: new Date().toISOString(), whistles: await listActiveWhistles(app.db) }),
  );

  app.get('/api/departments', { config: { permission: 'whistles.read' }, schema: { response: { 200: Type.Array(Department) } } }, async (req) => service.listDepartments(ctxOf(app, req)));

  /** The department ranking (红黑榜): case KPIs, on-time arrival and grades; formula in ranking.ts and the README. */
  app.get<{ Querystring: { as_of?: string } }>(
    '/api/departments/ranking',
    {
      config: { permission: 'kpis.read' },
      schema: { querystring: Type.Object({ as_of: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }), response: { 200: DepartmentRanking } },
    },
    async (req) => departmentRanking(app.db, req.query.as_of ? new Date(req.query.as_of) : new Date()),
  );

  app.post<{ Body: WhistleInput }>(
    '/api/whistles',
    { config: { permission: 'whistles.blow' }, schema: { body: WhistleInput, response: { 201: WhistleView } } },
    async (req, reply) => reply.status(201).send(await service.createWhistle(ctxOf(app, req), req.body, settings)),
  );

  app.get<{ Querystring: WhistleListQuery }>(
    '/api/whistles',
    { config: { permission: 'whistles.read' }, schema: { querystring: WhistleListQuery, response: { 200: Type.Object({ as_of: Type.String(), whistles: Type.Array(WhistleView) }) } } },
    async (req) => service.listWhistles(ctxOf(app, req), req.query),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/whistles/:id',
    { config: { permission: 'whistles.read' }, schema: { params: IdParams, response: { 200: WhistleDetail } } },
    async (req) => service.getWhistle(ctxOf(app, req), req.params.id),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: AcceptInput; Headers: IdempotencyHeaders }>(
    '/api/whistles/:id/accept',
    { config: { permission: 'whistles.respond' }, schema: { params: IdParams, headers: IdempotencyHeaders, body: AcceptInput, response: { 200: WhistleView } } },
    async (req) => service.acceptWhistle(ctxOf(app, req), req.params.id, req.body ?? {}, req.headers['idempotency-key']),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: CheckInInput; Headers: IdempotencyHeaders }>(
    '/api/whistles/:id/check-ins',
    { config: { permission: 'whistles.respond' }, schema: { params: IdParams, headers: IdempotencyHeaders, body: CheckInInput, response: { 200: WhistleView } } },
    async (req) => service.checkIn(ctxOf(app, req), req.params.id, req.body, req.headers['idempotency-key']),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: ReportInput; Headers: IdempotencyHeaders }>(
    '/api/whistles/:id/reports',
    {
      config: { permission: 'whistles.respond' },
      // Up to six photos, each at most the configured size, as base64 (4/3 of the bytes).
      bodyLimit: Math.ceil(settings.photoMaxBytes * 6 * 1.4) + 64 * 1024,
      schema: { params: IdParams, headers: IdempotencyHeaders, body: ReportInput, response: { 201: WhistleDetail } },
    },
    async (req, reply) => reply.status(201).send(await service.report(ctxOf(app, req), req.params.id, req.body, settings, req.headers['idempotency-key'])),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: AcceptCheckInInput }>(
    '/api/whistles/:id/check-ins/accept',
    { config: { permission: 'whistles.blow' }, schema: { params: IdParams, body: AcceptCheckInInput, response: { 200: WhistleView } } },
    async (req) => service.acceptCheckIn(ctxOf(app, req), req.params.id, req.body),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: CloseInput }>(
    '/api/whistles/:id/close',
    { config: { permission: 'whistles.blow' }, schema: { params: IdParams, body: CloseInput, response: { 200: WhistleView } } },
    async (req) => service.closeWhistle(ctxOf(app, req), req.params.id, req.body),
  );

  /** A report photo as others see it: re-encoded without EXIF, served from outside the web root. */
  app.get<{ Params: Static<typeof PhotoParams> }>(
    '/api/whistles/:id/photos/:photoId',
    {
      config: { permission: 'whistles.read' },
      schema: {
        params: PhotoParams,
        response: PHOTO_RESPONSE,
      },
    },
    async (req, reply) => {
      const f = await repo.photoFile(app.db, req.params.id, req.params.photoId, scopeOf(req.principal));
      if (!f) throw notFound(`photo ${req.params.photoId} of whistle ${req.params.id} does not exist`);
      return sendPhoto(reply, settings.uploadDir, f);
    },
  );
}
