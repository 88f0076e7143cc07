import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CaseSummary } from '../../../../server/src/cases/schemas.ts';
import type { WhistleView } from '../../../../server/src/whistles/schemas.ts';
import type { ResponderSiteView } from '../operations/api.ts';
import { blobToBase64 } from './photo.ts';

/**
 * The responder's outbox: every action (on a whistle: accept, check in, report; on an operation
 * site: before/after photos, start, clear) is written here first, with an
 * idempotency key and the phone's time, and sent in the order it was taken. Online it leaves at
 * once; offline it waits in IndexedDB — through a reload or a closed tab — until the connection
 * returns (`online`, the page becoming visible, or "send now"). The server answers a key it has
 * seen with the first result, so a resend after a lost answer changes nothing.
 */

export type WhistleActionKind = 'accept' | 'check_in' | 'report';
export type SiteActionKind = 'site_photos' | 'site_start' | 'site_clear';
export type ActionKind = WhistleActionKind | SiteActionKind;

/** The operation site a site action is on, with its label so the outbox can name it offline. */
export interface SiteTarget {
  operation_id: number;
  site_id: number;
  label: string;
}

export interface QueuedAction {
  /** Auto-increment: the order the actions were taken in, which is the order they are sent in. */
  id?: number;
  /** The `Idempotency-Key` header. */
  key: string;
  kind: ActionKind;
  /** Whistle actions: the whistle. */
  whistle_id?: number;
  /** Site actions: the site. */
  site?: SiteTarget;
  /** The phone's time when the responder acted (the server stores it next to its own). */
  client_at: string;
  /** Check-in: lng, lat, accuracy_m; report: note; site photos: stage. */
  body: Record<string, string | number>;
  /** A report's or a site's photos, already compressed, kept as blobs until sent. */
  photos: Blob[];
  /** waiting: not yet accepted by the server; rejected: the server refused it (4xx) and said why. */
  state: 'waiting' | 'rejected';
  error?: string;
  attempts: number;
}

/** What the view last fetched, so it opens with its whistles and cases when offline. */
export interface Snapshot {
  as_of: string;
  /** The responder's department, kept so the view knows which call is its own while offline. */
  department_id: number | null;
  whistles: WhistleView[];
  cases: CaseSummary[];
}

/** The department's operation sites as last read, so the list opens offline too. */
export interface SiteSnapshot {
  as_of: string;
  sites: ResponderSiteView[];
}

interface ResponderDB extends DBSchema {
  outbox: { key: number; value: QueuedAction };
  /** 'current': the whistles and cases (Snapshot); 'sites': the operation sites (SiteSnapshot). */
  snapshot: { key: string; value: Snapshot | SiteSnapshot };
}

const DB_NAME = 'cityops-responder';
let dbPromise: Promise<IDBPDatabase<ResponderDB>> | undefined;
function db(): Promise<IDBPDatabase<ResponderDB>> {
  dbPromise ??= openDB<ResponderDB>(DB_NAME, 1, {
    upgrade(d) {
      d.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
      d.createObjectStore('snapshot');
    },
  });
  return dbPromise;
}

const changes = new EventTarget();
/** Calls `listener` whenever the outbox changes (queued, sent, refused); returns the unsubscribe. */
export function onOutboxChange(listener: () => void): () => void {
  changes.addEventListener('change', listener);
  return () => changes.removeEventListener('change', listener);
}
const changed = () => changes.dispatchEvent(new Event('change'));

export async function listOutbox(): Promise<QueuedAction[]> {
  return (await db()).getAll('outbox');
}

function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export type NewAction = Pick<QueuedAction, 'kind' | 'body'> & ({ whistle_id: number; site?: undefined } | { site: SiteTarget; whistle_id?: undefined }) & { photos?: Blob[] };

export async function enqueue(action: NewAction): Promise<QueuedAction> {
  const entry: QueuedAction = { key: newKey(), client_at: new Date().toISOString(), photos: [], state: 'waiting', attempts: 0, ...action };
  entry.id = await (await db()).add('outbox', entry);
  changed();
  return entry;
}

/** Removes a refused action the responder has read. */
export async function dismiss(id: number): Promise<void> {
  await (await db()).delete('outbox', id);
  changed();
}

