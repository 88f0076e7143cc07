import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wgs84ToBd09, wgs84ToGcj02 } from '../../server/src/geo/coord-systems.ts';
import { ImportError } from '../../server/src/import/errors.ts';
import { importFile, type ImportOptions } from '../../server/src/import/service.ts';
import { cityHash, haversine, scratchCity } from './helpers.ts';

const fc = (features: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'FeatureCollection', ...extra, features });
const point = (lng: number, lat: number, properties: Record<string, unknown>) => ({ type: 'Feature', properties, geometry: { type: 'Point', coordinates: [lng, lat] } });
const poly = (rings: number[][][], properties: Record<string, unknown>) => ({ type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: rings } });
/** A square ring of `side` degrees at (x, y), counter-clockwise. */
const square = (x: number, y: number, side: number) => [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]];

describe('importing GeoJSON', () => {
  let city: Awaited<ReturnType<typeof scratchCity>>;
  let db: pg.Client;
  const run = (doc: unknown, opts: ImportOptions = {}, name = 'fixture.geojson') => importFile(db, { name, bytes: Buffer.from(JSON.stringify(doc)) }, opts);
  beforeAll(async () => { city = await scratchCity('geojson'); db = city.client; }, 60_000);
  afterAll(() => city?.drop());

  it('lands a GCJ-02 file (crs member) at the right WGS84 place, hundreds of metres from its raw coordinates', async () => {
    const truth: [number, number] = [116.3869, 39.9331];
    const gcj = wgs84ToGcj02(...truth);
    const summary = await run(fc([point(gcj[0], gcj[1], { kind: 'kindergarten', name: '测试幼儿园', capacity: 180, opened_on: '2019-09-01' })], { crs: 'gcj02' }));
    expect(summary.crs).toBe('GCJ02');
    const { rows: [f] } = await db.query(`SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat, capacity, opened_on::text, synthetic FROM facility WHERE name = '测试幼儿园'`);
    expect(haversine([f.lng, f.lat], truth)).toBeLessThan(0.5);
    expect(haversine(gcj, truth)).toBeGreaterThan(300);
    expect(f).toMatchObject({ capacity: 180, opened_on: '2019-09-01', synthetic: false });
  });

  it('takes --crs bd09 over the file\'s declaration and understands the GeoJSON 2008 crs form', async () => {
    const truth: [number, number] = [116.3601, 39.9012];
    const bd = wgs84ToBd09(...truth);
    await run(fc([point(bd[0], bd[1], { kind: 'pharmacy', name: '百度坐标药店' })], { crs: 'wgs84' }), { crs: 'bd09' });
    await run(fc([point(...truth, { kind: 'pharmacy', name: 'WGS药店' })], { crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:OGC:1.3:CRS84' } } }));
    const { rows } = await db.query(`SELECT name, ST_X(geom) AS lng, ST_Y(geom) AS lat FROM facility WHERE name IN ('百度坐标药店', 'WGS药店') ORDER BY name`);
    for (const r of rows) expect(haversine([r.lng, r.lat], truth), r.name).toBeLessThan(0.5);
    await expect(run(fc([point(...truth, { kind: 'pharmacy', name: 'x' })], { crs: 'EPSG:3857' }))).rejects.toThrow(/crs/);
  });

  it('maps OpenStreetMap tags to a kind in GeoJSON made by osmtogeojson, skipping features with no service kind', async () => {
    const require = createRequire(import.meta.url);
    const osmtogeojson = require('osmtogeojson') as (d: unknown) => { features: { properties: { tags?: Record<string, string> } }[] };
    const dir = path.dirname(require.resolve('osmtogeojson/package.json'));
    const geo = osmtogeojson(JSON.parse(readFileSync(path.join(dir, 'test-cli', 'data', 'map.json'), 'utf8')));
    const schools = geo.features.filter((f) => f.properties.tags?.amenity === 'school').length;
    const s = await run(geo, { kind: 'facilities', skipInvalid: true });
    expect(s.inserted.facility).toBe(schools);
    expect(s.skipped).toHaveLength(geo.features.length - schools);
    expect(s.skipped[0]!.reason).toMatch(/kind/);
    const { rows } = await db.query(`SELECT kind FROM facility WHERE name = 'Volksschule'`);
    expect(rows).toEqual([{ kind: 'primary_school' }]);
  });

  it('refuses a file with a bad feature, naming its index and reason, and writes none of the good ones', async () => {
    const before = await cityHash(db);
    const doc = fc([
      point(116.37, 39.91, { kind: 'bank', name: '好银行' }),
      point(116.37, 39.92, { kind: 'casino', name: '赌场' }),
      point(116.37, 39.93, { kind: 'bank', name: '无坐标银行', capacity: -3 }),
      { type: 'Feature', properties: { kind: 'bank', name: '无几何' }, geometry: null },
    ]);
    const err = await run(doc).catch((e) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect(err.issues.map((i: { index: number }) => i.index)).toEqual([1, 2, 3]);
    expect(err.message).toMatch(/feature 1: property "kind" must be one of .*got "casino"/);
    expect(err.message).toMatch(/feature 2: property "capacity" must be at least 0/);
    expect(await cityHash(db)).toBe(before);
    // With --skip-invalid the good feature goes in and the others are reported.
    const s = await run(doc, { skipInvalid: true });
    expect(s.inserted.facility).toBe(1);
    expect(s.skipped.map((i) => i.index)).toEqual([1, 2, 3]);
  });

  it('repairs a pocket park whose ring touches itself, and rejects a bow-tie that repair would change', async () => {
    // A ring passing through one point twice (an inverted hole): invalid, but ST_MakeValid keeps the same area.
    const u = 0.0001, x0 = 116.36, y0 = 39.9;
    const touching = [[0, 0], [4, 0], [4, 4], [2, 4], [3, 2], [1, 2], [2, 4], [0, 4], [0, 0]].map(([x, y]) => [x0 + x! * u, y0 + y! * u]);
    const bowtie = [[116.361, 39.9], [116.3614, 39.9004], [116.3614, 39.9], [116.361, 39.9004], [116.361, 39.9]];
    const before = await cityHash(db);
    const err = await run(fc([poly([square(116.362, 39.9, 0.0003)], { name: '好公园' }), poly([touching], { name: '自接触公园' }), poly([bowtie], { name: '蝴蝶结公园' })], { kind: 'parks' })).catch((e) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0].index).toBe(2);
    expect(err.issues[0].reason).toMatch(/Self-intersection/);
    expect(await cityHash(db)).toBe(before);

    const s = await run(fc([poly([square(116.362, 39.9, 0.0003)], { name: '好公园' }), poly([touching], { name: '自接触公园' })]), { kind: 'parks' });
    expect(s.repaired.map((r) => r.index)).toEqual([1]);
    const { rows } = await db.query(
      `SELECT p.name, ST_IsValid(p.geom) AS valid, p.area_m2, ST_Area(p.geom::geography) AS m2, f.kind
       FROM pocket_park p LEFT JOIN facility f ON f.kind = 'pocket_park' AND f.name = p.name AND ST_Intersects(f.geom, p.geom)
       WHERE p.name IN ('好公园', '自接触公园') ORDER BY p.name`,
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.valid).toBe(true);
      expect(Math.abs(r.area_m2 - r.m2)).toBeLessThan(0.1);
      expect(r.kind).toBe('pocket_park');
    }
  });

  it('imports renovation projects on the compound they stand in, refusing figures that disagree', async () => {
    await db.query(`INSERT INTO compound (name, built_year, synthetic, geom) VALUES ('测试小区', 1985, false, ST_Multi(ST_MakeEnvelope(116.35, 39.88, 116.351, 39.881, 4326)))`);
    const ok = point(116.3505, 39.8805, { name: '测试小区改造', status: 'under_construction', budget_cny: 1e7, spent_cny: 4e6, progress: 0.4, elevators_planned: 4, elevators_done: 1, starts_on: '2025-03-01', ends_on: '2026-06-30' });
    const bad = point(116.3505, 39.8805, { name: '超支', status: 'completed', budget_cny: 100, spent_cny: 200 });
    const err = await run(fc([ok, bad]), { kind: 'renovation' }).catch((e) => e);
    expect(err.issues).toEqual([{ index: 1, reason: 'spent_cny (200) exceeds budget_cny (100)' }]);
    await run(fc([ok]), { kind: 'renovation' });
    const { rows: [r] } = await db.query(`SELECT r.progress, r.budget_cny::float8 AS b, c.name AS compound FROM renovation_project r LEFT JOIN compound c ON c.id = r.compound_id WHERE r.name = '测试小区改造'`);
    expect(r).toEqual({ progress: 0.4, b: 1e7, compound: '测试小区' });
  });

  it('imports admin units parents first, updates them by code, and checks each parent\'s level', async () => {
    const doc = fc([
      poly([square(116.30, 39.80, 0.01)], { level: 'subdistrict', code: 'T01001', name_zh: '测试街道', parent_code: 'T01' }),
      poly([square(116.30, 39.80, 0.02)], { level: 'district', code: 'T01', name_zh: '测试区', name_en: 'Test District' }),
    ], { kind: 'admin' });
    const s = await run(doc);
    expect(s.inserted.admin_unit).toBe(2);
    const { rows } = await db.query(`SELECT u.code, u.level, u.name_en, p.code AS parent, u.synthetic FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id WHERE u.code LIKE 'T01%' ORDER BY u.code`);
    expect(rows).toEqual([
      { code: 'T01', level: 'district', name_en: 'Test District', parent: null, synthetic: false },
      { code: 'T01001', level: 'subdistrict', name_en: '测试街道', parent: 'T01', synthetic: false },
    ]);
    await run(fc([poly([square(116.30, 39.80, 0.01)], { level: 'subdistrict', code: 'T01001', name_zh: '改名街道', parent_code: 'T01' })], { kind: 'admin' }));
    const { rows: [u] } = await db.query(`SELECT name_zh FROM admin_unit WHERE code = 'T01001'`);
    expect(u.name_zh).toBe('改名街道');
    const err = await run(fc([poly([square(116.30, 39.80, 0.005)], { level: 'grid', code: 'T01001001', name_zh: '网格', parent_code: 'T01' })], { kind: 'admin' })).catch((e) => e);
    expect(err.issues[0].reason).toMatch(/a grid's parent must be a community, but "T01" is a district/);
  });

  it('leaves everything as it was when the database refuses a row halfway, even after --replace deleted rows', async () => {
    await db.query(`INSERT INTO facility (kind, name, synthetic, geom) VALUES ('bank', '生成的银行', true, ST_SetSRID(ST_MakePoint(116.36, 39.9), 4326))`);
    const before = await cityHash(db);
    // Capacity passes the file checks but not the integer column: the insert fails after the delete.
    const doc = fc([point(116.36, 39.9, { kind: 'bank', name: '大银行', capacity: 3_000_000_000 })]);
    await expect(run(doc, { replace: true, allowOutside: true })).rejects.toThrow(/out of range/);
    expect(await cityHash(db)).toBe(before);
  });

  it('shows progress for long imports', async () => {
    const features = Array.from({ length: 6000 }, (_, i) => point(116.3 + (i % 100) * 0.0005, 39.87 + Math.floor(i / 100) * 0.0005, { kind: 'express_lockers', name: `柜${i}` }));
    const lines: string[] = [];
    const s = await run(fc(features), { kind: 'facilities', allowOutside: true, log: (m) => lines.push(m) });
    expect(s.inserted.facility).toBe(6000);
    expect(lines).toContain('  read 5000/6000 rows');
    expect(lines).toContain('  read 6000/6000 rows');
  });

  it('runs from the command line: a summary on success, the feature and reason on failure, exit status 1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-import-'));
    try {
      const good = path.join(dir, 'good.geojson');
      const bad = path.join(dir, 'bad.geojson');
      writeFileSync(good, JSON.stringify(fc([point(116.37, 39.9, { kind: 'market', name: '命令行菜市场' })])));
      writeFileSync(bad, JSON.stringify(fc([point(116.37, 39.9, { kind: 'market', name: '好' }), point(200, 39.9, { kind: 'market', name: '坏' })])));
      const env = { ...process.env, DATABASE_URL: city.url };
      const ok = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/import.ts', good, '--kind', 'facilities', '--allow-outside'], { env, encoding: 'utf8' });
      expect(ok.status, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout).inserted.facility).toBe(1);
      const no = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/import.ts', bad], { env, encoding: 'utf8' });
      expect(no.status).toBe(1);
      expect(no.stderr).toMatch(/feature 1: Point coordinates are not a \[lng, lat\] pair within range/);
      expect(no.stderr).toMatch(/nothing was written/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
