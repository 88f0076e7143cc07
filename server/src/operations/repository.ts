import type { Pool, PoolClient } from '../db/pool.ts';
import type { Scope } from '../auth/principal.ts';
import { setParams } from '../lib/workflow.ts';
import type { PhotoRow } from '../whistles/repository.ts';
import { operationSetClause, siteSetClause, type OperationActionName, type OperationStatus, type PhotoStage, type SiteActionName, type SiteFacts, type SiteStatus } from './workflow.ts';

type Db = Pool | PoolClient;

const ts = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The WHERE condition keeping a principal in its scope: a commander sees its subdistrict's
 * operations, a responder those involving its department. `$n` numbering continues after `offset`.
 */
function scopeSql(scope: Scope, offset: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (scope.subdistrictId !== null) {
    params.push(scope.subdistrictId);
    parts.push(`o.subdistrict_id = $${offset + params.length}`);
  }
  if (scope.departmentId !== null) {
    params.push(scope.departmentId);
    parts.push(`EXISTS (SELECT 1 FROM operation_department sd WHERE sd.operation_id = o.id AND sd.department_id = $${offset + params.length})`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
}

/** The progress figures of an operation, in one place: counts per status and the verified share. */
const PROGRESS_SQL = `(SELECT json_build_object(
    'total', count(*)::int,
    'pending', count(*) FILTER (WHERE st.status = 'pending')::int,
    'in_progress', count(*) FILTER (WHERE st.status = 'in_progress')::int,
    'cleared', count(*) FILTER (WHERE st.status = 'cleared')::int,
    'verified', count(*) FILTER (WHERE st.status = 'verified')::int,
    'progress', CASE WHEN count(*) = 0 THEN 0 ELSE round((count(*) FILTER (WHERE st.status = 'verified'))::numeric / count(*), 4)::float8 END)
  FROM operation_site st WHERE st.operation_id = o.id)`;

const SUMMARY_SQL = `SELECT o.id, o.subdistrict_id, s.name_zh AS subdistrict_zh, s.name_en AS subdistrict_en, o.title, o.note, o.status,
    o.created_by, ${ts('o.created_at')} AS created_at, ${ts('o.closed_at')} AS closed_at, o.closed_by, o.close_note, o.synthetic,
    ST_AsGeoJSON(o.area, 7)::json AS area,
    coalesce((SELECT json_agg(json_build_object('id', d.id, 'code', d.code, 'name_zh', d.name_zh, 'name_en', d.name_en) ORDER BY d.code)
              FROM operation_department od JOIN department d ON d.id = od.department_id WHERE od.operation_id = o.id), '[]'::json) AS departments,
    ${PROGRESS_SQL} AS progress
  FROM operation o JOIN admin_unit s ON s.id = o.subdistrict_id`;

export interface OperationRow {
  id: number;
  subdistrict_id: number;
  subdistrict_zh: string;
  subdistrict_en: string;
  title: string;
  note: string | null;
  status: OperationStatus;
  created_by: string;
  created_at: string;
  closed_at: string | null;
  closed_by: string | null;
  close_note: string | null;
  synthetic: boolean;
  area: { type: 'Polygon'; coordinates: number[][][] };
  departments: { id: number; code: string; name_zh: string; name_en: string }[];
  progress: { total: number; pending: number; in_progress: number; cleared: number; verified: number; progress: number };
}

/** Operations in scope: open ones oldest first, or closed ones newest first. */
export async function listOperations(db: Db, scope: Scope, status: OperationStatus, limit: number): Promise<OperationRow[]> {
  const sc = scopeSql(scope, 1);
  const order = status === 'open' ? 'o.created_at, o.id' : 'o.closed_at DESC, o.id DESC';
  const { rows } = await db.query<OperationRow>(`${SUMMARY_SQL} WHERE o.status = $1 AND ${sc.sql} ORDER BY ${order} LIMIT ${Number(limit)}`, [status, ...sc.params]);
  return rows;
}

export async function operationSummary(db: Db, id: number, scope: Scope): Promise<OperationRow | undefined> {
  const sc = scopeSql(scope, 1);
  const { rows } = await db.query<OperationRow>(`${SUMMARY_SQL} WHERE o.id = $1 AND ${sc.sql}`, [id, ...sc.params]);
  return rows[0];
}

const SITE_SQL = `SELECT st.id, st.operation_id, st.label, ST_X(st.geom) AS lng, ST_Y(st.geom) AS lat, st.status,
    ${ts('st.status_at')} AS status_at, st.added_by, ${ts('st.added_at')} AS added_at,
    ${ts('st.started_at')} AS started_at, st.started_by, ${ts('st.cleared_at')} AS cleared_at, st.cleared_by,
    ${ts('st.verified_at')} AS verified_at, st.verified_by, ${ts('st.sent_back_at')} AS sent_back_at, st.sent_back_by, st.sent_back_note,
    d.code AS department_code,
    coalesce((SELECT json_agg(json_build_object('id', p.id, 'stage', p.stage, 'uploaded_by', p.uploaded_by, 'uploaded_at', ${ts('p.uploaded_at')},
                'mime', p.mime, 'bytes', p.bytes, 'width', p.width, 'height', p.height, 'exif_taken_at', ${ts('p.exif_taken_at')},
                'exif_distance_m', p.exif_distance_m, 'exif_mismatch', p.exif_mismatch, 'exif_issues', p.exif_issues) ORDER BY p.id)
              FROM operation_photo p WHERE p.site_id = st.id), '[]'::json) AS photos
  FROM operation_site st LEFT JOIN department d ON d.id = st.department_id`;

export interface SiteRow {
  id: number;
  operation_id: number;
  label: string;
  lng: number;
  lat: number;
  status: SiteStatus;
  status_at: string;
  added_by: string;
  added_at: string;
  started_at: string | null;
  started_by: string | null;
  cleared_at: string | null;
  cleared_by: string | null;
  verified_at: string | null;
  verified_by: string | null;
  sent_back_at: string | null;
  sent_back_by: string | null;
  sent_back_note: string | null;
  department_code: string | null;
  photos: { id: number; stage: PhotoStage; uploaded_by: string; uploaded_at: string; mime: string; bytes: number; width: number | null; height: number | null; exif_taken_at: string | null; exif_distance_m: number | null; exif_mismatch: boolean; exif_issues: string[] }[];
}

export async function sitesOf(db: Db, operationId: number): Promise<SiteRow[]> {
  const { rows } = await db.query<SiteRow>(`${SITE_SQL} WHERE st.operation_id = $1 ORDER BY st.id`, [operationId]);
  return rows;
}

export async function siteById(db: Db, siteId: number): Promise<SiteRow | undefined> {
  const { rows } = await db.query<SiteRow>(`${SITE_SQL} WHERE st.id = $1`, [siteId]);
  return rows[0];
}

/** Sites of open operations in scope that still need work or a check, for a responder's list: nearest to done last. */
export async function openSites(db: Db, scope: Scope, limit: number): Promise<(SiteRow & { operation_title: string })[]> {
  const sc = scopeSql(scope, 0);
  const { rows } = await db.query<SiteRow & { operation_title: string }>(
    `SELECT x.*, o.title AS operation_title FROM (${SITE_SQL}) x JOIN operation o ON o.id = x.operation_id
     WHERE o.status = 'open' AND x.status <> 'verified' AND ${sc.sql}
     ORDER BY array_position(ARRAY['in_progress', 'pending', 'cleared']::text[], x.status), x.operation_id, x.id LIMIT ${Number(limit)}`,
    sc.params,
  );
  return rows;
}

/** Checks a drawn area: valid, and the subdistrict that wholly contains it (null: none does). */
export async function checkArea(db: Db, geojson: string, preferred: number | null): Promise<{ valid: boolean; reason: string; subdistrict_id: number | null; area_m2: number }> {
  const { rows } = await db.query<{ valid: boolean; reason: string; subdistrict_id: number | null; area_m2: number }>(
    `WITH a AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g)
     SELECT ST_IsValid(a.g) AS valid, ST_IsValidReason(a.g) AS reason, ST_Area(a.g::geography) AS area_m2,
            CASE WHEN ST_IsValid(a.g) THEN (SELECT u.id FROM admin_unit u WHERE u.level = 'subdistrict' AND ST_CoveredBy(a.g, u.geom) ORDER BY u.id = $2 DESC, u.id LIMIT 1) END AS subdistrict_id
     FROM a`,
    [geojson, preferred],
  );
  return rows[0]!;
}

export async function insertOperation(client: PoolClient, o: { subdistrict_id: number; title: string; note: string | null; area: string; created_by: string; synthetic?: boolean; department_ids: number[]; created_at?: Date }): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO operation (subdistrict_id, title, note, area, created_by, synthetic, created_at)
     VALUES ($1, $2, $3, ST_SetSRID(ST_GeomFromGeoJSON($4), 4326), $5, $6, coalesce($7, now())) RETURNING id`,
    [o.subdistrict_id, o.title, o.note, o.area, o.created_by, o.synthetic ?? false, o.created_at ?? null],
  );
  const id = rows[0]!.id;
  await client.query(`INSERT INTO operation_department (operation_id, department_id) SELECT $1, unnest($2::int[])`, [id, o.department_ids]);
  return id;
}

/** For each point, whether it lies in the operation's area (on the edge counts). */
export async function pointsInArea(db: Db, operationId: number, points: { lng: number; lat: number }[]): Promise<boolean[]> {
  if (!points.length) return [];
  const { rows } = await db.query<{ inside: boolean }>(
    `SELECT ST_Intersects(o.area, ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326)) AS inside
     FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS p(lng, lat, n), operation o WHERE o.id = $1 ORDER BY p.n`,
    [operationId, points.map((p) => p.lng), points.map((p) => p.lat)],
  );
  return rows.map((r) => r.inside);
}

/** The operation's existing sites as label and position, to refuse adding one twice. */
export async function existingSites(db: Db, operationId: number): Promise<{ id: number; label: string; lng: number; lat: number }[]> {
  const { rows } = await db.query<{ id: number; label: string; lng: number; lat: number }>(
    `SELECT id, label, ST_X(geom) AS lng, ST_Y(geom) AS lat FROM operation_site WHERE operation_id = $1`,
    [operationId],
  );
  return rows;
}

export async function insertSites(client: PoolClient, operationId: number, sites: { lng: number; lat: number; label: string }[], addedBy: string, extra: { status?: SiteStatus[] } = {}): Promise<number[]> {
  if (!sites.length) return [];
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO operation_site (operation_id, label, geom, added_by, status)
     SELECT $1, s.label, ST_SetSRID(ST_MakePoint(s.lng, s.lat), 4326), $5, coalesce(s.status, 'pending')
     FROM unnest($2::float8[], $3::float8[], $4::text[], $6::text[]) WITH ORDINALITY AS s(lng, lat, label, status, n) ORDER BY s.n
     RETURNING id`,
    [operationId, sites.map((s) => s.lng), sites.map((s) => s.lat), sites.map((s) => s.label), addedBy, sites.map((_, i) => extra.status?.[i] ?? null)],
  );
  return rows.map((r) => r.id);
}

