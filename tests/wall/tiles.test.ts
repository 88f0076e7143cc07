import { PbfReader } from 'pbf';
import { VectorTile } from '@mapbox/vector-tile';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

// The tile's own envelope widened by the MVT buffer (64 of 4096 units), computed here in
// plain JavaScript from the slippy-map formulas rather than with ST_TileEnvelope.
const BUFFER_FRACTION = 64 / 4096;
function lon(x: number, z: number): number {
  return (x / 2 ** z) * 360 - 180;
}
function lat(y: number, z: number): number {
  const n = Math.PI - (2 * Math.PI * y) / 2 ** z;
  return (180 / Math.PI) * Math.atan(Math.sinh(n));
}
function bufferedBbox(z: number, x: number, y: number): [number, number, number, number] {
  const b = BUFFER_FRACTION;
  return [lon(x - b, z), lat(y + 1 + b, z), lon(x + 1 + b, z), lat(y - b, z)];
}
function tileOf(lng: number, la: number, z: number): [number, number] {
  const x = Math.floor(((lng + 180) / 360) * 2 ** z);
  const r = (la * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
  return [x, y];
}

/** The layer's source rows, as an independent query: table, filter and the zoom rule of the layer. */
const SOURCES: Record<string, { table: string; where: string }> = {
  admin: { table: 'admin_unit', where: "(level IN ('district', 'subdistrict') OR (level = 'community' AND $5 >= 13) OR (level = 'grid' AND $5 >= 15))" },
  streets: { table: 'walk_edge', where: "(kind = 'arterial' OR (kind = 'secondary' AND $5 >= 11) OR (kind = 'hutong' AND $5 >= 13) OR (kind = 'path' AND $5 >= 14) OR (kind = 'footway' AND $5 >= 15))" },
  buildings: { table: 'building', where: '$5 >= 13' },
  water: { table: 'land_cover', where: "kind = 'water' AND $5::int >= 0" },
  green: { table: 'land_cover', where: "kind = 'green' AND $5::int >= 0" },
};

async function countInBbox(pool: pg.Pool, layer: string, z: number, bbox: [number, number, number, number]): Promise<number> {
  const { table, where } = SOURCES[layer]!;
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)) AND ${where}`,
    [...bbox, z],
  );
  return rows[0]!.n;
}

async function decode(res: Response, layer: string): Promise<number> {
  if (res.status === 204) return 0;
  const tile = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer())));
  return tile.layers[layer]?.length ?? 0;
}

describe('basemap vector tiles', () => {
  let server: TestServer;
  let pool: pg.Pool;
  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  for (const layer of Object.keys(SOURCES)) {
    it(`holds as many ${layer} features as PostGIS has in the buffered tile bbox`, async () => {
      const { table, where } = SOURCES[layer]!;
      // A tile at z16 centred on one of the layer's features, so the tile is not empty.
      const { rows } = await pool.query<{ x: number; y: number }>(
        `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p FROM ${table} WHERE ${where.replace(/\$5/g, '16')} ORDER BY id LIMIT 1) s`,
      );
      expect(rows.length, `${table} has rows for the ${layer} layer`).toBe(1);
      for (const z of [16, 14]) {
        const [x, y] = tileOf(rows[0]!.x, rows[0]!.y, z);
        const res = await fetch(`${server.url}/tiles/${layer}/${z}/${x}/${y}.mvt`);
        expect(res.status).toBe(200);
        const expected = await countInBbox(pool, layer, z, bufferedBbox(z, x, y));
        expect(expected).toBeGreaterThan(0);
        expect(await decode(res, layer)).toBe(expected);
      }
    });
  }

  it('names water and parks in both languages, as the city has them', async () => {
    // Beihai: the lake and the park around it.
    const [x, y] = tileOf(116.3855, 39.926, 14);
    for (const layer of ['water', 'green']) {
      const res = await fetch(`${server.url}/tiles/${layer}/14/${x}/${y}.mvt`);
      expect(res.status).toBe(200);
      const tile = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer())));
      const named = Array.from({ length: tile.layers[layer]?.length ?? 0 }, (_, i) => tile.layers[layer]!.feature(i).properties).filter((p) => p.name);
      expect(named.length, `named ${layer} areas in the tile`).toBeGreaterThan(0);
      const { rows } = await pool.query<{ id: number; name: string; name_en: string | null }>(`SELECT id::int AS id, name, name_en FROM land_cover WHERE id = ANY($1::int[])`, [named.map((p) => Number(p.id))]);
      for (const p of named) {
        const row = rows.find((r) => r.id === Number(p.id))!;
        expect(row.name_en, `${row.name} has an English name`).toBeTruthy();
        expect([p.name, p.name_en]).toEqual([row.name, row.name_en]);
      }
    }
  });

  it('thins the streets at low zoom to the kinds drawn there', async () => {
    const [x, y] = tileOf(116.366, 39.913, 11);
    const res = await fetch(`${server.url}/tiles/streets/11/${x}/${y}.mvt`);
    const expected = await countInBbox(pool, 'streets', 11, bufferedBbox(11, x, y));
    const all = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM walk_edge')).rows[0]!.n;
    expect(expected).toBeLessThan(all);
    expect(await decode(res, 'streets')).toBe(expected);
  });

  it('answers an empty tile with 204 and no body', async () => {
    // Over the Atlantic: nothing of the city there.
    const res = await fetch(`${server.url}/tiles/admin/10/300/400.mvt`);
    expect(res.status).toBe(204);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('sends cache headers and answers a matching If-None-Match with 304', async () => {
    const [x, y] = tileOf(116.366, 39.913, 12);
    const first = await fetch(`${server.url}/tiles/admin/12/${x}/${y}.mvt`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
    expect(first.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${server.url}/tiles/admin/12/${x}/${y}.mvt`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });

  it.each([
    ['/tiles/admin/23/0/0.mvt', 'params.z'],
    ['/tiles/admin/-1/0/0.mvt', 'params.z'],
    ['/tiles/admin/3/8/0.mvt', 'params.x'],
    ['/tiles/admin/3/0/8.mvt', 'params.y'],
    ['/tiles/admin/3/a/0.mvt', 'params.x'],
    ['/tiles/roads/3/0/0.mvt', 'params.layer'],
  ])('rejects %s with 400 naming %s', async (path, field) => {
    const res = await fetch(`${server.url}${path}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { field: string; message: string };
    expect(body.field).toBe(field);
    expect(body.message).toContain(field);
  });

  it('describes each layer in TileJSON with an absolute tile URL on this server', async () => {
    const res = await fetch(`${server.url}/tiles/buildings.json`);
    expect(res.status).toBe(200);
    const tj = (await res.json()) as { tilejson: string; tiles: string[]; minzoom: number; vector_layers: { id: string; fields: Record<string, string> }[] };
    expect(tj.tilejson).toBe('3.0.0');
    expect(tj.tiles).toEqual([`${server.url}/tiles/buildings/{z}/{x}/{y}.mvt`]);
    expect(tj.minzoom).toBe(13);
    expect(tj.vector_layers[0]!.id).toBe('buildings');
    expect(Object.keys(tj.vector_layers[0]!.fields)).toContain('floors');
  });

  it('serves every layer in one composite tile under a versioned, immutable URL named by base.json', async () => {
    const res = await fetch(`${server.url}/tiles/base.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const tj = (await res.json()) as { tiles: string[]; version: string; label_chars: string; vector_layers: { id: string }[] };
    expect(tj.vector_layers.map((l) => l.id)).toEqual(Object.keys(SOURCES));
    expect(tj.tiles[0]).toBe(`${server.url}/tiles/v/${tj.version}/base/{z}/{x}/{y}.mvt`);
    // A z16 tile on a building: it holds each layer with the same count as that layer's own tile.
    const { rows } = await pool.query<{ x: number; y: number }>(`SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p FROM building ORDER BY id LIMIT 1) s`);
    const [x, y] = tileOf(rows[0]!.x, rows[0]!.y, 16);
    const url = tj.tiles[0]!.replace('{z}', '16').replace('{x}', String(x)).replace('{y}', String(y));
    const composite = await fetch(url);
    expect(composite.status).toBe(200);
    expect(composite.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const tile = new VectorTile(new PbfReader(new Uint8Array(await composite.arrayBuffer())));
    for (const layer of Object.keys(SOURCES)) {
      const expected = await countInBbox(pool, layer, 16, bufferedBbox(16, x, y));
      expect(tile.layers[layer]?.length ?? 0, layer).toBe(expected);
    }
    // The label characters cover every admin name in both languages, each once.
    const names = (await pool.query<{ n: string }>(`SELECT name_zh || name_en AS n FROM admin_unit`)).rows.map((r) => r.n).join('');
    for (const ch of new Set(names.replace(/\s/g, ''))) expect(tj.label_chars).toContain(ch);
    expect(new Set(tj.label_chars).size).toBe([...tj.label_chars].length);
  });

  it('answers a composite tile under an old version with current data that must not be cached', async () => {
    const [x, y] = tileOf(116.366, 39.913, 12);
    const res = await fetch(`${server.url}/tiles/v/0ld/base/12/${x}/${y}.mvt`);
    expect(res.status).toBe(400);
    const stale = await fetch(`${server.url}/tiles/v/000000000000/base/12/${x}/${y}.mvt`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('no-cache');
    expect(stale.headers.get('x-data-version')).toMatch(/^[0-9a-f]{12}$/);
  });

  it('serves the context around the district: neighbouring districts from the source map, ring roads marked approximate', async () => {
    const res = await fetch(`${server.url}/tiles/context.geojson`);
    expect(res.status).toBe(200);
    const fc = (await res.json()) as { features: { geometry: { type: string; coordinates: unknown }; properties: { kind: string; name_zh: string; approximate: boolean } }[] };
    const districts = fc.features.filter((f) => f.properties.kind === 'district').map((f) => f.properties.name_zh).sort();
    expect(districts).toEqual(['东城区', '丰台区', '朝阳区', '海淀区', '石景山区'].sort());
    const rings = fc.features.filter((f) => f.properties.kind === 'ring_road');
    expect(rings.map((r) => r.properties.approximate)).toEqual([true, true]);
    // Each ring is a closed loop around the district's centre (Xidan lies inside both).
    for (const r of rings) {
      const pts = r.geometry.coordinates as [number, number][];
      expect(pts[0]).toEqual(pts.at(-1));
      const xs = pts.map((p) => p[0]);
      const ys = pts.map((p) => p[1]);
      expect(Math.min(...xs)).toBeLessThan(116.368);
      expect(Math.max(...xs)).toBeGreaterThan(116.368);
      expect(Math.min(...ys)).toBeLessThan(39.907);
      expect(Math.max(...ys)).toBeGreaterThan(39.907);
    }
    // Dongcheng's outline meets Xicheng's: some vertex of it lies within 200 m of Xicheng's boundary.
    const dong = fc.features.find((f) => f.properties.name_zh === '东城区' && f.properties.kind === 'district')!;
    const near = await pool.query<{ d: number }>(
      `SELECT min(ST_Distance(ST_Boundary(a.geom)::geography, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)::geography)) AS d FROM admin_unit a WHERE level = 'district'`,
      [JSON.stringify(dong.geometry)],
    );
    expect(near.rows[0]!.d).toBeLessThan(200);
    const again = await fetch(`${server.url}/tiles/context.geojson`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });
});
