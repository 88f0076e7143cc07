import { io, type Socket } from 'socket.io-client';
import type { CaseSummary } from '../../../server/src/cases/schemas.ts';
import type { WhistleView } from '../../../server/src/whistles/schemas.ts';
import type { ClientToServerEvents, LogEventMap, LogMessage, ServerToClientEvents } from '../../../server/src/realtime/events.ts';
import { WHISTLE_EVENT_TYPES } from '../../../server/src/realtime/events.ts';

export type { CaseSummary, WhistleView };

/** The server's socket events other than the frames of log rows, which are unpacked into their rows. */
type DirectEvents = Omit<ServerToClientEvents, 'events'>;
/** The events a view may listen to: each log row's type, the server's other events, and `live.reconnected` (a connection after the first). */
export type LiveEventName = keyof LogEventMap | keyof DirectEvents | 'live.reconnected';
type Payload<K extends LiveEventName> = K extends keyof LogEventMap
  ? LogEventMap[K]
  : K extends keyof DirectEvents
    ? Parameters<DirectEvents[K]>[0]
    : undefined;
export type LiveListener<K extends LiveEventName> = (payload: Payload<K>) => void;

/** What the page knows, replaced (never mutated) on every change so React can compare it. */
export interface LiveSnapshot {
  connected: boolean;
  /** ms since the epoch of the last heartbeat (or of the connection's start, before the first). */
  lastBeat: number;
  /** The newest event seq the page has seen or read: the next (re)connection catches up from it. */
  seq: number;
  /** The rooms this page follows (`wall`, `subdistrict:<id>`, `department:<id>`). */
  rooms: readonly string[];
  /** Cases by id, as the last push or read left them. */
  cases: ReadonlyMap<number, CaseSummary>;
  /** Whistles by id, as the last push or read left them. */
  whistles: ReadonlyMap<number, WhistleView>;
}

/** Case events carry the case as it now is; whistle events the whole whistle. */
const CASE_EVENTS: ReadonlySet<string> = new Set(['case.created', 'case.updated', 'case.commented']);
const WHISTLE_EVENTS: ReadonlySet<string> = new Set(WHISTLE_EVENT_TYPES);

/**
 * The page's one live connection: one socket.io socket (the session cookie authenticates it;
 * a wall's display token was exchanged for that cookie at sign-in), a catch-up from the last
 * seq on every (re)connection, and a store of the cases and whistles the pushes carry.
 *
 * Catch-up: every handshake hands the server `{since, rooms}` once something has been seen;
 * the server replays the rooms' events after `since`, in order, then joins the rooms, so
 * nothing is missed and nothing comes twice. The first connection of a page that has seen
 * nothing just subscribes.
 */
export class LiveConnection {
  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
  private snap: LiveSnapshot;
  /** The seq at which each stored case / whistle was last set, so an older read never overwrites a newer push. */
  private caseSeq = new Map<number, number>();
  private whistleSeq = new Map<number, number>();
  private readonly subscribers = new Set<() => void>();
  private readonly listeners = new Map<LiveEventName, Set<(p: unknown) => void>>();
  private connectedBefore = false;

  constructor(rooms: readonly string[]) {
    this.snap = { connected: false, lastBeat: Date.now(), seq: 0, rooms, cases: new Map(), whistles: new Map() };
  }

  get snapshot(): LiveSnapshot {
    return this.snap;
  }

  /** The socket's id, for requests whose progress the server pushes to this socket only. */
  get socketId(): string | undefined {
    return this.socket?.id;
  }

  /** For useSyncExternalStore. */
  subscribe = (fn: () => void): (() => void) => {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  };

