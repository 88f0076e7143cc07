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
