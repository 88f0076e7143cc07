/**
 * The socket.io event map, shared by the server and the client (type-only imports).
 * Events are named `domain.verb` in the past tense; each carries the sequence number of the
 * event-log row it comes from, so a client that reconnects can ask for what it missed.
 * Domains add their events here.
 */

import type { CaseSummary } from '../cases/schemas.ts';
import type { KpiSnapshot } from '../kpis/schemas.ts';
import type { WhistleView } from '../whistles/schemas.ts';
import type { OperationSummary } from '../operations/schemas.ts';

export interface ServerHeartbeat {
  /** Server time, ISO 8601. */
  at: string;
  /** The newest event-log sequence number the server has published. */
  seq: number;
}

/** Progress of a long coverage computation, sent only to the socket that asked for it. */
export interface CoverageProgress {
  /** The id the client chose for the computation. */
  job: string;
  stage: string;
  done: number;
  total: number;
}

/** The fields every pushed event-log row carries. */
export interface LoggedEvent {
  /** The row's sequence number: send the last one seen to catch up after a reconnect. */
  seq: number;
  at: string;
  actor: string;
  type: string;
  /** What changed, e.g. `case:12`. */
  subject: string;
}
export interface CaseCreated extends LoggedEvent {
  type: 'case.created';
  case: CaseSummary;
}
export interface CaseUpdated extends LoggedEvent {
  type: 'case.updated';
  action: string;
  from: string;
  to: string;
  note: string | null;
  case: CaseSummary;
}
export interface CaseCommented extends LoggedEvent {
  type: 'case.commented';
  comment: { id: number; actor: string; body: string; created_at: string };
  case: CaseSummary;
}
/** History was loaded in bulk (the demo backfill): reload lists and KPIs over REST. */
export interface CasesBackfilled extends LoggedEvent {
  type: 'cases.backfilled';
  cases: number;
  days: number;
}
/** A whistle changed: every whistle event carries the whole whistle as it now is (a store replaces it by id). */
export interface WhistleEvent extends LoggedEvent {
  type: WhistleEventType;
  whistle: WhistleView;
  /** The department the event is about (accepted, checked_in, missing, reported, check_in_accepted). */
  department_code?: string;
  note?: string | null;
  /** The phone's own time of the action (it may have been queued offline). */
  client_at?: string | null;
  /** checked_in: distance to the site, reported accuracy, inside the geofence, by the deadline, flagged. */
  distance_m?: number;
  accuracy_m?: number;
  inside?: boolean;
  on_time?: boolean | null;
  flagged?: boolean;
}
export const WHISTLE_EVENT_TYPES = [
  'whistle.created',
  'whistle.accepted',
  'whistle.checked_in',
  'whistle.check_in_accepted',
  'whistle.missing',
  'whistle.escalated',
  'whistle.reported',
  'whistle.closed',
] as const;
export type WhistleEventType = (typeof WHISTLE_EVENT_TYPES)[number];

/** A target site of a clearance operation as events carry it (no photos). */
export interface OperationSiteLite {
  id: number;
  label: string;
  lng: number;
  lat: number;
  status: 'pending' | 'in_progress' | 'cleared' | 'verified';
}
/** An operation changed: every operation event carries the operation's summary with its progress as it now is. */
export interface OperationEvent extends LoggedEvent {
  type: OperationEventType;
  operation: OperationSummary;
  /** site_added: the sites added, and how (`create`, `click`, `import`). */
  sites?: OperationSiteLite[];
  via?: 'create' | 'click' | 'import';
  /** site_changed: the site, the workflow action (`start`, `clear`, `verify`, `send_back`, `photo_before`, `photo_after`), its statuses before and after. */
  site?: OperationSiteLite;
  action?: string;
  from?: string;
  to?: string;
  department_code?: string | null;
  photos?: number;
  exif_mismatch?: boolean;
  note?: string | null;
  /** closed: sites not verified when it closed. */
  unverified?: number;
}
export const OPERATION_EVENT_TYPES = ['operation.created', 'operation.site_added', 'operation.site_changed', 'operation.closed'] as const;
export type OperationEventType = (typeof OPERATION_EVENT_TYPES)[number];

/** Coalesced (at most one per interval); `seq` is the newest row the figures include. */
export interface KpiUpdated extends KpiSnapshot {
  seq: number;
  at: string;
}

/** The event-log rows a socket is pushed, by type. */
export interface LogEventMap {
  'case.created': CaseCreated;
  'case.updated': CaseUpdated;
  'case.commented': CaseCommented;
  'cases.backfilled': CasesBackfilled;
  'whistle.created': WhistleEvent;
  'whistle.accepted': WhistleEvent;
  'whistle.checked_in': WhistleEvent;
  'whistle.check_in_accepted': WhistleEvent;
  'whistle.missing': WhistleEvent;
  'whistle.escalated': WhistleEvent;
  'whistle.reported': WhistleEvent;
  'whistle.closed': WhistleEvent;
  'operation.created': OperationEvent;
  'operation.site_added': OperationEvent;
  'operation.site_changed': OperationEvent;
  'operation.closed': OperationEvent;
}
export type LogEventType = keyof LogEventMap;
/** One pushed log row; `type` tells which (a row of a type this map lacks is still pushed; clients skip it). */
export type LogMessage = LogEventMap[LogEventType] | LoggedEvent;

export interface ServerToClientEvents {
  /**
   * Event-log rows, oldest first: one frame per socket per page of rows the server read (the
   * live stream) or replayed (catch-up), holding every row of the page for the socket's rooms.
   * A frame per row would be one WebSocket write and one wake-up per row per client: 200 cases
   * a second to 200 walls is 40,000 of each a second.
   */
  events: (batch: LogMessage[]) => void;
  'kpi.updated': (e: KpiUpdated) => void;
  /** The client was too far behind to replay (`from`..`to`): reload over REST; live pushes follow. */
  'replay.skipped': (e: { from: number; to: number; seq: number }) => void;
  'server.heartbeat': (beat: ServerHeartbeat) => void;
  'coverage.progress': (progress: CoverageProgress) => void;
  /** The socket's session ended (logout, user disabled, token revoked): it is disconnected next. */
  'auth.revoked': (e: { reason: string }) => void;
}

export interface ClientToServerEvents {
  /** Joins rooms (`wall`, `subdistrict:<id>`, `department:<id>`); the ack lists those joined. */
  subscribe: (rooms: string[], ack?: (result: { joined: string[] }) => void) => void;
  /**
   * Replays the event-log rows after `since` that belong to `rooms`, in order, then joins the
   * rooms for the live stream: nothing missed, nothing twice. The same happens at connection
   * time when the handshake's `auth` is `{since, rooms}`.
   */
  catch_up: (
    req: { since: number; rooms: string[] },
    ack?: (result: { joined: string[]; replayed: number; seq: number; skipped?: boolean; error?: string }) => void,
  ) => void;
}
