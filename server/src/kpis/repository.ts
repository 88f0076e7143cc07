/**
 * Every KPI figure is computed here, in SQL, and nowhere else. The formulas are written out
 * in the README ("Cases, KPIs and live push"); the tests recompute them from raw rows.
 *
 * The population of a window is the cases reported in [from, as_of) that lie in the district
 * and had not been rejected as invalid by `as_of`. Every case is read as it stood at `as_of`
 * (`cases_as_of`, migration 0070: the current row, or the version kept before a later
 * return, reopen, reassign or reject rewrote it), and a stage counts only if it happened by
 * `as_of`; so the figures for an instant never change afterwards.
 */
import type pg from 'pg';
import type { KpiFigures, KpiGroup, KpiWindow } from './schemas.ts';

type Db = pg.Pool | pg.ClientBase;

/** Days and months start at midnight in the city's time zone (China has no daylight saving). */
export const CITY_TIME_ZONE = 'Asia/Shanghai';

/** Group keys: fixed SQL per group, never built from input. */
const GROUP_KEY: Record<KpiGroup, string> = {
  district: `NULL::text`,
  subdistrict: `c.subdistrict_id::text`,
  community: `c.community_id::text`,
  grid: `c.grid_id::text`,
  department: `c.department_id::text`,
  category: `c.category`,
};

const WINDOW_START: Record<KpiWindow, string> = {
  today: `date_trunc('day', $1::timestamptz AT TIME ZONE '${CITY_TIME_ZONE}') AT TIME ZONE '${CITY_TIME_ZONE}'`,
  '7d': `$1::timestamptz - interval '7 days'`,
  '30d': `$1::timestamptz - interval '30 days'`,
  month: `date_trunc('month', $1::timestamptz AT TIME ZONE '${CITY_TIME_ZONE}') AT TIME ZONE '${CITY_TIME_ZONE}'`,
};

/** The due time of the stage a case was in at `as_of` ($1). */
const DUE_AS_OF = `CASE
    WHEN c.registered_at IS NULL OR c.registered_at > $1 THEN c.register_due_at
    WHEN c.dispatched_at IS NULL OR c.dispatched_at > $1 THEN c.dispatch_due_at
    WHEN c.accepted_at IS NULL OR c.accepted_at > $1 THEN c.accept_due_at
    WHEN c.handled_at IS NULL OR c.handled_at > $1 THEN c.handle_due_at
    ELSE c.close_due_at END`;

