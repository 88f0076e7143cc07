import type pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, loginCookie, type AuthedFetch } from '../helpers/auth.ts';
import { onLogRows } from '../realtime/helpers.ts';

/** Samples of the exposition text: `name{labels} value` → value, keyed by `name{labels}`. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
const sample = (m: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const [key, value] of m) {
    if (!key.startsWith(name) || (key.length > name.length && key[name.length] !== '{')) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) return value;
  }
  return undefined;
};

describe('Prometheus metrics', () => {
  let server: TestServer;
  let as: AuthedFetch;
  let viewerCookie = '';
  let pool: pg.Pool;
  let socket: Socket;
  const scrape = async () => {
    const res = await as(`/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return parse(await res.text());
  };

  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    as = await fetchAs(server.url, pool, 'admin');
    viewerCookie = await loginCookie(server.url, pool, 'viewer');
    socket = io(server.url, { transports: ['websocket'], forceNew: true, extraHeaders: { cookie: as.cookie } });
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    await socket.emitWithAck('subscribe', ['wall', 'subdistrict:2']);
  });
  afterAll(async () => {
    socket?.close();
    await pool?.end();
    await server?.close();
  });

  it('counts requests by route pattern, not by raw URL', async () => {
    await as(`/tiles/admin/12/3371/1551.mvt`);
    await as(`/tiles/admin/12/3372/1551.mvt`);
    const m = await scrape();
    expect(sample(m, 'cityops_http_request_duration_seconds_count', { route: '/tiles/:layer/:z/:x/:y.mvt', method: 'GET' })).toBe(2);
    expect([...m.keys()].some((k) => k.includes('3371'))).toBe(false);
  });

  it('gives the socket clients by room and the pool connections by state', async () => {
    const m = await scrape();
    expect(sample(m, 'cityops_socket_clients', { room: 'wall' })).toBe(1);
    expect(sample(m, 'cityops_socket_clients', { room: 'subdistrict:2' })).toBe(1);
    expect(sample(m, 'cityops_socket_connections')).toBe(1);
    for (const state of ['in_use', 'idle', 'waiting']) expect(sample(m, 'cityops_db_pool_connections', { state })).toBeGreaterThanOrEqual(0);
    // Since the previous scrape (which may be a moment ago, with no sample yet): p50 ≤ p99 ≤ max.
    const [p50, p99, max] = ['0.5', '0.99', 'max'].map((quantile) => sample(m, 'cityops_event_loop_delay_seconds', { quantile }));
    expect(p50).toBeGreaterThanOrEqual(0);
    expect(p99).toBeGreaterThanOrEqual(p50!);
    expect(max).toBeGreaterThanOrEqual(p99!);
  });

  it('counts intake by source and outcome, and the event lag returns to zero once the case is pushed', async () => {
    const { rows } = await pool.query(`SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = 'grid' ORDER BY id LIMIT 1) x`);
    const before = await scrape();
    const created = (k: Map<string, number>, outcome: string) => sample(k, 'cityops_intake_cases_total', { source: 'grid_patrol', outcome }) ?? 0;
    const pushed = new Promise<void>((resolve) => onLogRows(socket, (type) => type === 'case.created' && resolve()));
    const body = JSON.stringify({ source: 'grid_patrol', external_id: `metrics-${Date.now()}`, category: 'street_vending', description: 'm', lng: rows[0].lng, lat: rows[0].lat });
    const post = () => as(`/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post()).status).toBe(201);
    expect((await post()).status).toBe(200);
    await pushed;
    const after = await scrape();
    expect(created(after, 'created') - created(before, 'created')).toBe(1);
    expect(created(after, 'duplicate') - created(before, 'duplicate')).toBe(1);
    // The case's event has reached the socket, so everything written has been published.
    const newest = Number((await pool.query('SELECT max(seq)::text AS s FROM event')).rows[0].s);
    expect(newest).toBeGreaterThan(0);
    expect(sample(after, 'cityops_event_lag')).toBe(0);
  });

  it('times the coverage model load', async () => {
    expect((await as(`/api/coverage?kind=bank`)).status).toBe(200);
    const m = await scrape();
    expect(sample(m, 'cityops_coverage_model_load_seconds_count', { part: 'network' })).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'cityops_coverage_model_load_seconds_sum', { part: 'network' })).toBeGreaterThan(0);
  }, 120_000);

  it('refuses callers from other addresses unless they hold metrics.read', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
    expect(res.statusCode).toBe(401);
    const viewer = await server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3', headers: { cookie: viewerCookie } });
    expect(viewer.statusCode).toBe(403);
    const admin = await server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3', headers: { cookie: as.cookie } });
    expect(admin.statusCode).toBe(200);
    const local = await server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(200);
  });
});
