import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCategory } from '../../server/src/cases/categories.ts';
import { historicCallback, historicCase } from '../../server/src/simulator/backfill.ts';
import { callbackAnswers, prng } from '../../server/src/simulator/model.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';

/**
 * Beijing's 接诉即办 rates come from the citizen's callback (回访): was I contacted, is my
 * problem solved, am I satisfied. The figures are checked against a recomputation from the
 * raw callback rows, and each scoring profile's composite against its weights as read from
 * data/standards/scoring-profiles.json. Categories and dates no other test uses.
 */
const AS_OF = new Date('2025-06-10T15:00:00+08:00');
const CATEGORIES = ['public_toilet', 'dust_pollution', 'cooking_fumes'];
const LEVELS = ['satisfied', 'basically_satisfied', 'dissatisfied'] as const;
const H = 3_600_000;
const DAY = 24 * H;
const run = `cb${process.pid}${Date.now().toString(36)}`;

const SCORING = JSON.parse(readFileSync(new URL('../../data/standards/scoring-profiles.json', import.meta.url), 'utf8')) as {
  default: string;
  callback_satisfaction_levels: Record<(typeof LEVELS)[number], number>;
  profiles: { id: string; rates: 'callback' | 'administrative'; weights: { response: number; resolution: number; satisfaction: number } }[];
};

interface Row {
  id: number;
  category: string;
  out_of_area: boolean;
  subdistrict_id: number | null;
  reported_at: Date;
  rejected_at: Date | null;
  [k: string]: unknown;
}
interface Callback {
  case_id: number;
  id: number;
  at: Date;
  contacted: boolean;
  solved: boolean;
  satisfaction: (typeof LEVELS)[number] | null;
}

const rate = (x: number, y: number) => (y ? x / y : null);

/** The callback rates, written out again: the latest callback by AS_OF of each case counts. */
function callbackFigures(cases: Row[], callbacks: Callback[]) {
  const latest = new Map<number, Callback>();
  for (const c of callbacks) {
    if (c.at.getTime() > AS_OF.getTime()) continue;
    const prev = latest.get(c.case_id);
    if (!prev || prev.at < c.at || (prev.at.getTime() === c.at.getTime() && prev.id < c.id)) latest.set(c.case_id, c);
  }
  const answered = cases.map((r) => latest.get(r.id)).filter((c) => c !== undefined);
  const levels = SCORING.callback_satisfaction_levels;
  const rated = answered.filter((c) => c.satisfaction !== null);
  return {
    callbacks: answered.length,
    contacted: answered.filter((c) => c.contacted).length,
    solved: answered.filter((c) => c.solved).length,
    satisfied: rated.filter((c) => c.satisfaction === 'satisfied').length,
    basically_satisfied: rated.filter((c) => c.satisfaction === 'basically_satisfied').length,
    dissatisfied: rated.filter((c) => c.satisfaction === 'dissatisfied').length,
    response_rate: rate(answered.filter((c) => c.contacted).length, answered.length),
    resolution_rate: rate(answered.filter((c) => c.solved).length, answered.length),
    satisfaction_rate: rate(rated.reduce((s, c) => s + levels[c.satisfaction!], 0), rated.length),
  };
}

