import type pg from 'pg';
import type { CaseStatus } from '../cases/state-machine.ts';

type Db = pg.Pool | pg.ClientBase;

export type PlaceKind = 'old_compound' | 'street' | 'any';
export interface Place {
  lng: number;
  lat: number;
  /** The subdistrict the place lies in (null outside every one): its units' pace shapes the case. */
  unit: number | null;
  /** What a caller would say: the nearest named street and a door number; null where no street is named nearby. */
  address: string | null;
}

/**
 * Candidate places for synthetic complaints, sampled deterministically by `seed`: centroids
 * of buildings built before 1990 (old compounds), midpoints of arterial and secondary
 * streets, and any building. Empty lists where the city lacks them; then random points
 * inside the district stand in.
 */
export async function samplePlaces(db: Db, seed: number, n: number): Promise<Record<PlaceKind, Place[]>> {
  const q = async (sql: string) => (await db.query<Place>(sql, [String(seed), n])).rows;
  // One after another: the caller may hand a single client.
  const unit = (p: string) => `(SELECT a.id::int FROM admin_unit a WHERE a.level = 'subdistrict' AND ST_Intersects(a.geom, ${p}) ORDER BY a.id LIMIT 1) AS unit`;
  // Hotline cases come with an address: the nearest named street within about 300 m, and a
  // door number drawn from the place's own id (so the same seed gives the same addresses).
  const address = (p: string, key: string) =>
    `(SELECT e.name || ' ' || (1 + abs(hashtext(${key}::text)) % 120) || '号' FROM walk_edge e
      WHERE e.name IS NOT NULL AND ST_DWithin(e.geom, ${p}, 0.003) ORDER BY e.geom <-> ${p} LIMIT 1) AS address`;
  const old = await q(`SELECT ST_X(centroid) AS lng, ST_Y(centroid) AS lat, ${unit('centroid')}, ${address('centroid', 'id')} FROM building
       WHERE built_year < 1990 ORDER BY md5(id::text || $1) LIMIT $2`);
  const street = await q(`SELECT ST_X(p) AS lng, ST_Y(p) AS lat, ${unit('p')}, ${address('p', 'id')} FROM (
         SELECT ST_LineInterpolatePoint(geom, 0.5) AS p, id FROM walk_edge WHERE kind IN ('arterial', 'secondary')
         ORDER BY md5(id::text || $1) LIMIT $2) s`);
  const any = await q(`SELECT ST_X(centroid) AS lng, ST_Y(centroid) AS lat, ${unit('centroid')}, ${address('centroid', 'id')} FROM building ORDER BY md5(id::text || $1) LIMIT $2`);
  let fallback: Place[] = [];
  if (!old.length || !street.length || !any.length) {
    fallback = (
      await db.query<Place>(
        `SELECT ST_X(d.geom) AS lng, ST_Y(d.geom) AS lat, ${unit('d.geom')}, ${address('d.geom', 'd.path[1]')}
         FROM ST_Dump(ST_GeneratePoints((SELECT geom FROM admin_unit WHERE level = 'district' LIMIT 1), $2, $1::int)) d`,
        [seed % 2_000_000_000, n],
      )
    ).rows;
  }
  return { old_compound: old.length ? old : fallback, street: street.length ? street : fallback, any: any.length ? any : fallback };
}

export async function hasCases(db: Db): Promise<boolean> {
  return Boolean((await db.query('SELECT 1 FROM cases LIMIT 1')).rowCount);
}

/** Loads places into a session table with their admin units, assigned by `case_assign` once per place. */
export async function stagePlaces(client: pg.ClientBase, places: Place[]): Promise<void> {
  await client.query('DROP TABLE IF EXISTS pg_temp.sim_point, pg_temp.sim_place');
  // Points first, assignment second: the planner does better on a table it has counted.
  await client.query(
    `CREATE TEMP TABLE sim_point ON COMMIT DROP AS
     SELECT t.i::int AS i, ST_SetSRID(ST_MakePoint(t.lng, t.lat), 4326) AS g, t.address
     FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY AS t(lng, lat, address, i)`,
    [places.map((p) => p.lng), places.map((p) => p.lat), places.map((p) => p.address)],
  );
  await client.query('ANALYZE sim_point');
  await client.query(
    `CREATE TEMP TABLE sim_place ON COMMIT DROP AS
     SELECT p.i, p.g, p.address, a.* FROM sim_point p CROSS JOIN LATERAL case_assign(p.g) a`,
  );
  await client.query('CREATE INDEX ON sim_place (i)');
}

/** One synthetic case with its whole history, as the backfill stores it. */
export interface HistoricCase {
  place: number;
  source: string;
  external_id: string;
  category: string;
  description: string;
  priority: string;
  department_code: string;
  status: CaseStatus;
  status_note: string | null;
  return_count: number;
  reopen_count: number;
  satisfaction: number | null;
  times: Record<
    | 'reported_at'
    | 'registered_at'
    | 'dispatched_at'
    | 'accepted_at'
    | 'handled_at'
    | 'verified_at'
    | 'closed_at'
    | 'evaluated_at'
    | 'rejected_at'
    | 'register_due_at'
    | 'dispatch_due_at'
    | 'accept_due_at'
    | 'handle_due_at'
    | 'close_due_at'
    | 'updated_at',
    Date | null
  >;
}

const TIME_COLUMNS = [
  'reported_at',
  'registered_at',
  'dispatched_at',
  'accepted_at',
  'handled_at',
  'verified_at',
  'closed_at',
  'evaluated_at',
  'rejected_at',
  'register_due_at',
  'dispatch_due_at',
  'accept_due_at',
  'handle_due_at',
  'close_due_at',
  'updated_at',
] as const;

