import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAs, jsonApi, loginCookie } from '../helpers/auth.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { maxSeq, recordingClient, until } from '../realtime/helpers.ts';
import { jpegWithExif } from '../whistles/helpers.ts';
import { operationFixture } from './helpers.ts';

describe('operation events on the socket, and the wall', () => {
  let server: TestServer;
  let pool: pg.Pool;
  const sockets: { socket: { close(): void } }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ whistles: { uploadDir: '/tmp/cityops-op-push-uploads', photoMaxBytes: 100_000, escalateMinutes: 600, sweepMs: 600_000 } });
    pool = testPool();
  });
  afterAll(async () => {
    for (const s of sockets) s.socket.close();
    await server?.close();
    await pool?.end();
  });

  it('reaches the wall, the subdistrict and the involved department (and nobody else) with seq, and a late socket catches up in order; the wall summary shows the progress', async () => {
    const fx = await operationFixture(pool);
    const since = await maxSeq(pool);
    const cCookie = await loginCookie(server.url, pool, 'commander');
    const c2Cookie = await loginCookie(server.url, pool, 'commander2');
    const rCookie = await loginCookie(server.url, pool, 'responder');
    const r2Cookie = await loginCookie(server.url, pool, 'responder2');
    const admin = await fetchAs(server.url, pool, 'admin');
    const commander = recordingClient(server.url, [`subdistrict:${fx.subdistrict}`], since, cCookie);
    const other = recordingClient(server.url, ['wall', `subdistrict:${fx.subdistrict}`], since, c2Cookie);
    const responder = recordingClient(server.url, [`department:${fx.departments[0].id}`], since, rCookie);
    const uninvolved = recordingClient(server.url, [`department:${fx.departments[1].id}`], since, r2Cookie);
    const wall = recordingClient(server.url, ['wall'], since, admin.cookie);
    sockets.push(commander, other, responder, uninvolved, wall);
    await Promise.all([commander.connected(), other.connected(), responder.connected(), uninvolved.connected(), wall.connected()]);

    const c = jsonApi(await fetchAs(server.url, pool, 'commander'));
    const r = jsonApi(await fetchAs(server.url, pool, 'responder'));
    const p = fx.at(0.5, 0.5);
    const res = await c.post('/api/operations', { title: '推送测试', area: fx.area, department_codes: [fx.departments[0].code] });
    const { id } = (await res.json()) as { id: number };
    const site = ((await (await c.post(`/api/operations/${id}/sites`, { lng: p[0], lat: p[1], label: '推送点' })).json()) as { site: { id: number } }).site.id;
    await r.post(`/api/operations/${id}/sites/${site}/photos`, { stage: 'before', photos: [(await jpegWithExif({ at: new Date(), where: p })).toString('base64')] });
    await r.post(`/api/operations/${id}/sites/${site}/transitions`, { action: 'start' });
    const summary = (await (await admin('/api/wall/summary')).json()) as { operations: { id: number; progress: { total: number; in_progress: number }; sites: { id: number; status: string }[] }[] };
    const onWall = summary.operations.find((o) => o.id === id)!;
    expect(onWall.progress).toMatchObject({ total: 1, in_progress: 1 });
    expect(onWall.sites).toEqual([expect.objectContaining({ id: site, status: 'in_progress' })]);
    await c.post(`/api/operations/${id}/close`, { note: '测试结束' });
    expect(((await (await admin('/api/wall/summary')).json()) as { operations: { id: number }[] }).operations.some((o) => o.id === id)).toBe(false);

    const mine = (x: typeof commander) => x.received.filter((e) => e.msg.subject === `operation:${id}`).map((e) => (e.event === 'operation.site_changed' ? `${e.event}:${e.msg.action}` : e.event));
    const want = ['operation.created', 'operation.site_added', 'operation.site_changed:photo_before', 'operation.site_changed:start', 'operation.closed'];
    await until(() => mine(commander).length >= 5 && mine(responder).length >= 5 && mine(wall).length >= 5, 'the operation events');
    expect(mine(commander)).toEqual(want);
    expect(mine(responder)).toEqual(want);
    expect(mine(wall)).toEqual(want);
    const started = responder.received.find((e) => e.event === 'operation.site_changed' && e.msg.action === 'start')!;
    expect(started.msg.actor).toBe('user:test-responder');
    expect((started.msg.site as { status: string }).status).toBe('in_progress');
    expect((started.msg.operation as { progress: { in_progress: number } }).progress.in_progress).toBe(1);
    expect(started.msg.rooms).toBeUndefined();
    // Another subdistrict's commander asked for the wall and this subdistrict; the server let it into neither. The uninvolved department hears nothing.
    expect(mine(other)).toEqual([]);
    expect(mine(uninvolved)).toEqual([]);

    // A socket that connects afterwards with the old seq is replayed the same events, in order, with their seqs.
    const late = recordingClient(server.url, [`department:${fx.departments[0].id}`], since, rCookie);
    sockets.push(late);
    await late.connected();
    await until(() => mine(late).length >= 5, 'the replayed operation events');
    expect(mine(late)).toEqual(want);
    const seqs = late.received.filter((e) => e.msg.subject === `operation:${id}`).map((e) => e.seq);
    const logged = (await pool.query<{ seq: number }>(`SELECT seq::float8 AS seq FROM event WHERE subject = $1 ORDER BY seq`, [`operation:${id}`])).rows.map((x) => x.seq);
    expect(seqs).toEqual(logged);
  }, 240_000);
});
