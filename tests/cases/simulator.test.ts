import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCategory, listCategories } from '../../server/src/cases/categories.ts';
import { TRANSITIONS } from '../../server/src/cases/state-machine.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { createPool } from '../../server/src/db/pool.ts';
import { ensureExtensions } from '../../server/src/db/provision.ts';
import { backfillDemoCases, historicCase } from '../../server/src/simulator/backfill.ts';
import { LiveSimulator } from '../../server/src/simulator/live.ts';
import { prng } from '../../server/src/simulator/model.ts';
import { scratchDatabase } from '../helpers/db.ts';
import { ROOT } from '../helpers/process.ts';

const STAGES = ['reported_at', 'registered_at', 'dispatched_at', 'accepted_at', 'handled_at', 'verified_at', 'closed_at', 'evaluated_at'] as const;
const STATUS_OF_LAST: Record<string, string> = {
  reported_at: 'reported',
  registered_at: 'registered',
  dispatched_at: 'dispatched',
  accepted_at: 'accepted',
  handled_at: 'handled',
  verified_at: 'verified',
  closed_at: 'closed',
  evaluated_at: 'evaluated',
};

describe('synthetic history', () => {
  it('gives every case stages in loop order, none after now, and the status of the last stage reached', () => {
    const rand = prng(3);
    const now = new Date('2026-11-01T00:00:00Z');
    for (let i = 0; i < 2000; i++) {
      const category = listCategories()[i % listCategories().length]!;
      const h = historicCase(category, new Date(now.getTime() - rand() * 20 * 86_400_000), now, rand);
      const times = h.times;
      if (h.status === 'rejected') {
        expect(times.rejected_at!.getTime()).toBeLessThanOrEqual(now.getTime());
        expect(times.registered_at).toBeNull();
        continue;
      }
      const reached = STAGES.filter((s) => times[s] !== null);
      // Stages are reached in order with no gap, each no earlier than the one before.
      expect(reached).toEqual(STAGES.slice(0, reached.length));
      for (let k = 1; k < reached.length; k++) expect(times[reached[k]!]!.getTime()).toBeGreaterThanOrEqual(times[reached[k - 1]!]!.getTime());
      expect(times[reached.at(-1)!]!.getTime()).toBeLessThanOrEqual(now.getTime());
      expect(h.status).toBe(STATUS_OF_LAST[reached.at(-1)!]);
      expect(h.satisfaction === null).toBe(h.status !== 'evaluated');
      // The last change is the last stage, or a return or failed check after it.
      expect(times.updated_at!.getTime()).toBeGreaterThanOrEqual(times[reached.at(-1)!]!.getTime());
      expect(times.updated_at!.getTime()).toBeLessThanOrEqual(now.getTime());
    }
  });
});

