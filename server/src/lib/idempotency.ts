import type { PoolClient } from 'pg';
import { Type } from '@sinclair/typebox';
import { HttpError } from './errors.ts';

/**
 * Idempotency keys for actions a client may send twice: the responder's offline outbox resends
 * an action whose answer it never received. Inside the action's own transaction the key is
 * claimed first; a key seen before answers the first result and changes nothing, and a key
 * reused for a different request (another actor, action or target) is refused with a 422.
 * Concurrent requests with one key queue on the key's row, so the second sees the first's
 * committed result. Table: `action_key` (migration 0150).
 */

/** The optional `Idempotency-Key` header, as every route that honours one declares it. */
export const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' })) });

export interface KeyedAction {
  actor: string;
  action: string;
  /** What the action is on, e.g. `whistle:12` or `site:7`. */
  target: string;
}

/** Runs `fn` once per key: the first call stores its result, later calls with the key answer it. */
export async function oncePerKey<T>(client: PoolClient, key: string | undefined, what: KeyedAction, fn: () => Promise<T>): Promise<T> {
  if (!key) return fn();
  const ins = await client.query(
    `INSERT INTO action_key (key, actor, action, target, status_code, result) VALUES ($1, $2, $3, $4, 0, 'null') ON CONFLICT (key) DO NOTHING`,
    [key, what.actor, what.action, what.target],
  );
  if (!ins.rowCount) {
    const seen = (await client.query<KeyedAction & { result: unknown }>(`SELECT actor, action, target, result FROM action_key WHERE key = $1`, [key])).rows[0]!;
    if (seen.actor !== what.actor || seen.action !== what.action || seen.target !== what.target) {
      throw new HttpError(422, 'idempotency_key_reused', `the Idempotency-Key ${key} was already used for another request; send a new key for each action`, { field: 'headers.idempotency-key' });
    }
    return seen.result as T;
  }
  const result = await fn();
  await client.query(`UPDATE action_key SET status_code = 200, result = $2 WHERE key = $1`, [key, JSON.stringify(result)]);
  return result;
}
