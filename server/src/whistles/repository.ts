import type { Pool, PoolClient } from '../db/pool.ts';
import { setParams } from '../lib/workflow.ts';
import { setClause, type CallActionName, type CallState, type WhistleLevelActionName } from './workflow.ts';

/** One department summoned by a whistle, and whether and when it checked in. */
export interface WhistleCallView {
  department_id: number;
  department_zh: string;
  department_en: string;
  accepted_at: string | null;
  checked_in_at: string | null;
  on_time: boolean | null;
}

/** An open whistle as screens show it. */
export interface WhistleView {
  id: number;
  case_id: number | null;
  subdistrict_id: number | null;
  subdistrict_zh: string | null;
  subdistrict_en: string | null;
  title_zh: string;
  title_en: string;
  called_at: string;
  deadline_at: string;
  radius_m: number;
  lng: number;
  lat: number;
  synthetic: boolean;
  calls: WhistleCallView[];
}

/** Open whistles, the nearest deadline first, with their calls. */
export async function listActiveWhistles(db: Pool): Promise<WhistleView[]> {
  const { rows } = await db.query<WhistleView>(
    `SELECT w.id, w.case_id::int AS case_id, w.subdistrict_id, s.name_zh AS subdistrict_zh, s.name_en AS subdistrict_en,
            w.title_zh, w.title_en, to_json(w.called_at) #>> '{}' AS called_at, to_json(w.deadline_at) #>> '{}' AS deadline_at,
            w.radius_m, ST_X(w.geom) AS lng, ST_Y(w.geom) AS lat, w.synthetic,
            coalesce((
              SELECT json_agg(json_build_object(
                       'department_id', d.id, 'department_zh', d.name_zh, 'department_en', d.name_en,
                       'accepted_at', c.accepted_at, 'checked_in_at', c.checked_in_at, 'on_time', c.on_time)
                     ORDER BY c.checked_in_at NULLS LAST, d.code)
              FROM whistle_call c JOIN department d ON d.id = c.department_id WHERE c.whistle_id = w.id
            ), '[]'::json) AS calls
     FROM whistle w LEFT JOIN admin_unit s ON s.id = w.subdistrict_id
     WHERE w.status = 'open'
     ORDER BY w.deadline_at, w.id`,
  );
  return rows;
}

export interface NewWhistle {
  case_id?: number | null;
  title_zh: string;
  title_en: string;
  called_by: string;
  called_at: Date;
  deadline_at: Date;
  radius_m: number;
  lng: number;
  lat: number;
  synthetic: boolean;
  /** Departments summoned, with the check-in already recorded where one is given. */
  calls: { department_id: number; accepted_at?: Date | null; checked_in_at?: Date | null }[];
}

/**
 * Inserts a whistle and its calls inside the caller's transaction. The subdistrict is the
 * one containing the point; a check-in is recorded at the whistle's own point and judged
 * on time against the deadline.
 */
