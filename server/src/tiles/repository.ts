import type { Pool } from '../db/pool.ts';
import { BUFFER, EXTENT, TILE_LAYERS, type TileLayerId } from './layers.ts';

/**
 * One layer's tile as MVT bytes (an empty buffer when nothing falls in it). Features are
 * selected with the buffered envelope so lines and polygons continue across tile edges, then
 * clipped to the same buffer by ST_AsMVTGeom; geometries that collapse at this zoom come back
 * NULL and are dropped.
 */
export async function readTile(db: Pool, layerId: TileLayerId, z: number, x: number, y: number): Promise<Buffer> {
  const layer = TILE_LAYERS[layerId];
  if (z < layer.minzoom || z > layer.maxzoom) return Buffer.alloc(0);
  const sql = `
    WITH env AS (
      SELECT $1::integer AS z,
             ST_TileEnvelope($1, $2, $3) AS tile,
             ST_Transform(ST_TileEnvelope($1, $2, $3, margin => ${BUFFER / EXTENT}), 4326) AS bbox
    ),
    src AS (${layer.select}),
    mvt AS (
      SELECT ${Object.keys(layer.fields).map((f) => `src.${f}`).join(', ')},
             ST_AsMVTGeom(ST_Transform(src.geom, 3857), env.tile, ${EXTENT}, ${BUFFER}, true) AS mvt_geom
      FROM src, env
    )
    SELECT ST_AsMVT(mvt, $4, ${EXTENT}, 'mvt_geom') AS tile FROM mvt WHERE mvt_geom IS NOT NULL`;
  const { rows } = await db.query<{ tile: Buffer | null }>(sql, [z, x, y, layerId]);
  return rows[0]?.tile ?? Buffer.alloc(0);
}

/** [west, south, east, north] of the layer's data, for TileJSON; null when the table is empty. */
export async function readDataBounds(db: Pool): Promise<[number, number, number, number] | null> {
  const { rows } = await db.query<{ w: number | null; s: number; e: number; n: number }>(
    `SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n
     FROM (SELECT ST_Extent(geom)::geometry AS b FROM admin_unit WHERE level = 'district') x`,
  );
  const r = rows[0];
  return r && r.w !== null ? [r.w, r.s, r.e, r.n] : null;
}

/**
 * The composite basemap tile: every layer's MVT in one buffer (an MVT is a sequence of
 * layers, so the layers' tiles concatenate into one valid tile). One request per z/x/y
 * instead of one per layer.
 */
export async function readCompositeTile(db: Pool, z: number, x: number, y: number): Promise<Buffer> {
  const parts = await Promise.all((Object.keys(TILE_LAYERS) as TileLayerId[]).map((id) => readTile(db, id, z, x, y)));
  return Buffer.concat(parts);
}

/**
 * A fingerprint of the basemap's data: what the city was generated or imported from, and the
 * size and extent of every table the tiles read. It changes when the city is regenerated or
 * reimported, and it keys the immutable tile URLs and the server's tile cache.
 */
export async function readDataVersion(db: Pool): Promise<string> {
  const { rows } = await db.query<{ v: string }>(
    `SELECT left(md5(concat_ws('|',
       (SELECT string_agg(key || '=' || value::text, ',' ORDER BY key) FROM city_meta),
       (SELECT count(*) || ':' || coalesce(ST_AsText(ST_Extent(geom)), '') FROM admin_unit),
       (SELECT count(*) || ':' || coalesce(max(id), 0) FROM walk_edge),
       (SELECT count(*) || ':' || coalesce(max(id), 0) FROM building),
       (SELECT count(*) || ':' || coalesce(max(id), 0) FROM land_cover))), 12) AS v`,
  );
  return rows[0]!.v;
}

/**
 * Every character the basemap's labels can show (street, water and park names, admin names in
 * both languages), sorted and unique: the wall loads exactly the font subsets holding them
 * before it shows any label.
 */
export async function readLabelChars(db: Pool): Promise<string> {
  const { rows } = await db.query<{ t: string | null }>(
    `SELECT string_agg(DISTINCT t, '') AS t FROM (
       SELECT name AS t FROM walk_edge WHERE name IS NOT NULL AND kind IN ('arterial', 'secondary')
       UNION SELECT name FROM land_cover WHERE name IS NOT NULL
       UNION SELECT name_en FROM land_cover WHERE name_en IS NOT NULL
       UNION SELECT name_zh FROM admin_unit UNION SELECT name_en FROM admin_unit) s`,
  );
  return [...new Set([...(rows[0]?.t ?? '')])].filter((c) => c.trim()).sort().join('');
}