/** Inserts historic cases in one statement, placed at staged places (see `stagePlaces`). */
export async function insertHistoricCases(client: pg.ClientBase, rows: HistoricCase[]): Promise<number> {
  const col = <K extends keyof HistoricCase>(k: K) => rows.map((r) => r[k]);
  const times = TIME_COLUMNS.map((t) => rows.map((r) => r.times[t]));
  const timeParams = TIME_COLUMNS.map((_, i) => `$${i + 13}::timestamptz[]`).join(', ');
  const { rowCount } = await client.query(
    `INSERT INTO cases (source, external_id, category, description, priority, status, status_note, return_count, reopen_count,
                        satisfaction, geom, address, out_of_area, subdistrict_id, community_id, grid_id, building_id, department_id,
                        ${TIME_COLUMNS.join(', ')}, created_at)
     SELECT u.source, u.external_id, u.category, u.description, u.priority, u.status, u.status_note, u.return_count, u.reopen_count,
            u.satisfaction, p.g, p.address, p.out_of_area, p.subdistrict_id, p.community_id, p.grid_id, p.building_id, d.id,
            ${TIME_COLUMNS.map((t) => `u.${t}`).join(', ')}, u.reported_at
     FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[],
                 $11::smallint[], $12::text[], ${timeParams})
          AS u(place, source, external_id, category, description, priority, department_code, status, return_count, reopen_count,
               satisfaction, status_note, ${TIME_COLUMNS.join(', ')})
     JOIN sim_place p ON p.i = u.place
     LEFT JOIN department d ON d.code = u.department_code
     ON CONFLICT (source, external_id) DO NOTHING`,
    [
      col('place'),
      col('source'),
      col('external_id'),
      col('category'),
      col('description'),
      col('priority'),
      col('department_code'),
      col('status'),
      col('return_count'),
      col('reopen_count'),
      col('satisfaction'),
      col('status_note'),
      ...times,
    ],
  );
  return rowCount ?? 0;
}

export interface OpenSimCase {
  id: number;
  status: CaseStatus;
  category: string;
  updated_at: Date;
  return_count: number;
  reopen_count: number;
  late: boolean;
  subdistrict_id: number | null;
  reported_at: Date;
}

/**
 * Synthetic cases still moving through the loop (and closed ones not yet rated), the ones
 * untouched longest first. Synthetic cases carry external ids starting with `sim-`.
 */
export async function simulatedCasesToWork(db: Db, limit: number, ratingWindowHours: number): Promise<OpenSimCase[]> {
  const { rows } = await db.query<OpenSimCase>(
    `SELECT id::int AS id, status, category, updated_at, return_count, reopen_count,
            COALESCE(closed_at > close_due_at, false) AS late, subdistrict_id::int AS subdistrict_id, reported_at
     FROM cases
     WHERE external_id LIKE 'sim-%'
       AND (status NOT IN ('closed', 'evaluated', 'rejected')
            -- seven in ten citizens rate a closed case; the others never do
            OR (status = 'closed' AND closed_at > now() - make_interval(hours => $2) AND abs(hashtext('rate:' || id)) % 10 < 7))
     ORDER BY updated_at LIMIT $1`,
    [limit, ratingWindowHours],
  );
  return rows;
}

/** A callback of the backfilled history, found by its case's (source, external_id). */
export interface HistoricCallback {
  source: string;
  external_id: string;
  at: Date;
  contacted: boolean;
  solved: boolean;
  satisfaction: string;
}

/** Inserts the history's callbacks in one statement. */
export async function insertHistoricCallbacks(client: pg.ClientBase, rows: HistoricCallback[]): Promise<number> {
  if (!rows.length) return 0;
  const col = <K extends keyof HistoricCallback>(k: K) => rows.map((r) => r[k]);
  const { rowCount } = await client.query(
    `INSERT INTO case_callback (case_id, at, actor, contacted, solved, satisfaction)
     SELECT c.id, u.at, 'simulator', u.contacted, u.solved, u.satisfaction
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::boolean[], $5::boolean[], $6::text[]) AS u(source, external_id, at, contacted, solved, satisfaction)
     JOIN cases c ON c.source = u.source AND c.external_id = u.external_id`,
    [col('source'), col('external_id'), col('at'), col('contacted'), col('solved'), col('satisfaction')],
  );
  return rowCount ?? 0;
}

export interface CallbackDueCase {
  id: number;
  closed_at: Date;
  late: boolean;
  return_count: number;
  reopen_count: number;
}

/**
 * Synthetic cases closed in the last `windowHours` and not yet called back, among the share
 * the center calls back (decided by a hash of the id, so a skipped case stays skipped).
 */
export async function simulatedCasesToCallBack(db: Db, limit: number, windowHours: number, sharePercent: number): Promise<CallbackDueCase[]> {
  const { rows } = await db.query<CallbackDueCase>(
    `SELECT c.id::int AS id, c.closed_at, c.closed_at > c.close_due_at AS late, c.return_count, c.reopen_count
     FROM cases c
     WHERE c.external_id LIKE 'sim-%' AND c.status IN ('closed', 'evaluated') AND c.closed_at > now() - make_interval(hours => $2)
       AND abs(hashtext('callback:' || c.id)) % 100 < $3
       AND NOT EXISTS (SELECT 1 FROM case_callback k WHERE k.case_id = c.id)
     ORDER BY c.closed_at LIMIT $1`,
    [limit, windowHours, sharePercent],
  );
  return rows;
}
