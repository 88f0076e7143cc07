import { area } from '@turf/turf';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testDatabaseUrl } from '../helpers/db.ts';

describe('GET /api/admin-units', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('returns the Xicheng district outline as GeoJSON with the area PostGIS measures', async () => {
    const res = await fetch(`${server.url}/api/admin-units?level=district`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/geo+json');
    const fc = await res.json();
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(1);
    const [district] = fc.features;
    expect(district.properties.code).toBe('110102');
    expect(district.properties.name_zh).toBe('西城区');

    // Turf measures the GeoJSON on a sphere; PostGIS the stored geometry on the spheroid.
    const c = new pg.Client({ connectionString: testDatabaseUrl() });
    await c.connect();
    const { rows } = await c.query("SELECT ST_Area(geom::geography) AS m2 FROM admin_unit WHERE level = 'district'");
    await c.end();
    const turfKm2 = area(district) / 1e6;
    expect(Math.abs(turfKm2 - rows[0].m2 / 1e6) / turfKm2).toBeLessThan(0.005);
    // Xicheng is about 50.7 km².
    expect(turfKm2).toBeGreaterThan(45);
    expect(turfKm2).toBeLessThan(56);
  });

  it('refuses an unknown level with a 400 naming the field', async () => {
    const res = await fetch(`${server.url}/api/admin-units?level=province`);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.field).toBe('querystring.level');
    expect(body.message).toContain('querystring.level');
  });

  it('refuses an unknown parameter by name', async () => {
    const res = await fetch(`${server.url}/api/admin-units?level=district&colour=red`);
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe('querystring.colour is not a known field');
  });
});
