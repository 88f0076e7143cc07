import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCategory } from '../../server/src/cases/categories.ts';
import { historicCase } from '../../server/src/simulator/backfill.ts';
import { prng } from '../../server/src/simulator/model.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';

/**
 * The KPIs are checked against a recomputation in TypeScript from the event log: each case's
 * state at `AS_OF` is replayed from its `case.created` / `case.updated` events up to that
 * instant (due times, fixed at intake, come from the row). The cases are written straight
 * into the table with a history around a moment a year back (`AS_OF`), their events with the
 * stage times as their `at`, in categories no other test uses, so other files' cases cannot
 * enter the figures. A second set of cases, whose stages all lie before `AS_OF`, is then
 * returned, reopened, reassigned and rejected through the API: the figures at `AS_OF` must
 * not move.
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

interface LogEvent {
  at: Date;
  seq: number;
  subject: string;
  type: string;
  payload: { action?: string; case?: { department_id: number | null; satisfaction: number | null } };
}

/** The stage column each action sets, and the ones it clears (the case loop of the README). */
const ACTION_EFFECT: Record<string, { sets?: string; clears?: string[]; status: string }> = {
  register: { sets: 'registered_at', status: 'registered' },
  reject: { sets: 'rejected_at', status: 'rejected' },
  dispatch: { sets: 'dispatched_at', status: 'dispatched' },
  reassign: { sets: 'dispatched_at', clears: ['accepted_at'], status: 'dispatched' },
  return: { clears: ['dispatched_at', 'accepted_at'], status: 'registered' },
  accept: { sets: 'accepted_at', status: 'accepted' },
  handle: { sets: 'handled_at', status: 'handled' },
  reopen: { clears: ['handled_at'], status: 'accepted' },
  verify: { sets: 'verified_at', status: 'verified' },
  close: { sets: 'closed_at', status: 'closed' },
  evaluate: { sets: 'evaluated_at', status: 'evaluated' },
};
const STAGE_COLUMNS = ['registered_at', 'dispatched_at', 'accepted_at', 'handled_at', 'verified_at', 'closed_at', 'evaluated_at', 'rejected_at'];

/** A case as the event log says it stood at `asOf`: only events at or before it count. */
function replay(row: Raw, events: LogEvent[], asOf: Date): Raw {
  const state: Raw = { ...row, status: 'reported', satisfaction: null };
  for (const c of STAGE_COLUMNS) state[c] = null;
  for (const e of events) {
    if (e.at.getTime() > asOf.getTime()) continue;
    if (e.type === 'case.created') {
      state.department_id = e.payload.case!.department_id;
      continue;
    }
    const effect = ACTION_EFFECT[e.payload.action!]!;
    for (const c of effect.clears ?? []) state[c] = null;
    if (effect.sets) state[effect.sets] = e.at;
    state.status = effect.status;
    if (e.payload.action === 'dispatch' || e.payload.action === 'reassign') state.department_id = e.payload.case!.department_id;
    if (e.payload.action === 'evaluate') state.satisfaction = e.payload.case!.satisfaction;
  }
  return state;
}

