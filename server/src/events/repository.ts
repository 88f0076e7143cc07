import type pg from 'pg';

/** One row of the append-only event log. */
export interface EventRow {
  seq: number;
  at: string;
  actor: string;
  type: string;
  subject: string;
  payload: Record<string, unknown>;
}

export interface NewEvent {
  /** Who did it: spread `actorOf(ctx.principal)` here (server/src/auth/principal.ts). */
  actor: string;
  actor_kind?: string | null;
  actor_id?: number | null;
  type: string;
  subject: string;
  payload: Record<string, unknown>;
}

/**
 * Appends events inside the caller's transaction. Call it as the transaction's last
 * statement: drawing a sequence number takes the log's commit-order lock until COMMIT.
 */
export async function appendEvents(client: pg.ClientBase, events: NewEvent[]): Promise<number[]> {
  if (!events.length) return [];
  const { rows } = await client.query<{ seq: string }>(
    `INSERT INTO event (actor, type, subject, payload, actor_kind, actor_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::int[])
     RETURNING seq`,
    [
      events.map((e) => e.actor),
      events.map((e) => e.type),
      events.map((e) => e.subject),
      events.map((e) => JSON.stringify(e.payload)),
      events.map((e) => e.actor_kind ?? null),
      events.map((e) => e.actor_id ?? null),
    ],
  );
  return rows.map((r) => Number(r.seq));
}

const COLUMNS = `seq::float8 AS seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, actor, type, subject, payload`;

/** Events after `afterSeq` up to `uptoSeq` (inclusive) in order, at most `limit`. */
export async function readEvents(db: pg.Pool | pg.ClientBase, afterSeq: number, uptoSeq: number | null, limit: number): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${COLUMNS} FROM event WHERE seq > $1 AND ($2::bigint IS NULL OR seq <= $2) ORDER BY seq LIMIT $3`,
    [afterSeq, uptoSeq, limit],
  );
  return rows;
}

export async function latestSeq(db: pg.Pool | pg.ClientBase): Promise<number> {
  const { rows } = await db.query<{ seq: number }>('SELECT COALESCE(max(seq), 0)::float8 AS seq FROM event');
  return rows[0]!.seq;
}

/** The history of one subject (e.g. `case:12`), oldest first. */
export async function eventsOfSubject(db: pg.Pool | pg.ClientBase, subject: string): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(`SELECT ${COLUMNS} FROM event WHERE subject = $1 ORDER BY seq`, [subject]);
  return rows;
}

export interface AuditFilter {
  actor?: string;
  subject?: string;
  type?: string;
  from?: string;
  to?: string;
  afterSeq?: number;
  limit: number;
}

/** The log filtered for the audit view, newest first. */
export async function auditEvents(db: pg.Pool | pg.ClientBase, f: AuditFilter): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${COLUMNS} FROM event
      WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR subject = $2) AND ($3::text IS NULL OR type = $3)
        AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
        AND ($6::bigint IS NULL OR seq < $6)
      ORDER BY seq DESC LIMIT $7`,
    [f.actor ?? null, f.subject ?? null, f.type ?? null, f.from ?? null, f.to ?? null, f.afterSeq ?? null, f.limit],
  );
  return rows;
}
