import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../server/src/coverage/standards.ts';
import { testPool } from '../helpers/db.ts';
import pgLib from 'pg';
import { scratchCity } from '../import/helpers.ts';
import { seedDemoCity } from '../../server/src/city/seed.ts';
import { TEST_SEED } from '../helpers/constants.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { featureIds, gdalHeaders, ogrinfo, parseSummaries } from './gdal.ts';
import { testApiKey } from '../helpers/auth.ts';

/**
 * Each collection's rows, written here independently of the server's catalog: the table, the
 * filter and the geometry type GDAL should report.
 */
function expectedSource(id: string): { table: string; where: string; geometry: string } | null {
  const level = /^admin-units-(.+)$/.exec(id)?.[1];
  if (level) return { table: 'admin_unit', where: `level = '${level}'`, geometry: 'Multi Polygon' };
  const kind = /^facilities-(.+)$/.exec(id)?.[1];
  if (kind) return { table: 'facility', where: `kind = '${kind.replaceAll('-', '_')}'`, geometry: 'Point' };
  if (id === 'pocket-parks') return { table: 'pocket_park', where: 'true', geometry: 'Polygon' };
  if (id === 'renovation-projects') return { table: 'renovation_project', where: 'true', geometry: 'Point' };
  if (id === 'cases') return { table: 'cases', where: 'true', geometry: 'Point' };
  return null;
}

