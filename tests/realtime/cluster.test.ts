import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { startNginx, type Nginx } from '../../scripts/lib/nginx.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { activePublishers } from '../../server/src/realtime/plugin.ts';
import type { EventPublisher } from '../../server/src/realtime/publisher.ts';
import { expectedSeqs, maxSeq, recordingClient, until } from './helpers.ts';
import { loginCookie } from '../helpers/auth.ts';

const run = `cl${process.pid}${Date.now().toString(36)}`;
let n = 0;
const caseBody = () => ({ source: 'grid_patrol', external_id: `${run}-${n++}`, category: 'street_vending', description: '占道经营', lng: 116.366, lat: 39.912 });
const portOf = (s: TestServer) => Number(new URL(s.url).port);

/**
 * Two server processes' worth of servers (two Fastify apps, each with its own pool, LISTEN
 * connection and socket.io) on one database, behind Debian's nginx on loopback. Clients
 * connect through nginx only.
 */
describe('two nodes behind nginx', () => {
  let a: TestServer;
  let b: TestServer;
  let lb: Nginx;
  let pool: pg.Pool;
  const clients: ReturnType<typeof recordingClient>[] = [];
  let since = 0;
  let cookie = '';
  /** The publishers of node A and node B, to count the sockets each holds. */
  const nodes = new Map<TestServer, EventPublisher>();
  const localSockets = async (s: TestServer) => nodes.get(s)!.socketCount;

  beforeAll(async () => {
    pool = testPool();
    const before = new Set(activePublishers);
    a = await startTestServer();
    nodes.set(a, [...activePublishers].find((p) => !before.has(p))!);
    before.add(nodes.get(a)!);
    b = await startTestServer();
    nodes.set(b, [...activePublishers].find((p) => !before.has(p))!);
    await until(() => nodes.get(a)!.connected && nodes.get(b)!.connected, 'both listeners');
    lb = await startNginx([portOf(a), portOf(b)]);
    since = await maxSeq(pool);
    // A signed-in dispatcher: the session lives in the database, so it is good on both nodes.
    cookie = await loginCookie(a.url, pool, 'dispatcher');
    // nginx deals connections round robin: six clients land on both nodes.
    for (let i = 0; i < 6; i++) {
      const c = recordingClient(lb.url, ['wall'], since, cookie);
      // A server shutting down disconnects its sockets; socket.io leaves reconnecting to the
      // client then, and the wall reconnects (use-wall-live.ts). So do these.
      c.socket.on('disconnect', (reason) => {
        if (reason === 'io server disconnect') c.socket.connect();
      });
      await c.connected();
      clients.push(c);
    }
  });
  afterAll(async () => {
    for (const c of clients) c.socket.close();
    await lb?.stop();
    await a?.close();
    await b?.close().catch(() => {});
    await pool?.end();
  });

  const post = (base: string) =>
    fetch(`${base}/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(caseBody()) }).then(async (r) => {
      expect(r.status).toBe(201);
      return (await r.json()).case.id as number;
    });
  const seqsOf = (c: (typeof clients)[number]) => c.received.filter((r) => r.event.startsWith('case')).map((r) => r.seq);

  it('spreads the clients over both nodes', async () => {
    expect(await localSockets(a)).toBeGreaterThan(0);
    expect(await localSockets(b)).toBeGreaterThan(0);
    expect((await localSockets(a)) + (await localSockets(b))).toBe(6);
  });

  it('delivers cases created through one node exactly once to every client, whichever node it is on', async () => {
    for (let i = 0; i < 5; i++) await post(a.url);
    const upto = await maxSeq(pool);
    const want = await expectedSeqs(pool, 'wall', since, upto);
    expect(want.length).toBeGreaterThanOrEqual(5);
    await until(() => clients.every((c) => c.last >= upto), 'every client to see the five cases');
    for (const c of clients) expect(seqsOf(c)).toEqual(want);
  });

  it('sends siting progress to the asking session\'s socket on node A when node B serves the request', async () => {
    // A session of its own, so its one socket is the only one that may get the progress.
    const planner = await loginCookie(a.url, pool, 'planner');
    const { rows } = await pool.query(`SELECT kind FROM facility GROUP BY kind ORDER BY count(*) DESC LIMIT 1`);
    // nginx deals connections round robin; connect until one lands on node A.
    const tried: ReturnType<typeof recordingClient>[] = [];
    try {
      let socket: ReturnType<typeof recordingClient>['socket'] | undefined;
      for (let i = 0; i < 4 && !socket; i++) {
        const c = recordingClient(lb.url, [], since, planner);
        tried.push(c);
        await c.connected();
        if (nodes.get(a)!.roomsOfSocket(c.socket.id!).length) socket = c.socket;
      }
      if (!socket) throw new Error('no connection through nginx landed on node A');
      for (const c of tried) if (c.socket !== socket) c.socket.close();
      const progress: Array<{ job: string; done: number; total: number }> = [];
      socket.on('coverage.progress', (p: { job: string; done: number; total: number }) => progress.push(p));
      const session = nodes.get(a)!.roomsOfSocket(socket.id!).find((r) => r.startsWith('session:'));
      expect(session).toBeDefined();
      // The session has no socket on node B (the ones closed above may still be leaving it):
      // whatever reaches this one crossed the nodes.
      await until(() => !nodes.get(b)!.hasRoom(session!), 'no socket of the session on node B');
      const res = await fetch(`${b.url}/api/coverage/siting`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: planner },
        body: JSON.stringify({ kind: rows[0].kind, minutes: 5, count: 2, progress_to: socket.id, job: 'cross-node' }),
      });
      expect(res.status).toBe(200);
      await until(() => progress.some((p) => p.job === 'cross-node' && p.done === p.total), 'the last progress message on node A');
      expect(progress.every((p) => p.job === 'cross-node' && p.done <= p.total)).toBe(true);
      // None of the wall clients (another session) got it.
      for (const c of clients) expect(c.received.some((r) => r.event === 'coverage.progress')).toBe(false);
    } finally {
      for (const c of tried) c.socket.close();
      // The next test counts the wall clients alone on node A.
      await until(async () => (await localSockets(a)) + (await localSockets(b)) === clients.length, 'the planner\'s sockets to leave');
    }
  }, 180_000);

  it('moves the clients of a node that goes away to the other through nginx, with nothing lost or repeated', async () => {
    const onB = await localSockets(b);
    expect(onB).toBeGreaterThan(0);
    await b.close();
    // Written while B's clients are cut off and reconnecting.
    for (let i = 0; i < 4; i++) await post(a.url);
    await until(async () => (await localSockets(a)) === 6, 'all six clients on the remaining node');
    for (let i = 0; i < 3; i++) await post(lb.url);
    const upto = await maxSeq(pool);
    const want = await expectedSeqs(pool, 'wall', since, upto);
    await until(() => clients.every((c) => c.last >= upto), 'every client to catch up');
    for (const c of clients) expect(seqsOf(c)).toEqual(want);
  }, 60_000);
});
