import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';

type Rates = { response_rate: number | null; resolution_rate: number | null; satisfaction_rate: number | null };
const SCORING = JSON.parse(readFileSync(new URL('../../data/standards/scoring-profiles.json', import.meta.url), 'utf8')) as {
  default: string;
  profiles: { id: string; rates: 'callback' | 'administrative'; weights: { response: number; resolution: number; satisfaction: number } }[];
};

describe('the wall read models', () => {
  let server: TestServer;
  let as: AuthedFetch;
  let pool: pg.Pool;
  let spot: { lng: number; lat: number };
  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    as = await fetchAs(server.url, pool, 'dispatcher');
    // A point of its own inside a subdistrict, so no other test's cases share its heat cell.
    const { rows } = await pool.query<{ lng: number; lat: number }>(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = 'subdistrict' ORDER BY code DESC LIMIT 1) s`,
    );
    spot = { lng: Math.round(rows[0]!.lng * 1e4) / 1e4 + 0.00003, lat: Math.round(rows[0]!.lat * 1e4) / 1e4 + 0.00002 };
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  async function post(body: Record<string, unknown>) {
    const res = await as(`/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { case: { id: number; priority: string } }).case;
  }

  it('sums the priority weights of the cases in a heat cell, in JSON and in the binary form', async () => {
    const made = [
      await post({ source: 'hotline_12345', category: 'gas_safety', description: 'wall heat test', lng: spot.lng, lat: spot.lat, priority: 'urgent' }),
      await post({ source: 'wechat', category: 'shared_bikes', description: 'wall heat test', lng: spot.lng, lat: spot.lat, priority: 'low' }),
    ];
    // Independently: the weight table of the issue (urgent 8, high 4, normal 2, low 1) over the cases made here.
    const weight: Record<string, number> = { urgent: 8, high: 4, normal: 2, low: 1 };
    const expected = made.reduce((s, c) => s + weight[c.priority]!, 0);
    const json = (await (await as(`/api/wall/heatmap?window=1h&format=json`)).json()) as { points: [number, number, number][] };
    const cell = json.points.filter(([x, y]) => Math.abs(x - spot.lng) < 0.00006 && Math.abs(y - spot.lat) < 0.00006);
    expect(cell).toHaveLength(1);
    expect(cell[0]![2]).toBe(expected);

    const bin = new Float32Array(await (await as(`/api/wall/heatmap?window=1h`)).arrayBuffer());
    expect(bin.length % 3).toBe(0);
    let found = 0;
    for (let i = 0; i < bin.length; i += 3) if (Math.abs(bin[i]! - spot.lng) < 0.00006 && Math.abs(bin[i + 1]! - spot.lat) < 0.00006) found = bin[i + 2]!;
    expect(found).toBe(expected);
  });

  it('rejects an unknown heat window with a 400 naming the parameter', async () => {
    const res = await as(`/api/wall/heatmap?window=2h`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { field: string }).field).toBe('querystring.window');
  });

  it('ranks subdistricts and departments by the documented composite of the KPI rates', async () => {
    const summary = (await (await as(`/api/wall/summary`)).json()) as {
      as_of: string;
      subdistricts: { id: number; score: number }[];
      departments: { id: number; score: number }[];
    };
    for (const [group, list] of [['subdistrict', summary.subdistricts], ['department', summary.departments]] as const) {
      // As of the summary's own instant: other tests add cases meanwhile.
      const kpis = (await (await as(`/api/kpis?window=30d&group=${group}&as_of=${summary.as_of}`)).json()) as {
        rows: ({ key: number; callback: Rates } & Rates)[];
      };
      // Independently: 100 × (w_response × response + w_resolution × resolution + w_satisfaction × satisfaction) with the
      // default scoring profile's weights and rates (data/standards/scoring-profiles.json), a missing rate counting as 1.
      const profile = SCORING.profiles.find((p) => p.id === SCORING.default)!;
      const w = profile.weights;
      const rates = (r: { callback: Rates } & Rates) => (profile.rates === 'callback' ? r.callback : r);
      const score = new Map(
        kpis.rows.map((r) => [r.key, Math.round(1000 * (w.response * (rates(r).response_rate ?? 1) + w.resolution * (rates(r).resolution_rate ?? 1) + w.satisfaction * (rates(r).satisfaction_rate ?? 1))) / 10]),
      );
      expect(list.length).toBeGreaterThan(0);
      for (const u of list) expect(u.score).toBeCloseTo(score.get(u.id)!, 1);
      for (let i = 1; i < list.length; i++) expect(list[i - 1]!.score).toBeGreaterThanOrEqual(list[i]!.score);
    }
    expect(summary.subdistricts).toHaveLength(15);
  });

  it('lists the newest cases first with their category names, and the active whistles by deadline', async () => {
    const c = await post({ source: 'grid_patrol', category: 'street_light', description: 'wall ticker test', lng: spot.lng, lat: spot.lat });
    const summary = (await (await as(`/api/wall/summary`)).json()) as {
      latest: { id: number; category_name_zh: string; reported_at: string }[];
    };
    const mine = summary.latest.find((x) => x.id === c.id);
    const taxonomy = JSON.parse(readFileSync(new URL('../../data/case-categories.json', import.meta.url), 'utf8')) as { categories: { code: string; name_zh: string }[] };
    expect(mine?.category_name_zh).toBe(taxonomy.categories.find((k) => k.code === 'street_light')!.name_zh);
    for (let i = 1; i < summary.latest.length; i++) expect(summary.latest[i - 1]!.reported_at >= summary.latest[i]!.reported_at).toBe(true);

    const w = (await (await as(`/api/whistles/active`)).json()) as { whistles: { deadline_at: string; calls: { checked_in_at: string | null }[] }[] };
    expect(w.whistles.length).toBeGreaterThan(0);
    for (let i = 1; i < w.whistles.length; i++) expect(Date.parse(w.whistles[i - 1]!.deadline_at)).toBeLessThanOrEqual(Date.parse(w.whistles[i]!.deadline_at));
    expect(w.whistles.some((x) => x.calls.some((k) => k.checked_in_at !== null))).toBe(true);
  });

  it('hands walls that ask while the log stands still one summary, and a new one as soon as a case is logged', async () => {
    type S = { as_of: string; seq: number; latest: { id: number }[] };
    const summary = async () => (await (await as(`/api/wall/summary`)).json()) as S;
    // Other test files write to this database too: look for two answers with nothing logged between them.
    let shared = false;
    for (let attempt = 0; attempt < 10 && !shared; attempt++) {
      const [a, b] = [await summary(), await summary()];
      if (a.seq !== b.seq) continue;
      expect(b.as_of).toBe(a.as_of);
      shared = true;
    }
    expect(shared).toBe(true);
    const before = await summary();
    const made = await post({ source: 'wechat', category: 'shared_bikes', description: 'wall summary freshness', lng: spot.lng, lat: spot.lat });
    const after = await summary();
    expect(Number(after.seq)).toBeGreaterThan(Number(before.seq));
    expect(Date.parse(after.as_of)).toBeGreaterThan(Date.parse(before.as_of));
    expect(after.latest.some((c) => c.id === made.id)).toBe(true);
  });
});
