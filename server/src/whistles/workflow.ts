import { buildSetClause, roleMayTake, type SetValue as GenericSetValue, type WorkflowActor } from '../lib/workflow.ts';

/**
 * The whistle's workflow (吹哨 → 报到 → 评价) as one declarative table: for each action,
 * the states it may start from, the state it leads to, who may take it, and the columns it
 * sets. The service validates against the table and the repository builds the UPDATE from
 * `sets`, so a rule lives in exactly one place (the case loop has the same form:
 * server/src/cases/state-machine.ts).
 *
 * Each summoned department (a call) has a state, computed in SQL by `whistle_call_state`:
 *   summoned → accepted (on the way) → checked_in_on_time | checked_in_late
 *   summoned | accepted → missing (the deadline passed without a check-in; a late check-in still counts)
 * The whistle itself is open until its commander closes it with grades.
 */

export const CALL_STATES = ['summoned', 'accepted', 'missing', 'checked_in_on_time', 'checked_in_late'] as const;
export type CallState = (typeof CALL_STATES)[number];

export const WHISTLE_STATUSES = ['open', 'closed', 'cancelled'] as const;
export type WhistleStatus = (typeof WHISTLE_STATUSES)[number];

/** Who takes an action (server/src/lib/workflow.ts): an admin may act as either person. */
export type WhistleActor = WorkflowActor;

/** A column's new value; the fixed expressions are over the call `c` and the whistle `w`. */
export type SetValue = GenericSetValue<'on_time'>;

export const SET_EXPRESSIONS: Readonly<Record<'on_time', string>> = {
  // A check-in counts as on time when the server received it by the deadline.
  on_time: 'now() <= w.deadline_at',
};

interface CallAction {
  on: 'call';
  from: readonly CallState[];
  /** The state after the action (one of several when a column decides); null when it does not change (a report). */
  to: CallState | readonly CallState[] | null;
  who: readonly WhistleActor[];
  /** Extra condition on the call row, with the reason given when it fails. */
  guard?: { when: 'not_accepted' | 'flagged'; reason: string };
  sets: Readonly<Record<string, SetValue>>;
}

interface WhistleLevelAction {
  on: 'whistle';
  from: readonly WhistleStatus[];
  to: WhistleStatus;
  who: readonly WhistleActor[];
  guard?: { when: 'not_escalated'; reason: string };
  sets: Readonly<Record<string, SetValue>>;
}

export const WHISTLE_ACTIONS = {
  /** A commander blows the whistle (吹哨) in its subdistrict: the whistle and its calls are inserted. */
  blow: { on: 'whistle', from: [], to: 'open', who: ['commander'], sets: {} },
  /** A responder acknowledges the summons (响应): on the way. */
  accept: {
    on: 'call',
    from: ['summoned', 'missing'],
    to: 'accepted',
    who: ['responder'],
    guard: { when: 'not_accepted', reason: 'it has already accepted' },
    sets: { accepted_at: { now: true }, accepted_by: { param: 'actor' }, accepted_client_at: { param: 'client_at' } },
  },
  /** A responder reports on site (报到); late or outside is recorded and flagged, never refused. */
  check_in: {
    on: 'call',
    from: ['summoned', 'accepted', 'missing'],
    to: ['checked_in_on_time', 'checked_in_late'],
    who: ['responder'],
    sets: {
      checked_in_at: { now: true },
      checked_in_geom: { param: 'geom' },
      checked_in_accuracy_m: { param: 'accuracy_m' },
      checked_in_distance_m: { param: 'distance_m' },
      checked_in_client_at: { param: 'client_at' },
      checked_in_by: { param: 'actor' },
      inside: { param: 'inside' },
      on_time: { expr: 'on_time' },
    },
  },
  /** A responder reports what was done on site, with photos (adds a report; the state stays). */
  report: { on: 'call', from: ['checked_in_on_time', 'checked_in_late'], to: null, who: ['responder'], sets: {} },
  /** The commander accepts a late or outside check-in, with a note (audited in the event log). */
  accept_check_in: {
    on: 'call',
    from: ['checked_in_on_time', 'checked_in_late'],
    to: null,
    who: ['commander'],
    guard: { when: 'flagged', reason: 'its check-in is neither late nor outside, or was already accepted' },
    sets: { flag_accepted_at: { now: true }, flag_accepted_by: { param: 'actor' }, flag_note: { param: 'note' } },
  },
  /** The sweep records a department that let the deadline pass without checking in. */
  miss: { on: 'call', from: ['summoned', 'accepted'], to: 'missing', who: ['system'], sets: { missing_at: { now: true } } },
  /** The commander closes the whistle and grades every summoned department (评价). */
  close: {
    on: 'whistle',
    from: ['open'],
    to: 'closed',
    who: ['commander'],
    sets: { status: { param: 'status' }, closed_at: { now: true }, closed_by: { param: 'actor' } },
  },
  /** The sweep sends an unanswered whistle up to the district once its escalation time passes. */
  escalate: {
    on: 'whistle',
    from: ['open'],
    to: 'open',
    who: ['system'],
    guard: { when: 'not_escalated', reason: 'it has already been escalated' },
    sets: { escalated_at: { now: true } },
  },
} as const satisfies Record<string, CallAction | WhistleLevelAction>;