export async function insertWhistle(client: PoolClient, w: NewWhistle): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO whistle (case_id, subdistrict_id, title_zh, title_en, called_by, called_at, deadline_at, radius_m, synthetic, geom)
     SELECT $1, (SELECT id FROM admin_unit WHERE level = 'subdistrict' AND ST_Intersects(geom, p) ORDER BY id LIMIT 1),
            $2, $3, $4, $5, $6, $7, $8, p
     FROM (SELECT ST_SetSRID(ST_MakePoint($9, $10), 4326) AS p) pt
     RETURNING id`,
    [w.case_id ?? null, w.title_zh, w.title_en, w.called_by, w.called_at, w.deadline_at, w.radius_m, w.synthetic, w.lng, w.lat],
  );
  const id = rows[0]!.id;
  for (const c of w.calls) {
    await client.query(
      `INSERT INTO whistle_call (whistle_id, department_id, accepted_at, checked_in_at, checked_in_geom, on_time)
       SELECT w.id, $2, $3, $4::timestamptz, CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE w.geom END,
              CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE $4::timestamptz <= w.deadline_at END
       FROM whistle w WHERE w.id = $1`,
      [id, c.department_id, c.accepted_at ?? null, c.checked_in_at ?? null],
    );
  }
  return id;
}

/** Whether any whistle was ever recorded (demo whistles are added to a city only once). */
export async function hasAnyWhistle(db: Pool): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM whistle LIMIT 1');
  return Boolean(rowCount);
}

/** Up to `n` subdistricts with a point inside each, and the departments, for demo whistles. */
export async function readDemoAnchors(db: Pool, n: number): Promise<{ places: { name_zh: string; name_en: string; lng: number; lat: number }[]; departments: number[] }> {
  const places = await db.query<{ name_zh: string; name_en: string; lng: number; lat: number }>(
    `SELECT name_zh, name_en, ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat
     FROM admin_unit WHERE level = 'subdistrict' ORDER BY code LIMIT $1`,
    [n],
  );
  const deps = await db.query<{ id: number }>(`SELECT id FROM department WHERE kind <> 'subdistrict' ORDER BY code`);
  return { places: places.rows, departments: deps.rows.map((r) => r.id) };
}

/** Whether the loaded city is the generated demo city (it records its seed). */
export async function isDemoCity(db: Pool): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM city_meta WHERE key = 'seed'`);
  return Boolean(rowCount);
}

// ---------------------------------------------------------------------------------------
// The whistle workflow: scoped reads, the table-driven UPDATEs, reports, photos, the sweep.

type Db = Pool | PoolClient;

/** The part of the city a principal sees (server/src/auth/principal.ts `scopeOf`). */
export interface WhistleScope {
  subdistrictId: number | null;
  departmentId: number | null;
}

/**
 * The WHERE condition keeping a principal in its scope: a commander sees its subdistrict's
 * whistles, a responder those summoning its department. `$n` numbering continues after `offset`.
 */
