import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAs, jsonApi } from '../helpers/auth.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { eastOf, whistleFixture } from './helpers.ts';

/** Scores are shown to one decimal, and the case composite inside them too: at most 0.05 + 0.5 × 0.05 apart. */
const ROUNDING = 0.0751;

type Ranked = { rank: number; id: number; code: string; score: number; case_score: number; on_time_rate: number | null; grade_rate: number | null; missing: number };

/**
 * The ranking recomputed here from the raw rows, with the README's formula written out:
 * score = 100 × (0.5 × case/100 + 0.3 × on-time + 0.2 × grade), a part without data = 1,
 * case = 100 × (w_response × response + w_resolution × resolution + w_satisfaction × satisfaction)
 * with the default scoring profile's weights and rates, read from its data file.
 */
type Rates = { response_rate: number | null; resolution_rate: number | null; satisfaction_rate: number | null };
const PROFILES = JSON.parse(readFileSync(new URL('../../data/standards/scoring-profiles.json', import.meta.url), 'utf8')) as {
  default: string;
  profiles: { id: string; rates: 'callback' | 'administrative'; weights: { response: number; resolution: number; satisfaction: number } }[];
};
const PROFILE = PROFILES.profiles.find((p) => p.id === PROFILES.default)!;

async function independentRanking(pool: pg.Pool, kpiRows: ({ key: number; callback: Rates } & Rates)[], asOf: Date) {
  const from = new Date(asOf.getTime() - 30 * 86_400_000);
  const deps = (await pool.query<{ id: number; code: string }>(`SELECT id, code FROM department WHERE kind <> 'subdistrict'`)).rows;
  const calls = (
    await pool.query<{ department_id: number; deadline_at: Date; checked_in_at: Date | null; on_time: boolean | null; inside: boolean | null; flag_accepted_at: Date | null; grade: number | null; graded_at: Date | null }>(
      `SELECT c.department_id, w.deadline_at, c.checked_in_at, c.on_time, c.inside, c.flag_accepted_at, c.grade, c.graded_at
       FROM whistle_call c JOIN whistle w ON w.id = c.whistle_id WHERE w.status <> 'cancelled' AND w.called_at >= $1 AND w.called_at < $2`,
      [from, asOf],
    )
  ).rows;
  const t = asOf.getTime();
  const out = deps.map((d) => {
    const mine = calls.filter((c) => c.department_id === d.id);
    const checked = (c: (typeof mine)[number]) => c.checked_in_at !== null && c.checked_in_at.getTime() <= t;
    const due = mine.filter((c) => checked(c) || c.deadline_at.getTime() <= t);
    const onTime = due.filter((c) => checked(c) && c.on_time === true && (c.inside === true || c.flag_accepted_at !== null));
    const grades = mine.filter((c) => c.grade !== null && c.graded_at !== null && c.graded_at.getTime() <= t).map((c) => c.grade!);
    const k = kpiRows.find((r) => r.key === d.id);
    const r = k ? (PROFILE.rates === 'callback' ? k.callback : k) : undefined;
    const w = PROFILE.weights;
    const caseScore = 100 * (w.response * (r?.response_rate ?? 1) + w.resolution * (r?.resolution_rate ?? 1) + w.satisfaction * (r?.satisfaction_rate ?? 1));
    const onTimeRate = due.length ? onTime.length / due.length : 1;
    const gradeRate = grades.length ? (grades.reduce((a, b) => a + b, 0) / grades.length - 1) / 4 : 1;
    return { code: d.code, score: 100 * (0.5 * (caseScore / 100) + 0.3 * onTimeRate + 0.2 * gradeRate) };
  });
  return new Map(out.map((r) => [r.code, r.score]));
}

