import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { listCategories } from './categories.ts';
import {
  CaseBatchInput,
  CaseCategoryView,
  CaseComment,
  CaseDetail,
  CaseInput,
  CaseList,
  CaseListQuery,
  CaseSummary,
  CommentInput,
  TransitionInput,
} from './schemas.ts';
import * as service from './service.ts';
import { ctxOf } from '../auth/plugin.ts';
import { BigId } from '../lib/schema.ts';
import { intakeRateLimit } from '../lib/security.ts';
import { countIntake } from '../metrics/registry.ts';

const IdParams = Type.Object({ id: BigId() }, { additionalProperties: false });
type IdParams = Static<typeof IdParams>;

const CreateResponse = Type.Object({ created: Type.Boolean(), case: CaseSummary });

/** Case intake, the loop's transitions, comments and queries. */
export async function caseRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/case-categories', { config: { permission: 'public' }, schema: { response: { 200: Type.Array(CaseCategoryView) } } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return listCategories();
  });

  /** Creates one case; 201 when new, 200 with the first case when (source, external_id) was seen before. */
  app.post<{ Body: CaseInput }>(
    '/api/cases',
    { schema: { body: CaseInput, response: { 200: CreateResponse, 201: CreateResponse } }, config: { permission: 'cases.create', rateLimit: intakeRateLimit(app.config) } },
    async (req, reply) => {
    const result = await service.createCase(ctxOf(app, req), req.body);
    countIntake(req.body.source, result.created);
    return reply.status(result.created ? 201 : 200).send(result);
  });

  /** Creates up to 500 cases in one transaction: one bad item rejects the whole batch. */
  app.post<{ Body: Static<typeof CaseBatchInput> }>(
    '/api/cases/batch',
    {
      schema: { body: CaseBatchInput, response: { 200: Type.Object({ results: Type.Array(CreateResponse) }) } },
      bodyLimit: 4 * 1024 * 1024,
      // A batch holds a connection for its whole transaction: bounded, so a flood cannot take the pool.
      config: { permission: 'cases.create', rateLimit: intakeRateLimit(app.config), heavy: true },
    },
    async (req) => {
      const results = await service.createCaseBatch(ctxOf(app, req), req.body.cases);
      results.forEach((r, i) => countIntake(req.body.cases[i]!.source, r.created));
      return { results };
    },
  );

  app.get<{ Querystring: CaseListQuery }>('/api/cases', { config: { permission: 'cases.read' }, schema: { querystring: CaseListQuery, response: { 200: CaseList } } }, async (req) =>
    service.listCases(ctxOf(app, req), req.query),
  );

  app.get<{ Params: IdParams }>('/api/cases/:id', { config: { permission: 'cases.read' }, schema: { params: IdParams, response: { 200: CaseDetail } } }, async (req) =>
    service.getCase(ctxOf(app, req), req.params.id),
  );

  app.post<{ Params: IdParams; Body: TransitionInput }>(
    '/api/cases/:id/transitions',
    { config: { permission: 'cases.transition' }, schema: { params: IdParams, body: TransitionInput, response: { 200: CaseSummary } } },
    async (req) => service.transitionCase(ctxOf(app, req), req.params.id, req.body),
  );

  app.post<{ Params: IdParams; Body: Static<typeof CommentInput> }>(
    '/api/cases/:id/comments',
    { config: { permission: 'cases.comment' }, schema: { params: IdParams, body: CommentInput, response: { 201: CaseComment } } },
    async (req, reply) => reply.status(201).send(await service.addComment(ctxOf(app, req), req.params.id, req.body.body)),
  );
}
