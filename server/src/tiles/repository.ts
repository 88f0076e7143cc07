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
