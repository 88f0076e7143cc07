import pg from 'pg';
import type { Pool } from '../db/pool.ts';
import { eventHorizon } from '../events/partitions.ts';
import { latestSeq, readEvents, type EventRow } from '../events/repository.ts';
import { mayReceive, ROOM_PATTERN, type SocketPrincipal } from './auth.ts';
import type { LogMessage } from './events.ts';
import type { RealtimeServer } from './gateway.ts';
const PAGE = 1000;
/**
 * The channel of ephemeral messages for one room (a session's siting progress): every node
 * LISTENs on it beside the log's channel and emits what it hears to its own sockets in that
 * room, so the message reaches the socket whichever node holds it. Nothing is written to the
 * log: progress is worthless a minute later, and a client that misses a beat misses nothing.
 */
export const TARGETED_CHANNEL = 'cityops_targeted';
/** NOTIFY payloads must stay under 8,000 bytes; targeted messages are a few hundred. */
export const MAX_TARGETED_BYTES = 7_000;
/** Rooms a targeted message may go to: a session's private room. */
const TARGETED_ROOM = /^session:\d{1,12}$/;
/** The most rows a reconnecting client is replayed; further behind, it is told to reload. */
const MAX_REPLAY = 20_000;

/** Targeted messages carry their event name as data, so they are emitted without the typed map's per-name check. */
interface LooseEmitter {
  emit(event: string, message: unknown): unknown;
}

export interface Logger {
  info: (obj: object, msg?: string) => void;
  warn: (obj: object, msg?: string) => void;
  error: (obj: object, msg?: string) => void;
}

export interface EventPublisherOptions {
  databaseUrl: string;
  /** Used for catch-up reads, so a slow client never holds up the live stream. */
  pool: Pool;
  log: Logger;
  /** Safety net: read the log this often even without a notification. */
  pollMs?: number;
  /** Longest wait between reconnection attempts of the LISTEN connection. */
  maxBackoffMs?: number;
  /** The most log rows replayed to one reconnecting client (default 20,000). */
  maxReplay?: number;
}

/** The part of a socket.io socket that catch-up uses. */
export interface CatchUpSocket {
  emit(event: string, message: unknown): unknown;
  join(room: string): unknown;
  leave(room: string): unknown;
}

/** The rooms an event goes to: its payload names them (`rooms`), else the wall only. */
export function roomsOf(event: EventRow): string[] {
  const rooms = event.payload.rooms;
  return Array.isArray(rooms) ? rooms.filter((r): r is string => typeof r === 'string' && ROOM_PATTERN.test(r)) : ['wall'];
}

/** What a socket receives for a log row: the row's fields and its payload, without the routing. */
export function messageOf(event: EventRow): Record<string, unknown> {
  const { rooms: _rooms, ...payload } = event.payload;
  return { seq: event.seq, at: event.at, actor: event.actor, type: event.type, subject: event.subject, ...payload };
}

/**
 * Pushes the event log to socket.io rooms. Any writer (this process, another server, the
 * simulator, psql) inserts into `event`; a trigger NOTIFYs, and this process's LISTEN
 * connection wakes up and reads every row after the last one it published, in seq order.
 * The connection reconnects with backoff when the database goes away and then catches up
 * from its last seq, so nothing written meanwhile is skipped.
 *
 * Clients that reconnect send the last seq they saw (`auth.since` in the handshake, or a
 * `catch_up` event); they get exactly the rows after it, then the live stream.
 */
export class EventPublisher {
  /** The newest seq emitted to the rooms; every row up to it has been emitted, none after. */
  private published = 0;
  private initialized = false;
  private io?: RealtimeServer;
  private listener?: pg.Client;
  private draining = false;
  private drainAgain = false;
  private closed = false;
  private backoffMs = 100;
  private reconnectTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private subscribers = new Set<(row: EventRow) => void>();
  private waiters: { seq: number; resolve: () => void }[] = [];

  constructor(private readonly opts: EventPublisherOptions) {}

  /** The newest published seq: carried by heartbeats so screens can tell whether they are behind. */
  get currentSeq(): number {
    return this.published;
  }

  /** The backend pid of the LISTEN connection (for diagnostics and fault tests). */
  get listenerPid(): number | undefined {
    return (this.listener as unknown as { processID?: number } | undefined)?.processID;
  }

  /** How many sockets this process holds (for diagnostics and the multi-node test). */
  get socketCount(): number {
    return this.io?.engine.clientsCount ?? 0;
  }

  /** The rooms one of this process's sockets sits in; empty when the socket is elsewhere (for the multi-node test). */
  roomsOfSocket(socketId: string): string[] {
    const socket = this.io?.of('/').sockets.get(socketId);
    return socket ? [...socket.rooms] : [];
  }

  /** Whether any socket of this process sits in `room` (for the multi-node test). */
  hasRoom(room: string): boolean {
    return this.io?.of('/').adapter.rooms.has(room) ?? false;
  }

