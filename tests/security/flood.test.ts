/**
 * One client floods the heavy endpoints: 10 maximum case batches (500 cases each) and 20 socket
 * catch-ups asking for the maximum replay, all at once. Health and a case read must keep being
 * answered while it runs; heavy requests beyond the bounded queue are refused with 503 +
 * Retry-After, never 500; the heavy semaphore never runs more than its limit.
 */
import type pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../server/src/cases/schemas.ts';
import { activePublishers } from '../../server/src/realtime/plugin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testPool } from '../helpers/db.ts';
import { until } from '../realtime/helpers.ts';
import { makeSender } from './sender.ts';
import { loginCookie } from '../helpers/auth.ts';

const MAX_REPLAY = 20_000;

describe('floods', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let caseId: number;
  let batchItem: (i: number, b: number) => Record<string, unknown>;
  const sockets: Socket[] = [];
  let cookie = '';

  beforeAll(async () => {
    server = await startTestServer({ intakeRatePerMinute: 1_000_000, heavy: { concurrency: 3, queue: 6 }, replayConnections: 2 });
    pool = testPool();
    // One intake client floods (a dispatcher's session); the wall's display session replays.
    cookie = await loginCookie(server.url, pool, 'dispatcher');
    await until(() => [...activePublishers].some((p) => p.connected), 'the event listener');
    const { rows } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = 'grid' ORDER BY id LIMIT 1) x`,
    );
    const cat = (await (await fetch(`${server.url}/api/case-categories`)).json())[0].code;
    const run = Date.now().toString(36);
    // Reported in 2001, so that figures of recent windows other tests read are not moved.
    batchItem = (i, b) => ({ source: 'sensor', external_id: `flood-${run}-${b}-${i}`, category: cat, description: 'flood', lng: rows[0].lng, lat: rows[0].lat, reported_at: '2001-01-01T00:00:00Z' });
    const created = await fetch(`${server.url}/api/cases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ ...batchItem(0, -1), external_id: `flood-${run}-read` }),
    });
    caseId = (await created.json()).case.id;
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await pool?.end();
    await server?.close();
  });

  it('answers health and a case read while 10 maximum batches and 20 maximum replays run, and refuses the excess with 503 + Retry-After', async () => {
    const send = makeSender(server.url, () => ({ cookie }));
    const latest = Number((await pool.query('SELECT COALESCE(max(seq), 0) AS s FROM event')).rows[0].s);
    const since = Math.max(0, latest - MAX_REPLAY + 1);

    let flooding = true;
    let maxHeavy = 0;
    const watch = setInterval(() => (maxHeavy = Math.max(maxHeavy, server.app.heavy.active)), 5);

    const batches = Array.from({ length: 10 }, (_, b) =>
      send({
        method: 'POST',
        path: '/api/cases/batch',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ cases: Array.from({ length: LIMITS.batch }, (_x, i) => batchItem(i, b)) }),
      }).then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() })),
    );
    const replays = Array.from({ length: 20 }, () => {
      const socket = io(server.url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
      sockets.push(socket);
      return new Promise<{ replayed: number; error?: string }>((resolve, reject) => {
        socket.once('connect_error', reject);
        socket.once('connect', () => socket.emit('catch_up', { since, rooms: ['wall'] }, resolve));
      });
    });
    const flood = Promise.allSettled([...batches, ...replays]).finally(() => {
      flooding = false;
    });

    // Light requests keep being answered while the flood runs.
    const during: { path: string; status: number }[] = [];
    while (flooding) {
      for (const path of ['/api/health', `/api/cases/${caseId}`]) {
        const res = await send({ method: 'GET', path, headers: {} });
        await res.arrayBuffer();
        if (flooding) during.push({ path, status: res.status });
      }
    }
    clearInterval(watch);
    const settled = await flood;

    expect(during.filter((d) => d.path === '/api/health').length).toBeGreaterThanOrEqual(2);
    expect(during.filter((d) => d.path.startsWith('/api/cases/')).length).toBeGreaterThanOrEqual(2);
    expect(during.filter((d) => d.status !== 200)).toEqual([]);

    const batchResults = (settled.slice(0, 10) as PromiseFulfilledResult<{ status: number; retryAfter: string | null; body: string }>[]).map((s) => s.value);
    expect(batchResults.every((r) => r.status === 200 || r.status === 503), batchResults.map((r) => `${r.status} ${r.body.slice(0, 100)}`).join('\n')).toBe(true);
    expect(batchResults.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const r of batchResults.filter((x) => x.status === 503)) expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(maxHeavy).toBeLessThanOrEqual(3);

    const replayResults = settled.slice(10) as PromiseSettledResult<{ replayed: number; error?: string }>[];
    expect(replayResults.every((r) => r.status === 'fulfilled' && !r.value.error)).toBe(true);
    expect((replayResults[0] as PromiseFulfilledResult<{ replayed: number }>).value.replayed).toBeGreaterThan(0);

    // And afterwards the server is up.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  }, 600_000);
});
