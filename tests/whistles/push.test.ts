import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAs, jsonApi, loginCookie } from '../helpers/auth.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { maxSeq, recordingClient, until } from '../realtime/helpers.ts';
import { whistleFixture } from './helpers.ts';

describe('whistle events on the socket', () => {
  let server: TestServer;
  let pool: pg.Pool;
  const sockets: { socket: { close(): void } }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ whistles: { uploadDir: '/nonexistent', photoMaxBytes: 100_000, escalateMinutes: 600, sweepMs: 600_000 } });
    pool = testPool();
  });
  afterAll(async () => {
    for (const s of sockets) s.socket.close();
    await server?.close();
    await pool?.end();
  });

  it('reaches the subdistrict and the summoned departments (and nobody else), and a late socket catches up in order', async () => {
    const fx = await whistleFixture(pool);
    const since = await maxSeq(pool);
    const [cCookie, c2Cookie, rCookie] = await Promise.all([loginCookie(server.url, pool, 'commander'), loginCookie(server.url, pool, 'commander2'), loginCookie(server.url, pool, 'responder')]);
    const commander = recordingClient(server.url, [`subdistrict:${fx.subdistrict}`], since, cCookie);
    const other = recordingClient(server.url, ['wall', `subdistrict:${fx.subdistrict}`], since, c2Cookie);
    const responder = recordingClient(server.url, [`department:${fx.departments[0].id}`], since, rCookie);
    sockets.push(commander, other, responder);
    await Promise.all([commander.connected(), other.connected(), responder.connected()]);

    const api = jsonApi(await fetchAs(server.url, pool, 'commander'));
    const r = jsonApi(await fetchAs(server.url, pool, 'responder'));
    const res = await api.post('/api/whistles', { lng: fx.site[0], lat: fx.site[1], title: '推送测试', department_codes: [fx.departments[0].code], deadline_minutes: 20 });
    const { id } = (await res.json()) as { id: number };
    await r.post(`/api/whistles/${id}/accept`, {});
    await r.post(`/api/whistles/${id}/check-ins`, { lng: fx.site[0], lat: fx.site[1], accuracy_m: 5 });

    const mine = (c: typeof commander) => c.received.filter((e) => e.msg.subject === `whistle:${id}`).map((e) => e.event);
    const want = ['whistle.created', 'whistle.accepted', 'whistle.checked_in'];
    await until(() => mine(commander).length >= 3 && mine(responder).length >= 3, 'the whistle events');
    expect(mine(commander)).toEqual(want);
    expect(mine(responder)).toEqual(want);
    const checkedIn = responder.received.find((e) => e.event === 'whistle.checked_in' && e.msg.subject === `whistle:${id}`)!;
    expect((checkedIn.msg.whistle as { calls: { state: string }[] }).calls[0]!.state).toBe('checked_in_on_time');
    expect(checkedIn.msg.rooms).toBeUndefined();
    // Another subdistrict's commander asked for the wall and this subdistrict; the server let it into neither.
    expect(mine(other)).toEqual([]);

    // A socket that connects afterwards with the old seq is replayed the same events, in order.
    const late = recordingClient(server.url, [`subdistrict:${fx.subdistrict}`], since, cCookie);
    sockets.push(late);
    await late.connected();
    await until(() => mine(late).length >= 3, 'the replayed whistle events');
    expect(mine(late)).toEqual(want);
    const seqs = late.received.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
});
