/**
 * A database outage, made real for one server: it reaches PostgreSQL through a TCP relay that
 * the test cuts (every connection reset, new ones refused) and restores. During the outage no
 * route answers 500: those that need the database answer 503 with Retry-After, health says
 * degraded without naming the host, and heartbeats stop so walls show their stale banner.
 */
import net from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activePublishers } from '../../server/src/realtime/plugin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testDatabaseUrl, testPool } from '../helpers/db.ts';
import { loginCookie } from '../helpers/auth.ts';
import { until } from '../realtime/helpers.ts';

/** A TCP relay to the database that can be cut and restored. */
async function relay(target: URL) {
  const open = new Set<net.Socket>();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      up = false;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore: () => {
      up = true;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('a database outage', () => {
  let server: TestServer;
  let link: Awaited<ReturnType<typeof relay>>;
  let socket: Socket;
  let beats = 0;
  let caseId: number;
  let cookie = '';

  beforeAll(async () => {
    const direct = new URL(testDatabaseUrl());
    link = await relay(direct);
    const viaRelay = new URL(direct);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(link.port);
    server = await startTestServer({ databaseUrl: viaRelay.toString() });
    const pool = testPool();
    cookie = await loginCookie(server.url, pool, 'dispatcher').finally(() => pool.end());
    const list = await (await fetch(`${server.url}/api/cases?limit=1`, { headers: { cookie } })).json();
    caseId = list.items[0]?.id ?? 1;
    socket = io(server.url, { transports: ['websocket'], extraHeaders: { cookie } });
    socket.on('server.heartbeat', () => beats++);
  });
  afterAll(async () => {
    socket?.disconnect();
    await server?.close();
    await link?.close();
  });

  it('answers 503 with Retry-After instead of 500, stops the heartbeats, and recovers when the database is back', async () => {
    await until(() => beats > 0, 'a first heartbeat', 15_000);

    link.cut();
    // The server notices through its LISTEN connection.
    await until(async () => (await fetch(`${server.url}/api/health`)).status === 503, 'health to report the outage');

    const health = await fetch(`${server.url}/api/health`);
    expect(health.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = await health.text();
    expect(body).toContain('degraded');
    expect(body).not.toContain(String(link.port));
    expect(body).not.toContain('127.0.0.1');

    // Every route: none answers 500; those that answer 503 say when to retry.
    const requests: { method: string; path: string; body?: unknown; form?: string }[] = [
      { method: 'GET', path: '/api/cases?limit=5' },
      { method: 'GET', path: `/api/cases/${caseId}` },
      { method: 'POST', path: '/api/cases', body: { source: 'sensor', category: 'street_vending', description: 'outage', lng: 116.4, lat: 39.9 } },
      { method: 'POST', path: `/api/cases/${caseId}/transitions`, body: { action: 'register' } },
      { method: 'POST', path: `/api/cases/${caseId}/comments`, body: { body: 'y' } },
      { method: 'GET', path: '/api/kpis' },
      { method: 'GET', path: '/api/kpis/series' },
      { method: 'GET', path: '/api/admin-units?level=subdistrict' },
      { method: 'GET', path: '/api/facilities' },
      { method: 'GET', path: '/api/pocket-parks' },
      { method: 'GET', path: '/api/renovation-projects' },
      { method: 'GET', path: '/api/city/summary' },
      { method: 'GET', path: '/api/wall/summary' },
      { method: 'GET', path: '/api/wall/heatmap' },
      { method: 'GET', path: '/api/whistles/active' },
      { method: 'GET', path: '/tiles/streets/14/13492/6208.mvt' },
      { method: 'GET', path: '/open311/v2/requests.json' },
      { method: 'GET', path: `/open311/v2/requests/${caseId}.xml` },
      { method: 'POST', path: '/open311/v2/requests.json', form: 'service_code=001&lat=39.9&long=116.4&description=x&api_key=k' },
    ];
    const answers: string[] = [];
    for (const r of requests) {
      const res = await fetch(`${server.url}${r.path}`, {
        method: r.method,
        headers: { cookie, ...(r.form ? { 'content-type': 'application/x-www-form-urlencoded' } : r.body ? { 'content-type': 'application/json' } : {}) },
        body: r.form ?? (r.body ? JSON.stringify(r.body) : undefined),
      });
      await res.arrayBuffer();
      answers.push(`${res.status} ${res.status === 503 ? `retry-after=${res.headers.get('retry-after')}` : ''} ${r.method} ${r.path}`);
    }
    expect(answers.filter((a) => a.startsWith('5') && !/^503 retry-after=\d+ /.test(a))).toEqual([]);
    // The routes that must read the database cannot have answered from anywhere else.
    for (const p of ['GET /api/cases?limit=5', `GET /api/cases/${caseId}`, 'POST /api/cases ', 'GET /api/kpis ', 'GET /open311/v2/requests.json']) {
      expect(answers.find((a) => a.includes(p.trim())), p).toMatch(/^503 retry-after=\d+/);
    }

    // No heartbeat while the event log cannot be read: walls go stale visibly.
    await until(() => [...activePublishers].every((p) => !p.connected), 'the listener to notice');
    const before = beats;
    await new Promise((r) => setTimeout(r, 11_000));
    expect(beats).toBe(before);

    link.restore();
    await until(async () => (await fetch(`${server.url}/api/health`)).status === 200, 'health to recover', 30_000);
    await until(() => beats > before, 'heartbeats to resume', 30_000);
  }, 120_000);
});
