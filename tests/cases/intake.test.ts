import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroBatcher } from '../../server/src/cases/micro-batcher.ts';
import { caseRooms } from '../../server/src/cases/service.ts';
import type { CaseSummary } from '../../server/src/cases/schemas.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, jsonApi } from '../helpers/auth.ts';

const run = `in${process.pid}${Date.now().toString(36)}`;

/** A deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('set-based case intake', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let http: ReturnType<typeof jsonApi>;
  let env: { minx: number; miny: number; maxx: number; maxy: number };
  let inside: [number, number];

  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    http = jsonApi(await fetchAs(server.url, pool, 'dispatcher'));
    const { rows } = await pool.query(
      `SELECT ST_XMin(geom) - 0.005 AS minx, ST_YMin(geom) - 0.005 AS miny, ST_XMax(geom) + 0.005 AS maxx, ST_YMax(geom) + 0.005 AS maxy,
              ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat
       FROM admin_unit WHERE level = 'district'`,
    );
    env = rows[0];
    inside = [rows[0].lng, rows[0].lat];
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  it('places every case of a 400-case batch as an independent point-by-point PostGIS query does, inside and outside the district', async () => {
    const rand = prng(14);
    const cases = Array.from({ length: 400 }, (_, i) => ({
      source: 'grid_patrol',
      external_id: `${run}-place-${i}`,
      category: 'street_vending',
      description: 'batch placement',
      lng: env.minx + rand() * (env.maxx - env.minx),
      lat: env.miny + rand() * (env.maxy - env.miny),
    }));
    const res = await http.post('/api/cases/batch', { cases });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { created: boolean; case: Record<string, number | boolean | null> }[] };
    expect(results.map((r) => r.created)).toEqual(cases.map(() => true));
    // The independent answer: each point on its own, by a plain scan of every unit (no index,
    // no case_assign) and the nearest building by sorting the geodesic distances of all within 300 m
    // (a range search, where intake uses a nearest-neighbour search).
    const { rows } = await pool.query(
      `SELECT p.i::int AS i,
         NOT EXISTS (SELECT 1 FROM admin_unit d WHERE d.level = 'district' AND ST_Intersects(d.geom, p.g)) AS out_of_area,
         (SELECT min(a.id) FROM admin_unit a WHERE a.level = 'subdistrict' AND ST_Intersects(a.geom, p.g)) AS subdistrict_id,
         (SELECT min(a.id) FROM admin_unit a WHERE a.level = 'community' AND ST_Intersects(a.geom, p.g)) AS community_id,
         (SELECT min(a.id) FROM admin_unit a WHERE a.level = 'grid' AND ST_Intersects(a.geom, p.g)) AS grid_id,
         (SELECT b.id FROM building b WHERE ST_DWithin(b.centroid::geography, p.g::geography, 300, false)
          ORDER BY ST_Distance(b.centroid::geography, p.g::geography, false), b.id LIMIT 1) AS building_id
       FROM (SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS g FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(x, y, i)) p
       ORDER BY p.i`,
      [cases.map((c) => c.lng), cases.map((c) => c.lat)],
    );
    const outside = rows.filter((r) => r.out_of_area).length;
    expect(outside, 'the sample has points outside the district').toBeGreaterThan(10);
    expect(outside, 'and inside it').toBeLessThan(390);
    results.forEach((r, i) => {
      const want = rows[i];
      expect(
        { out_of_area: r.case.out_of_area, subdistrict_id: r.case.subdistrict_id, community_id: r.case.community_id, grid_id: r.case.grid_id, building_id: r.case.building_id },
        `case ${i}`,
      ).toEqual({
        out_of_area: want.out_of_area,
        subdistrict_id: want.out_of_area ? null : want.subdistrict_id,
        community_id: want.out_of_area ? null : want.community_id,
        grid_id: want.out_of_area ? null : want.grid_id,
        building_id: want.building_id,
      });
    });
  });

  it('stores the first of two items with one key in a batch and answers the second with it, with one case.created event', async () => {
    const item = (description: string) => ({ source: 'wechat', external_id: `${run}-twice`, category: 'street_vending', description, lng: inside[0], lat: inside[1] });
    const res = await http.post('/api/cases/batch', { cases: [item('first'), item('second')] });
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results.map((r: { created: boolean }) => r.created)).toEqual([true, false]);
    expect(results[1].case.id).toBe(results[0].case.id);
    const stored = await pool.query('SELECT description FROM cases WHERE id = $1', [results[0].case.id]);
    expect(stored.rows[0].description).toBe('first');
    const events = await pool.query("SELECT count(*)::int AS n FROM event WHERE subject = $1 AND type = 'case.created'", [`case:${results[0].case.id}`]);
    expect(events.rows[0].n).toBe(1);
  });

  it('answers each of 60 concurrent single POSTs on its own: repeats of a key get the first case, every new case has exactly one event', async () => {
    const bodies = Array.from({ length: 60 }, (_, i) => ({
      source: 'hotline_12345',
      external_id: `${run}-single-${i % 50}`,
      category: 'street_vending',
      description: `single ${i}`,
      lng: inside[0],
      lat: inside[1],
    }));
    const answers = await Promise.all(bodies.map((b) => http.post('/api/cases', b).then(async (r) => ({ status: r.status, body: await r.json() }))));
    const byKey = new Map<string, number>();
    answers.forEach((a, i) => {
      expect([200, 201], `answer ${i}`).toContain(a.status);
      const key = bodies[i]!.external_id;
      if (byKey.has(key)) expect(a.body.case.id, `repeat of ${key}`).toBe(byKey.get(key));
      else byKey.set(key, a.body.case.id);
    });
    expect(answers.filter((a) => a.status === 201)).toHaveLength(50);
    const ids = [...byKey.values()];
    const events = await pool.query(
      "SELECT subject, count(*)::int AS n FROM event WHERE type = 'case.created' AND subject = ANY($1::text[]) GROUP BY subject",
      [ids.map((id) => `case:${id}`)],
    );
    expect(events.rows).toHaveLength(50);
    expect(events.rows.every((r) => r.n === 1)).toBe(true);
  });

  it('answers a single POST and logs its event with the case as the API reads it back, in the rooms the service gives it', async () => {
    const body = { source: 'wechat', external_id: `${run}-shape`, category: 'street_vending', description: 'shape', address: '某街 1 号', lng: inside[0], lat: inside[1] };
    const res = await http.post('/api/cases', body);
    expect(res.status).toBe(201);
    const answer = (await res.json()).case as Record<string, unknown>;
    const detail = (await (await http.get(`/api/cases/${answer.id}`)).json()) as Record<string, unknown>;
    const summary = detail.case ? (detail.case as Record<string, unknown>) : detail;
    expect(Object.keys(answer).length).toBeGreaterThan(15);
    for (const [k, v] of Object.entries(answer)) expect(summary[k], k).toEqual(v);
    const { rows } = await pool.query("SELECT payload FROM event WHERE type = 'case.created' AND subject = $1", [`case:${answer.id}`]);
    expect(rows).toHaveLength(1);
    for (const [k, v] of Object.entries(answer)) expect(rows[0].payload.case[k], `event ${k}`).toEqual(v);
    expect(rows[0].payload.rooms).toEqual(caseRooms(answer as unknown as CaseSummary));
    expect(rows[0].payload.rooms).toContain(`subdistrict:${answer.subdistrict_id}`);
  });

  it('refuses a case whose lat and lng were swapped even when it arrives with others', async () => {
    const good = Array.from({ length: 5 }, (_, i) => http.post('/api/cases', { source: 'sensor', external_id: `${run}-ok-${i}`, category: 'street_vending', description: 'ok', lng: inside[0], lat: inside[1] }));
    const bad = http.post('/api/cases', { source: 'sensor', external_id: `${run}-bad`, category: 'street_vending', description: 'swapped', lng: inside[1], lat: inside[0] });
    const [badRes, ...goodRes] = await Promise.all([bad, ...good]);
    expect(goodRes.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(badRes.status).toBe(400);
    expect((await badRes.json()).message).toMatch(/look swapped/);
  });
});

describe('micro-batcher', () => {
  it('hands items submitted in one turn to one flush and settles each with its own outcome', async () => {
    const flushes: number[][] = [];
    const b = new MicroBatcher<number, number>(async (items) => {
      flushes.push(items);
      return items.map((x) => (x === 3 ? { ok: false, error: new Error('three') } : { ok: true, value: x * 10 }));
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((x) => b.submit(x)));
    expect(flushes).toEqual([[1, 2, 3, 4]]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([10, 20, 'three', 40]);
  });

  it('queues what arrives while flushes run and takes it in the next flush, never more than the batch size', async () => {
    const flushes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<number, number>(
      async (items) => {
        flushes.push(items);
        await gate;
        return items.map((x) => ({ ok: true, value: x }));
      },
      3,
      1,
    );
    const first = b.submit(0);
    await new Promise((r) => setImmediate(r));
    const later = [1, 2, 3, 4, 5].map((x) => b.submit(x));
    await new Promise((r) => setImmediate(r));
    expect(flushes).toEqual([[0]]);
    expect(b.pending).toBe(5);
    release();
    expect(await Promise.all([first, ...later])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(flushes).toEqual([[0], [1, 2, 3], [4, 5]]);
  });
});
