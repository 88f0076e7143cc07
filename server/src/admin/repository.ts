import type { Pool } from '../db/pool.ts';

export const ADMIN_LEVELS = ['district', 'subdistrict', 'community', 'grid'] as const;
export type AdminLevel = (typeof ADMIN_LEVELS)[number];

/** Builds the FeatureCollection in SQL so large levels (grids) never round-trip as rows. */
export async function listAdminUnits(db: Pool, level: AdminLevel, parentId?: number): Promise<string> {
  const { rows } = await db.query<{ fc: string }>(
    `SELECT json_build_object(
       'type', 'FeatureCollection',
       'features', COALESCE(json_agg(json_build_object(
         'type', 'Feature',
         'id', id,
         'geometry', ST_AsGeoJSON(geom, 7)::json,
         'properties', json_build_object('id', id, 'level', level, 'code', code, 'name_zh', name_zh, 'name_en', name_en,
                                         'parent_id', parent_id, 'population', population, 'synthetic', synthetic)
       ) ORDER BY code), '[]'::json)
     )::text AS fc
     FROM admin_unit WHERE level = $1 AND ($2::int IS NULL OR parent_id = $2)`,
    [level, parentId ?? null],
  );
  return rows[0]!.fc;
}
