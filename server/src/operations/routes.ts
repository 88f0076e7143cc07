import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ctxOf } from '../auth/plugin.ts';
import { scopeOf } from '../auth/principal.ts';
import { notFound } from '../lib/errors.ts';
import { PHOTO_RESPONSE, sendPhoto } from '../photos/photos.ts';
import { IdempotencyHeaders } from '../lib/idempotency.ts';
import { ensureDemoOperations } from './demo.ts';
import * as repo from './repository.ts';
import * as service from './service.ts';
import {
  CloseOperationInput,
  IdParams,
  ImportInput,
  ImportResult,
  OperationDetail,
  OperationInput,
  OperationListQuery,
  OperationSummary,
  PhotoInput,
  PhotoParams,
  ResponderSite,
  SiteChange,
  SiteInput,
  SiteParams,
  TransitionInput,
} from './schemas.ts';

/** Clearance operations (专项整治, 街巷整治): the commander's operations, their target sites and each site's workflow. */
export async function operationRoutes(app: FastifyInstance): Promise<void> {
  // Photos share the whistles' folder and size limit: one place for field photos.
  const settings = { uploadDir: app.config.whistles.uploadDir, photoMaxBytes: app.config.whistles.photoMaxBytes };

  // A demo city gets a couple of synthetic operations once, so the wall's layer and the commander's list are not empty.
  app.addHook('onReady', async () => {
    await ensureDemoOperations(app.db).catch((err: Error) => app.log.warn({ err }, 'could not add the demo operations'));
  });

  app.get<{ Querystring: OperationListQuery }>(
    '/api/operations',
    { config: { permission: 'operations.read' }, schema: { querystring: OperationListQuery, response: { 200: Type.Object({ as_of: Type.String(), operations: Type.Array(OperationSummary) }) } } },
    async (req) => service.listOperations(ctxOf(app, req), req.query),
  );

  /** A responder's work list: sites of open operations involving its department, not yet verified. */
  app.get(
    '/api/operations/sites',
    { config: { permission: 'operations.read' }, schema: { querystring: Type.Object({}, { additionalProperties: false }), response: { 200: Type.Object({ sites: Type.Array(ResponderSite) }) } } },
    async (req) => ({ sites: await service.listOpenSites(ctxOf(app, req)) }),
  );

  app.post<{ Body: OperationInput }>(
    '/api/operations',
    { config: { permission: 'operations.manage' }, bodyLimit: 4 * 1024 * 1024, schema: { body: OperationInput, response: { 201: OperationDetail } } },
    async (req, reply) => reply.status(201).send(await service.createOperation(ctxOf(app, req), req.body)),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/operations/:id',
    { config: { permission: 'operations.read' }, schema: { params: IdParams, response: { 200: OperationDetail } } },
    async (req) => service.getOperation(ctxOf(app, req), req.params.id),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: SiteInput }>(
    '/api/operations/:id/sites',
    { config: { permission: 'operations.manage' }, schema: { params: IdParams, body: SiteInput, response: { 201: SiteChange } } },
    async (req, reply) => reply.status(201).send(await service.addSite(ctxOf(app, req), req.params.id, req.body)),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: ImportInput }>(
    '/api/operations/:id/sites/import',
    { config: { permission: 'operations.manage' }, bodyLimit: 4 * 1024 * 1024, schema: { params: IdParams, body: ImportInput, response: { 200: ImportResult, 201: ImportResult } } },
    async (req, reply) => {
      const result = await service.importSites(ctxOf(app, req), req.params.id, req.body);
      return reply.status(result.dry_run ? 200 : 201).send(result);
    },
  );

  // Start and clear are the responders', verify and send back the commander's: one permission,
  // held by both, and the workflow table decides who takes which action (as for cases).
  // Both take an Idempotency-Key: the responder's phone queues them offline and may send one twice.
  app.post<{ Params: Static<typeof SiteParams>; Body: TransitionInput; Headers: Static<typeof IdempotencyHeaders> }>(
    '/api/operations/:id/sites/:siteId/transitions',
    { config: { permission: 'operations.transition' }, schema: { params: SiteParams, headers: IdempotencyHeaders, body: TransitionInput, response: { 200: SiteChange } } },
    async (req) => service.transition(ctxOf(app, req), req.params.id, req.params.siteId, req.body, req.headers['idempotency-key']),
  );

  app.post<{ Params: Static<typeof SiteParams>; Body: PhotoInput; Headers: Static<typeof IdempotencyHeaders> }>(
    '/api/operations/:id/sites/:siteId/photos',
    {
      config: { permission: 'operations.transition' },
      // Up to six photos, each at most the configured size, as base64 (4/3 of the bytes).
      bodyLimit: Math.ceil(settings.photoMaxBytes * 6 * 1.4) + 64 * 1024,
      schema: { params: SiteParams, headers: IdempotencyHeaders, body: PhotoInput, response: { 201: SiteChange } },
    },
    async (req, reply) => reply.status(201).send(await service.addPhotos(ctxOf(app, req), req.params.id, req.params.siteId, req.body, settings, req.headers['idempotency-key'])),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: CloseOperationInput }>(
    '/api/operations/:id/close',
    { config: { permission: 'operations.manage' }, schema: { params: IdParams, body: CloseOperationInput, response: { 200: OperationSummary } } },
    async (req) => service.closeOperation(ctxOf(app, req), req.params.id, req.body ?? {}),
  );

  /** A site photo as others see it: re-encoded without EXIF, served from outside the web root. */
  app.get<{ Params: Static<typeof PhotoParams> }>(
    '/api/operations/:id/photos/:photoId',
    { config: { permission: 'operations.read' }, schema: { params: PhotoParams, response: PHOTO_RESPONSE } },
    async (req, reply) => {
      const f = await repo.photoFile(app.db, req.params.id, req.params.photoId, scopeOf(req.principal));
      if (!f) throw notFound(`photo ${req.params.photoId} of operation ${req.params.id} does not exist`);
      return sendPhoto(reply, settings.uploadDir, f);
    },
  );
}