function scopeSql(scope: WhistleScope, offset: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (scope.subdistrictId !== null) {
    params.push(scope.subdistrictId);
    parts.push(`w.subdistrict_id = $${offset + params.length}`);
  }
  if (scope.departmentId !== null) {
    params.push(scope.departmentId);
    parts.push(`EXISTS (SELECT 1 FROM whistle_call sc WHERE sc.whistle_id = w.id AND sc.department_id = $${offset + params.length})`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
}

/** One summoned department with its state, check-in and grade. */
export interface CallDetail {
  department_id: number;
  department_code: string;
  department_zh: string;
  department_en: string;
  state: string;
  /** Late or outside, and not (yet) accepted by the commander. */
  flagged: boolean;
  accepted_at: string | null;
  checked_in_at: string | null;
  checked_in_client_at: string | null;
  checked_in_lng: number | null;
  checked_in_lat: number | null;
  distance_m: number | null;
  accuracy_m: number | null;
  inside: boolean | null;
  on_time: boolean | null;
  missing_at: string | null;
  flag_accepted_at: string | null;
  flag_accepted_by: string | null;
  flag_note: string | null;
  grade: number | null;
  grade_note: string | null;
}

export interface WhistleDetailRow {
  id: number;
  case_id: number | null;
  subdistrict_id: number | null;
  subdistrict_zh: string | null;
  subdistrict_en: string | null;
  title_zh: string;
  title_en: string;
  note: string | null;
  status: string;
  called_by: string;
  called_at: string;
  deadline_at: string;
  escalate_at: string | null;
  escalated_at: string | null;
  closed_at: string | null;
  closed_by: string | null;
  radius_m: number;
  lng: number;
  lat: number;
  synthetic: boolean;
  calls: CallDetail[];
}

const ts = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The one expression for "late or outside, not accepted": the ranking and the views agree on it. */
export const FLAGGED_SQL = `(c.checked_in_at IS NOT NULL AND (NOT c.on_time OR NOT c.inside) AND c.flag_accepted_at IS NULL)`;

const CALL_STATE_SQL = `whistle_call_state(c.accepted_at, c.checked_in_at, c.on_time, c.missing_at, w.deadline_at)`;

const DETAIL_SQL = `SELECT w.id, w.case_id::int AS case_id, w.subdistrict_id, s.name_zh AS subdistrict_zh, s.name_en AS subdistrict_en,
    w.title_zh, w.title_en, w.note, w.status, w.called_by, ${ts('w.called_at')} AS called_at, ${ts('w.deadline_at')} AS deadline_at,
    ${ts('w.escalate_at')} AS escalate_at, ${ts('w.escalated_at')} AS escalated_at, ${ts('w.closed_at')} AS closed_at, w.closed_by,
    w.radius_m, ST_X(w.geom) AS lng, ST_Y(w.geom) AS lat, w.synthetic,
    coalesce((
      SELECT json_agg(json_build_object(
        'department_id', d.id, 'department_code', d.code, 'department_zh', d.name_zh, 'department_en', d.name_en,
        'state', ${CALL_STATE_SQL}, 'flagged', ${FLAGGED_SQL},
        'accepted_at', ${ts('c.accepted_at')}, 'checked_in_at', ${ts('c.checked_in_at')}, 'checked_in_client_at', ${ts('c.checked_in_client_at')},
        'checked_in_lng', ST_X(c.checked_in_geom), 'checked_in_lat', ST_Y(c.checked_in_geom),
        'distance_m', c.checked_in_distance_m, 'accuracy_m', c.checked_in_accuracy_m, 'inside', c.inside, 'on_time', c.on_time,
        'missing_at', ${ts('c.missing_at')}, 'flag_accepted_at', ${ts('c.flag_accepted_at')}, 'flag_accepted_by', c.flag_accepted_by,
        'flag_note', c.flag_note, 'grade', c.grade, 'grade_note', c.grade_note)
        ORDER BY d.code)
      FROM whistle_call c JOIN department d ON d.id = c.department_id WHERE c.whistle_id = w.id
    ), '[]'::json) AS calls
  FROM whistle w LEFT JOIN admin_unit s ON s.id = w.subdistrict_id`;

/** Whistles in scope: open ones by nearest deadline, or closed ones newest first. */
export async function listWhistles(db: Db, scope: WhistleScope, status: 'active' | 'closed', limit: number): Promise<WhistleDetailRow[]> {
  const sc = scopeSql(scope, 0);
  const order = status === 'active' ? 'w.deadline_at, w.id' : 'w.closed_at DESC, w.id DESC';
  const { rows } = await db.query<WhistleDetailRow>(
    `${DETAIL_SQL} WHERE ${status === 'active' ? `w.status = 'open'` : `w.status <> 'open'`} AND ${sc.sql} ORDER BY ${order} LIMIT ${Number(limit)}`,
    sc.params,
  );
  return rows;
}

export async function whistleDetail(db: Db, id: number, scope: WhistleScope): Promise<WhistleDetailRow | undefined> {
  const sc = scopeSql(scope, 1);
  const { rows } = await db.query<WhistleDetailRow>(`${DETAIL_SQL} WHERE w.id = $1 AND ${sc.sql}`, [id, ...sc.params]);
  return rows[0];
}

/** The whistle row locked for an action, with its state per call; nothing outside the scope. */
export async function lockWhistle(client: PoolClient, id: number, scope: WhistleScope) {
  const sc = scopeSql(scope, 1);
  const { rows } = await client.query<{ id: number; status: 'open' | 'closed' | 'cancelled'; subdistrict_id: number | null; escalated_at: Date | null; called_at: Date; radius_m: number }>(
    `SELECT w.id, w.status, w.subdistrict_id, w.escalated_at, w.called_at, w.radius_m FROM whistle w WHERE w.id = $1 AND ${sc.sql} FOR UPDATE`,
    [id, ...sc.params],
  );
  return rows[0];
}

export async function lockCall(client: PoolClient, whistleId: number, departmentId: number) {
  const { rows } = await client.query<{ department_id: number; state: CallState; accepted_at: Date | null; flagged: boolean }>(
    `SELECT c.department_id, ${CALL_STATE_SQL} AS state, c.accepted_at, ${FLAGGED_SQL} AS flagged
     FROM whistle_call c JOIN whistle w ON w.id = c.whistle_id
     WHERE c.whistle_id = $1 AND c.department_id = $2 FOR UPDATE OF c`,
    [whistleId, departmentId],
  );
  return rows[0];
}

/** Applies a call action: the SET list comes from the workflow table, the values from `values`. */
export async function applyCallAction(client: PoolClient, action: CallActionName, whistleId: number, departmentId: number, values: Record<string, unknown>): Promise<void> {
  const set = setClause(action, 2);
  if (!set.sql) return;
  await client.query(
    `UPDATE whistle_call c SET ${set.sql} FROM whistle w WHERE w.id = c.whistle_id AND c.whistle_id = $1 AND c.department_id = $2`,
    [whistleId, departmentId, ...setParams(values, set.params, 'whistle')],
  );
}

export async function applyWhistleAction(client: PoolClient, action: WhistleLevelActionName, whistleId: number, values: Record<string, unknown>): Promise<void> {
  const set = setClause(action, 1);
  await client.query(`UPDATE whistle w SET ${set.sql} WHERE w.id = $1`, [whistleId, ...setParams(values, set.params, 'whistle')]);
}

/** Distance in metres from the whistle's site to a point, on the spheroid. */
export async function distanceToSite(db: Db, whistleId: number, lng: number, lat: number): Promise<number> {
  const { rows } = await db.query<{ d: number }>(
    `SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) AS d FROM whistle WHERE id = $1`,
    [whistleId, lng, lat],
  );
  return rows[0]!.d;
}

export async function departmentsByCodes(db: Db, codes: string[]): Promise<{ id: number; code: string }[]> {
  const { rows } = await db.query<{ id: number; code: string }>(`SELECT id, code FROM department WHERE code = ANY($1::text[])`, [codes]);
  return rows;
}

export async function listDepartments(db: Db): Promise<{ id: number; code: string; name_zh: string; name_en: string; kind: string }[]> {
  const { rows } = await db.query<{ id: number; code: string; name_zh: string; name_en: string; kind: string }>(
    `SELECT id, code, name_zh, name_en, kind FROM department ORDER BY kind, code`,
  );
  return rows;
}

/** The subdistrict containing a point (null outside the district). */
export async function subdistrictAt(db: Db, lng: number, lat: number): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM admin_unit WHERE level = 'subdistrict' AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) ORDER BY id LIMIT 1`,
    [lng, lat],
  );
  return rows[0]?.id ?? null;
}

/** A case's point and subdistrict, when it is in scope. */
export async function casePlace(db: Db, caseId: number, scope: WhistleScope): Promise<{ lng: number; lat: number; subdistrict_id: number | null } | undefined> {
  const params: unknown[] = [caseId];
  let where = 'c.id = $1';
  if (scope.subdistrictId !== null) {
    params.push(scope.subdistrictId);
    where += ` AND c.subdistrict_id = $2`;
  }
  const { rows } = await db.query<{ lng: number; lat: number; subdistrict_id: number | null }>(
    `SELECT ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, c.subdistrict_id FROM cases c WHERE ${where}`,
    params,
  );
  return rows[0];
}

export interface NewFullWhistle {
  case_id: number | null;
  subdistrict_id: number | null;
  title: string;
  note: string | null;
  called_by: string;
  called_by_kind: string;
  called_by_id: number | null;
  deadline_minutes: number;
  escalate_minutes: number;
  radius_m: number;
  lng: number;
  lat: number;
  department_ids: number[];
}

/** Inserts a whistle blown through the API, with its calls; times are the database's. */
export async function insertFullWhistle(client: PoolClient, w: NewFullWhistle): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO whistle (case_id, subdistrict_id, title_zh, title_en, note, called_by, called_by_kind, called_by_id, called_at, deadline_at, escalate_at, radius_m, geom)
     VALUES ($1, $2, $3, $3, $4, $5, $6, $7, now(), now() + make_interval(mins => $8::int), now() + make_interval(mins => $9::int), $10, ST_SetSRID(ST_MakePoint($11, $12), 4326))
     RETURNING id`,
    [w.case_id, w.subdistrict_id, w.title, w.note, w.called_by, w.called_by_kind, w.called_by_id, w.deadline_minutes, w.escalate_minutes, w.radius_m, w.lng, w.lat],
  );
  const id = rows[0]!.id;
  await client.query(`INSERT INTO whistle_call (whistle_id, department_id) SELECT $1, unnest($2::int[])`, [id, w.department_ids]);
  return id;
}