describe('department ranking (红黑榜)', () => {
  let server: TestServer;
  let pool: pg.Pool;

  beforeAll(async () => {
    server = await startTestServer({ whistles: { uploadDir: '/nonexistent', photoMaxBytes: 100_000, escalateMinutes: 600, sweepMs: 600_000 } });
    pool = testPool();
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  const read = async (viewer: ReturnType<typeof jsonApi>) => {
    const asOf = new Date();
    const res = await viewer.get(`/api/departments/ranking?as_of=${encodeURIComponent(asOf.toISOString())}`);
    expect(res.status).toBe(200);
    const ranking = (await res.json()) as { departments: Ranked[] };
    const kpi = (await (await viewer.get(`/api/kpis?window=30d&group=department&as_of=${encodeURIComponent(asOf.toISOString())}`)).json()) as { rows: Parameters<typeof independentRanking>[1] };
    return { ranking: ranking.departments, expected: await independentRanking(pool, kpi.rows, asOf) };
  };

  it('combines case KPIs, on-time arrival and grades as the independent computation says, before and after a graded whistle, and orders by score', async () => {
    const fx = await whistleFixture(pool);
    const viewer = jsonApi(await fetchAs(server.url, pool, 'viewer'));
    const commander = jsonApi(await fetchAs(server.url, pool, 'commander'));
    const admin = jsonApi(await fetchAs(server.url, pool, 'admin'));
    // Two departments of their own, with no cases and no whistles, so other tests cannot move their scores.
    const tag = `r${process.pid}${Date.now().toString(36)}`;
    const [a, b] = [`${tag}_a`, `${tag}_b`];
    await pool.query(`INSERT INTO department (code, name_zh, name_en, kind) VALUES ($1, '测试甲', 'Test A', 'government'), ($2, '测试乙', 'Test B', 'government')`, [a, b]);

    const before = await read(viewer);
    for (const r of before.ranking) expect(Math.abs(r.score - before.expected.get(r.code)!), r.code).toBeLessThanOrEqual(ROUNDING);
    const scoreOf = (rs: Ranked[], code: string) => rs.find((r) => r.code === code)!.score;
    // Nothing to judge yet: every part counts as 1.
    expect([scoreOf(before.ranking, a), scoreOf(before.ranking, b)]).toEqual([100, 100]);

    const res = await commander.post('/api/whistles', { lng: fx.site[0], lat: fx.site[1], title: '排名测试', department_codes: [a, b], deadline_minutes: 30 });
    const { id } = (await res.json()) as { id: number };
    const near = eastOf(fx.site, 20);
    const far = eastOf(fx.site, 600);
    expect((await admin.post(`/api/whistles/${id}/check-ins`, { department_code: a, lng: near[0], lat: near[1], accuracy_m: 10 })).status).toBe(200);
    expect((await admin.post(`/api/whistles/${id}/check-ins`, { department_code: b, lng: far[0], lat: far[1], accuracy_m: 10 })).status).toBe(200);
    expect((await commander.post(`/api/whistles/${id}/close`, { grades: [{ department_code: a, score: 5 }, { department_code: b, score: 1 }] })).status).toBe(200);

    const after = await read(viewer);
    for (const r of after.ranking) expect(Math.abs(r.score - after.expected.get(r.code)!), r.code).toBeLessThanOrEqual(ROUNDING);
    // A on time, inside, graded 5: 100 × (0.5 + 0.3 × 1 + 0.2 × 1). B outside (not accepted), graded 1: 100 × (0.5 + 0 + 0).
    expect([scoreOf(after.ranking, a), scoreOf(after.ranking, b)]).toEqual([100, 50]);
    expect(after.expected.get(b)).toBeCloseTo(50, 6);
    expect(after.ranking.find((r) => r.code === b)!.rank).toBeGreaterThan(after.ranking.find((r) => r.code === a)!.rank);
    for (let i = 1; i < after.ranking.length; i++) expect(after.ranking[i - 1]!.score).toBeGreaterThanOrEqual(after.ranking[i]!.score);
    expect(after.ranking.map((r) => r.rank)).toEqual(after.ranking.map((_, i) => i + 1));
  });
});
