import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { CallbackInput, CallbackList, CallbackView } from './schemas.ts';
import * as service from './service.ts';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
type IdParams = Static<typeof IdParams>;

/**
 * The acting user. The authentication plugin resolves `request.principal`; until it is
 * registered, callbacks are attributed to the API.
 */
function actorOf(req: FastifyRequest): service.ActorContext {
  const principal = (req as FastifyRequest & { principal?: { username?: string; id?: string | number } }).principal;
  return { actor: principal?.username ?? (principal?.id !== undefined ? String(principal.id) : 'api') };
}

/** The dispatcher's callback (回访) to the citizen after a case is closed. */
export async function callbackRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: IdParams; Body: CallbackInput }>(
    '/api/cases/:id/callbacks',
    { config: { permission: 'cases.callback' }, schema: { params: IdParams, body: CallbackInput, response: { 201: CallbackView } } },
    async (req, reply) => reply.status(201).send(await service.recordCallback(app.db, actorOf(req), req.params.id, req.body)),
  );
  app.get<{ Params: IdParams }>(
    '/api/cases/:id/callbacks',
    { config: { permission: 'cases.read' }, schema: { params: IdParams, response: { 200: CallbackList } } },
    async (req) => service.listCallbacks(app.db, req.params.id),
  );
}
