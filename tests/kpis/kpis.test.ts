import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCategory } from '../../server/src/cases/categories.ts';
import { historicCase } from '../../server/src/simulator/backfill.ts';
import { prng } from '../../server/src/simulator/model.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';

/**
 * The KPIs are checked against a recomputation in TypeScript from the raw case rows. The
 * cases are written straight into the table with a history around a moment a year back
 * (`AS_OF`) and in categories no other test uses, so other files' cases cannot enter the
 * figures.
 */
const AS_OF = new Date('2025-03-20T10:30:00+08:00');
const CATEGORIES = ['elderly_services', 'food_safety', 'tree_hazard', 'gas_safety'];
const H = 3_600_000;
const DAY = 24 * H;
const OFFSET = 8 * H;
const run = `kpi${process.pid}${Date.now().toString(36)}`;

interface Raw {
  id: number;
  category: string;
  status: string;
  out_of_area: boolean;
  subdistrict_id: number | null;
  community_id: number | null;
  grid_id: number | null;
  department_id: number | null;
  satisfaction: number | null;
  [k: string]: unknown;
}

const t = (r: Raw, col: string) => (r[col] ? (r[col] as Date).getTime() : null);

function windowStart(window: string, asOf: Date): number {
  const a = asOf.getTime();
  if (window === '7d') return a - 7 * DAY;
  if (window === '30d') return a - 30 * DAY;
  const local = new Date(a + OFFSET);
  if (window === 'today') return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - OFFSET;
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - OFFSET;
}

function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((x, y) => x - y);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)]! + s[Math.ceil(m)]!) / 2;
}

/** The README's formulas, written out again from scratch. */
function figures(rows: Raw[], asOf: Date) {
  const a = asOf.getTime();
  const done = (r: Raw, col: string) => t(r, col) !== null && t(r, col)! <= a;
  const count = (f: (r: Raw) => boolean) => rows.filter(f).length;
  const dueAsOf = (r: Raw) =>
    !done(r, 'registered_at') ? t(r, 'register_due_at')! : !done(r, 'dispatched_at') ? t(r, 'dispatch_due_at')! : !done(r, 'accepted_at') ? t(r, 'accept_due_at')! : !done(r, 'handled_at') ? t(r, 'handle_due_at')! : t(r, 'close_due_at')!;
  const hours = (to: string, from: string) => median(rows.filter((r) => done(r, to)).map((r) => (t(r, to)! - t(r, from)!) / H));
  const responseDue = count((r) => done(r, 'accepted_at') || t(r, 'accept_due_at')! <= a);
  const onTime = count((r) => done(r, 'accepted_at') && t(r, 'accepted_at')! <= t(r, 'accept_due_at')!);
  const resolutionDue = count((r) => done(r, 'closed_at') || t(r, 'close_due_at')! <= a);
  const resolved = count((r) => done(r, 'closed_at'));
  const rated = count((r) => done(r, 'evaluated_at') && r.satisfaction !== null);
  const satisfied = count((r) => done(r, 'evaluated_at') && (r.satisfaction ?? 0) >= 4);
  const rate = (x: number, y: number) => (y ? x / y : null);
  return {
    cases: rows.length,
    response_due: responseDue,
    responded_on_time: onTime,
    response_rate: rate(onTime, responseDue),
    resolution_due: resolutionDue,
    resolved,
    resolution_rate: rate(resolved, resolutionDue),
    rated,
    satisfied,
    satisfaction_rate: rate(satisfied, rated),
    open: count((r) => !done(r, 'closed_at')),
    overdue: count((r) => !done(r, 'closed_at') && dueAsOf(r) < a),
    closed_late: count((r) => done(r, 'closed_at') && t(r, 'closed_at')! > t(r, 'close_due_at')!),
    median_hours: {
      register: hours('registered_at', 'reported_at'),
      dispatch: hours('dispatched_at', 'registered_at'),
      respond: hours('accepted_at', 'dispatched_at'),
      handle: hours('handled_at', 'accepted_at'),
      verify: hours('closed_at', 'handled_at'),
    },
  };
}

