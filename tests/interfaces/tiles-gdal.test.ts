import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { ogrinfo } from './gdal.ts';

/** Each layer's rows at a zoom, written here independently of the server's layer table. */
const SOURCES: Record<string, { table: string; where: string }> = {
  admin: { table: 'admin_unit', where: "(level IN ('district', 'subdistrict') OR (level = 'community' AND $1 >= 13) OR (level = 'grid' AND $1 >= 15))" },
  streets: { table: 'walk_edge', where: "(kind = 'arterial' OR (kind = 'secondary' AND $1 >= 11) OR (kind = 'hutong' AND $1 >= 13) OR (kind = 'path' AND $1 >= 14) OR (kind = 'footway' AND $1 >= 15))" },
  buildings: { table: 'building', where: '$1 >= 13' },
  water: { table: 'land_cover', where: "kind = 'water' AND $1::int >= 0" },
  green: { table: 'land_cover', where: "kind = 'green' AND $1::int >= 0" },
};
const ZOOM = 13;

type Catalog = { layers: { id: string; minzoom: number; tilejson: string; tiles: string; fields: Record<string, string> }[] };

describe('vector tiles, as GDAL reads them', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let catalog: Catalog;

  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    catalog = (await (await fetch(`${server.url}/tiles/catalog.json`)).json()) as Catalog;
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  it('lists every tile layer in the catalog, each with a TileJSON naming that layer', async () => {
    expect(catalog.layers.map((l) => l.id).sort()).toEqual(Object.keys(SOURCES).sort());
    for (const layer of catalog.layers) {
      expect(layer.tiles).toBe(`${server.url}/tiles/${layer.id}/{z}/{x}/{y}.mvt`);
      const tj = (await (await fetch(layer.tilejson)).json()) as { tiles: string[]; vector_layers: { id: string }[] };
      expect(tj.tiles).toEqual([layer.tiles]);
      expect(tj.vector_layers.map((v) => v.id)).toEqual([layer.id]);
    }
  });

  it(`reads every layer's tileset at zoom ${ZOOM} through its TileJSON: all features in the district, each a row of the layer`, async () => {
    const { rows } = await pool.query(
      `SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n FROM (SELECT ST_Extent(geom)::geometry AS b FROM admin_unit WHERE level = 'district') x`,
    );
    const d = rows[0]!;
    for (const layer of catalog.layers) {
      const src = SOURCES[layer.id]!;
      const out = await ogrinfo(['-ro', '-al', '-q', '-geom=NO', '-oo', `METADATA_FILE=${layer.tilejson}`, '-oo', 'TILE_EXTENSION=mvt', `MVT:${server.url}/tiles/${layer.id}/${ZOOM}`]);
      // A feature cut by tile edges comes once per tile; its id attribute is the row's id.
      const read = new Set([...out.matchAll(/^ {2}id \((?:Real|Integer|Integer64)\) = (\d+)$/gm)].map((m) => Number(m[1])));
      const inDistrict = (
        await pool.query<{ id: number }>(`SELECT id FROM ${src.table} WHERE ${src.where} AND ST_Intersects(geom, ST_MakeEnvelope($2, $3, $4, $5, 4326))`, [ZOOM, d.w, d.s, d.e, d.n])
      ).rows.map((r) => Number(r.id));
      expect(inDistrict.length, layer.id).toBeGreaterThan(0);
      const missing = inDistrict.filter((id) => !read.has(id));
      expect({ layer: layer.id, missing }).toEqual({ layer: layer.id, missing: [] });
      const known = new Set(
        (await pool.query<{ id: number }>(`SELECT id FROM ${src.table} WHERE ${src.where} AND id = ANY($2::bigint[])`, [ZOOM, [...read]])).rows.map((r) => Number(r.id)),
      );
      expect({ layer: layer.id, unknown: [...read].filter((id) => !known.has(id)) }).toEqual({ layer: layer.id, unknown: [] });
    }
  }, 300_000);
});