/** The operation row locked for an action; nothing outside the scope. */
export async function lockOperation(client: PoolClient, id: number, scope: Scope): Promise<{ id: number; status: OperationStatus; subdistrict_id: number; created_at: Date } | undefined> {
  const sc = scopeSql(scope, 1);
  const { rows } = await client.query<{ id: number; status: OperationStatus; subdistrict_id: number; created_at: Date }>(
    `SELECT o.id, o.status, o.subdistrict_id, o.created_at FROM operation o WHERE o.id = $1 AND ${sc.sql} FOR UPDATE`,
    [id, ...sc.params],
  );
  return rows[0];
}

/** A site of the operation locked for an action, with the facts the workflow's conditions read. */
export async function lockSite(client: PoolClient, operationId: number, siteId: number): Promise<(SiteFacts & { id: number }) | undefined> {
  const { rows } = await client.query<SiteFacts & { id: number }>(
    `SELECT st.id, st.status,
            (SELECT count(*)::int FROM operation_photo p WHERE p.site_id = st.id AND p.stage = 'before') AS before_photos,
            (SELECT count(*)::int FROM operation_photo p WHERE p.site_id = st.id AND p.stage = 'after' AND p.uploaded_at >= st.status_at) AS after_photos_since_status
     FROM operation_site st WHERE st.id = $2 AND st.operation_id = $1 FOR UPDATE OF st`,
    [operationId, siteId],
  );
  return rows[0];
}

