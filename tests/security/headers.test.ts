import Fastify from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../server/src/config.ts';
import { security } from '../../server/src/lib/security.ts';
import { loginCookie, testApiKey } from '../helpers/auth.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testPool } from '../helpers/db.ts';

// Other test files write cases at the same time: count only this test's own.
const caseCount = async (pool: pg.Pool) => (await pool.query("SELECT count(*)::int AS n FROM cases WHERE description = 'csrf check'")).rows[0].n as number;

describe('headers, origins and limits', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let inside: [number, number];
  let serviceCode: string;
  let cookie = '';
  beforeAll(async () => {
    server = await startTestServer({ publicUrl: 'https://ops.example.org', corsOrigins: ['https://partner.example.org'], frameAncestors: ["'self'", 'https://portal.example.org'] });
    pool = testPool();
    const { rows } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = 'grid' ORDER BY id LIMIT 1) x`,
    );
    inside = [rows[0].lng, rows[0].lat];
    cookie = await loginCookie(server.url, pool, 'viewer');
    serviceCode = (await (await fetch(`${server.url}/open311/v2/services.json`)).json())[0].service_code;
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  it('listens on the loopback interface unless HOST says otherwise, and builds absolute URLs from a configured public URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/x', PORT: '9123' });
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://localhost:9123');
    expect(config.corsOrigins).toEqual([]);
    expect(config.frameAncestors).toEqual(["'self'"]);
    expect(loadConfig({ DATABASE_URL: 'x', HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(() => loadConfig({ DATABASE_URL: 'x', CITYOPS_PUBLIC_URL: 'ops.example.org' })).toThrow(/CITYOPS_PUBLIC_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'x', CITYOPS_CORS_ORIGINS: 'https://a.example.org/path' })).toThrow(/CITYOPS_CORS_ORIGINS/);
  });

  it('sends a CSP of its own origin, nosniff, a referrer policy and the configured frame-ancestors', async () => {
    const res = await fetch(`${server.url}/api/health`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("worker-src 'self' blob:");
    expect(csp).toContain("frame-ancestors 'self' https://portal.example.org");
    expect(csp).not.toMatch(/\*|unsafe-eval/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });

  it('builds TileJSON and Open311 discovery URLs from the public URL, whatever Host the request names', async () => {
    const tj = await (await fetch(`${server.url}/tiles/streets.json`, { headers: { host: 'evil.example' } })).json();
    expect(tj.tiles[0]).toBe('https://ops.example.org/tiles/streets/{z}/{x}/{y}.mvt');
    const d = await (await fetch(`${server.url}/open311/v2/discovery.json`, { headers: { host: 'evil.example' } })).json();
    expect(d.endpoints[0].url).toBe('https://ops.example.org/open311/v2');
  });

  it('allows cross-origin reads only from the allow-list', async () => {
    const ok = await fetch(`${server.url}/api/cases?limit=1`, { headers: { origin: 'https://partner.example.org', cookie } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://partner.example.org');
    const evil = await fetch(`${server.url}/api/cases?limit=1`, { headers: { origin: 'https://evil.example', cookie } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/api/cases`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers at all when no origin is configured', async () => {
    const plain = await startTestServer();
    try {
      const res = await fetch(`${plain.url}/api/cases?limit=1`, { headers: { origin: 'https://partner.example.org', cookie } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.close();
    }
  });

  it('refuses a cross-site Open311 form post where anonymous reports are on, and takes one from an allowed origin or with an api_key', async () => {
    // Only a jurisdiction that takes anonymous citizen reports accepts a form post without a key:
    // that is where a page elsewhere could post in a visitor's name.
    const open = await startTestServer({ publicUrl: 'https://ops.example.org', corsOrigins: ['https://partner.example.org'], open311Anonymous: true });
    const key = await testApiKey(pool, { sources: ['open311'] });
    const form = (extra: Record<string, string> = {}) =>
      new URLSearchParams({ service_code: serviceCode, lat: String(inside[1]), long: String(inside[0]), description: 'csrf check', ...extra }).toString();
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${open.url}/open311/v2/requests.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    try {
    const before = await caseCount(pool);
    const evil = await post(form(), { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect((await evil.json())[0].description).toMatch(/evil\.example/);
    const noOrigin = await post(form(), {});
    expect(noOrigin.status).toBe(403);
    const evilReferer = await post(form(), { referer: 'https://evil.example/page' });
    expect(evilReferer.status).toBe(403);
    expect(await caseCount(pool)).toBe(before);

    expect((await post(form(), { origin: 'https://partner.example.org' })).status).toBe(200);
    expect((await post(form({ api_key: key }), { origin: 'https://evil.example' })).status).toBe(200);
    // A made-up key is no key: the cross-site post is still refused.
    expect((await post(form({ api_key: 'key_made-up-0000000000000000' }), { origin: 'https://evil.example' })).status).toBe(403);
    expect(await caseCount(pool)).toBe(before + 2);
    } finally {
      await open.close();
    }
    // Without anonymous reports, a form post without a key is refused before anything else.
    const keyless = await fetch(`${server.url}/open311/v2/requests.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://partner.example.org' }, body: form() });
    expect(keyless.status).toBe(401);
  });

  it('limits intake per client with 429 and Retry-After', async () => {
    const limited = await startTestServer({ intakeRatePerMinute: 3 });
    const dispatcher = await loginCookie(limited.url, pool, 'dispatcher');
    try {
      const post = () => fetch(`${limited.url}/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: dispatcher }, body: '{}' });
      for (let i = 0; i < 3; i++) expect((await post()).status).toBe(400);
      const res = await post();
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      // Reads are not intake.
      expect((await fetch(`${limited.url}/api/cases?limit=1`, { headers: { cookie: dispatcher } })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