export async function insertReport(client: PoolClient, r: { whistle_id: number; department_id: number; actor: string; note: string; client_at: string | null }): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO whistle_report (whistle_id, department_id, actor, note, client_at) VALUES ($1, $2, $3, $4, $5) RETURNING id::int AS id`,
    [r.whistle_id, r.department_id, r.actor, r.note, r.client_at],
  );
  return rows[0]!.id;
}

export interface PhotoRow {
  file_name: string;
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
  exif_taken_at: Date | null;
  exif_lng: number | null;
  exif_lat: number | null;
  exif_distance_m: number | null;
  exif_mismatch: boolean;
  exif_issues: string[];
}

export async function insertPhoto(client: PoolClient, reportId: number, p: PhotoRow): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO whistle_photo (report_id, file_name, mime, bytes, width, height, exif_taken_at, exif_lng, exif_lat, exif_distance_m, exif_mismatch, exif_issues)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id::int AS id`,
    [reportId, p.file_name, p.mime, p.bytes, p.width, p.height, p.exif_taken_at, p.exif_lng, p.exif_lat, p.exif_distance_m, p.exif_mismatch, p.exif_issues],
  );
  return rows[0]!.id;
}

export interface ReportView {
  id: number;
  department_code: string;
  actor: string;
  note: string;
  client_at: string | null;
  server_at: string;
  photos: { id: number; mime: string; bytes: number; width: number | null; height: number | null; exif_taken_at: string | null; exif_distance_m: number | null; exif_mismatch: boolean; exif_issues: string[] }[];
}