describe('OGC API – Features, as GDAL reads it', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let ogc: string;
  let key = '';
  const run = `ogc-${Date.now().toString(36)}`;

  let city: Awaited<ReturnType<typeof scratchCity>>;

  beforeAll(async () => {
    // A city of its own: feature counts are compared with SQL, and other test files add cases to
    // the shared database meanwhile.
    city = await scratchCity('ogc');
    await seedDemoCity(city.client, { seed: TEST_SEED });
    server = await startTestServer({ databaseUrl: city.url });
    pool = new pgLib.Pool({ connectionString: city.url, max: 4 });
    ogc = `OAPIF:${server.url}/ogc`;
    // GDAL reads as an integration client allowed to read cases, like a GIS desk with its key.
    key = await testApiKey(pool, { permissions: ['cases.read', 'cases.create', 'coverage.read'] });
    gdalHeaders({ 'X-Api-Key': key });
    // A few cases carrying personal data that must never come out: a reporter's contact and words.
    const { rows } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = 'grid' ORDER BY id LIMIT 3) x`,
    );
    for (const [i, r] of rows.entries()) {
      const res = await fetch(`${server.url}/api/cases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({
          source: 'hotline_12345',
          external_id: `${run}-${i}`,
          category: 'street_vending',
          description: `SECRET-DESCRIPTION-${i}`,
          address: `SECRET-ADDRESS-${i}`,
          lng: r.lng,
          lat: r.lat,
          reported_at: `2026-03-0${i + 1}T08:00:00Z`,
        }),
      });
      expect(res.status).toBe(201);
    }
    await pool.query(`UPDATE cases SET contact = '{"email": "reporter@example.org", "phone": "13800000000"}' WHERE external_id LIKE $1`, [`${run}-%`]);
  }, 240_000);

  afterAll(async () => {
    await pool?.end();
    await server?.close();
    await city?.drop();
  });

  it('lists every collection, each with the geometry type and feature count of its rows', async () => {
    const listed = (await (await fetch(`${server.url}/ogc/collections`, { headers: { 'x-api-key': key } })).json()) as { collections: { id: string }[] };
    const layers = parseSummaries(await ogrinfo(['-ro', '-so', '-al', ogc]));
    expect(layers.map((l) => l.name)).toEqual(listed.collections.map((c) => c.id));

    const facilityKinds = (await pool.query<{ kind: string }>('SELECT DISTINCT kind FROM facility ORDER BY kind')).rows.map((r) => r.kind);
    const ids = new Set(layers.map((l) => l.name));
    // Every level, every kind that has facilities (and its gaps), the parks, projects and cases.
    for (const level of ['district', 'subdistrict', 'community', 'grid']) expect(ids).toContain(`admin-units-${level}`);
    for (const kind of facilityKinds) {
      expect(ids).toContain(`facilities-${kind.replaceAll('_', '-')}`);
      expect(ids).toContain(`coverage-gaps-${kind.replaceAll('_', '-')}`);
    }
    for (const id of ['pocket-parks', 'renovation-projects', 'cases']) expect(ids).toContain(id);
    expect(layers).toHaveLength(4 + 2 * facilityKinds.length + 3);

    for (const layer of layers) {
      const src = expectedSource(layer.name);
      if (src) {
        const n = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${src.table} WHERE ${src.where}`)).rows[0]!.n;
        expect({ layer: layer.name, geometry: layer.geometry, count: layer.count }).toEqual({ layer: layer.name, geometry: src.geometry, count: n });
      } else {
        expect({ layer: layer.name, geometry: layer.geometry }).toEqual({ layer: layer.name, geometry: 'Point' });
        expect(layer.count).toBeGreaterThanOrEqual(0);
      }
    }
    // Coverage gaps: the buildings the coverage API reports unreached at the kind's standard
    // distance (three kinds of the three circles; each kind costs a walk over the whole network).
    for (const kind of KINDS.filter((k) => ['middle_school', 'elderly_day_care', 'public_toilet'].includes(k.kind))) {
      const layer = layers.find((l) => l.name === `coverage-gaps-${kind.kind.replaceAll('_', '-')}`);
      expect(layer, kind.kind).toBeDefined();
      const gaps = (await (await fetch(`${server.url}/api/coverage/gaps?kind=${kind.kind}&metres=${kind.walk_distance_m}`, { headers: { 'x-api-key': key } })).json()) as { features: unknown[] };
      expect({ layer: layer!.name, count: layer!.count }).toEqual({ layer: layer!.name, count: gaps.features.length });
    }
  }, 300_000);

  it('never offers personal data in the cases collection', async () => {
    const [cases] = parseSummaries(await ogrinfo(['-ro', '-so', ogc, 'cases']));
    expect(cases!.fields).toEqual(expect.arrayContaining(['category', 'status', 'priority', 'reported_at']));
    for (const f of ['contact', 'description', 'address', 'media_url', 'external_id']) expect(cases!.fields).not.toContain(f);
    const all = await ogrinfo(['-ro', '-al', '-q', '-oo', 'PAGE_SIZE=1000', ogc, 'cases']);
    expect(all).toContain('street_vending');
    expect(all).not.toMatch(/SECRET|reporter@example\.org|13800000000/);
  }, 120_000);

  it('pages through a collection by its next links and reads every feature once, under its integer id', async () => {
    const expected = (await pool.query<{ id: number }>('SELECT id FROM pocket_park ORDER BY id')).rows.map((r) => r.id);
    expect(expected.length).toBeGreaterThan(14);
    const out = await ogrinfo(['-ro', '-al', '-q', '-oo', 'PAGE_SIZE=7', ogc, 'pocket-parks']);
    expect(featureIds(out)).toEqual(expected);
  }, 120_000);

  it('reads one feature by its id, with its attributes', async () => {
    const { rows } = await pool.query('SELECT id, name, status, elevators_planned FROM renovation_project ORDER BY id DESC LIMIT 1');
    const p = rows[0]!;
    const out = await ogrinfo(['-ro', '-q', '-fid', String(p.id), ogc, 'renovation-projects']);
    expect(featureIds(out)).toEqual([p.id]);
    expect(out).toContain(`name (String) = ${p.name}`);
    expect(out).toContain(`status (String) = ${p.status}`);
    expect(out).toContain(`elevators_planned (Integer) = ${p.elevators_planned}`);
  }, 60_000);

  it('filters by a spatial window: the features GDAL gets are those PostGIS finds in the box', async () => {
    const { rows } = await pool.query(
      `SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n FROM (
         SELECT ST_Extent(geom)::geometry AS b FROM admin_unit WHERE level = 'subdistrict' AND id = (SELECT min(id) FROM admin_unit WHERE level = 'subdistrict')) x`,
    );
    const b = rows[0]!;
    const expected = (
      await pool.query<{ id: number }>(
        `SELECT id FROM facility WHERE kind = 'public_toilet' AND ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)) ORDER BY id`,
        [b.w, b.s, b.e, b.n],
      )
    ).rows.map((r) => r.id);
    expect(expected.length).toBeGreaterThan(0);
    const out = await ogrinfo(['-ro', '-al', '-q', '-spat', String(b.w), String(b.s), String(b.e), String(b.n), ogc, 'facilities-public-toilet']);
    expect(featureIds(out)).toEqual(expected);
  }, 60_000);
});

describe('OGC API – Features over HTTP', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let key = '';
  const get = (path: string) => fetch(`${server.url}${path}`, { headers: { 'x-api-key': key } });

  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    key = await testApiKey(pool, { permissions: ['cases.read'] });
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  it('links the landing page to the API definition, conformance and collections', async () => {
    const res = await get('/ogc');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { links: { rel: string; href: string }[] };
    const rels = Object.fromEntries(body.links.map((l) => [l.rel, l.href]));
    expect(rels).toMatchObject({ self: `${server.url}/ogc`, 'service-desc': `${server.url}/docs/json`, conformance: `${server.url}/ogc/conformance`, data: `${server.url}/ogc/collections` });
    const conf = (await (await get('/ogc/conformance')).json()) as { conformsTo: string[] };
    expect(conf.conformsTo).toEqual(
      expect.arrayContaining(['http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core', 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson']),
    );
  });

  it('serves items and single features as application/geo+json with integer ids', async () => {
    const res = await get('/ogc/collections/admin-units-subdistrict/items?limit=2');
    expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    const page = (await res.json()) as { type: string; features: { id: unknown }[]; numberReturned: number };
    expect(page.type).toBe('FeatureCollection');
    expect(page.numberReturned).toBe(2);
    for (const f of page.features) expect(Number.isInteger(f.id)).toBe(true);
    const one = await get(`/ogc/collections/admin-units-subdistrict/items/${page.features[0]!.id}`);
    expect(one.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(((await one.json()) as { id: unknown }).id).toBe(page.features[0]!.id);
  });

  it('walks next links to every feature once and prev links back', async () => {
    const expected = (await pool.query<{ id: number }>("SELECT id FROM admin_unit WHERE level = 'community' ORDER BY id")).rows.map((r) => r.id);
    type Page = { features: { id: number }[]; links: { rel: string; href: string }[]; numberMatched: number };
    let url: string | undefined = `${server.url}/ogc/collections/admin-units-community/items?limit=50`;
    const seen: number[] = [];
    const pages: Page[] = [];
    while (url) {
      const page = (await (await fetch(url, { headers: { 'x-api-key': key } })).json()) as Page;
      expect(page.numberMatched).toBe(expected.length);
      pages.push(page);
      seen.push(...page.features.map((f) => f.id));
      url = page.links.find((l) => l.rel === 'next')?.href;
    }
    expect(seen).toEqual(expected);
    expect(pages[0]!.links.find((l) => l.rel === 'prev')).toBeUndefined();
    const prev = pages[2]!.links.find((l) => l.rel === 'prev')!.href;
    const back = (await (await fetch(prev, { headers: { 'x-api-key': key } })).json()) as Page;
    expect(back.features.map((f) => f.id)).toEqual(pages[1]!.features.map((f) => f.id));
  });

  it('filters renovation projects by a datetime interval overlapping their periods', async () => {
    const expected = (
      await pool.query<{ id: number }>(
        `SELECT id FROM renovation_project WHERE starts_on IS NOT NULL AND starts_on <= '2024-12-31' AND coalesce(ends_on, 'infinity') >= '2024-01-01' ORDER BY id`,
      )
    ).rows.map((r) => r.id);
    const res = await get('/ogc/collections/renovation-projects/items?datetime=2024-01-01T00:00:00Z/2024-12-31T00:00:00Z&limit=10000');
    const page = (await res.json()) as { features: { id: number }[] };
    expect(page.features.map((f) => f.id)).toEqual(expected);
    const open = (await (await get('/ogc/collections/renovation-projects/items?datetime=../2024-12-31T00:00:00Z&limit=10000')).json()) as { numberMatched: number };
    const n = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM renovation_project WHERE starts_on <= '2024-12-31'`)).rows[0]!.n;
    expect(open.numberMatched).toBe(n);
  });

  it('answers 404 for an unknown collection or feature and 400 for a malformed bbox, datetime or parameter', async () => {
    expect((await get('/ogc/collections/nowhere')).status).toBe(404);
    expect((await get('/ogc/collections/pocket-parks/items/999999999')).status).toBe(404);
    const bad = await get('/ogc/collections/pocket-parks/items?bbox=1,2,3');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { field: string }).field).toBe('querystring.bbox');
    expect((await get('/ogc/collections/pocket-parks/items?datetime=yesterday')).status).toBe(400);
    expect((await get('/ogc/collections/pocket-parks/items?limit=0')).status).toBe(400);
    expect((await get('/ogc/collections/pocket-parks/items?colour=red')).status).toBe(400);
  });
});