  get connected(): boolean {
    return this.initialized && this.listener !== undefined;
  }

  /**
   * Calls `listener` with every log row this process publishes, in seq order, after it went
   * to the sockets (e.g. the KPI push, which recomputes when cases change). Returns the
   * unsubscribe function.
   */
  subscribe(listener: (row: EventRow) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  attach(io: RealtimeServer): void {
    this.io = io;
    io.on('connection', (socket) => {
      const principal = socket.data.principal;
      const auth = (socket.handshake.auth ?? {}) as { since?: unknown; rooms?: unknown };
      if (auth.since !== undefined && Array.isArray(auth.rooms)) {
        void this.catchUp(socket as unknown as CatchUpSocket, Number(auth.since), auth.rooms, principal).catch((err) => this.opts.log.warn({ err }, 'catch-up failed'));
      }
      socket.on('catch_up', (req, ack) => {
        const since = Number((req as { since?: unknown })?.since);
        const rooms = (req as { rooms?: unknown })?.rooms;
        if (!Number.isInteger(since) || since < 0 || !Array.isArray(rooms)) {
          if (typeof ack === 'function') ack({ error: 'catch_up needs {since: a non-negative integer seq, rooms: string[]}', joined: [], replayed: 0, seq: this.published });
          return;
        }
        this.catchUp(socket as unknown as CatchUpSocket, since, rooms, principal).then(
          (r) => typeof ack === 'function' && ack(r),
          (err) => {
            this.opts.log.warn({ err }, 'catch-up failed');
            if (typeof ack === 'function') ack({ error: 'catch-up failed; try again', joined: [], replayed: 0, seq: this.published });
          },
        );
      });
    });
  }

  start(): void {
    this.connect();
    this.pollTimer = setInterval(() => void this.drain(), this.opts.pollMs ?? 5000);
    this.pollTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pollTimer);
    const l = this.listener;
    this.listener = undefined;
    if (l) await l.end().catch(() => {});
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  private connect(): void {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: 'cityops-listener' });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => {});
      if (this.closed) return;
      this.opts.log.warn({ err: err?.message }, `event listener lost its connection; reconnecting in ${this.backoffMs} ms`);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel === TARGETED_CHANNEL) this.deliverTargeted(msg.payload);
      else void this.drain();
    });
    client
      .connect()
      .then(async () => {
        // LISTEN before reading the newest seq, so a row committed in between is not missed.
        await client.query(`LISTEN cityops_event; LISTEN ${TARGETED_CHANNEL}`);
        if (!this.initialized) {
          this.published = await latestSeq(client);
          this.initialized = true;
        }
        if (this.closed) return void client.end().catch(() => {});
        this.listener = client;
        this.backoffMs = 100;
        this.opts.log.info({ seq: this.published }, 'event listener connected');
        await this.drain();
      })
      .catch((err: Error) => onLost(err));
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoffMs);
    this.reconnectTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000);
  }

  /** Reads and emits every row after the last published one; concurrent calls fold into one more pass. */
  async drain(): Promise<void> {
    const client = this.listener;
    if (!client || !this.initialized || this.closed) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        for (;;) {
          const rows = await readEvents(client, this.published, null, PAGE);
          this.publish(rows);
          if (rows.length < PAGE) break;
        }
      } while (this.drainAgain && !this.closed);
    } catch (err) {
      // The connection is probably gone; its 'error' handler reconnects and drains again.
      this.opts.log.warn({ err: (err as Error).message }, 'reading the event log failed');
    } finally {
      this.draining = false;
    }
  }

  /**
   * Sends an ephemeral message to one session's room on every node (see TARGETED_CHANNEL).
   * It goes out as a NOTIFY on the LISTEN connection itself, which hears its own
   * notifications too, so this node's sockets get it the same way as the others', and
   * messages from one node arrive in the order they were sent. Without that connection (the
   * database is away) only this node's sockets are reached.
   */
  emitTo(room: string, event: string, message: Record<string, unknown>): void {
    if (!TARGETED_ROOM.test(room)) throw new Error(`targeted messages go to a session room, not ${room}`);
    const payload = JSON.stringify({ room, event, message });
    if (Buffer.byteLength(payload) > MAX_TARGETED_BYTES) {
      this.opts.log.warn({ room, event, bytes: Buffer.byteLength(payload) }, 'a targeted message is too large for NOTIFY; dropped');
      return;
    }
    const client = this.listener;
    if (!client) {
      if (this.io) (this.io.local.to(room) as unknown as LooseEmitter).emit(event, message);
      return;
    }
    client.query('SELECT pg_notify($1, $2)', [TARGETED_CHANNEL, payload]).catch((err: Error) => this.opts.log.warn({ err: err.message }, 'sending a targeted message failed'));
  }

  private deliverTargeted(payload: string | undefined): void {
    if (!this.io || !payload) return;
    try {
      const { room, event, message } = JSON.parse(payload) as { room?: unknown; event?: unknown; message?: unknown };
      if (typeof room !== 'string' || !TARGETED_ROOM.test(room) || typeof event !== 'string' || typeof message !== 'object' || message === null) return;
      (this.io.local.to(room) as unknown as LooseEmitter).emit(event, message);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'a targeted message could not be read');
    }
  }

  /**
   * Publishes one page of log rows (in seq order): each local socket gets one `events` frame
   * with the rows for its rooms, then subscribers and waiters hear of each row. Sockets that sit
   * in the same rooms of the page share one frame, encoded once (socket.io's broadcast to their
   * id rooms). Everything happens in one tick, which catch-up relies on (see `catchUp`).
   */
  private publish(page: EventRow[]): void {
    const rows = page.filter((row) => row.seq > this.published);
    if (!rows.length) return;
    if (this.io) this.fanOut(rows);
    for (const row of rows) {
      this.published = row.seq;
      for (const s of this.subscribers) {
        try {
          s(row);
        } catch (err) {
          this.opts.log.warn({ err: (err as Error).message }, 'an event subscriber failed');
        }
      }
    }
    if (this.waiters.length) {
      const ready = this.waiters.filter((w) => w.seq <= this.published);
      this.waiters = this.waiters.filter((w) => w.seq > this.published);
      for (const w of ready) w.resolve();
    }
  }

  /**
   * To this process's sockets only: every process reads the log, so each client gets a row
   * once. A row for no room (audit-only: sign-ins, user administration) goes to nobody.
   */
  private fanOut(rows: EventRow[]): void {
    const io = this.io!;
    const routed = rows.map((row) => ({ rooms: roomsOf(row), message: messageOf(row) }));
    const pageRooms = [...new Set(routed.flatMap((r) => r.rooms))];
    if (!pageRooms.length) return;
    // Sockets in the same rooms of this page (all the walls, say) form one audience.
    const audiences = new Map<string, { rooms: Set<string>; ids: string[] }>();
    for (const socket of io.of('/').sockets.values()) {
      const mine = pageRooms.filter((r) => socket.rooms.has(r));
      if (!mine.length) continue;
      const key = mine.join('\n');
      let audience = audiences.get(key);
      if (!audience) audiences.set(key, (audience = { rooms: new Set(mine), ids: [] }));
      audience.ids.push(socket.id);
    }
    for (const { rooms, ids } of audiences.values()) {
      const batch = routed.filter((r) => r.rooms.some((room) => rooms.has(room))).map((r) => r.message);
      io.local.to(ids).emit('events', batch as unknown as LogMessage[]);
    }
  }

  private waitForPublished(seq: number, timeoutMs: number): Promise<void> {
    if (seq <= this.published) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push({
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      void this.drain();
    });
  }

  /**
   * Sends one socket the rows after `since` that belong to its rooms, then joins the rooms.
   * The join happens in the same tick as the check that nothing newer was published while
   * the replay was read, so every row reaches the socket exactly once: by replay up to the
   * published seq, through the rooms after it.
   */
  async catchUp(
    socket: CatchUpSocket,
    since: number,
    requested: unknown[],
    principal: SocketPrincipal = { id: 'internal', rooms: '*' },
  ): Promise<{ joined: string[]; replayed: number; seq: number; skipped?: boolean }> {
    // Only rooms the principal may receive are replayed and joined (the gateway's seam).
    const rooms = mayReceive(principal, requested);
    for (const r of rooms) socket.leave(r);
    // A client that saw rows this process has not published yet (another server was ahead)
    // waits for this process to reach them, or it would get them twice.
    if (since > this.published) await this.waitForPublished(since, 3000);
    let from = since;
    let replayed = 0;
    const wanted = new Set(rooms);
    // Too far behind (a screen that slept for a day): replaying would flood it; it reloads over REST
    // instead. So does one that saw nothing since rows the retention has dropped (`eventHorizon`).
    if (this.published - since > (this.opts.maxReplay ?? MAX_REPLAY) || since < (await eventHorizon(this.opts.pool)) - 1) {
      const skippedTo = this.published;
      socket.emit('replay.skipped', { from: since, to: skippedTo, seq: skippedTo });
      for (const r of rooms) socket.join(r);
      return { joined: rooms, replayed: 0, seq: skippedTo, skipped: true };
    }
    for (;;) {
      const target = this.published;
      while (from < target) {
        const rows = await readEvents(this.opts.pool, from, target, PAGE);
        const batch = rows.filter((row) => roomsOf(row).some((r) => wanted.has(r))).map(messageOf);
        if (batch.length) socket.emit('events', batch);
        replayed += batch.length;
        from = rows.length ? rows[rows.length - 1]!.seq : target;
      }
      if (this.published === target) {
        for (const r of rooms) socket.join(r);
        return { joined: rooms, replayed, seq: Math.max(target, since) };
      }
    }
  }
}
