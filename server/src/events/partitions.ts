import type pg from 'pg';
import { withTransaction, type Pool } from '../db/pool.ts';

/**
 * The event log's monthly partitions (migration 0180): at a month's turn (Asia/Shanghai) the
 * open partition is closed at the highest seq written and the next month's opened; partitions
 * whose last month is older than the retention are dropped. Any process may call
 * `rollEventLog` at any time: it does nothing when nothing is due, and an advisory lock lets
 * one process of many do the work.
 */

/** The log's commit-order lock, taken by `event_next_seq()` before each seq is drawn (migrations 0010, 0180). */
const LOG_LOCK = 4211080;
/** The advisory lock of the roll itself. */
const ROLL_LOCK = 4211081;
/** Closing a month needs the log to itself for a moment; behind a long reader it gives up and tries again next time. */
const LOCK_TIMEOUT = '3s';

export interface EventMonth {
  month: string;
  through: string | null;
  partition: string;
  first_seq: number;
  last_seq: number | null;
}

export interface RollResult {
  /** False when another process held the roll (it does the work). */
  ran: boolean;
  /** The partition closed at this turn, with its last seq. */
  closed?: { partition: string; last_seq: number };
  /** The partition opened (or the empty open one relabelled) for the current month. */
  opened?: string;
  /** Partitions dropped by the retention. */
  dropped: string[];
}

export interface RollOptions {
  /** The instant whose month is current (tests move it; the server passes nothing). */
  now?: Date;
  /** Months kept before the current one; 0 keeps everything. */
  retentionMonths: number;
}

export async function eventMonths(db: Pool | pg.ClientBase): Promise<EventMonth[]> {
  const { rows } = await db.query<EventMonth>(
    `SELECT to_char(month, 'YYYY-MM') AS month, to_char(through, 'YYYY-MM') AS through, partition,
            first_seq::float8 AS first_seq, last_seq::float8 AS last_seq
     FROM event_month ORDER BY first_seq`,
  );
  return rows;
}

/**
 * The lowest seq the log still holds rows for, or may: rows below it were dropped by the
 * retention. A client that saw only rows before `horizon - 1` cannot be caught up exactly.
 */
export async function eventHorizon(db: Pool | pg.ClientBase): Promise<number> {
  const { rows } = await db.query<{ s: number | null }>('SELECT min(first_seq)::float8 AS s FROM event_month');
  return rows[0]?.s ?? 0;
}

export async function rollEventLog(pool: Pool, opts: RollOptions): Promise<RollResult> {
  return withTransaction(pool, async (client) => {
    const result: RollResult = { ran: false, dropped: [] };
    const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [ROLL_LOCK]);
    if (!lock[0]!.ok) return result;
    result.ran = true;
    const now = opts.now ?? new Date();
    const { rows: cur } = await client.query<{ month: string }>(
      `SELECT to_char(date_trunc('month', $1::timestamptz AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS month`,
      [now.toISOString()],
    );
    const current = cur[0]!.month;
    const { rows: openRows } = await client.query<{ month: string; partition: string; first_seq: string }>(
      `SELECT to_char(month, 'YYYY-MM-DD') AS month, partition, first_seq::text FROM event_month WHERE last_seq IS NULL`,
    );
    const open = openRows[0];
    let locked = false;
    // The log to itself: the table lock first, so a writer that already inserted (and holds the
    // commit-order lock) finishes before; taking the commit-order lock first would deadlock with it.
    const lockLog = async () => {
      if (locked) return;
      await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      await client.query('LOCK TABLE event IN ACCESS EXCLUSIVE MODE');
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOG_LOCK]);
      locked = true;
    };
    if (open && open.month < current) {
      await lockLog();
      const name = partitionName(current);
      // `through`: the month of its newest row (a roll that runs days late leaves the new month's first rows in it).
      const { rows: maxRows } = await client.query<{ last: string | null; through: string | null }>(
        `SELECT max(seq)::text AS last, to_char(date_trunc('month', max(at) AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS through FROM ${ident(open.partition)}`,
      );
      const { last, through } = maxRows[0]!;
      if (last === null) {
        // Nothing was written in the open partition: it becomes the current month's.
        await client.query(`ALTER TABLE ${ident(open.partition)} RENAME TO ${ident(name)}`);
        await client.query(`UPDATE event_month SET month = $1, partition = $2 WHERE partition = $3`, [current, name, open.partition]);
      } else {
        const first = Number(open.first_seq);
        const lower = first > 0 ? first.toString() : 'MINVALUE';
        const bound = (BigInt(last) + 1n).toString();
        // The CHECK states the new bounds, so attaching again does not scan the month's rows.
        await client.query(`ALTER TABLE event DETACH PARTITION ${ident(open.partition)}`);
        await client.query(
          `ALTER TABLE ${ident(open.partition)} ADD CONSTRAINT ${ident(`${open.partition}_range`)} CHECK (${first > 0 ? `seq >= ${first} AND ` : ''}seq < ${bound})`,
        );
        await client.query(`ALTER TABLE event ATTACH PARTITION ${ident(open.partition)} FOR VALUES FROM (${lower}) TO (${bound})`);
        await client.query(`CREATE TABLE ${ident(name)} PARTITION OF event FOR VALUES FROM (${bound}) TO (MAXVALUE)`);
        // Statement triggers are not inherited: each partition refuses TRUNCATE itself.
        await client.query(`CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON ${ident(name)} FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()`);
        await client.query(
          `UPDATE event_month SET last_seq = $1, through = greatest($2::date, month) WHERE partition = $3`,
          [last, through, open.partition],
        );
        await client.query(`INSERT INTO event_month (month, partition, first_seq) VALUES ($1, $2, $3)`, [current, name, bound]);
        result.closed = { partition: open.partition, last_seq: Number(last) };
      }
      result.opened = name;
    }
    if (opts.retentionMonths > 0) {
      const { rows: old } = await client.query<{ partition: string }>(
        `SELECT partition FROM event_month
         WHERE last_seq IS NOT NULL AND through < ($1::date - make_interval(months => $2))::date
         ORDER BY first_seq`,
        [current, opts.retentionMonths],
      );
      for (const { partition } of old) {
        await lockLog();
        await client.query(`ALTER TABLE event DETACH PARTITION ${ident(partition)}`);
        await client.query(`DROP TABLE ${ident(partition)}`);
        await client.query('DELETE FROM event_month WHERE partition = $1', [partition]);
        result.dropped.push(partition);
      }
    }
    return result;
  });
}

/** `event_2026_12` for the month starting 2026-12-01. */
function partitionName(month: string): string {
  return `event_${month.slice(0, 4)}_${month.slice(5, 7)}`;
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a partition name: ${name}`);
  return name;
}
