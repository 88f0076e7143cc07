/**
 * The callback (回访): once a case is closed, the dispatcher calls the citizen back and records
 * whether they were contacted, whether the problem is solved and how satisfied they are. The
 * answers feed Beijing's 接诉即办 rates (server/src/kpis). A case may be called back more than
 * once; the latest callback counts.
 */
import { withTransaction, type Pool } from '../db/pool.ts';
import { appendEvents } from '../events/repository.ts';
import { HttpError, notFound } from '../lib/errors.ts';
import * as casesRepo from '../cases/repository.ts';
import { caseRooms, toSummary } from '../cases/service.ts';
import * as repo from './repository.ts';
import type { CallbackInput, CallbackList, CallbackView } from './schemas.ts';

/** Who is acting: filled by the route from the request's principal. */
/** Who records the callback: the principal's actor (`actorOf`), written to the callback row and the log. */
export interface ActorContext {
  actor: string;
  actor_kind?: string | null;
  actor_id?: number | null;
}

/** Statuses after which a callback is made: the case has been closed. */
export const CALLBACK_STATUSES = ['closed', 'evaluated'] as const;

const view = (r: repo.CallbackRow): CallbackView => ({ ...r, at: r.at.toISOString() });

export async function recordCallback(db: Pool, ctx: ActorContext, caseId: number, input: CallbackInput): Promise<CallbackView> {
  return withTransaction(db, async (client) => {
    const status = await repo.lockCaseStatus(client, caseId);
    if (!status) throw notFound(`case ${caseId} does not exist`);
    if (!(CALLBACK_STATUSES as readonly string[]).includes(status)) {
      throw new HttpError(409, 'not_closed', `case ${caseId} is ${status}: the citizen is called back only after the case is closed`, {
        current: status,
        allowed_from: CALLBACK_STATUSES,
      });
    }
    const row = await repo.insertCallback(client, caseId, ctx.actor, {
      contacted: input.contacted,
      solved: input.solved,
      satisfaction: input.satisfaction ?? null,
      note: input.note ?? null,
    });
    const summary = toSummary((await casesRepo.summariesByIds(client, [caseId]))[0]!);
    await appendEvents(client, [
      { actor: ctx.actor, actor_kind: ctx.actor_kind, actor_id: ctx.actor_id, type: 'case.callback_recorded', subject: `case:${caseId}`, payload: { callback: view(row), case: summary, rooms: caseRooms(summary) } },
    ]);
    return view(row);
  });
}

export async function listCallbacks(db: Pool, caseId: number): Promise<CallbackList> {
  if (!(await casesRepo.summariesByIds(db, [caseId])).length) throw notFound(`case ${caseId} does not exist`);
  return { items: (await repo.callbacksOf(db, caseId)).map(view) };
}
