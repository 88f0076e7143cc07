import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testDatabaseUrl } from '../helpers/db.ts';

describe('GET /api/health', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('reports the database with the PostGIS and pgRouting versions it really has', async () => {
    const res = await fetch(`${server.url}/api/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    const direct = new pg.Client({ connectionString: testDatabaseUrl() });
    await direct.connect();
    const { rows } = await direct.query('SELECT postgis_lib_version() AS postgis, pgr_version() AS pgrouting, current_database() AS name');
    await direct.end();
    expect(body.status).toBe('ok');
    expect(body.database.connected).toBe(true);
    expect(body.database.name).toBe(rows[0].name);
    expect(body.database.postgis).toBe(rows[0].postgis);
    expect(body.database.pgrouting).toBe(rows[0].pgrouting);
    expect(body.database.postgis).toMatch(/^3\./);
  });

  it('says the database is unreachable instead of failing, without naming its host or port', async () => {
    const u = new URL(testDatabaseUrl());
    u.port = '1';
    const broken = await startTestServer({ databaseUrl: u.toString() });
    try {
      const res = await fetch(`${broken.url}/api/health`);
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.status).toBe('degraded');
      expect(body.database.connected).toBe(false);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(body.database.error).toBe('the database is unreachable');
      expect(JSON.stringify(body)).not.toContain(u.hostname);
      expect(JSON.stringify(body)).not.toMatch(/:1\b|port/i);
    } finally {
      await broken.close();
    }
  });

  it('answers an unknown API path with a 404 that names it', async () => {
    const res = await fetch(`${server.url}/api/nothing-here?x=1`);
    expect(res.status).toBe(404);
    expect((await res.json()).message).toBe('no route for GET /api/nothing-here');
  });
});
