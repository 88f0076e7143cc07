import type { Pool, PoolClient } from '../db/pool.ts';

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
