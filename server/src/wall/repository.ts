import type { Pool } from '../db/pool.ts';
import { PRIORITY_WEIGHT, SCORE_PERIOD_DAYS, type HeatWindow, type RateCounts } from './scoring.ts';

/** The SQL start of a heatmap window, relative to `$1` (now). */
const WINDOW_START: Record<HeatWindow, string> = {
  '1h': `$1::timestamptz - interval '1 hour'`,
  today: `date_trunc('day', $1::timestamptz AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'`,
  '7d': `$1::timestamptz - interval '7 days'`,
};

const WEIGHT_SQL = `CASE priority WHEN 'urgent' THEN ${PRIORITY_WEIGHT.urgent} WHEN 'high' THEN ${PRIORITY_WEIGHT.high} WHEN 'normal' THEN ${PRIORITY_WEIGHT.normal} ELSE ${PRIORITY_WEIGHT.low} END`;

/** The due time of the stage an open case is in; NULL for finished cases. */
export const STAGE_DUE_SQL = `CASE status
  WHEN 'reported' THEN register_due_at WHEN 'registered' THEN dispatch_due_at
  WHEN 'dispatched' THEN accept_due_at WHEN 'accepted' THEN handle_due_at
  WHEN 'handled' THEN close_due_at WHEN 'verified' THEN close_due_at END`;

/**
 * Grid size of the heatmap points in degrees (about 11 m north–south): cases in the same
 * cell are summed into one weighted point. The heatmap's kernel is hundreds of metres wide,
 * so the picture is the same while a million cases travel as far fewer points.
 */
export const HEAT_CELL_DEG = 0.0001;

let casesTable: boolean | undefined;
/** Whether the cases table exists yet; the wall draws its frame and says "no data" until it does. */
export async function hasCases(db: Pool): Promise<boolean> {
  if (casesTable) return true;
  const { rows } = await db.query<{ ok: boolean }>(`SELECT to_regclass('public.cases') IS NOT NULL AS ok`);
  casesTable = rows[0]!.ok;
  return casesTable;
}

/** Heatmap points of the window as [lng, lat, weight] triplets (weights summed per grid cell). */
export async function readHeatPoints(db: Pool, window: HeatWindow, now: Date): Promise<Float32Array> {
  if (!(await hasCases(db))) return new Float32Array(0);
  const { rows } = await db.query<{ x: number; y: number; w: number }>({
    text: `SELECT round(ST_X(geom) / ${HEAT_CELL_DEG}) * ${HEAT_CELL_DEG} AS x, round(ST_Y(geom) / ${HEAT_CELL_DEG}) * ${HEAT_CELL_DEG} AS y,
                  sum(${WEIGHT_SQL})::float8 AS w
           FROM cases
           WHERE reported_at >= ${WINDOW_START[window]} AND reported_at <= $1 AND status <> 'rejected'
           GROUP BY 1, 2`,
    values: [now],
    rowMode: 'array',
  } as never);
  const out = new Float32Array(rows.length * 3);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as unknown as [number, number, number];
    out[i * 3] = r[0];
    out[i * 3 + 1] = r[1];
    out[i * 3 + 2] = r[2];
  }
  return out;
}

/** A case as the wall shows it (no contact, no description). */
export interface WallCase {
  id: number;
  category: string;
  priority: string;
  status: string;
  lng: number;
  lat: number;
  subdistrict_id: number | null;
  reported_at: string;
  due_at: string | null;
  overdue: boolean;
  /** Filled by the service from the category list. */
  category_name_zh?: string;
  category_name_en?: string;
}

const WALL_CASE_COLUMNS = `id::int AS id, category, priority, status, ST_X(geom) AS lng, ST_Y(geom) AS lat, subdistrict_id,
  to_json(reported_at) #>> '{}' AS reported_at, to_json(${STAGE_DUE_SQL}) #>> '{}' AS due_at,
  coalesce(${STAGE_DUE_SQL} < $1::timestamptz, false) AS overdue`;

/** The newest cases, newest first, for the ticker. */
export async function readLatestCases(db: Pool, now: Date, limit: number): Promise<WallCase[]> {
  if (!(await hasCases(db))) return [];
  const { rows } = await db.query<WallCase>(
    `SELECT ${WALL_CASE_COLUMNS} FROM cases WHERE status <> 'rejected' AND reported_at <= $1 ORDER BY reported_at DESC, id DESC LIMIT $2`,
    [now, limit],
  );
  return rows;
}