describe('callback rates and scoring profiles', () => {
  let server: TestServer;
  /** An administrator: these tests read and write everything, the role matrix is tested elsewhere. */
  let admin: AuthedFetch;
  let pool: pg.Pool;
  let raw: Row[];
  let callbacks: Callback[];

  beforeAll(async () => {
    server = await startTestServer({ logLevel: 'error' });
    {
      const p = testPool();
      admin = await fetchAs(server.url, p, 'admin').finally(() => p.end());
    }
    pool = testPool();
    const { rows: places } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (
         SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = 'grid' ORDER BY md5(code || 'cb') LIMIT 8) x`,
    );
    const rand = prng(29);
    const horizon = new Date(AS_OF.getTime() + 5 * DAY);
    for (let i = 0; i < 150; i++) {
      const category = findCategory(CATEGORIES[i % CATEGORIES.length]!)!;
      const h = historicCase(category, new Date(AS_OF.getTime() - 30 * DAY + rand() * 31 * DAY), horizon, rand);
      const place = places[Math.floor(rand() * places.length)];
      const cols = Object.keys(h.times);
      const { rows } = await pool.query<{ id: number }>(
        `INSERT INTO cases (source, external_id, category, description, priority, status, status_note, return_count, reopen_count, satisfaction,
                            geom, out_of_area, subdistrict_id, community_id, grid_id, building_id, department_id, ${cols.join(', ')})
         SELECT 'hotline_12345', $1, $2, $3, $4, $5, $6, $7, $8, $9, g, a.out_of_area, a.subdistrict_id, a.community_id, a.grid_id, a.building_id,
                (SELECT id FROM department WHERE code = $10), ${cols.map((_, j) => `$${j + 13}`).join(', ')}
         FROM (SELECT ST_SetSRID(ST_MakePoint($11, $12), 4326) AS g) p CROSS JOIN LATERAL case_assign(p.g) a RETURNING id::int AS id`,
        [`${run}-${i}`, h.category, h.description, h.priority, h.status, h.status_note, h.return_count, h.reopen_count, h.satisfaction, h.department_code, place.lng, place.lat, ...cols.map((c) => h.times[c as keyof typeof h.times])],
      );
      const closed = h.times.closed_at;
      if (!closed) continue;
      // One to three callbacks from the day of closing on; some after AS_OF, some with no level given.
      const n = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) {
        const at = new Date(closed.getTime() + rand() * 3 * DAY);
        const level = rand() < 0.1 ? null : LEVELS[Math.floor(rand() * 3)]!;
        await pool.query('INSERT INTO case_callback (case_id, at, actor, contacted, solved, satisfaction) VALUES ($1, $2, $3, $4, $5, $6)', [
          rows[0]!.id,
          at,
          'test',
          rand() < 0.9,
          rand() < 0.7,
          level,
        ]);
      }
    }
    raw = (await pool.query('SELECT * FROM cases WHERE external_id LIKE $1', [`${run}-%`])).rows.map((r) => ({ ...r, id: Number(r.id) }));
    callbacks = (await pool.query('SELECT id::int AS id, case_id::int AS case_id, at, contacted, solved, satisfaction FROM case_callback WHERE case_id = ANY($1::bigint[])', [raw.map((r) => r.id)]))
      .rows;
    expect(callbacks.filter((c) => c.at > AS_OF).length).toBeGreaterThan(0);
    expect(callbacks.filter((c) => c.at <= AS_OF).length).toBeGreaterThan(30);
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  const population = (category: string) =>
    raw.filter(
      (r) => r.category === category && !r.out_of_area && !(r.rejected_at && r.rejected_at <= AS_OF) && r.reported_at >= new Date(AS_OF.getTime() - 30 * DAY) && r.reported_at < AS_OF,
    );
  const get = async (q: string) => {
    const res = await admin(`/api/kpis?window=30d&as_of=${encodeURIComponent(AS_OF.toISOString())}&${q}`);
    expect(res.status, q).toBe(200);
    return res.json();
  };

  it('computes 响应率, 解决率 and 满意率 from the latest callback made by as_of, as recomputed from the rows', async () => {
    for (const category of CATEGORIES) {
      const body = await get(`group=district&category=${category}`);
      const want = callbackFigures(population(category), callbacks);
      expect(want.callbacks).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(want)) {
        if (typeof v === 'number' && !Number.isInteger(v)) expect(body.rows[0].callback[k], `${category} ${k}`).toBeCloseTo(v, 12);
        else expect(body.rows[0].callback[k], `${category} ${k}`).toBe(v);
      }
    }
  });

  it('gives the callback rates per subdistrict, as recomputed', async () => {
    const body = await get(`group=subdistrict&category=${CATEGORIES[0]}`);
    for (const row of body.rows) {
      const want = callbackFigures(population(CATEGORIES[0]!).filter((r) => r.subdistrict_id === row.key), callbacks);
      expect(row.callback.callbacks, `subdistrict ${row.key}`).toBe(want.callbacks);
      expect(row.callback.resolution_rate, `subdistrict ${row.key}`).toBe(want.resolution_rate);
    }
  });

  for (const profile of SCORING.profiles) {
    it(`scores and ranks units by the ${profile.id} profile: its rates with its weights, as recomputed`, async () => {
      const body = await get(`group=subdistrict&category=${CATEGORIES[1]}&profile=${profile.id}&sort=score`);
      expect(body.profile.id).toBe(profile.id);
      expect(body.profile.weights).toMatchObject(profile.weights);
      for (const row of body.rows) {
        const mine = population(CATEGORIES[1]!).filter((r) => r.subdistrict_id === row.key);
        let rates: { response_rate: number | null; resolution_rate: number | null; satisfaction_rate: number | null };
        if (profile.rates === 'callback') rates = callbackFigures(mine, callbacks);
        else rates = { response_rate: row.response_rate, resolution_rate: row.resolution_rate, satisfaction_rate: row.satisfaction_rate };
        const w = profile.weights;
        const want = Math.round(1000 * (w.response * (rates.response_rate ?? 1) + w.resolution * (rates.resolution_rate ?? 1) + w.satisfaction * (rates.satisfaction_rate ?? 1))) / 10;
        expect(row.score, `subdistrict ${row.key}`).toBeCloseTo(want, 9);
      }
      const scores = body.rows.map((r: { score: number }) => r.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });
  }

  it('lists the scoring profiles with their sources, and refuses an unknown one with a 400', async () => {
    const body = await (await admin(`/api/kpis/profiles`)).json();
    expect(body.default).toBe(SCORING.default);
    expect(body.profiles.map((p: { id: string }) => p.id).sort()).toEqual(SCORING.profiles.map((p) => p.id).sort());
    for (const p of body.profiles) expect(p.sources.length > 0 || typeof p.unsourced === 'string', p.id).toBe(true);
    const bad = await admin(`/api/kpis?profile=moscow`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).field).toBe('querystring.profile');
  });

  it("records the dispatcher's callback on a closed case, logs it, and refuses one before the case is closed", async () => {
    const open = raw.find((r) => !['closed', 'evaluated', 'rejected'].includes(r.status as string))!;
    const closed = raw.find((r) => r.status === 'closed')!;
    const refused = await admin(`/api/cases/${open.id}/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contacted: true, solved: true, satisfaction: 'satisfied' }),
    });
    expect(refused.status).toBe(409);
    expect((await refused.json()).message).toContain('closed');
    const res = await admin(`/api/cases/${closed.id}/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contacted: true, solved: false, satisfaction: 'basically_satisfied', note: '问题仍存在' }),
    });
    expect(res.status).toBe(201);
    const cb = await res.json();
    expect(cb).toMatchObject({ case_id: closed.id, contacted: true, solved: false, satisfaction: 'basically_satisfied' });
    const list = await (await admin(`/api/cases/${closed.id}/callbacks`)).json();
    expect(list.items.at(-1).id).toBe(cb.id);
    const { rows } = await pool.query(`SELECT payload FROM event WHERE type = 'case.callback_recorded' AND subject = $1`, [`case:${closed.id}`]);
    expect(rows.map((r) => r.payload.callback.id)).toContain(cb.id);
    const bad = await admin(`/api/cases/${closed.id}/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contacted: true, solved: true, satisfaction: 'happy' }),
    });
    expect(bad.status).toBe(400);
    // The new callback is after AS_OF: the figures at AS_OF do not see it.
    const body = await get(`group=district&category=${closed.category}`);
    expect(body.rows[0].callback.callbacks).toBe(callbackFigures(population(closed.category), callbacks).callbacks);
  });
});

