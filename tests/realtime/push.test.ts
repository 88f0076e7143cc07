import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activePublishers } from '../../server/src/realtime/plugin.ts';
import { EventPublisher } from '../../server/src/realtime/publisher.ts';
import { testDatabaseUrl, testPool } from '../helpers/db.ts';
import { exitOf, spawnTs } from '../helpers/process.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { expectedSeqs, maxSeq, onLogRows, recordingClient, until, useSocketCookie } from './helpers.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';

const run = `rt${process.pid}${Date.now().toString(36)}`;
let n = 0;
const caseBody = (extra: Record<string, unknown> = {}) => ({
  source: 'grid_patrol',
  external_id: `${run}-${n++}`,
  category: 'street_vending',
  description: '占道经营',
  lng: 116.366,
  lat: 39.912,
  ...extra,
});

describe('live push from the event log', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let as: AuthedFetch;
  beforeAll(async () => {
    server = await startTestServer({ kpiPushIntervalMs: 300 });
    pool = testPool();
    as = await fetchAs(server.url, pool, 'dispatcher');
    useSocketCookie(as.cookie);
    await until(() => [...activePublishers].some((p) => p.connected), 'the event listener to connect');
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  const post = (path: string, body: unknown) =>
    as(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('pushes case.created with the seq of its log row to the wall', async () => {
    const client = recordingClient(server.url, ['wall'], await maxSeq(pool));
    await client.connected();
    try {
      const res = await post('/api/cases', caseBody());
      const { case: c } = await res.json();
      await until(() => client.received.some((r) => (r.msg.case as { id: number })?.id === c.id), 'the push');
      const push = client.received.find((r) => (r.msg.case as { id: number }).id === c.id)!;
      const { rows } = await pool.query("SELECT seq::float8 AS seq, type FROM event WHERE subject = $1", [`case:${c.id}`]);
      expect(push.event).toBe('case.created');
      expect(push.seq).toBe(rows[0].seq);
      expect(push.msg.case).toEqual(c);
    } finally {
      client.socket.close();
    }
  });

  it('delivers a write made by another process to a socket client', async () => {
    const client = recordingClient(server.url, ['wall'], await maxSeq(pool));
    await client.connected();
    try {
      const prefix = `${run}-proc`;
      const child = spawnTs('tests/realtime/fixtures/write-cases.ts', { DATABASE_URL: testDatabaseUrl(), COUNT: '3', PREFIX: prefix });
      expect(await exitOf(child)).toBe(0);
      const { rows } = await pool.query("SELECT id::int AS id FROM cases WHERE source = 'sensor' AND external_id LIKE $1 ORDER BY id", [`${prefix}-%`]);
      expect(rows).toHaveLength(3);
      const ids = rows.map((r) => r.id);
      await until(() => ids.every((id) => client.received.some((r) => (r.msg.case as { id: number })?.id === id)), 'pushes of the other process');
      const pushed = client.received.filter((r) => ids.includes((r.msg.case as { id: number }).id));
      expect(pushed.map((p) => p.event)).toEqual(['case.created', 'case.created', 'case.created']);
      expect(pushed.map((p) => (p.msg.case as { id: number }).id)).toEqual(ids);
    } finally {
      client.socket.close();
    }
  });

  it('pushes a row written straight into the log with SQL, to the rooms its payload names', async () => {
    const wall = recordingClient(server.url, ['wall'], await maxSeq(pool));
    const dept = recordingClient(server.url, ['department:999999'], await maxSeq(pool));
    await Promise.all([wall.connected(), dept.connected()]);
    try {
      const { rows } = await pool.query(
        `INSERT INTO event (actor, type, subject, payload) VALUES ('psql', 'import.finished', 'import:1', $1) RETURNING seq::float8 AS seq`,
        [JSON.stringify({ rows: 12, rooms: ['department:999999'] })],
      );
      await until(() => dept.received.some((r) => r.seq === rows[0].seq), 'the push of the SQL row');
      expect(dept.received.find((r) => r.seq === rows[0].seq)).toMatchObject({ event: 'import.finished', msg: { actor: 'psql', subject: 'import:1', rows: 12 } });
      expect(dept.received.find((r) => r.seq === rows[0].seq)!.msg).not.toHaveProperty('rooms');
      // Written after it, so once the wall has this one it would have had the SQL row too.
      const { case: c } = await (await post('/api/cases', caseBody())).json();
      await until(() => wall.received.some((r) => (r.msg.case as { id: number } | undefined)?.id === c.id), 'a later wall push');
      expect(wall.received.some((r) => r.seq === rows[0].seq)).toBe(false);
    } finally {
      wall.socket.close();
      dept.socket.close();
    }
  });

  it('sends each socket one frame per page of rows: its rooms\' rows in seq order, a row for two of its rooms once', async () => {
    const room = 'department:999998';
    const since = await maxSeq(pool);
    const { io } = await import('socket.io-client');
    const frames = (rooms: string[]) => {
      const got: number[][] = [];
      const socket = io(server.url, { transports: ['websocket'], extraHeaders: { cookie: as.cookie }, auth: { since, rooms } });
      socket.on('events', (batch: { seq: number }[]) => got.push(batch.map((m) => m.seq)));
      const joined = () => [...activePublishers].some((p) => rooms.every((r) => p.roomsOfSocket(socket.id ?? '').includes(r)));
      return { socket, got, joined, connected: new Promise<void>((r) => socket.once('connect', () => r())) };
    };
    const wall = frames(['wall']);
    const dept = frames([room]);
    const both = frames(['wall', room]);
    try {
      await Promise.all([wall.connected, dept.connected, both.connected]);
      // Let the handshakes' catch-up join the rooms.
      await until(() => wall.joined() && dept.joined() && both.joined(), 'the rooms to be joined');
      const client = await pool.connect();
      let seqs: number[];
      try {
        await client.query('BEGIN');
        const payloads = [{ rooms: ['wall'] }, { rooms: [room] }, { rooms: ['wall', room] }, { rooms: [] }, {}];
        seqs = [];
        for (const [i, payload] of payloads.entries()) {
          const { rows } = await client.query(`INSERT INTO event (actor, type, subject, payload) VALUES ('psql', 'frame.test', $1, $2) RETURNING seq::float8 AS seq`, [`frame:${i}`, JSON.stringify(payload)]);
          seqs.push(rows[0].seq);
        }
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const [toWall, toDept, toBoth, toNobody, byDefault] = seqs;
      const ours = (got: number[][]) => got.map((f) => f.filter((s) => seqs.includes(s))).filter((f) => f.length);
      await until(() => ours(wall.got).length > 0 && ours(dept.got).length > 0 && ours(both.got).length > 0, 'the frames');
      // One transaction is read as one page, so each socket gets its rows in a single frame.
      expect(ours(wall.got)).toEqual([[toWall, toBoth, byDefault]]);
      expect(ours(dept.got)).toEqual([[toDept, toBoth]]);
      expect(ours(both.got)).toEqual([[toWall, toDept, toBoth, byDefault]]);
      expect([...wall.got, ...dept.got, ...both.got].flat()).not.toContain(toNobody);
    } finally {
      for (const f of [wall, dept, both]) f.socket.close();
    }
  });

  it('refuses to change or delete a row of the log', async () => {
    const seq = await maxSeq(pool);
    await expect(pool.query("UPDATE event SET actor = 'x' WHERE seq = $1", [seq])).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM event WHERE seq = $1', [seq])).rejects.toThrow(/append-only/);
  });

  it('replays exactly what a client missed when its connection drops mid-stream, then goes on live', async () => {
    const start = await maxSeq(pool);
    const client = recordingClient(server.url, ['wall'], start);
    await client.connected();
    try {
      const prefix = `${run}-drop`;
      // A second process writes a steady stream while the client's transport is cut twice.
      const writer = spawnTs('tests/realtime/fixtures/write-cases.ts', { DATABASE_URL: testDatabaseUrl(), COUNT: '30', PREFIX: prefix, GAP_MS: '15' });
      await until(() => client.received.length >= 3, 'the first pushes');
      client.socket.io.engine.close();
      await until(() => client.socket.connected && client.received.length >= 12, 'pushes after the first reconnect');
      client.socket.io.engine.close();
      expect(await exitOf(writer)).toBe(0);
      const { rows } = await pool.query("SELECT max(e.seq)::float8 AS s FROM event e JOIN cases c ON e.subject = 'case:' || c.id WHERE c.external_id LIKE $1", [`${prefix}-%`]);
      const lastWritten = rows[0].s as number;
      await until(() => client.last >= lastWritten, 'the last written case');
      const want = await expectedSeqs(pool, 'wall', start, client.last);
      expect(client.received.map((r) => r.seq)).toEqual(want);
      const ids = new Set(client.received.map((r) => (r.msg.case as { external_id: string })?.external_id).filter((x) => x?.startsWith(prefix)));
      expect(ids.size).toBe(30);
    } finally {
      client.socket.close();
    }
  });

  it('answers catch_up with the missed rows of the asked rooms only, in order, with an ack', async () => {
    const dept = `${run}_dept`;
    const { rows: d } = await pool.query("INSERT INTO department (code, name_zh, name_en, kind) VALUES ($1, '测试部门', 'Test department', 'government') RETURNING id", [dept]);
    const departmentId = d[0].id as number;
    const before = await maxSeq(pool);
    const created: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { case: c } = await (await post('/api/cases', caseBody())).json();
      created.push(c.id);
      await post(`/api/cases/${c.id}/transitions`, { action: 'register' });
      if (i < 2) await post(`/api/cases/${c.id}/transitions`, { action: 'dispatch', department_code: dept });
    }
    const { io } = await import('socket.io-client');
    const socket = io(server.url, { transports: ['websocket'], extraHeaders: { cookie: as.cookie } });
    const got: { event: string; seq: number; msg: Record<string, unknown> }[] = [];
    onLogRows(socket, (event, msg) => got.push({ event, seq: msg.seq as number, msg }));
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      const ack = await socket.timeout(10_000).emitWithAck('catch_up', { since: before, rooms: [`department:${departmentId}`, 'nonsense'] });
      expect(ack.joined).toEqual([`department:${departmentId}`]);
      expect(ack.replayed).toBe(2);
      expect(got.map((g) => g.seq)).toEqual(await expectedSeqs(pool, `department:${departmentId}`, before, ack.seq));
      expect(got.map((g) => [(g.msg.case as { id: number }).id, g.msg.action])).toEqual([
        [created[0], 'dispatch'],
        [created[1], 'dispatch'],
      ]);
      // Live after the replay: accepting a case of this department reaches the socket once.
      await post(`/api/cases/${created[0]}/transitions`, { action: 'accept' });
      await until(() => got.some((g) => g.msg.action === 'accept'), 'the live push');
      expect(got.filter((g) => g.msg.action === 'accept')).toHaveLength(1);
      const bad = await socket.timeout(5000).emitWithAck('catch_up', { since: -1, rooms: ['wall'] });
      expect(bad.error).toMatch(/since/);
    } finally {
      socket.close();
    }
  });

  it('keeps pushing after its LISTEN connection is killed, catching up on what was written meanwhile', async () => {
    const publisher = [...activePublishers].find((p) => p.connected)!;
    const client = recordingClient(server.url, ['wall'], await maxSeq(pool));
    await client.connected();
    try {
      const oldPid = publisher.listenerPid!;
      await pool.query('SELECT pg_terminate_backend($1)', [oldPid]);
      // Written while the listener is down or reconnecting.
      const { case: c } = await (await post('/api/cases', caseBody())).json();
      await until(() => client.received.some((r) => (r.msg.case as { id: number })?.id === c.id), 'the push after the listener reconnected');
      expect(publisher.listenerPid).not.toBe(oldPid);
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [publisher.listenerPid]);
      expect(rows[0].n).toBe(1);
    } finally {
      client.socket.close();
    }
  });

  it('coalesces kpi.updated while many cases change, and carries the newest seq it includes', async () => {
    const { io } = await import('socket.io-client');
    const socket = io(server.url, { transports: ['websocket'], extraHeaders: { cookie: as.cookie } });
    const kpi: { seq: number; district: { cases: number } }[] = [];
    socket.on('kpi.updated', (k) => kpi.push(k));
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      const results = await Promise.all(Array.from({ length: 20 }, () => post('/api/cases/batch', { cases: [caseBody()] })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const last = await maxSeq(pool);
      await until(() => kpi.some((k) => k.seq >= last), 'a kpi.updated covering the writes');
      expect(kpi.length).toBeGreaterThan(0);
      expect(kpi.length).toBeLessThan(20);
      expect(kpi.at(-1)!.district.cases).toBeGreaterThan(0);
    } finally {
      socket.close();
    }
  });

  it('tells a client too far behind to reload over REST instead of replaying a flood', async () => {
    const quiet = { info: () => {}, warn: () => {}, error: () => {} };
    const publisher = new EventPublisher({ databaseUrl: testDatabaseUrl(), pool, log: quiet, maxReplay: 2 });
    publisher.start();
    try {
      await until(() => publisher.connected, 'the listener');
      const before = publisher.currentSeq;
      for (let i = 0; i < 3; i++) await post('/api/cases', caseBody());
      const target = await maxSeq(pool);
      await until(() => publisher.currentSeq >= target, 'the publisher to reach the writes');
      const emitted: [string, unknown][] = [];
      const joined: string[] = [];
      const result = await publisher.catchUp({ emit: (e, m) => emitted.push([e, m]), join: (r) => joined.push(r), leave: () => {} }, before, ['wall']);
      expect(result).toMatchObject({ skipped: true, replayed: 0, joined: ['wall'] });
      expect(emitted).toEqual([['replay.skipped', { from: before, to: result.seq, seq: result.seq }]]);
      expect(joined).toEqual(['wall']);
      // Within the limit it replays.
      const near: unknown[] = [];
      const again = await publisher.catchUp({ emit: (e, m) => e === 'events' && near.push(...(m as unknown[])), join: () => {}, leave: () => {} }, result.seq - 1, ['wall']);
      expect(again.skipped).toBeUndefined();
      expect(again.replayed).toBe(near.length);
      expect(near.length).toBeGreaterThan(0);
    } finally {
      await publisher.close();
    }
  });

  it('carries the newest published seq in the heartbeat', async () => {
    const fast = await startTestServer();
    const { io } = await import('socket.io-client');
    const socket = io(fast.url, { transports: ['websocket'], extraHeaders: { cookie: as.cookie } });
    try {
      await until(() => [...activePublishers].every((p) => p.connected), 'listeners');
      const seq = await maxSeq(pool);
      const beat = await new Promise<{ seq: number }>((r) => socket.once('server.heartbeat', r));
      expect(beat.seq).toBeGreaterThanOrEqual(seq);
    } finally {
      socket.close();
      await fast.close();
    }
  });
});
