import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { ROOT } from '../helpers/process.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { scratchCity } from '../import/helpers.ts';

describe('GET /api/district on the demo city', () => {
  let server: TestServer;
  const pool = testPool();
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server?.close(); await pool.end(); });

  it('names the demo district, unconfigured, with the box around its outline, streets and buildings', async () => {
    const res = await fetch(`${server.url}/api/district`);
    expect(res.status).toBe(200);
    const body = await res.json();
    // Computed apart from the service: each table's own extent, then the box around them.
    const { rows } = await pool.query(
      `SELECT min(x0) AS w, min(y0) AS s, max(x1) AS e, max(y1) AS n FROM (
         SELECT ST_XMin(g) x0, ST_YMin(g) y0, ST_XMax(g) x1, ST_YMax(g) y1 FROM (
           SELECT ST_Extent(geom)::geometry g FROM admin_unit WHERE level = 'district'
           UNION ALL SELECT ST_Extent(geom)::geometry FROM walk_edge
           UNION ALL SELECT ST_Extent(geom)::geometry FROM building) a) b`,
    );
    const { rows: [unit] } = await pool.query(`SELECT code, name_zh, name_en FROM admin_unit WHERE level = 'district'`);
    expect(body).toEqual({ ...unit, timezone: 'Asia/Shanghai', configured: false, bbox: [rows[0].w, rows[0].s, rows[0].e, rows[0].n] });
    expect(body.name_en).toBe('Xicheng District');
  });

  it('refuses parameters', async () => {
    expect((await fetch(`${server.url}/api/district?x=1`)).status).toBe(400);
  });
});

describe('npm run district -- init', () => {
  let city: Awaited<ReturnType<typeof scratchCity>>;
  let dir: string;
  const square = { type: 'Polygon', coordinates: [[[-1.56, 53.79], [-1.53, 53.79], [-1.53, 53.81], [-1.56, 53.81], [-1.56, 53.79]]] };
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/district.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: city.url }, encoding: 'utf8' });

  beforeAll(async () => {
    city = await scratchCity('district');
    dir = mkdtempSync(path.join(tmpdir(), 'cityops-district-'));
    writeFileSync(path.join(dir, 'leeds.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: square }] }));
    // Another district stands for the demo city.
    await city.client.query(
      `INSERT INTO admin_unit (level, code, name_zh, name_en, synthetic, geom) VALUES ('district', '110102', '西城区', 'Xicheng District', false, ST_Multi(ST_MakeEnvelope(116.3, 39.8, 116.4, 39.9, 4326)))`,
    );
    await city.client.query(`INSERT INTO facility (kind, name, synthetic, geom) VALUES ('bank', '生成的银行', true, ST_SetSRID(ST_MakePoint(116.35, 39.85), 4326))`);
  }, 60_000);
  afterAll(async () => {
    await city?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('checks its arguments: the time zone, and an outline that is one polygon', () => {
    const badTz = cli('init', '--name-zh', '利兹', '--name-en', 'Leeds', '--tz', 'Mars/Olympus', '--outline', path.join(dir, 'leeds.geojson'));
    expect(badTz.status).toBe(1);
    expect(badTz.stderr).toMatch(/--tz must be an IANA time zone .* got "Mars\/Olympus"/);
    writeFileSync(path.join(dir, 'point.geojson'), JSON.stringify({ type: 'Point', coordinates: [-1.5, 53.8] }));
    const point = cli('init', '--name-zh', '利兹', '--name-en', 'Leeds', '--tz', 'Europe/London', '--outline', path.join(dir, 'point.geojson'));
    expect(point.stderr).toMatch(/point\.geojson: the outline must be a Polygon or MultiPolygon, got Point/);
  }, 120_000);

  it('refuses to set up over another district unless asked to replace the demo, then holds only the new one', async () => {
    const args = ['init', '--name-zh', '利兹', '--name-en', 'Leeds', '--tz', 'Europe/London', '--outline', path.join(dir, 'leeds.geojson'), '--code', 'E08000035'];
    const no = cli(...args);
    expect(no.status).toBe(1);
    expect(no.stderr).toMatch(/holds another district \(Xicheng District, code 110102\); add --replace-demo/);
    expect(Number((await city.client.query(`SELECT count(*) AS n FROM facility`)).rows[0].n)).toBe(1);

    const yes = cli(...args, '--replace-demo');
    expect(yes.status, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout)).toEqual({ code: 'E08000035', name_zh: '利兹', name_en: 'Leeds', timezone: 'Europe/London', configured: true, bbox: [-1.56, 53.79, -1.53, 53.81] });
    const { rows } = await city.client.query(`SELECT (SELECT count(*)::int FROM facility) AS f, (SELECT array_agg(code) FROM admin_unit) AS units`);
    expect(rows[0]).toEqual({ f: 0, units: ['E08000035'] });
  }, 120_000);
});