/** The events a case's stored history stands for, stage by stage, at the stage times. */
function historyEvents(row: Raw): { at: Date; payload: Record<string, unknown>; type: string }[] {
  const order: [string, string][] = [
    ['registered_at', 'register'],
    ['rejected_at', 'reject'],
    ['dispatched_at', 'dispatch'],
    ['accepted_at', 'accept'],
    ['handled_at', 'handle'],
    ['verified_at', 'verify'],
    ['closed_at', 'close'],
    ['evaluated_at', 'evaluate'],
  ];
  const c = { department_id: row.department_id, satisfaction: null as number | null };
  const out = [{ at: row.reported_at as Date, type: 'case.created', payload: { case: { ...c }, rooms: [] } }];
  for (const [col, action] of order) {
    if (!row[col]) continue;
    out.push({ at: row[col] as Date, type: 'case.updated', payload: { action, case: { ...c, satisfaction: action === 'evaluate' ? row.satisfaction : null }, rooms: [] } as never });
  }
  return out;
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
  /** An administrator: these tests read and write everything, the role matrix is tested elsewhere. */
  let admin: AuthedFetch;
  let as: AuthedFetch;
  let pool: pg.Pool;
  let raw: Raw[];
  let log: Map<string, LogEvent[]>;
  let subdistrictId: number | null;

  /** Reads this file's cases and their events afresh (the API may have added some). */
  const loadLog = async () => {
    raw = (await pool.query('SELECT * FROM cases WHERE external_id LIKE $1 ORDER BY id', [`${run}-%`])).rows;
    const { rows } = await pool.query<LogEvent>(
      `SELECT at, seq::float8 AS seq, subject, type, payload FROM event WHERE subject = ANY($1::text[]) AND type IN ('case.created', 'case.updated') ORDER BY at, seq`,
      [raw.map((r) => `case:${r.id}`)],
    );
    log = new Map();
    for (const e of rows) log.set(e.subject, [...(log.get(e.subject) ?? []), e]);
  };
  /** Every case of this file as the event log says it stood at AS_OF. */
  const atAsOf = () => raw.map((r) => replay(r, log.get(`case:${r.id}`) ?? [], AS_OF));

  beforeAll(async () => {
    server = await startTestServer({ logLevel: 'error' });
    {
      const p = testPool();
      admin = await fetchAs(server.url, p, 'admin').finally(() => p.end());
    }
    pool = testPool();
    as = await fetchAs(server.url, pool, 'viewer');
    const { rows: places } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (
         SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level IN ('grid', 'district') ORDER BY md5(code) LIMIT 12) x`,
    );
    places.push({ lng: 121.47, lat: 31.23 }); // outside the district
    const rand = prng(7);
    const insert = async (i: number, reportedAt: Date, horizon: Date) => {
      const category = findCategory(CATEGORIES[i % CATEGORIES.length]!)!;
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
    };
    // 40 days of history up to a few days after AS_OF, so some stages lie after it.
    const horizon = new Date(AS_OF.getTime() + 3 * DAY);
    for (let i = 0; i < 160; i++) await insert(i, new Date(AS_OF.getTime() - 40 * DAY + rand() * 42 * DAY), horizon);
    // Cases whose whole history so far lies before AS_OF: the ones the API rewrites later.
    for (let i = 160; i < 240; i++) await insert(i, new Date(AS_OF.getTime() - 4 * DAY + rand() * 4 * DAY - H), new Date(AS_OF.getTime() - H));
    const stored: Raw[] = (await pool.query('SELECT * FROM cases WHERE external_id LIKE $1', [`${run}-%`])).rows;
    const written = stored.flatMap((r) => historyEvents(r).map((e) => ({ ...e, subject: `case:${r.id}` })));
    await pool.query(
      `INSERT INTO event (at, actor, type, subject, payload) SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::jsonb[])`,
      [written.map((e) => e.at), written.map(() => 'test'), written.map((e) => e.type), written.map((e) => e.subject), written.map((e) => JSON.stringify(e.payload))],
    );
    await loadLog();
    expect(raw.length).toBe(240);
    subdistrictId = raw.find((r) => r.subdistrict_id !== null)?.subdistrict_id ?? null;
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  const population = (window: string) => {
    const t0 = windowStart(window, AS_OF);
    return atAsOf().filter((r) => !r.out_of_area && r.status !== 'rejected' && t(r, 'reported_at')! >= t0 && t(r, 'reported_at')! < AS_OF.getTime());
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
      const rows = atAsOf().filter((r) => !r.out_of_area && r.status !== 'rejected' && r.category === 'food_safety');
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

  it('gives the same figures for an instant after cases handled before it are returned, reopened, reassigned and rejected', async () => {
    const queries = [
      ...['today', '7d', '30d', 'month'].flatMap((w) => CATEGORIES.map((c) => `window=${w}&group=district&category=${c}`)),
      'window=30d&group=department&category=elderly_services',
      'window=30d&group=subdistrict&category=food_safety',
      'window=month&group=category',
    ];
    const before = await Promise.all(queries.map(get));
    const seriesUrl = `${server.url}/api/kpis/series?window=30d&category=gas_safety&as_of=${encodeURIComponent(AS_OF.toISOString())}`;
    const seriesBefore = await (await fetch(seriesUrl)).json();

    const { rows: departments } = await pool.query<{ id: number; code: string }>('SELECT id, code FROM department ORDER BY id');
    const other = (id: number | null) => departments.find((d) => d.id !== id)!.code;
    const done: Record<'return' | 'reopen' | 'reassign' | 'reject', number> = { return: 0, reopen: 0, reassign: 0, reject: 0 };
    const late = raw.filter((r) => Number(String(r.external_id).split('-').pop()) >= 160);
    for (const r of late) {
      const body =
        r.status === 'accepted'
          ? done.return <= done.reassign
            ? { action: 'return', note: '不属于本部门职责' }
            : { action: 'reassign', department_code: other(r.department_id) }
          : r.status === 'dispatched'
            ? { action: 'reassign', department_code: other(r.department_id) }
            : r.status === 'handled'
              ? { action: 'reopen', note: '核查未通过' }
              : r.status === 'reported' || r.status === 'registered'
                ? { action: 'reject', note: '重复件' }
                : null;
      if (!body) continue;
      const res = await admin(`/api/cases/${r.id}/transitions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, `${body.action} case ${r.id} (${r.status})`).toBe(200);
      done[body.action as keyof typeof done]++;
    }
    for (const [action, n] of Object.entries(done)) expect(n, `cases that were ${action}ed`).toBeGreaterThan(0);

    const after = await Promise.all(queries.map(get));
    expect(after).toEqual(before);
    expect(await (await fetch(seriesUrl)).json()).toEqual(seriesBefore);
    // The log now holds the rewrites too; replayed at AS_OF it still gives the same figures.
    await loadLog();
    expectSameFigures(after[0].rows[0], figures(population('today').filter((r) => r.category === CATEGORIES[0]), AS_OF), 'replayed after rewrites');
    for (const category of CATEGORIES) {
      const i = queries.indexOf(`window=30d&group=district&category=${category}`);
      expectSameFigures(after[i].rows[0], figures(population('30d').filter((r) => r.category === category), AS_OF), `30d ${category} after rewrites`);
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
