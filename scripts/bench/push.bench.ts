// Live push under load: 200 socket.io clients in the `wall` room of a server process on a
// scratch demo city, cases created at 200/s by single POSTs; for every case and every client,
// the time from sending the POST to the client receiving the frame with its `case.created`. The
// floor is a bare socket.io server (another process, no database) emitting the same payload to
// 200 clients at the same rate, timed from the emit to the receipt: a frame per case, as the
// issue's floor, and one frame per 10 ms tick, as batched as the server's frames. Clocks: performance.timeOrigin +
// performance.now(), comparable across processes on one machine.
// BENCH_PUSH_CLIENTS (200), BENCH_PUSH_RATE (200 cases/s), BENCH_PUSH_S (15 s).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as connect, type Socket } from 'socket.io-client';
import { httpClient } from './lib/http.ts';
import { freePort, quantile, scratchCity, startServerProcess } from './lib/scratch.ts';
import type { BenchContext, BenchResult } from './types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const now = () => performance.timeOrigin + performance.now();

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const clients = Number(process.env.BENCH_PUSH_CLIENTS ?? 200);
  const rate = Number(process.env.BENCH_PUSH_RATE ?? 200);
  const seconds = Number(process.env.BENCH_PUSH_S ?? 15);
  const city = await scratchCity(ctx.databaseUrl, 'push', ctx.log);
  const server = await startServerProcess(city.url);
  const http = httpClient(server.url);
  let sample: unknown = null;
  let ours: number[] = [];
  let expected = 0;
  // Where the time goes, per case: the POST's own answer (intake queueing and the statement),
  // the first client's receipt (intake + the publisher's read of the log) and the spread to
  // the last client (fan-out); and the server's event-loop delay over the run.
  const sentAt = new Map<string, number>();
  const answered = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  const lastSeen = new Map<string, number>();
  let loop = { p99: NaN, max: NaN };
  try {
    const key = { 'x-api-key': city.apiKey };
    const seq = ((await (await fetch(`${server.url}/api/wall/summary`, { headers: key })).json()) as { seq?: number }).seq ?? 0;
    const sockets = await connectAll(server.url, clients, { since: seq, rooms: ['wall'], apiKey: city.apiKey });
    for (const s of sockets) {
      s.on('events', (batch: { type: string; case?: { external_id: string } }[]) => {
        const at = now();
        for (const m of batch) {
          if (m.type !== 'case.created' || !m.case) continue;
          const t = sentAt.get(m.case.external_id);
          if (t !== undefined) {
            ours.push(at - t);
            if (!firstSeen.has(m.case.external_id)) firstSeen.set(m.case.external_id, at);
            lastSeen.set(m.case.external_id, at);
          }
          sample ??= m;
        }
      });
    }
    const { x, y } = await insidePoint(server.url, key);
    ctx.log(`push: ${clients} clients, ${rate} cases/s for ${seconds} s …`);
    let i = 0;
    await loopDelay(server.url); // resets the server's measure: what follows covers the run
    await paced(rate, seconds, () => {
      const id = `push-${i++}`;
      sentAt.set(id, now());
      void http.post('/api/cases', JSON.stringify({ source: 'sensor', external_id: id, category: 'street_vending', description: '推送基准', lng: x, lat: y }), { 'content-type': 'application/json', ...key }).then(
        () => answered.set(id, now()),
        () => {},
      );
    });
    expected = i * clients;
    await settle(() => ours.length >= expected, 10_000);
    loop = await loopDelay(server.url);
    for (const s of sockets) s.disconnect();
  } finally {
    http.close();
    await server.stop();
    await city.drop();
  }
  const delivered = ours.length;
  ctx.log(`push: ours delivered ${delivered} of ${expected}; floor: a bare socket.io emit …`);
  const floor = await rawEmit(clients, rate, seconds, sample, false);
  ctx.log('push: floor, batched: a bare socket.io emit of one frame per 10 ms tick …');
  const batchedFloor = await rawEmit(clients, rate, seconds, sample, true);
  const note = (v: number[]) => `${v.length.toLocaleString('en-US')} receipts`;
  ours = ours.length ? ours : [NaN];
  const since = (to: Map<string, number>, from: Map<string, number>) => [...to].filter(([k]) => from.has(k)).map(([k, t]) => t - from.get(k)!);
  const intake = since(answered, sentAt);
  const first = since(firstSeen, sentAt);
  const spread = since(lastSeen, firstSeen);
  return [
    { name: `push p50, POST → case.created at each of ${clients} clients, ${rate} cases/s (${note(ours)} of ${expected.toLocaleString('en-US')})`, value: quantile(ours, 0.5), floor: quantile(floor, 0.5), floorName: 'bare socket.io emit of the same payload, same clients and rate' },
    { name: `push p99, same run`, value: quantile(ours, 0.99), floor: quantile(floor, 0.99), floorName: 'same', target: 100 },
    { name: `push p50 beside a bare emit that batches as the server does (one frame per 10 ms tick)`, value: quantile(ours, 0.5), floor: quantile(batchedFloor, 0.5), floorName: 'bare socket.io emit, each 10 ms tick\'s cases in one frame' },
    { name: `push p99, same`, value: quantile(ours, 0.99), floor: quantile(batchedFloor, 0.99), floorName: 'same' },
    { name: `push p99 split: POST → its answer (intake queueing and statement)`, value: quantile(intake, 0.99), floor: null },
    { name: `push p99 split: POST → first client's receipt (intake and the publisher's read)`, value: quantile(first, 0.99), floor: null },
    { name: `push p99 split: first → last client's receipt (fan-out to ${clients})`, value: quantile(spread, 0.99), floor: null },
    { name: `push: server event-loop delay over the run, p99 (max ${loop.max.toFixed(0)} ms)`, value: loop.p99, floor: null },
  ];
}

