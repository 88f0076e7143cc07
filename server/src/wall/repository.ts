import type { Pool } from '../db/pool.ts';
import { PRIORITY_WEIGHT, type HeatWindow } from './scoring.ts';

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
  /** The department the case is with (null before dispatch), and its names. */
  department_id: number | null;
  department_zh: string | null;
  department_en: string | null;
  address: string | null;
  /** Filled by the service from the category list. */
  category_name_zh?: string;
  category_name_en?: string;
}

const WALL_CASE_COLUMNS = `id::int AS id, category, priority, status, ST_X(geom) AS lng, ST_Y(geom) AS lat, subdistrict_id,
  to_json(reported_at) #>> '{}' AS reported_at, to_json(${STAGE_DUE_SQL}) #>> '{}' AS due_at,
  coalesce(${STAGE_DUE_SQL} < $1::timestamptz, false) AS overdue, department_id, address,
  (SELECT d.name_zh FROM department d WHERE d.id = cases.department_id) AS department_zh,
  (SELECT d.name_en FROM department d WHERE d.id = cases.department_id) AS department_en`;

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

/**
 * How many cases were open and past their stage's due time at moment `at`, judging the
 * stage a case was in then from its stage timestamps (for the overdue trend arrow).
 */
export async function readOverdueCountAt(db: Pool, at: Date): Promise<number> {
  if (!(await hasCases(db))) return 0;
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM cases
     WHERE reported_at <= $1 AND coalesce(closed_at, rejected_at, 'infinity') > $1
       AND CASE WHEN registered_at IS NULL OR registered_at > $1 THEN register_due_at
                WHEN dispatched_at IS NULL OR dispatched_at > $1 THEN dispatch_due_at
                WHEN accepted_at IS NULL OR accepted_at > $1 THEN accept_due_at
                WHEN handled_at IS NULL OR handled_at > $1 THEN handle_due_at
                ELSE close_due_at END < $1`,
    [at],
  );
  return rows[0]!.n;
}

/** The newest event-log sequence number (0 before the log exists). */
export async function readLatestSeq(db: Pool): Promise<number> {
  const exists = await db.query<{ ok: boolean }>(`SELECT to_regclass('public.event') IS NOT NULL AS ok`);
  if (!exists.rows[0]!.ok) return 0;
  const { rows } = await db.query<{ seq: string | null }>(`SELECT max(seq)::text AS seq FROM event`);
  return Number(rows[0]?.seq ?? 0);
}