describe('simulated callbacks', () => {
  const share = (h: { late: boolean; returned: boolean; reopened: boolean }, pick: (a: ReturnType<typeof callbackAnswers>) => boolean) => {
    const rand = prng(41);
    let n = 0;
    for (let i = 0; i < 20_000; i++) if (pick(callbackAnswers(h, rand(), rand(), rand()))) n++;
    return n / 20_000;
  };
  const smooth = { late: false, returned: false, reopened: false };

  it('answers solved and satisfied less often for late, returned or reopened cases', () => {
    for (const troubled of [{ ...smooth, late: true }, { ...smooth, reopened: true }, { ...smooth, returned: true }]) {
      expect(share(troubled, (a) => a.solved)).toBeLessThan(share(smooth, (a) => a.solved) - 0.05);
      expect(share(troubled, (a) => a.satisfaction === 'satisfied')).toBeLessThan(share(smooth, (a) => a.satisfaction === 'satisfied') - 0.05);
    }
  });

  it('calls back only closed cases, after closing and not after now', () => {
    const rand = prng(43);
    const now = new Date('2026-11-01T00:00:00Z');
    let made = 0;
    for (let i = 0; i < 2000; i++) {
      const category = findCategory(CATEGORIES[i % 3]!)!;
      const h = historicCase(category, new Date(now.getTime() - rand() * 20 * DAY), now, rand);
      const cb = historicCallback({ ...h, source: 'hotline_12345', external_id: `sim-t-${i}` }, now);
      if (!h.times.closed_at) expect(cb).toBeUndefined();
      if (!cb) continue;
      made++;
      expect(cb.at.getTime()).toBeGreaterThan(h.times.closed_at!.getTime());
      expect(cb.at.getTime()).toBeLessThanOrEqual(now.getTime());
    }
    expect(made).toBeGreaterThan(500);
  });
});