/** The server's event-loop delay since its previous scrape (p99 and max, ms), from /metrics. */
async function loopDelay(base: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (q: string) => Number(new RegExp(`cityops_event_loop_delay_seconds\\{quantile="${q}"\\} ([0-9.e+-]+)`).exec(text)?.[1] ?? NaN) * 1000;
  return { p99: read('0.99'), max: read('max') };
}

async function insidePoint(base: string, headers: Record<string, string>): Promise<{ x: number; y: number }> {
  const fc = (await (await fetch(`${base}/api/admin-units?level=grid`, { headers })).json()) as { features: { geometry: { coordinates: number[][][][] } }[] };
  // The mean of a grid polygon's ring: inside a small convex-ish Voronoi cell.
  const ring = fc.features[Math.floor(fc.features.length / 2)]!.geometry.coordinates[0]![0]!;
  const x = ring.reduce((s, p) => s + p[0]!, 0) / ring.length;
  const y = ring.reduce((s, p) => s + p[1]!, 0) / ring.length;
  return { x, y };
}

async function connectAll(url: string, n: number, auth?: Record<string, unknown>): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = Array.from({ length: Math.min(20, n - i) }, () => connect(url, { transports: ['websocket'], auth, reconnection: false, forceNew: true }));
    await Promise.all(batch.map((s) => new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)))));
    sockets.push(...batch);
  }
  // Let the handshake's catch-up join the rooms.
  await new Promise((r) => setTimeout(r, 500));
  return sockets;
}

/** Calls `fn` `rate` times a second for `seconds`, in 10 ms ticks. */
async function paced(rate: number, seconds: number, fn: () => void): Promise<void> {
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (sent < due) {
      fn();
      sent++;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function settle(done: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!done() && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 50));
}

/**
 * The floor: a bare socket.io server process emitting `payload` to all its clients at `rate`,
 * a frame per case, or (`batched`) one `events` frame per 10 ms tick with that tick's cases.
 */
async function rawEmit(clients: number, rate: number, seconds: number, payload: unknown, batched: boolean): Promise<number[]> {
  const port = await freePort();
  const script = `
    import { Server } from 'socket.io';
    const io = new Server(${port});
    const payload = ${JSON.stringify(payload ?? { case: { id: 1 } })};
    const now = () => performance.timeOrigin + performance.now();
    io.on('connection', (s) => s.on('go', () => {
      const t0 = performance.now(); let sent = 0;
      const tick = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) / 1000) * ${rate});
        const frame = [];
        while (sent < due) { frame.push({ ...payload, sent_at: now() }); sent++; }
        if (${batched}) { if (frame.length) io.emit('events', frame); }
        else for (const m of frame) io.emit('case.created', m);
        if (performance.now() - t0 >= ${seconds * 1000}) { clearInterval(tick); io.emit('done', sent); }
      }, 10);
    }));
    process.stderr.write('ready:\\n');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => d.toString().includes('ready:') && resolve());
      child.on('exit', (code) => reject(new Error(`the bare socket.io server exited with ${code}`)));
    });
    const sockets = await connectAll(`http://127.0.0.1:${port}`, clients);
    const lat: number[] = [];
    for (const s of sockets) {
      s.on('case.created', (m: { sent_at: number }) => lat.push(now() - m.sent_at));
      s.on('events', (batch: { sent_at: number }[]) => {
        const at = now();
        for (const m of batch) lat.push(at - m.sent_at);
      });
    }
    const total = new Promise<number>((resolve) => sockets[0]!.once('done', resolve));
    sockets[0]!.emit('go');
    const sent = await total;
    await settle(() => lat.length >= sent * clients, 10_000);
    for (const s of sockets) s.disconnect();
    return lat;
  } finally {
    child.kill('SIGTERM');
  }
}
