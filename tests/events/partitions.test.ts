import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate } from '../../server/src/db/migrate.ts';
import { ensureExtensions } from '../../server/src/db/provision.ts';
import { eventHorizon, eventMonths, rollEventLog } from '../../server/src/events/partitions.ts';
import { readEvents } from '../../server/src/events/repository.ts';
import { EventPublisher } from '../../server/src/realtime/publisher.ts';
import { scratchDatabase } from '../helpers/db.ts';

/** The month-turn instants, in Beijing time: the partitions follow the district's calendar. */
const at = (local: string) => new Date(`${local}+08:00`);

describe('the event log, partitioned by month', () => {
  let scratch: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  const before: number[] = [];

  const insert = async (when: string, subject = 'x:1', rooms: string[] = ['wall']) =>
    Number(
      (await pool.query(`INSERT INTO event (at, actor, type, subject, payload) VALUES ($1, 'test', 'test.happened', $2, $3) RETURNING seq::text AS seq`, [at(when), subject, JSON.stringify({ rooms })]))
        .rows[0].seq,
    );
  const partitionOf = async (seq: number) => (await pool.query('SELECT tableoid::regclass::text AS p FROM event WHERE seq = $1', [seq])).rows[0]?.p as string | undefined;
  const bounds = async () =>
    (
      await pool.query(
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'event'::regclass ORDER BY c.relname`,
      )
    ).rows as { name: string; bound: string }[];

  beforeAll(async () => {
    scratch = await scratchDatabase('eventparts');
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    await ensureExtensions(client);
    // A log written before partitioning: every migration up to the one that partitions it.
    const earlier = mkdtempSync(path.join(tmpdir(), 'cityops-before-partitions-'));
    for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f < '0180')) cpSync(path.join(MIGRATIONS_DIR, f), path.join(earlier, f));
    await migrate(client, earlier);
    rmSync(earlier, { recursive: true, force: true });
    for (const day of ['2026-10-10T09:00:00', '2026-10-11T09:00:00', '2026-10-12T09:00:00']) {
      before.push(Number((await client.query(`INSERT INTO event (at, actor, type, subject) VALUES ($1, 'test', 'test.old', 'x:0') RETURNING seq::text AS seq`, [at(day)])).rows[0].seq));
    }
    await migrate(client);
    await client.end();
    pool = new pg.Pool({ connectionString: scratch.url, max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
    await scratch?.drop();
  });

  it('moves the existing log into its first partition, open for every later seq, without losing or reordering a row', async () => {
    const { rows } = await pool.query(`SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'event'::regclass`);
    expect(rows).toEqual([{ partstrat: 'r' }]);
    expect(await bounds()).toEqual([{ name: 'event_first', bound: 'FOR VALUES FROM (MINVALUE) TO (MAXVALUE)' }]);
    expect(await eventMonths(pool)).toEqual([{ month: '2026-10', through: null, partition: 'event_first', first_seq: 0, last_seq: null }]);
    expect((await readEvents(pool, 0, null, 100)).map((r) => r.seq)).toEqual(before);
    const next = await insert('2026-10-20T09:00:00');
    expect(next).toBeGreaterThan(before[2]!);
    expect(await partitionOf(next)).toBe('event_first');
  });

  it('stays append-only on the parent and on each partition', async () => {
    for (const table of ['event', 'event_first']) {
      await expect(pool.query(`UPDATE ${table} SET actor = 'x' WHERE seq = $1`, [before[0]])).rejects.toThrow(/append-only/);
      await expect(pool.query(`DELETE FROM ${table} WHERE seq = $1`, [before[0]])).rejects.toThrow(/append-only/);
      await expect(pool.query(`TRUNCATE ${table}`)).rejects.toThrow(/append-only/);
    }
  });

  it('does nothing while the month has not turned', async () => {
    expect(await rollEventLog(pool, { now: at('2026-10-31T23:59:00'), retentionMonths: 13 })).toEqual({ ran: true, dropped: [] });
    expect((await bounds()).map((b) => b.name)).toEqual(['event_first']);
  });

  it('leaves the roll to the process holding its lock', async () => {
    const other = await pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock(4211081)');
      expect(await rollEventLog(pool, { now: at('2026-11-01T00:30:00'), retentionMonths: 13 })).toEqual({ ran: false, dropped: [] });
      await other.query('SELECT pg_advisory_unlock(4211081)');
    } finally {
      other.release();
    }
    expect((await bounds()).map((b) => b.name)).toEqual(['event_first']);
  });

  it('waits for a writer that has appended but not committed, gives up after its timeout, and closes the month once the writer is done', async () => {
    const writer = await pool.connect();
    let written: number;
    try {
      await writer.query('BEGIN');
      written = Number((await writer.query(`INSERT INTO event (at, actor, type, subject) VALUES ($1, 'test', 'test.slow', 'x:2') RETURNING seq::text AS seq`, [at('2026-10-31T23:59:30')])).rows[0].seq);
      await expect(rollEventLog(pool, { now: at('2026-11-01T00:30:00'), retentionMonths: 13 })).rejects.toThrow(/lock timeout/);
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    // Half past midnight in Beijing is still October in UTC: the district's calendar decides.
    const r = await rollEventLog(pool, { now: at('2026-11-01T00:30:00'), retentionMonths: 13 });
    expect(r).toEqual({ ran: true, closed: { partition: 'event_first', last_seq: written! }, opened: 'event_2026_11', dropped: [] });
    expect(await bounds()).toEqual([
      { name: 'event_2026_11', bound: `FOR VALUES FROM ('${written! + 1}') TO (MAXVALUE)` },
      { name: 'event_first', bound: `FOR VALUES FROM (MINVALUE) TO ('${written! + 1}')` },
    ]);
    expect(await partitionOf(written!)).toBe('event_first');
    const november = await insert('2026-11-02T08:00:00');
    expect(november).toBeGreaterThan(written!);
    expect(await partitionOf(november)).toBe('event_2026_11');
    // One ordered read across both partitions, as the publisher and catch-up read.
    const seqs = (await readEvents(pool, 0, null, 100)).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.slice(0, 3)).toEqual(before);
    expect(seqs.at(-1)).toBe(november);
    // The new partition is append-only too (its TRUNCATE trigger is its own).
    await expect(pool.query('DELETE FROM event_2026_11')).rejects.toThrow(/append-only/);
    await expect(pool.query('TRUNCATE event_2026_11')).rejects.toThrow(/append-only/);
  });

  it('relabels an open partition nothing was written to instead of closing an empty range', async () => {
    const dec = await rollEventLog(pool, { now: at('2026-12-05T10:00:00'), retentionMonths: 13 });
    expect(dec.closed?.partition).toBe('event_2026_11');
    expect(dec.opened).toBe('event_2026_12');
    const jan = await rollEventLog(pool, { now: at('2027-01-02T10:00:00'), retentionMonths: 13 });
    expect(jan).toEqual({ ran: true, opened: 'event_2027_01', dropped: [] });
    const months = await eventMonths(pool);
    expect(months.map((m) => [m.partition, m.month, m.through])).toEqual([
      ['event_first', '2026-10', '2026-10'],
      ['event_2026_11', '2026-11', '2026-11'],
      ['event_2027_01', '2027-01', null],
    ]);
    expect(months[1]!.first_seq).toBe(months[0]!.last_seq! + 1);
    expect(months[2]!.first_seq).toBe(months[1]!.last_seq! + 1);
  });

  it('drops whole months past the retention, and a client that saw only dropped rows is told to reload', async () => {
    const total = Number((await pool.query('SELECT count(*) FROM event')).rows[0].count);
    const months = await eventMonths(pool);
    // January 2028 keeps 13 whole months before it: December 2026 on. October and November 2026 go.
    const r = await rollEventLog(pool, { now: at('2028-01-03T10:00:00'), retentionMonths: 13 });
    expect(r.dropped).toEqual(['event_first', 'event_2026_11']);
    expect(r.opened).toBe('event_2028_01');
    expect(Number((await pool.query('SELECT count(*) FROM event')).rows[0].count)).toBe(0);
    expect(total).toBeGreaterThan(0);
    const horizon = await eventHorizon(pool);
    expect(horizon).toBe(months[1]!.last_seq! + 1);
    const kept = await insert('2028-01-03T11:00:00');
    expect(kept).toBeGreaterThanOrEqual(horizon);

    const quiet = { info: () => {}, warn: () => {}, error: () => {} };
    const publisher = new EventPublisher({ databaseUrl: scratch.url, pool, log: quiet });
    publisher.start();
    try {
      for (let i = 0; i < 200 && publisher.currentSeq < kept; i++) await new Promise((res) => setTimeout(res, 25));
      expect(publisher.currentSeq).toBe(kept);
      const frames: [string, unknown][] = [];
      const socket = { emit: (e: string, m: unknown) => frames.push([e, m]), join: () => {}, leave: () => {} };
      // Saw an October row only: the rows between are gone, so no exact replay exists.
      expect(await publisher.catchUp(socket, before[0]!, ['wall'])).toMatchObject({ skipped: true });
      expect(frames.map((f) => f[0])).toEqual(['replay.skipped']);
      // Saw everything the retention dropped: the replay is exact.
      frames.length = 0;
      const exact = await publisher.catchUp(socket, horizon - 1, ['wall']);
      expect(exact).toMatchObject({ replayed: 1, seq: kept });
      expect(exact.skipped).toBeUndefined();
      expect(frames).toEqual([['events', [expect.objectContaining({ seq: kept })]]]);
    } finally {
      await publisher.close();
    }
  });

  it('keeps everything when the retention is 0', async () => {
    const r = await rollEventLog(pool, { now: at('2031-06-01T10:00:00'), retentionMonths: 0 });
    expect(r.dropped).toEqual([]);
    expect(r.closed?.partition).toBe('event_2028_01');
    expect((await eventMonths(pool)).map((m) => m.partition)).toEqual(['event_2028_01', 'event_2031_06']);
  });
});
