import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth/principal.ts';
import { BigId } from '../lib/schema.ts';
import { Type, type Static } from '@sinclair/typebox';
import { CallbackInput, CallbackList, CallbackView } from './schemas.ts';
import * as service from './service.ts';

const IdParams = Type.Object({ id: BigId() }, { additionalProperties: false });
type IdParams = Static<typeof IdParams>;

/** The dispatcher's callback (回访) to the citizen after a case is closed. */
export async function callbackRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: IdParams; Body: CallbackInput }>(
    '/api/cases/:id/callbacks',
    { config: { permission: 'cases.callback' }, schema: { params: IdParams, body: CallbackInput, response: { 201: CallbackView } } },
    async (req, reply) => reply.status(201).send(await service.recordCallback(app.db, actorOf(req.principal), req.params.id, req.body)),
  );
  app.get<{ Params: IdParams }>(
    '/api/cases/:id/callbacks',
    { config: { permission: 'cases.read' }, schema: { params: IdParams, response: { 200: CallbackList } } },
    async (req) => service.listCallbacks(app.db, req.params.id),
  );
}
