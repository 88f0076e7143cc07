import type pg from 'pg';
import { io, type Socket } from 'socket.io-client';

export interface Received {
  event: string;
  seq: number;
  msg: Record<string, unknown>;
}

/** The session cookie sockets present unless told otherwise (set once per test file). */
export let socketCookie = '';
export function useSocketCookie(cookie: string): void {
  socketCookie = cookie;
}

/**
 * Calls `fn` with each event-log row a socket is pushed, in order: rows come in `events`
 * frames (one per page of rows the server read); `replay.skipped` is passed on as a row too.
 */
export function onLogRows(socket: Socket, fn: (type: string, msg: Record<string, unknown>) => void): void {
  socket.on('events', (batch: Record<string, unknown>[]) => {
    for (const msg of batch) fn(msg.type as string, msg);
  });
  socket.on('replay.skipped', (msg: Record<string, unknown>) => fn('replay.skipped', msg));
}

/** A socket.io client that records every event-log push it gets and catches up from its last seq on every (re)connection. */
export function recordingClient(url: string, rooms: string[], since: number, cookie = socketCookie) {
  const received: Received[] = [];
  let last = since;
  const socket: Socket = io(url, {
    transports: ['websocket'],
    extraHeaders: cookie ? { cookie } : {},
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    // Evaluated on every connection attempt, so a reconnect asks for what came after the last push seen.
    auth: (cb) => cb({ since: last, rooms }),
  });
  onLogRows(socket, (event, msg) => {
    received.push({ event, seq: msg.seq as number, msg });
    last = Math.max(last, msg.seq as number);
  });
  return {
    socket,
    received,
    get last() {
      return last;
    },
    connected: () => new Promise<void>((resolve, reject) => {
      if (socket.connected) return resolve();
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    }),
  };
}

/** Polls until `check` is true (integration timing varies; the test's own timeout bounds it). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function maxSeq(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query('SELECT COALESCE(max(seq), 0)::float8 AS s FROM event');
  return rows[0].s;
}

/** The seqs a subscriber of `room` must receive after `after` up to `upto`, straight from the log. */
export async function expectedSeqs(pool: pg.Pool, room: string, after: number, upto: number): Promise<number[]> {
  const { rows } = await pool.query(
    `SELECT seq::float8 AS seq FROM event
     WHERE seq > $1 AND seq <= $2
       AND (CASE WHEN jsonb_typeof(payload->'rooms') = 'array' THEN payload->'rooms' ? $3 ELSE $3 = 'wall' END)
     ORDER BY seq`,
    [after, upto, room],
  );
  return rows.map((r) => r.seq);
}