describe('the simulator against a database of its own', () => {
  let scratch: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;

  beforeAll(async () => {
    // A district outline only: the simulator must work for any city, even one without buildings.
    scratch = await scratchDatabase('sim');
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    await ensureExtensions(client);
    await migrate(client);
    const outline = JSON.parse(readFileSync(path.join(ROOT, 'data/admin/xicheng-district.geojson'), 'utf8')).features[0];
    await client.query(
      `INSERT INTO admin_unit (level, code, name_zh, name_en, geom) VALUES ('district', '110102', '西城区', 'Xicheng', ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)))`,
      [JSON.stringify(outline.geometry)],
    );
    // One named street across the district, so that places near it get an address and the others none.
    await client.query(
      `WITH c AS (SELECT ST_Centroid(geom) AS p, ST_XMin(geom) AS x0, ST_XMax(geom) AS x1 FROM admin_unit WHERE level = 'district'),
            n AS (INSERT INTO walk_node (id, geom) SELECT v.id, ST_SetSRID(ST_MakePoint(v.x, ST_Y(c.p)), 4326) FROM c, LATERAL (VALUES (1, c.x0), (2, c.x1)) v(id, x) RETURNING id)
       INSERT INTO walk_edge (source, target, length_m, cost_s, kind, name, geom)
       SELECT 1, 2, 1, 1, 'arterial', '平安里西大街', ST_MakeLine(ST_SetSRID(ST_MakePoint(c.x0, ST_Y(c.p)), 4326), ST_SetSRID(ST_MakePoint(c.x1, ST_Y(c.p)), 4326)) FROM c, (SELECT count(*) FROM n) k`,
    );
    await client.query(`INSERT INTO department (code, name_zh, name_en, kind) SELECT DISTINCT d, d, d, 'government' FROM unnest($1::text[]) d`, [
      listCategories().map((c) => c.department),
    ]);
    await client.end();
    pool = createPool(scratch.url, 4);
  });
  afterAll(async () => {
    await pool?.end();
    await scratch?.drop();
  });

  it('backfills days of history in bulk, placed in the district, with one marker event, and only once', async () => {
    const client = await pool.connect();
    try {
      const written = await backfillDemoCases(client, { seed: 11, days: 3, perDay: 200 });
      expect(written).toBeGreaterThan(300);
      const { rows } = await client.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE out_of_area)::int AS outside, count(*) FILTER (WHERE department_id IS NULL)::int AS unrouted,
                min(reported_at) AS first FROM cases`,
      );
      expect(rows[0].n).toBe(written);
      expect(rows[0].outside).toBe(0);
      expect(rows[0].unrouted).toBe(0);
      expect(Date.now() - rows[0].first.getTime()).toBeLessThanOrEqual(3 * 86_400_000);
      const events = (await client.query('SELECT type, payload FROM event')).rows;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'cases.backfilled', payload: { cases: written, days: 3 } });
      // The category's SLA gave the due times.
      const sample = (await client.query('SELECT category, reported_at, close_due_at FROM cases ORDER BY id LIMIT 20')).rows;
      for (const s of sample) {
        const sla = findCategory(s.category)!.sla_hours;
        const total = sla.register + sla.dispatch + sla.respond + sla.handle + sla.verify;
        expect(s.close_due_at.getTime() - s.reported_at.getTime()).toBeCloseTo(total * 3_600_000, -1);
      }
      // An address as a caller gives one where a street is named nearby: that street (within about
      // 300 m) and a door number; none where no named street is near.
      const addresses = (
        await client.query(
          `SELECT count(address)::int AS n,
                  count(*) FILTER (WHERE address IS NOT NULL AND (address !~ '^平安里西大街 [0-9]+号$'
                    OR NOT EXISTS (SELECT 1 FROM walk_edge e WHERE ST_DWithin(e.geom::geography, c.geom::geography, 340))))::int AS wrong,
                  count(*) FILTER (WHERE address IS NULL AND EXISTS (SELECT 1 FROM walk_edge e WHERE ST_DWithin(e.geom::geography, c.geom::geography, 250)))::int AS missing
           FROM cases c`,
        )
      ).rows[0];
      expect(addresses.n).toBeGreaterThan(0);
      expect([addresses.wrong, addresses.missing]).toEqual([0, 0]);
      expect(await backfillDemoCases(client, { seed: 11, days: 3, perDay: 200 })).toBe(0);
    } finally {
      client.release();
    }
  });

  it('streams new cases and works open ones through legal transitions only, logging each', async () => {
    const before = (await pool.query('SELECT COALESCE(max(seq), 0)::float8 AS s FROM event')).rows[0].s;
    const sim = new LiveSimulator({ pool, rate: 30, speed: 100_000, seed: 5, tickMs: 200, maxTransitionsPerTick: 50 });
    const running = sim.run();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await pool.query(
        `SELECT count(*) FILTER (WHERE type = 'case.created')::int AS created, count(*) FILTER (WHERE type = 'case.updated')::int AS updated
         FROM event WHERE seq > $1`,
        [before],
      );
      if ((rows[0].created >= 5 && rows[0].updated >= 20) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    sim.stop();
    await running;
    const events = (await pool.query('SELECT type, actor, payload FROM event WHERE seq > $1 ORDER BY seq', [before])).rows;
    const created = events.filter((e) => e.type === 'case.created');
    const updated = events.filter((e) => e.type === 'case.updated');
    expect(created.length).toBeGreaterThanOrEqual(5);
    expect(updated.length).toBeGreaterThanOrEqual(20);
    // The simulator writes as its integration client, like any other intake system.
    // (Its integration client is created on first use; that audit row is the setup's, not its own.)
    expect(events.filter((e) => e.type.startsWith('case.')).every((e) => e.actor === 'api_client:simulator')).toBe(true);
    for (const e of updated) {
      const t = TRANSITIONS[e.payload.action as keyof typeof TRANSITIONS];
      expect(t.from).toContain(e.payload.from);
      expect(e.payload.to).toBe(t.to);
    }
    for (const e of created) expect(e.payload.case.out_of_area).toBe(false);
    // The live stream draws from the same places, addresses included.
    const placed = (await pool.query<{ address: string | null }>(`SELECT DISTINCT address FROM cases WHERE external_id LIKE 'sim-live-%'`)).rows.map((r) => r.address);
    expect(placed.every((a) => a === null || /^平安里西大街 [0-9]+号$/.test(a))).toBe(true);
    expect(created.map((e) => e.payload.case.address ?? null).every((a: string | null) => placed.includes(a))).toBe(true);
  });
});