function expectSameFigures(got: Record<string, unknown>, want: ReturnType<typeof figures>, label: string) {
  for (const [k, v] of Object.entries(want)) {
    if (k === 'median_hours') {
      for (const [stage, m] of Object.entries(v as Record<string, number | null>)) {
        const g = (got.median_hours as Record<string, number | null>)[stage];
        if (m === null) expect(g, `${label} median ${stage}`).toBeNull();
        else expect(g, `${label} median ${stage}`).toBeCloseTo(m, 9);
      }
    } else if (typeof v === 'number' && !Number.isInteger(v)) {
      expect(got[k], `${label} ${k}`).toBeCloseTo(v, 12);
    } else {
      expect(got[k], `${label} ${k}`).toBe(v);
    }
  }
}

describe('KPIs', () => {
  let server: TestServer;
  let as: AuthedFetch;
  let pool: pg.Pool;
  let raw: Raw[];
  let subdistrictId: number | null;

  beforeAll(async () => {
    server = await startTestServer({ logLevel: 'error' });
    pool = testPool();
    as = await fetchAs(server.url, pool, 'viewer');
    const { rows: places } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (
         SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level IN ('grid', 'district') ORDER BY md5(code) LIMIT 12) x`,
    );
    places.push({ lng: 121.47, lat: 31.23 }); // outside the district
    const rand = prng(7);
    // 40 days of history up to a few days after AS_OF, so some stages lie after it.
    const horizon = new Date(AS_OF.getTime() + 3 * DAY);
    for (let i = 0; i < 160; i++) {
      const category = findCategory(CATEGORIES[i % CATEGORIES.length]!)!;
      const reportedAt = new Date(AS_OF.getTime() - 40 * DAY + rand() * 42 * DAY);
      const h = historicCase(category, reportedAt, horizon, rand);
      const place = places[Math.floor(rand() * places.length)];
      const cols = Object.keys(h.times);
      await pool.query(
        `INSERT INTO cases (source, external_id, category, description, priority, status, status_note, return_count, reopen_count, satisfaction,
                            geom, out_of_area, subdistrict_id, community_id, grid_id, building_id, department_id, ${cols.join(', ')})
         SELECT 'hotline_12345', $1, $2, $3, $4, $5, $6, $7, $8, $9, g, a.out_of_area, a.subdistrict_id, a.community_id, a.grid_id, a.building_id,
                (SELECT id FROM department WHERE code = $10), ${cols.map((_, j) => `$${j + 13}`).join(', ')}
         FROM (SELECT ST_SetSRID(ST_MakePoint($11, $12), 4326) AS g) p CROSS JOIN LATERAL case_assign(p.g) a`,
        [`${run}-${i}`, h.category, h.description, h.priority, h.status, h.status_note, h.return_count, h.reopen_count, h.satisfaction, h.department_code, place.lng, place.lat, ...cols.map((c) => h.times[c as keyof typeof h.times])],
      );
    }
    raw = (await pool.query('SELECT * FROM cases WHERE external_id LIKE $1', [`${run}-%`])).rows;
    expect(raw.length).toBe(160);
    subdistrictId = raw.find((r) => r.subdistrict_id !== null)?.subdistrict_id ?? null;
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  const population = (window: string) => {
    const t0 = windowStart(window, AS_OF);
    return raw.filter((r) => !r.out_of_area && r.status !== 'rejected' && t(r, 'reported_at')! >= t0 && t(r, 'reported_at')! < AS_OF.getTime());
  };
  const get = async (q: string) => {
    const res = await as(`/api/kpis?as_of=${encodeURIComponent(AS_OF.toISOString())}&${q}`);
    expect(res.status).toBe(200);
    return res.json();
  };

  for (const window of ['today', '7d', '30d', 'month']) {
    it(`matches the recomputation for the district over ${window}, within a category scope`, async () => {
      for (const category of CATEGORIES) {
        const body = await get(`window=${window}&group=district&category=${category}`);
        expect(new Date(body.from).getTime()).toBe(windowStart(window, AS_OF));
        expect(body.rows).toHaveLength(1);
        expectSameFigures(body.rows[0], figures(population(window).filter((r) => r.category === category), AS_OF), `${window} ${category}`);
      }
    });
  }

  for (const group of ['subdistrict', 'community', 'grid', 'department'] as const) {
    it(`matches the recomputation per ${group} over 30 days`, async () => {
      const column = `${group}_id`;
      for (const category of CATEGORIES.slice(0, 2)) {
        const body = await get(`window=30d&group=${group}&category=${category}`);
        const mine = population('30d').filter((r) => r.category === category);
        const keys = new Set(mine.map((r) => r[column]).filter((k) => k !== null));
        for (const key of keys) expect(body.rows.some((row: { key: number }) => row.key === key), `${group} ${key} listed`).toBe(true);
        for (const row of body.rows) {
          expectSameFigures(row, figures(mine.filter((r) => r[column] === row.key), AS_OF), `${group} ${row.key}`);
        }
      }
    });
  }

  it('matches the recomputation per category for the whole month, one row per category of the taxonomy', async () => {
    const body = await get(`window=month&group=category&sort=name`);
    for (const category of CATEGORIES) {
      const row = body.rows.find((r: { key: string }) => r.key === category);
      expect(row.name_zh).toBe(findCategory(category)!.name_zh);
      expectSameFigures(row, figures(population('month').filter((r) => r.category === category), AS_OF), category);
    }
  });

  it('scopes figures to one subdistrict', async () => {
    if (subdistrictId === null) return expect(raw.every((r) => r.subdistrict_id === null)).toBe(true);
    const body = await get(`window=30d&group=district&subdistrict_id=${subdistrictId}&category=elderly_services`);
    expectSameFigures(body.rows[0], figures(population('30d').filter((r) => r.subdistrict_id === subdistrictId && r.category === 'elderly_services'), AS_OF), 'scoped');
  });

  it('ranks units by the chosen figure, units without one last', async () => {
    const body = await get(`window=30d&group=grid&category=elderly_services&sort=response_rate&order=desc`);
    const values = body.rows.map((r: { response_rate: number | null }) => r.response_rate);
    const firstNull = values.indexOf(null);
    const ranked = firstNull < 0 ? values : values.slice(0, firstNull);
    expect(ranked).toEqual([...ranked].sort((a: number, b: number) => b - a));
    if (firstNull >= 0) expect(values.slice(firstNull).every((v: unknown) => v === null)).toBe(true);
    expect(body.rows.map((r: { rank: number }) => r.rank)).toEqual(body.rows.map((_: unknown, i: number) => i + 1));
  });

  it('gives hourly counts for the last 24 hours and daily counts for 30 days, as recounted from the rows', async () => {
    for (const [window, step, n] of [['24h', H, 24], ['30d', DAY, 30]] as const) {
      const res = await as(`/api/kpis/series?window=${window}&category=food_safety&as_of=${encodeURIComponent(AS_OF.toISOString())}`);
      const body = await res.json();
      expect(body.points).toHaveLength(n);
      const a = AS_OF.getTime();
      const lastStart = step === H ? Math.floor(a / H) * H : windowStart('today', AS_OF);
      const rows = raw.filter((r) => !r.out_of_area && r.status !== 'rejected' && r.category === 'food_safety');
      body.points.forEach((p: Record<string, number | string | null>, i: number) => {
        const start = lastStart - (n - 1 - i) * step;
        const end = Math.min(start + step, a);
        const inBucket = (col: string) => (r: Raw) => t(r, col) !== null && t(r, col)! >= start && t(r, col)! < end;
        expect(new Date(p.start as string).getTime()).toBe(start);
        expect(p.reported).toBe(rows.filter(inBucket('reported_at')).length);
        expect(p.accepted).toBe(rows.filter(inBucket('accepted_at')).length);
        expect(p.closed).toBe(rows.filter(inBucket('closed_at')).length);
        const rated = rows.filter((r) => inBucket('evaluated_at')(r) && r.satisfaction !== null);
        expect(p.rated).toBe(rated.length);
        expect(p.satisfied).toBe(rated.filter((r) => r.satisfaction! >= 4).length);
      });
    }
  });

  it('refuses an unknown window or category with a 400 naming the parameter', async () => {
    const a = await as(`/api/kpis?window=year`);
    expect(a.status).toBe(400);
    expect((await a.json()).field).toBe('querystring.window');
    const b = await as(`/api/kpis?category=ufo`);
    expect(b.status).toBe(400);
    expect((await b.json()).field).toBe('querystring.category');
  });
});
