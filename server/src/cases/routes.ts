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
import { countIntake } from '../metrics/registry.ts';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
type IdParams = Static<typeof IdParams>;

const CreateResponse = Type.Object({ created: Type.Boolean(), case: CaseSummary });

/** Case intake, the loop's transitions, comments and queries. */
export async function caseRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/case-categories', { schema: { response: { 200: Type.Array(CaseCategoryView) } } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return listCategories();
  });

  /** Creates one case; 201 when new, 200 with the first case when (source, external_id) was seen before. */
  app.post<{ Body: CaseInput }>('/api/cases', { schema: { body: CaseInput, response: { 200: CreateResponse, 201: CreateResponse } } }, async (req, reply) => {
    const result = await service.createCase(app.db, req.body);
    countIntake(req.body.source, result.created);
    return reply.status(result.created ? 201 : 200).send(result);
  });

  /** Creates up to 500 cases in one transaction: one bad item rejects the whole batch. */
  app.post<{ Body: Static<typeof CaseBatchInput> }>(
    '/api/cases/batch',
    { schema: { body: CaseBatchInput, response: { 200: Type.Object({ results: Type.Array(CreateResponse) }) } }, bodyLimit: 4 * 1024 * 1024 },
    async (req) => {
      const results = await service.createCaseBatch(app.db, req.body.cases);
      results.forEach((r, i) => countIntake(req.body.cases[i]!.source, r.created));
      return { results };
    },
  );

  app.get<{ Querystring: CaseListQuery }>('/api/cases', { schema: { querystring: CaseListQuery, response: { 200: CaseList } } }, async (req) =>
    service.listCases(app.db, req.query),
  );

  app.get<{ Params: IdParams }>('/api/cases/:id', { schema: { params: IdParams, response: { 200: CaseDetail } } }, async (req) =>
    service.getCase(app.db, req.params.id),
  );

  app.post<{ Params: IdParams; Body: TransitionInput }>(
    '/api/cases/:id/transitions',
    { schema: { params: IdParams, body: TransitionInput, response: { 200: CaseSummary } } },
    async (req) => service.transitionCase(app.db, req.params.id, req.body),
  );

  app.post<{ Params: IdParams; Body: Static<typeof CommentInput> }>(
    '/api/cases/:id/comments',
    { schema: { params: IdParams, body: CommentInput, response: { 201: CaseComment } } },
    async (req, reply) => reply.status(201).send(await service.addComment(app.db, req.params.id, req.body.actor, req.body.body)),
  );
}
