/** SQL of the district: its configuration and the extent of its data. */
import type pg from 'pg';

type Q = Pick<pg.ClientBase, 'query'>;

export interface DistrictConfigRow { code: string; name_zh: string; name_en: string; timezone: string }

export async function getConfig(db: Q): Promise<DistrictConfigRow | null> {
  const { rows } = await db.query<DistrictConfigRow>(`SELECT code, name_zh, name_en, timezone FROM district_config`);
  return rows[0] ?? null;
}

export async function saveConfig(db: Q, c: DistrictConfigRow): Promise<void> {
  await db.query(
    `INSERT INTO district_config (id, code, name_zh, name_en, timezone) VALUES (true, $1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en,
       timezone = EXCLUDED.timezone, configured_at = now()`,
    [c.code, c.name_zh, c.name_en, c.timezone],
  );
}

/** The first district-level unit (the demo's, when no district is configured). */
export async function districtUnit(db: Q, code: string | null): Promise<{ code: string; name_zh: string; name_en: string } | null> {
  const { rows } = await db.query<{ code: string; name_zh: string; name_en: string }>(
    `SELECT code, name_zh, name_en FROM admin_unit WHERE level = 'district' AND ($1::text IS NULL OR code = $1) ORDER BY id LIMIT 1`,
    [code],
  );
  return rows[0] ?? null;
}

/** The box around the district outline and the streets and buildings, or null when there is nothing. */
export async function dataExtent(db: Q): Promise<[number, number, number, number] | null> {
  const { rows } = await db.query<{ w: number | null; s: number; e: number; n: number }>(
    `WITH x AS (
       SELECT ST_Extent(geom) AS b FROM admin_unit WHERE level = 'district'
       UNION ALL SELECT ST_Extent(geom) FROM walk_edge
       UNION ALL SELECT ST_Extent(geom) FROM building)
     SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n
     FROM (SELECT ST_Extent(b::geometry) AS e FROM x WHERE b IS NOT NULL) y`,
  );
  const r = rows[0];
  return r && r.w !== null ? [r.w, r.s, r.e, r.n] : null;
}