  /** Calls `fn` for every event of that name, after the store has taken it in; returns the unsubscribe. */
  on<K extends LiveEventName>(name: K, fn: LiveListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn as (p: unknown) => void);
    return () => set.delete(fn as (p: unknown) => void);
  }

  /** A REST read that included every event up to `seq`: later catch-ups start after it. */
  noteSeq(seq: number): void {
    if (seq > this.snap.seq) this.set({ seq });
  }

  /**
   * Takes in a read of cases made when the page had seen `asOfSeq`: each replaces the stored
   * one unless a push newer than the read set it. `scope` names the cases the read covered in
   * full: stored ones in it that the read lacks (closed, moved away) are dropped.
   */
  seedCases(list: readonly CaseSummary[], asOfSeq: number, scope?: (c: CaseSummary) => boolean): void {
    this.set({ cases: seed(this.snap.cases, this.caseSeq, list, asOfSeq, scope) });
  }

  /** As `seedCases`, for whistles. */
  seedWhistles(list: readonly WhistleView[], asOfSeq: number, scope?: (w: WhistleView) => boolean): void {
    this.set({ whistles: seed(this.snap.whistles, this.whistleSeq, list, asOfSeq, scope) });
  }

  /** Puts a whistle the page got from its own action (the answer of a POST) into the store at once. */
  putWhistle(w: WhistleView): void {
    const whistles = new Map(this.snap.whistles);
    whistles.set(w.id, w);
    this.whistleSeq.set(w.id, Math.max(this.whistleSeq.get(w.id) ?? 0, this.snap.seq));
    this.set({ whistles });
  }

  /** As `putWhistle`, for a case. */
  putCase(c: CaseSummary): void {
    const cases = new Map(this.snap.cases);
    cases.set(c.id, c);
    this.caseSeq.set(c.id, Math.max(this.caseSeq.get(c.id) ?? 0, this.snap.seq));
    this.set({ cases });
  }

  connect(): void {
    if (this.socket) return;
    // What the latest handshake asked to catch up from (0: nothing, so the connection subscribes).
    let handshakeSince = 0;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      path: '/socket.io',
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
      auth: (cb) => {
        handshakeSince = this.snap.seq;
        cb(handshakeSince > 0 && this.snap.rooms.length ? { since: handshakeSince, rooms: [...this.snap.rooms] } : {});
      },
    });
    this.socket = socket;
    socket.on('connect', () => {
      // The handshake carried `since` (the server replays, then joins) or it did not: subscribe.
      if (handshakeSince === 0 && this.snap.rooms.length) socket.emit('subscribe', [...this.snap.rooms]);
      this.set({ connected: true, lastBeat: Date.now() });
      // The replay brings the missed events; views also re-read what a log cut short would miss.
      if (this.connectedBefore) this.emit('live.reconnected', undefined);
      this.connectedBefore = true;
    });
    socket.on('disconnect', (reason) => {
      this.set({ connected: false });
      // A server that shuts down disconnects its sockets itself, and socket.io does not retry
      // those on its own; a screen must keep trying until the server is back.
      if (reason === 'io server disconnect') setTimeout(() => this.socket === socket && socket.connect(), 1000);
    });
    socket.on('server.heartbeat', (beat) => {
      this.set({ lastBeat: Date.now() });
      this.emit('server.heartbeat', beat);
    });
    socket.on('events', (batch) => this.takeBatch(Array.isArray(batch) ? batch : []));
    socket.on('replay.skipped', (e) => {
      this.noteSeq(e.seq);
      this.emit('replay.skipped', e);
    });
    for (const name of ['kpi.updated', 'coverage.progress', 'auth.revoked'] as const) {
      socket.on(name, (e: unknown) => this.emit(name, e as never));
    }
  }

  /**
   * Takes in one frame of log rows (oldest first): the cases and whistles they carry go into
   * the store in one change, so a busy second costs the page one re-render, not one per row;
   * then each row goes to the views listening to its type.
   */
  private takeBatch(batch: LogMessage[]): void {
    let cases: Map<number, CaseSummary> | undefined;
    let whistles: Map<number, WhistleView> | undefined;
    let seq = this.snap.seq;
    batch = batch.filter((e) => typeof e?.type === 'string');
    for (const e of batch) {
      const rowSeq = Number(e?.seq) || 0;
      seq = Math.max(seq, rowSeq);
      const c = (e as { case?: CaseSummary }).case;
      if (CASE_EVENTS.has(e.type) && c && typeof c.id === 'number') {
        (cases ??= new Map(this.snap.cases)).set(c.id, c);
        this.caseSeq.set(c.id, rowSeq);
      }
      const w = (e as { whistle?: WhistleView }).whistle;
      if (WHISTLE_EVENTS.has(e.type) && w && typeof w.id === 'number') {
        (whistles ??= new Map(this.snap.whistles)).set(w.id, w);
        this.whistleSeq.set(w.id, rowSeq);
      }
    }
    this.set({ seq, ...(cases && { cases }), ...(whistles && { whistles }) });
    for (const e of batch) this.emit(e.type as LiveEventName, e);
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }

  private set(patch: Partial<LiveSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const fn of this.subscribers) fn();
  }

  private emit(name: LiveEventName, payload: unknown): void {
    for (const fn of this.listeners.get(name) ?? []) fn(payload);
  }
}

function seed<T extends { id: number }>(
  current: ReadonlyMap<number, T>,
  seqOf: Map<number, number>,
  list: readonly T[],
  asOfSeq: number,
  scope?: (x: T) => boolean,
): Map<number, T> {
  const next = new Map(current);
  const read = new Set<number>();
  for (const x of list) {
    read.add(x.id);
    if ((seqOf.get(x.id) ?? 0) > asOfSeq) continue;
    next.set(x.id, x);
    seqOf.set(x.id, asOfSeq);
  }
  if (scope) {
    for (const [id, x] of current) {
      if (!read.has(id) && scope(x) && (seqOf.get(id) ?? 0) <= asOfSeq) {
        next.delete(id);
        seqOf.delete(id);
      }
    }
  }
  return next;
}