export async function reportsOf(db: Db, whistleId: number): Promise<ReportView[]> {
  const { rows } = await db.query<ReportView>(
    `SELECT r.id::int AS id, d.code AS department_code, r.actor, r.note, ${ts('r.client_at')} AS client_at, ${ts('r.server_at')} AS server_at,
            coalesce((SELECT json_agg(json_build_object('id', p.id, 'mime', p.mime, 'bytes', p.bytes, 'width', p.width, 'height', p.height,
                      'exif_taken_at', ${ts('p.exif_taken_at')}, 'exif_distance_m', p.exif_distance_m, 'exif_mismatch', p.exif_mismatch, 'exif_issues', p.exif_issues) ORDER BY p.id)
                      FROM whistle_photo p WHERE p.report_id = r.id), '[]'::json) AS photos
     FROM whistle_report r JOIN department d ON d.id = r.department_id WHERE r.whistle_id = $1 ORDER BY r.id`,
    [whistleId],
  );
  return rows;
}

/** A photo's stored file, when its whistle is in scope. */
export async function photoFile(db: Db, whistleId: number, photoId: number, scope: WhistleScope): Promise<{ file_name: string; mime: string } | undefined> {
  const sc = scopeSql(scope, 2);
  const { rows } = await db.query<{ file_name: string; mime: string }>(
    `SELECT p.file_name, p.mime FROM whistle_photo p JOIN whistle_report r ON r.id = p.report_id JOIN whistle w ON w.id = r.whistle_id
     WHERE w.id = $1 AND p.id = $2 AND ${sc.sql}`,
    [whistleId, photoId, ...sc.params],
  );
  return rows[0];
}