const hours = (a: string, b: string) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.${a} - c.${b}) / 3600.0) FILTER (WHERE c.${a} <= $1)`;

/** $1 as_of, $2 subdistrict scope, $3 department scope, $4 category scope. */
const FIGURES_SQL = (group: KpiGroup) => `
  SELECT ${GROUP_KEY[group]} AS key,
    count(*)::int AS cases,
    count(*) FILTER (WHERE c.accepted_at <= $1 OR c.accept_due_at <= $1)::int AS response_due,
    count(*) FILTER (WHERE c.accepted_at <= $1 AND c.accepted_at <= c.accept_due_at)::int AS responded_on_time,
    count(*) FILTER (WHERE c.closed_at <= $1 OR c.close_due_at <= $1)::int AS resolution_due,
    count(*) FILTER (WHERE c.closed_at <= $1)::int AS resolved,
    count(*) FILTER (WHERE c.evaluated_at <= $1 AND c.satisfaction IS NOT NULL)::int AS rated,
    count(*) FILTER (WHERE c.evaluated_at <= $1 AND c.satisfaction >= 4)::int AS satisfied,
    count(*) FILTER (WHERE c.closed_at IS NULL OR c.closed_at > $1)::int AS open,
    count(*) FILTER (WHERE (c.closed_at IS NULL OR c.closed_at > $1) AND ${DUE_AS_OF} < $1)::int AS overdue,
    count(*) FILTER (WHERE c.closed_at <= $1 AND c.closed_at > c.close_due_at)::int AS closed_late,
    ${hours('registered_at', 'reported_at')} AS m_register,
    ${hours('dispatched_at', 'registered_at')} AS m_dispatch,
    ${hours('accepted_at', 'dispatched_at')} AS m_respond,
    ${hours('handled_at', 'accepted_at')} AS m_handle,
    ${hours('closed_at', 'handled_at')} AS m_verify,
    count(cb.case_id)::int AS cb_calls,
    count(*) FILTER (WHERE cb.contacted)::int AS cb_contacted,
    count(*) FILTER (WHERE cb.solved)::int AS cb_solved,
    count(*) FILTER (WHERE cb.satisfaction = 'satisfied')::int AS cb_satisfied,
    count(*) FILTER (WHERE cb.satisfaction = 'basically_satisfied')::int AS cb_basically_satisfied,
    count(*) FILTER (WHERE cb.satisfaction = 'dissatisfied')::int AS cb_dissatisfied
  FROM cases_as_of((SELECT t0 FROM w), $1) c
  -- The latest callback made by as_of (callbacks are append-only, so this never changes later).
  LEFT JOIN LATERAL (
    SELECT k.case_id, k.contacted, k.solved, k.satisfaction FROM case_callback k
    WHERE k.case_id = c.id AND k.at <= $1 ORDER BY k.at DESC, k.id DESC LIMIT 1
  ) cb ON true
  WHERE NOT c.out_of_area AND NOT c.rejected
    AND ($2::int IS NULL OR c.subdistrict_id = $2)
    AND ($3::int IS NULL OR c.department_id = $3)
    AND ($4::text IS NULL OR c.category = $4)
  GROUP BY 1`;

/** The units a group lists even when they have no cases (so a ranking shows every subdistrict). */
const UNITS_SQL: Partial<Record<KpiGroup, string>> = {
  subdistrict: `SELECT u.id::text AS key, u.name_zh, u.name_en FROM admin_unit u WHERE u.level = 'subdistrict' AND ($2::int IS NULL OR u.id = $2)`,
  community: `SELECT u.id::text AS key, u.name_zh, u.name_en FROM admin_unit u WHERE u.level = 'community' AND ($2::int IS NULL OR u.parent_id = $2)`,
  grid: `SELECT u.id::text AS key, u.name_zh, u.name_en FROM admin_unit u WHERE u.level = 'grid'
           AND ($2::int IS NULL OR u.parent_id IN (SELECT id FROM admin_unit WHERE parent_id = $2))`,
  department: `SELECT d.id::text AS key, d.name_zh, d.name_en FROM department d WHERE ($3::int IS NULL OR d.id = $3)`,
};

/** Callback counts; the service turns them into rates (the satisfaction levels are configuration). */
export interface CallbackCounts {
  callbacks: number;
  contacted: number;
  solved: number;
  satisfied: number;
  basically_satisfied: number;
  dissatisfied: number;
}

export interface FigureRow extends Omit<KpiFigures, 'callback' | 'score'> {
  callback_counts: CallbackCounts;
  key: string | null;
  name_zh: string | null;
  name_en: string | null;
}

interface RawRow {
  key: string | null;
  name_zh: string | null;
  name_en: string | null;
  cases: number | null;
  response_due: number | null;
  responded_on_time: number | null;
  resolution_due: number | null;
  resolved: number | null;
  rated: number | null;
  satisfied: number | null;
  open: number | null;
  overdue: number | null;
  closed_late: number | null;
  m_register: number | null;
  m_dispatch: number | null;
  m_respond: number | null;
  m_handle: number | null;
  m_verify: number | null;
  cb_calls: number | null;
  cb_contacted: number | null;
  cb_solved: number | null;
  cb_satisfied: number | null;
  cb_basically_satisfied: number | null;
  cb_dissatisfied: number | null;
  response_rate: number | null;
  resolution_rate: number | null;
  satisfaction_rate: number | null;
}

export interface KpiScope {
  subdistrictId?: number;
  departmentId?: number;
  category?: string;
}

/** Figures per group over a window ending at `asOf`, and the window's start. */
export async function kpiFigures(db: Db, window: KpiWindow, group: KpiGroup, asOf: Date, scope: KpiScope): Promise<{ from: Date; rows: FigureRow[] }> {
  const units = UNITS_SQL[group];
  const sql = `
    WITH w AS (SELECT ${WINDOW_START[window]} AS t0),
    f AS (${FIGURES_SQL(group)}),
    k AS (${units ?? 'SELECT key, NULL::text AS name_zh, NULL::text AS name_en FROM f'})
    SELECT k.key, k.name_zh, k.name_en, f.cases, f.response_due, f.responded_on_time, f.resolution_due, f.resolved, f.rated,
           f.satisfied, f.open, f.overdue, f.closed_late, f.m_register, f.m_dispatch, f.m_respond, f.m_handle, f.m_verify,
           f.cb_calls, f.cb_contacted, f.cb_solved, f.cb_satisfied, f.cb_basically_satisfied, f.cb_dissatisfied,
           f.responded_on_time::float8 / NULLIF(f.response_due, 0) AS response_rate,
           f.resolved::float8 / NULLIF(f.resolution_due, 0) AS resolution_rate,
           f.satisfied::float8 / NULLIF(f.rated, 0) AS satisfaction_rate,
           (SELECT t0 FROM w) AS t0
    FROM k LEFT JOIN f ON f.key IS NOT DISTINCT FROM k.key`;
  let { rows } = await db.query<RawRow & { t0: Date }>(sql, [asOf, scope.subdistrictId ?? null, scope.departmentId ?? null, scope.category ?? null]);
  if (group === 'district' && !rows.length) {
    // No case at all: the district still gets its row of zeros.
    rows = [{ key: null, t0: (await db.query<{ t0: Date }>(`SELECT ${WINDOW_START[window]} AS t0`, [asOf])).rows[0]!.t0 } as RawRow & { t0: Date }];
  }
  const from = rows[0]?.t0 ?? (await db.query<{ t0: Date }>(`SELECT ${WINDOW_START[window]} AS t0`, [asOf])).rows[0]!.t0;
  return {
    from,
    rows: rows.map((r) => ({
      key: r.key,
      name_zh: r.name_zh,
      name_en: r.name_en,
      cases: r.cases ?? 0,
      response_due: r.response_due ?? 0,
      responded_on_time: r.responded_on_time ?? 0,
      response_rate: r.response_rate ?? null,
      resolution_due: r.resolution_due ?? 0,
      resolved: r.resolved ?? 0,
      resolution_rate: r.resolution_rate ?? null,
      rated: r.rated ?? 0,
      satisfied: r.satisfied ?? 0,
      satisfaction_rate: r.satisfaction_rate ?? null,
      open: r.open ?? 0,
      overdue: r.overdue ?? 0,
      closed_late: r.closed_late ?? 0,
      median_hours: { register: r.m_register ?? null, dispatch: r.m_dispatch ?? null, respond: r.m_respond ?? null, handle: r.m_handle ?? null, verify: r.m_verify ?? null },
      callback_counts: {
        callbacks: r.cb_calls ?? 0,
        contacted: r.cb_contacted ?? 0,
        solved: r.cb_solved ?? 0,
        satisfied: r.cb_satisfied ?? 0,
        basically_satisfied: r.cb_basically_satisfied ?? 0,
        dissatisfied: r.cb_dissatisfied ?? 0,
      },
    })),
  };
}

const BUCKET: Record<'hour' | 'day', { trunc: (col: string) => string; step: string; count: number }> = {
  hour: {
    trunc: (col) => `(date_trunc('hour', ${col} AT TIME ZONE '${CITY_TIME_ZONE}') AT TIME ZONE '${CITY_TIME_ZONE}')`,
    step: '1 hour',
    count: 24,
  },
  day: {
    trunc: (col) => `(date_trunc('day', ${col} AT TIME ZONE '${CITY_TIME_ZONE}') AT TIME ZONE '${CITY_TIME_ZONE}')`,
    step: '1 day',
    count: 30,
  },
};

export interface SeriesRow {
  start: Date;
  reported: number;
  accepted: number;
  closed: number;
  rated: number;
  satisfied: number;
  satisfaction_rate: number | null;
}

/**
 * Counts per bucket (hour for the last 24, local day for the last 30, the current one
 * partial up to `asOf`) of cases reported, accepted, closed and rated in it; in-area,
 * not rejected, within the scope.
 */
export async function kpiSeries(db: Db, bucket: 'hour' | 'day', asOf: Date, scope: KpiScope): Promise<SeriesRow[]> {
  const b = BUCKET[bucket];
  const last = b.trunc('$1::timestamptz');
  const { rows } = await db.query<SeriesRow>(
    `WITH c AS (
       SELECT c.* FROM cases_as_of('-infinity', $1) c
       WHERE NOT c.out_of_area AND NOT c.rejected
         AND ($2::int IS NULL OR c.subdistrict_id = $2) AND ($3::int IS NULL OR c.department_id = $3) AND ($4::text IS NULL OR c.category = $4)),
     m AS (
       SELECT 'reported' AS k, c.reported_at AS t, NULL::int AS s FROM c
       UNION ALL SELECT 'accepted', c.accepted_at, NULL FROM c WHERE c.accepted_at IS NOT NULL
       UNION ALL SELECT 'closed', c.closed_at, NULL FROM c WHERE c.closed_at IS NOT NULL
       UNION ALL SELECT 'rated', c.evaluated_at, c.satisfaction FROM c WHERE c.evaluated_at IS NOT NULL AND c.satisfaction IS NOT NULL),
     b AS (SELECT generate_series(${last} - interval '${b.step}' * ${b.count - 1}, ${last}, interval '${b.step}') AS start),
     mb AS (SELECT m.k, m.s, ${b.trunc('m.t')} AS start FROM m WHERE m.t >= (SELECT min(start) FROM b) AND m.t < $1)
     SELECT b.start,
       count(mb.k) FILTER (WHERE mb.k = 'reported')::int AS reported,
       count(mb.k) FILTER (WHERE mb.k = 'accepted')::int AS accepted,
       count(mb.k) FILTER (WHERE mb.k = 'closed')::int AS closed,
       count(mb.k) FILTER (WHERE mb.k = 'rated')::int AS rated,
       count(mb.k) FILTER (WHERE mb.k = 'rated' AND mb.s >= 4)::int AS satisfied,
       (count(mb.k) FILTER (WHERE mb.k = 'rated' AND mb.s >= 4))::float8 / NULLIF(count(mb.k) FILTER (WHERE mb.k = 'rated'), 0) AS satisfaction_rate
     FROM b LEFT JOIN mb ON mb.start = b.start
     GROUP BY b.start ORDER BY b.start`,
    [asOf, scope.subdistrictId ?? null, scope.departmentId ?? null, scope.category ?? null],
  );
  return rows;
}