/** Applies a site action: the SET list from the workflow table, the status and its time from `to`. */
export async function applySiteAction(client: PoolClient, action: SiteActionName, siteId: number, to: SiteStatus, values: Record<string, unknown>): Promise<void> {
  const set = siteSetClause(action, 2);
  await client.query(
    `UPDATE operation_site SET status = $2, status_at = clock_timestamp()${set.sql ? `, ${set.sql}` : ''} WHERE id = $1`,
    [siteId, to, ...setParams(values, set.params, 'operation')],
  );
}

export async function applyOperationAction(client: PoolClient, action: OperationActionName, id: number, values: Record<string, unknown>): Promise<void> {
  const set = operationSetClause(action, 1);
  if (!set.sql) return;
  await client.query(`UPDATE operation SET ${set.sql} WHERE id = $1`, [id, ...setParams(values, set.params, 'operation')]);
}

/** Distance in metres from a site to a point, on the spheroid. */
export async function distanceToSite(db: Db, siteId: number, lng: number, lat: number): Promise<number> {
  const { rows } = await db.query<{ d: number }>(
    `SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) AS d FROM operation_site WHERE id = $1`,
    [siteId, lng, lat],
  );
  return rows[0]!.d;
}

export async function insertPhoto(client: PoolClient, siteId: number, stage: PhotoStage, by: { actor: string; department_id: number | null }, p: PhotoRow): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO operation_photo (site_id, stage, uploaded_by, uploaded_at, department_id, file_name, mime, bytes, width, height, exif_taken_at, exif_lng, exif_lat, exif_distance_m, exif_mismatch, exif_issues)
     VALUES ($1, $2, $3, clock_timestamp(), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id::int AS id`,
    [siteId, stage, by.actor, by.department_id, p.file_name, p.mime, p.bytes, p.width, p.height, p.exif_taken_at, p.exif_lng, p.exif_lat, p.exif_distance_m, p.exif_mismatch, p.exif_issues],
  );
  return rows[0]!.id;
}

/** A photo's stored file, when its operation is in scope. */
export async function photoFile(db: Db, operationId: number, photoId: number, scope: Scope): Promise<{ file_name: string; mime: string } | undefined> {
  const sc = scopeSql(scope, 2);
  const { rows } = await db.query<{ file_name: string; mime: string }>(
    `SELECT p.file_name, p.mime FROM operation_photo p JOIN operation_site st ON st.id = p.site_id JOIN operation o ON o.id = st.operation_id
     WHERE o.id = $1 AND p.id = $2 AND ${sc.sql}`,
    [operationId, photoId, ...sc.params],
  );
  return rows[0];
}

/** Open operations with their sites' positions and statuses, for the wall's layer. */
export interface WallOperation {
  id: number;
  title: string;
  subdistrict_id: number;
  subdistrict_zh: string;
  subdistrict_en: string;
  synthetic: boolean;
  progress: OperationRow['progress'];
  sites: { id: number; lng: number; lat: number; status: SiteStatus }[];
}

export async function listOpenForWall(db: Db): Promise<WallOperation[]> {
  if (!(await hasOperations(db))) return [];
  const { rows } = await db.query<WallOperation>(
    `SELECT o.id, o.title, o.subdistrict_id, s.name_zh AS subdistrict_zh, s.name_en AS subdistrict_en, o.synthetic, ${PROGRESS_SQL} AS progress,
            coalesce((SELECT json_agg(json_build_object('id', st.id, 'lng', ST_X(st.geom), 'lat', ST_Y(st.geom), 'status', st.status) ORDER BY st.id)
                      FROM operation_site st WHERE st.operation_id = o.id), '[]'::json) AS sites
     FROM operation o JOIN admin_unit s ON s.id = o.subdistrict_id WHERE o.status = 'open' ORDER BY o.created_at, o.id`,
  );
  return rows;
}

let tableSeen = false;
/** Whether the operation table exists yet (a wall may run against a database still being migrated). */
async function hasOperations(db: Db): Promise<boolean> {
  if (tableSeen) return true;
  const { rows } = await db.query<{ ok: boolean }>(`SELECT to_regclass('public.operation') IS NOT NULL AS ok`);
  tableSeen = rows[0]!.ok;
  return tableSeen;
}

export async function hasAnyOperation(db: Db): Promise<boolean> {
  return Boolean((await db.query('SELECT 1 FROM operation LIMIT 1')).rowCount);
}
