import type pg from 'pg';
import type { CallbackLevel } from '../kpis/scoring.ts';

type Db = pg.Pool | pg.ClientBase;

export interface CallbackRow {
  id: number;
  case_id: number;
  at: Date;
  actor: string;
  contacted: boolean;
  solved: boolean;
  satisfaction: CallbackLevel | null;
  note: string | null;
}

const COLUMNS = 'id::int AS id, case_id::int AS case_id, at, actor, contacted, solved, satisfaction, note';

export async function insertCallback(
  client: pg.ClientBase,
  caseId: number,
  actor: string,
  c: { contacted: boolean; solved: boolean; satisfaction: CallbackLevel | null; note: string | null },
): Promise<CallbackRow> {
  const { rows } = await client.query<CallbackRow>(
    `INSERT INTO case_callback (case_id, actor, contacted, solved, satisfaction, note) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [caseId, actor, c.contacted, c.solved, c.satisfaction, c.note],
  );
  return rows[0]!;
}

export async function callbacksOf(db: Db, caseId: number): Promise<CallbackRow[]> {
  const { rows } = await db.query<CallbackRow>(`SELECT ${COLUMNS} FROM case_callback WHERE case_id = $1 ORDER BY at, id`, [caseId]);
  return rows;
}

/** The case's status, locked for the callback's transaction. */
export async function lockCaseStatus(client: pg.ClientBase, caseId: number): Promise<string | undefined> {
  const { rows } = await client.query<{ status: string }>('SELECT status FROM cases WHERE id = $1 FOR UPDATE', [caseId]);
  return rows[0]?.status;
}