export async function setGrades(client: PoolClient, whistleId: number, grades: { department_id: number; score: number; note: string | null }[]): Promise<void> {
  await client.query(
    `UPDATE whistle_call c SET grade = g.score, grade_note = g.note, graded_at = now()
     FROM unnest($2::int[], $3::int[], $4::text[]) AS g(department_id, score, note)
     WHERE c.whistle_id = $1 AND c.department_id = g.department_id`,
    [whistleId, grades.map((g) => g.department_id), grades.map((g) => g.score), grades.map((g) => g.note)],
  );
}

/**
 * The sweep: records as missing every call of an open whistle whose deadline passed without
 * a check-in, and escalates every open whistle past its escalation time that still has a
 * department that neither accepted nor checked in. One node at a time (advisory lock); the
 * rows are returned so the caller can log one event each, in the same transaction.
 */
export async function sweepDue(client: PoolClient): Promise<{ missing: { whistle_id: number; department_id: number }[]; escalated: number[] }> {
  await client.query('SELECT pg_advisory_xact_lock(4211131)');
  const miss = setClause('miss', 0);
  const missing = await client.query<{ whistle_id: number; department_id: number }>(
    `UPDATE whistle_call c SET ${miss.sql} FROM whistle w
     WHERE w.id = c.whistle_id AND w.status = 'open' AND w.synthetic = false AND w.deadline_at <= now()
       AND c.checked_in_at IS NULL AND c.missing_at IS NULL
     RETURNING c.whistle_id, c.department_id`,
  );
  const esc = setClause('escalate', 0);
  const escalated = await client.query<{ id: number }>(
    `UPDATE whistle w SET ${esc.sql}
     WHERE w.status = 'open' AND w.escalated_at IS NULL AND w.escalate_at IS NOT NULL AND w.escalate_at <= now()
       AND EXISTS (SELECT 1 FROM whistle_call c WHERE c.whistle_id = w.id AND c.accepted_at IS NULL AND c.checked_in_at IS NULL)
     RETURNING w.id`,
  );
  return { missing: missing.rows.sort((a, b) => a.whistle_id - b.whistle_id || a.department_id - b.department_id), escalated: escalated.rows.map((r) => r.id).sort((a, b) => a - b) };
}

/** Whistle figures per department over whistles blown in [from, asOf): calls due, on-time arrivals, missing, grades. */
export interface WhistleFigureRow {
  department_id: number;
  calls_due: number;
  on_time: number;
  missing: number;
  graded: number;
  mean_grade: number | null;
}

export async function whistleFigures(db: Db, from: Date, asOf: Date): Promise<WhistleFigureRow[]> {
  const { rows } = await db.query<WhistleFigureRow>(
    `SELECT c.department_id,
            count(*) FILTER (WHERE (c.checked_in_at IS NOT NULL AND c.checked_in_at <= $2) OR w.deadline_at <= $2)::int AS calls_due,
            count(*) FILTER (WHERE c.checked_in_at <= $2 AND c.on_time AND (c.inside OR c.flag_accepted_at IS NOT NULL))::int AS on_time,
            count(*) FILTER (WHERE (c.checked_in_at IS NULL OR c.checked_in_at > $2) AND w.deadline_at <= $2)::int AS missing,
            count(c.grade) FILTER (WHERE c.graded_at <= $2)::int AS graded,
            avg(c.grade) FILTER (WHERE c.graded_at <= $2)::float8 AS mean_grade
     FROM whistle_call c JOIN whistle w ON w.id = c.whistle_id
     WHERE w.status <> 'cancelled' AND w.called_at >= $1 AND w.called_at < $2
     GROUP BY c.department_id`,
    [from, asOf],
  );
  return rows;
}