/** Open cases past the due time of their current stage, most overdue first. */
export async function readOverdueCases(db: Pool, now: Date, limit: number): Promise<{ cases: WallCase[]; total: number }> {
  if (!(await hasCases(db))) return { cases: [], total: 0 };
  const where = `status NOT IN ('closed', 'evaluated', 'rejected') AND ${STAGE_DUE_SQL} < $1::timestamptz`;
  const [list, count] = await Promise.all([
    db.query<WallCase>(`SELECT ${WALL_CASE_COLUMNS} FROM cases WHERE ${where} ORDER BY ${STAGE_DUE_SQL} ASC LIMIT $2`, [now, limit]),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE ${where}`, [now]),
  ]);
  return { cases: list.rows, total: count.rows[0]!.n };
}

/** The counts behind the three rates per group (subdistrict or department), over the scoring period. */
const RATE_COUNTS_SQL = (groupColumn: 'subdistrict_id' | 'department_id') => `
  SELECT ${groupColumn} AS group_id,
    count(*) FILTER (WHERE accept_due_at <= $1 OR accepted_at IS NOT NULL)::int AS "responseDue",
    count(*) FILTER (WHERE accepted_at IS NOT NULL AND accepted_at <= accept_due_at)::int AS "respondedOnTime",
    count(*) FILTER (WHERE close_due_at <= $1 OR closed_at IS NOT NULL)::int AS "resolutionDue",
    count(*) FILTER (WHERE closed_at IS NOT NULL AND closed_at <= close_due_at)::int AS "resolvedOnTime",
    count(*) FILTER (WHERE satisfaction IS NOT NULL)::int AS evaluated,
    count(*) FILTER (WHERE satisfaction >= 4)::int AS satisfied,
    count(*) FILTER (WHERE status NOT IN ('closed', 'evaluated', 'rejected') AND ${STAGE_DUE_SQL} < $1)::int AS overdue,
    count(*)::int AS cases
  FROM cases
  WHERE ${groupColumn} IS NOT NULL AND status <> 'rejected'
    AND reported_at > $1::timestamptz - interval '${SCORE_PERIOD_DAYS} days' AND reported_at <= $1
  GROUP BY ${groupColumn}`;

export interface GroupCounts extends RateCounts {
  group_id: number;
  overdue: number;
  cases: number;
}

export async function readRateCounts(db: Pool, by: 'subdistrict' | 'department', now: Date): Promise<GroupCounts[]> {
  if (!(await hasCases(db))) return [];
  const { rows } = await db.query<GroupCounts>(RATE_COUNTS_SQL(by === 'subdistrict' ? 'subdistrict_id' : 'department_id'), [now]);
  return rows;
}

export interface UnitName {
  id: number;
  code: string;
  name_zh: string;
  name_en: string;
}

export async function readSubdistricts(db: Pool): Promise<(UnitName & { lng: number; lat: number })[]> {
  const { rows } = await db.query<UnitName & { lng: number; lat: number }>(
    `SELECT id, code, name_zh, name_en, ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat
     FROM admin_unit WHERE level = 'subdistrict' ORDER BY code`,
  );
  return rows;
}

export async function readDepartments(db: Pool): Promise<UnitName[]> {
  const { rows } = await db.query<UnitName>(`SELECT id, code, name_zh, name_en FROM department WHERE kind <> 'subdistrict' ORDER BY code`);
  return rows;
}

/** Case counts per category in the last 7 days and the 7 days before. */
export async function readCategoryCounts(db: Pool, now: Date): Promise<{ category: string; count: number; previous: number }[]> {
  if (!(await hasCases(db))) return [];
  const { rows } = await db.query<{ category: string; count: number; previous: number }>(
    `SELECT category,
            count(*) FILTER (WHERE reported_at > $1::timestamptz - interval '7 days')::int AS count,
            count(*) FILTER (WHERE reported_at <= $1::timestamptz - interval '7 days')::int AS previous
     FROM cases
     WHERE status <> 'rejected' AND reported_at > $1::timestamptz - interval '14 days' AND reported_at <= $1
     GROUP BY category ORDER BY 2 DESC, 1`,
    [now],
  );
  return rows;
}

/** Cases reported and closed in each of the last 24 whole hours plus the current one (25 buckets, oldest first). */
export async function readHourlyTrend(db: Pool, now: Date): Promise<{ hour: string; reported: number; closed: number }[]> {
  if (!(await hasCases(db))) return [];
  const { rows } = await db.query<{ hour: string; reported: number; closed: number }>(
    `WITH hours AS (
       SELECT generate_series(date_trunc('hour', $1::timestamptz) - interval '24 hours', date_trunc('hour', $1::timestamptz), interval '1 hour') AS h
     )
     SELECT to_json(h) #>> '{}' AS hour,
            (SELECT count(*) FROM cases WHERE reported_at >= h AND reported_at < h + interval '1 hour' AND reported_at <= $1 AND status <> 'rejected')::int AS reported,
            (SELECT count(*) FROM cases WHERE closed_at >= h AND closed_at < h + interval '1 hour' AND closed_at <= $1)::int AS closed
     FROM hours ORDER BY h`,
    [now],
  );
  return rows;
}

/** Today's headline counts (since midnight Beijing time) and the same span yesterday, for trend arrows. */
export interface HeadlineCounts {
  today: number;
  yesterday: number;
  overdue: number;
  /** Open cases that were overdue 24 hours ago, for the overdue trend. */
  overdueDayAgo: number;
}

export async function readHeadline(db: Pool, now: Date): Promise<HeadlineCounts> {
  if (!(await hasCases(db))) return { today: 0, yesterday: 0, overdue: 0, overdueDayAgo: 0 };
  const { rows } = await db.query<HeadlineCounts>(
    `WITH d AS (SELECT date_trunc('day', $1::timestamptz AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai' AS midnight)
     SELECT
       (SELECT count(*) FROM cases, d WHERE reported_at >= d.midnight AND reported_at <= $1 AND status <> 'rejected')::int AS today,
       (SELECT count(*) FROM cases, d WHERE reported_at >= d.midnight - interval '1 day' AND reported_at <= $1::timestamptz - interval '1 day' AND status <> 'rejected')::int AS yesterday,
       (SELECT count(*) FROM cases WHERE status NOT IN ('closed', 'evaluated', 'rejected') AND ${STAGE_DUE_SQL} < $1)::int AS overdue,
       (SELECT count(*) FROM cases WHERE reported_at <= $1::timestamptz - interval '1 day' AND status <> 'rejected'
          AND coalesce(closed_at, rejected_at, 'infinity') > $1::timestamptz - interval '1 day'
          AND close_due_at < $1::timestamptz - interval '1 day')::int AS "overdueDayAgo"`,
    [now],
  );
  return rows[0]!;
}

/** The three rates district-wide for the period ending `now` (and the same for 24 h earlier, for arrows). */
export async function readDistrictRates(db: Pool, now: Date): Promise<RateCounts> {
  if (!(await hasCases(db))) return { responseDue: 0, respondedOnTime: 0, resolutionDue: 0, resolvedOnTime: 0, evaluated: 0, satisfied: 0 };
  const { rows } = await db.query<RateCounts>(
    `SELECT coalesce(sum("responseDue"), 0)::int AS "responseDue", coalesce(sum("respondedOnTime"), 0)::int AS "respondedOnTime",
            coalesce(sum("resolutionDue"), 0)::int AS "resolutionDue", coalesce(sum("resolvedOnTime"), 0)::int AS "resolvedOnTime",
            coalesce(sum(evaluated), 0)::int AS evaluated, coalesce(sum(satisfied), 0)::int AS satisfied
     FROM (${RATE_COUNTS_SQL('subdistrict_id').replace('WHERE subdistrict_id IS NOT NULL AND', 'WHERE')}) g`,
    [now],
  );
  return rows[0]!;
}

/** The newest event-log sequence number (0 before the log exists). */
export async function readLatestSeq(db: Pool): Promise<number> {
  const exists = await db.query<{ ok: boolean }>(`SELECT to_regclass('public.event') IS NOT NULL AS ok`);
  if (!exists.rows[0]!.ok) return 0;
  const { rows } = await db.query<{ seq: string | null }>(`SELECT max(seq)::text AS seq FROM event`);
  return Number(rows[0]?.seq ?? 0);
}
