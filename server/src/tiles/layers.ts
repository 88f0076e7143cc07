/**
 * The basemap's vector-tile layers. Each layer is one allowlisted query over one table, so
 * no identifier ever comes from the request. Zoom rules thin the data where a feature would
 * be sub-pixel anyway; the tile tests apply the same rules to their independent counts.
 */
export interface TileLayer {
  /** Layer name in the URL, in the MVT and in TileJSON. */
  id: TileLayerId;
  /** Below this zoom the layer is empty (204). */
  minzoom: number;
  maxzoom: number;
  /** Attribute names and their TileJSON types. */
  fields: Record<string, 'Number' | 'String' | 'Boolean'>;
  description: string;
  /**
   * Selects `geom` (4326) and the attributes; it may read `env.z` (the zoom) and `env.bbox`
   * (the buffered tile envelope in 4326) from the CTE `env` the tile query defines.
   */
  select: string;
}

export const TILE_LAYER_IDS = ['admin', 'streets', 'buildings', 'water', 'green'] as const;
export type TileLayerId = (typeof TILE_LAYER_IDS)[number];

/** Street kinds and the zoom from which each is drawn (arterials always). */
export const STREET_MINZOOM: Record<string, number> = { arterial: 0, secondary: 11, hutong: 13, path: 14, footway: 15 };
/** Admin levels and the zoom from which each is drawn. */
export const ADMIN_MINZOOM: Record<string, number> = { district: 0, subdistrict: 0, community: 13, grid: 15 };

export const MAX_ZOOM = 22;
/** Tile extent and buffer (in tile units) passed to ST_AsMVT / ST_AsMVTGeom. */
export const EXTENT = 4096;
export const BUFFER = 64;

export const TILE_LAYERS: Record<TileLayerId, TileLayer> = {
  admin: {
    id: 'admin',
    minzoom: 0,
    maxzoom: MAX_ZOOM,
    description: 'District, subdistrict, community and grid boundaries (communities from z13, grids from z15)',
    fields: { id: 'Number', level: 'String', code: 'String', name_zh: 'String', name_en: 'String' },
    select: `SELECT id, level, code, name_zh, name_en, geom FROM admin_unit, env
             WHERE ST_Intersects(geom, env.bbox)
               AND CASE level WHEN 'district' THEN 0 WHEN 'subdistrict' THEN 0 WHEN 'community' THEN 13 ELSE 15 END <= env.z`,
  },
  streets: {
    id: 'streets',
    minzoom: 0,
    maxzoom: MAX_ZOOM,
    description: 'The walking network (walk_edge) by kind: arterials always, secondary from z11, hutongs z13, paths z14, footways z15',
    fields: { id: 'Number', kind: 'String', name: 'String' },
    select: `SELECT id, kind, name, geom FROM walk_edge, env
             WHERE ST_Intersects(geom, env.bbox)
               AND CASE kind WHEN 'arterial' THEN 0 WHEN 'secondary' THEN 11 WHEN 'hutong' THEN 13 WHEN 'path' THEN 14 ELSE 15 END <= env.z`,
  },
  buildings: {
    id: 'buildings',
    minzoom: 13,
    maxzoom: MAX_ZOOM,
    description: 'Building footprints with floors and an estimated height (3 m a floor), from z13',
    fields: { id: 'Number', floors: 'Number', height: 'Number' },
    select: `SELECT id, floors, floors * 3 AS height, geom FROM building, env WHERE ST_Intersects(geom, env.bbox)`,
  },
  water: {
    id: 'water',
    minzoom: 0,
    maxzoom: MAX_ZOOM,
    description: 'Water bodies (land_cover kind water)',
    fields: { id: 'Number', name: 'String', name_en: 'String' },
    select: `SELECT id, name, name_en, geom FROM land_cover, env WHERE kind = 'water' AND ST_Intersects(geom, env.bbox)`,
  },
  green: {
    id: 'green',
    minzoom: 0,
    maxzoom: MAX_ZOOM,
    description: 'Parks and green space (land_cover kind green)',
    fields: { id: 'Number', name: 'String', name_en: 'String' },
    select: `SELECT id, name, name_en, geom FROM land_cover, env WHERE kind = 'green' AND ST_Intersects(geom, env.bbox)`,
  },
};
