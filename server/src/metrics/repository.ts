import type { Pool } from '../db/pool.ts';

/** The newest seq written to the event log (0 when it is empty). */
export async function readNewestSeq(db: Pool): Promise<number> {
  const { rows } = await db.query<{ seq: string | null }>('SELECT max(seq)::text AS seq FROM event');
  return Number(rows[0]?.seq ?? 0);
}