export type WhistleActionName = keyof typeof WHISTLE_ACTIONS;
export type CallActionName = { [K in WhistleActionName]: (typeof WHISTLE_ACTIONS)[K] extends { on: 'call' } ? K : never }[WhistleActionName];
export type WhistleLevelActionName = Exclude<WhistleActionName, CallActionName>;

/** Whether a role may take a whistle action at all (scope is checked against the row). */
export function roleMayTakeWhistleAction(role: string, action: WhistleActionName): boolean {
  return roleMayTake(role, WHISTLE_ACTIONS[action].who);
}

/** The fields of a call the guards look at. */
export interface CallRow {
  state: CallState;
  accepted_at: unknown;
  flagged: boolean;
}

/** Why an action may not be taken on a call in its current state; null when it may. */
export function refuseCallAction(action: CallActionName, call: CallRow): string | null {
  const a: CallAction = WHISTLE_ACTIONS[action];
  if (!a.from.includes(call.state)) return `it is ${call.state}, and ${action} is taken only from ${a.from.join(' or ')}`;
  if (a.guard?.when === 'not_accepted' && call.accepted_at !== null) return a.guard.reason;
  if (a.guard?.when === 'flagged' && !call.flagged) return a.guard.reason;
  return null;
}

export function refuseWhistleAction(action: WhistleLevelActionName, w: { status: WhistleStatus; escalated_at: unknown }): string | null {
  const a: WhistleLevelAction = WHISTLE_ACTIONS[action];
  if (!a.from.includes(w.status)) return `it is ${w.status}, and ${action} is taken only when ${a.from.join(' or ')}`;
  if (a.guard?.when === 'not_escalated' && w.escalated_at !== null) return a.guard.reason;
  return null;
}

/** The SET list of an action's UPDATE and its parameter order (see buildSetClause). */
export function setClause(action: WhistleActionName, offset: number): { sql: string; params: string[] } {
  return buildSetClause(WHISTLE_ACTIONS[action].sets as Readonly<Record<string, SetValue>>, offset, SET_EXPRESSIONS);
}

/** Geofence: inside when the distance is at most the radius plus the reported accuracy, the accuracy counted up to this many metres. */
export const ACCURACY_CAP_M = 50;
export const DEFAULT_RADIUS_M = 100;

export function insideGeofence(distanceM: number, radiusM: number, accuracyM: number): boolean {
  return distanceM <= radiusM + Math.min(Math.max(accuracyM, 0), ACCURACY_CAP_M);
}
