import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAs, jsonApi } from '../helpers/auth.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { eastOf, independentRanking, whistleFixture } from './helpers.ts';

/** Scores are shown to one decimal, and the case composite inside them too: at most 0.05 + 0.5 × 0.05 apart. */
const ROUNDING = 0.0751;

type Ranked = { rank: number; id: number; code: string; score: number; case_score: number; on_time_rate: number | null; grade_rate: number | null; missing: number };

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