export async function saveSnapshot(s: Snapshot): Promise<void> {
  await (await db()).put('snapshot', s, 'current');
}
export async function loadSnapshot(): Promise<Snapshot | undefined> {
  return (await db()).get('snapshot', 'current') as Promise<Snapshot | undefined>;
}
export async function saveSites(s: SiteSnapshot): Promise<void> {
  await (await db()).put('snapshot', s, 'sites');
}
export async function loadSites(): Promise<SiteSnapshot | undefined> {
  return (await db()).get('snapshot', 'sites') as Promise<SiteSnapshot | undefined>;
}

/** Where each kind of action is sent, and what it adds to the queued body. */
const ROUTES: Record<ActionKind, (a: QueuedAction) => { path: string; body?: Record<string, string> }> = {
  accept: (a) => ({ path: `/api/whistles/${a.whistle_id}/accept` }),
  check_in: (a) => ({ path: `/api/whistles/${a.whistle_id}/check-ins` }),
  report: (a) => ({ path: `/api/whistles/${a.whistle_id}/reports` }),
  site_photos: (a) => ({ path: `/api/operations/${a.site!.operation_id}/sites/${a.site!.site_id}/photos` }),
  site_start: (a) => ({ path: `/api/operations/${a.site!.operation_id}/sites/${a.site!.site_id}/transitions`, body: { action: 'start' } }),
  site_clear: (a) => ({ path: `/api/operations/${a.site!.operation_id}/sites/${a.site!.site_id}/transitions`, body: { action: 'clear' } }),
};

/** How one attempt ended: sent, refused for good (4xx), or to be tried again later. */
type Outcome = { sent: true } | { sent: false; refused: string } | { sent: false; retry: string };

async function send(a: QueuedAction): Promise<Outcome> {
  const photos = a.photos.length ? await Promise.all(a.photos.map(blobToBase64)) : undefined;
  const route = ROUTES[a.kind](a);
  let res: Response;
  try {
    res = await fetch(route.path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': a.key },
      body: JSON.stringify({ ...a.body, ...route.body, client_at: a.client_at, ...(photos ? { photos } : {}) }),
    });
  } catch (err) {
    return { sent: false, retry: (err as Error).message };
  }
  if (res.ok) return { sent: true };
  const message = ((await res.json().catch(() => null)) as { message?: string } | null)?.message ?? `${res.status}`;
  // Signed out, throttled, timed out or the server failing: the action is still right, try later.
  if (res.status === 401 || res.status === 408 || res.status === 429 || res.status >= 500) return { sent: false, retry: message };
  return { sent: false, refused: message };
}

let flushing: Promise<FlushResult> | undefined;
export interface FlushResult {
  sent: number;
  /** Why sending stopped early (offline, the server down); undefined when the queue is empty. */
  stoppedBy?: string;
}

/**
 * Sends the waiting actions in order, one at a time, and stops at the first that cannot go now
 * (the rest wait behind it, so the server sees them in the order they were taken). A refused
 * action stays listed with the server's reason, and the next ones go on. One flush at a time,
 * across the phone's tabs too where the browser has Web Locks.
 */
export function flushOutbox(): Promise<FlushResult> {
  flushing ??= (async () => {
    try {
      const run = () => flushOnce();
      return navigator.locks ? await navigator.locks.request('cityops-responder-outbox', run) : await run();
    } finally {
      flushing = undefined;
    }
  })();
  return flushing;
}

async function flushOnce(): Promise<FlushResult> {
  let sent = 0;
  for (const a of await listOutbox()) {
    if (a.state !== 'waiting') continue;
    const outcome = await send(a);
    const d = await db();
    if (outcome.sent) {
      await d.delete('outbox', a.id!);
      sent++;
    } else if ('refused' in outcome) {
      await d.put('outbox', { ...a, state: 'rejected', error: outcome.refused, attempts: a.attempts + 1 });
    } else {
      await d.put('outbox', { ...a, error: outcome.retry, attempts: a.attempts + 1 });
      changed();
      return { sent, stoppedBy: outcome.retry };
    }
    changed();
  }
  return { sent };
}
