/**
 * The wall's camera policy, as pure functions of a clock so it can be tested and reasoned about:
 *
 * - The district overview is home. With the tour off the camera never moves by itself.
 * - With the tour on, the camera alternates: home for `homeMs`, then one hotspot for `dwellMs`,
 *   home again, the next hotspot, and so on. A stop is chosen when its turn starts and kept for
 *   its whole dwell, so a refreshed ranking never jerks the camera mid-stop.
 * - Urgent cases never move the main map: they queue for the case inset, which shows each one
 *   for `insetMs` in arrival order. At most one of them per `interruptGapMs` raises the inset's
 *   alarm (the one interruption a wall allows); high, normal and low cases only reach the ticker.
 */

export interface CameraPolicy {
  tour: boolean;
  /** ms at home between stops. */
  homeMs: number;
  /** ms at each tour stop. */
  dwellMs: number;
  /** ms each urgent case stays in the inset (longer while nothing else waits). */
  insetMs: number;
  /** Least ms between two alarms of the inset. */
  interruptGapMs: number;
}

export const DEFAULT_POLICY: Omit<CameraPolicy, 'tour'> = {
  homeMs: 45_000,
  dwellMs: 15_000,
  insetMs: 15_000,
  interruptGapMs: 180_000,
};

export type TourTarget = { kind: 'home'; segment: number } | { kind: 'stop'; segment: number; turn: number };

/**
 * Where the tour is at `elapsed` ms after it started, given how many stops it has. `turn` counts
 * stops made since the start (the caller maps it onto its current hotspot list); `segment`
 * numbers the home+stop cycles, so a target is identified by (kind, segment).
 */
export function tourTarget(elapsed: number, stops: number, p: Pick<CameraPolicy, 'tour' | 'homeMs' | 'dwellMs'>): TourTarget {
  if (!p.tour || stops <= 0 || elapsed < 0) return { kind: 'home', segment: 0 };
  const cycle = p.homeMs + p.dwellMs;
  const segment = Math.floor(elapsed / cycle);
  const within = elapsed - segment * cycle;
  return within < p.homeMs ? { kind: 'home', segment } : { kind: 'stop', segment, turn: segment };
}

/** The ms (after the tour's start) of the next change of target after `elapsed`, for tests and docs. */
export function nextTourChange(elapsed: number, p: Pick<CameraPolicy, 'homeMs' | 'dwellMs'>): number {
  const cycle = p.homeMs + p.dwellMs;
  const segment = Math.floor(elapsed / cycle);
  const within = elapsed - segment * cycle;
  return segment * cycle + (within < p.homeMs ? p.homeMs : cycle);
}

export interface InsetEntry<C> {
  kase: C;
  /** Policy-clock ms when it entered the queue. */
  queuedAt: number;
  /** Policy-clock ms when the inset began showing it (null while it waits). */
  shownAt: number | null;
  /** Whether it raised the alarm (the interruption) when shown. */
  alarm: boolean;
}

export interface InsetState<C> {
  queue: InsetEntry<C>[];
  current: InsetEntry<C> | null;
  lastAlarmAt: number;
  /** Ids shown so far, in order: the soak test and monitoring read it. */
  shown: number[];
}

export function emptyInset<C>(): InsetState<C> {
  return { queue: [], current: null, lastAlarmAt: -Infinity, shown: [] };
}

/** Queues an urgent case for the inset; a case already queued, shown or showing is ignored. */
export function insetPush<C extends { id: number }>(s: InsetState<C>, kase: C, now: number): InsetState<C> {
  if (s.current?.kase.id === kase.id || s.queue.some((e) => e.kase.id === kase.id) || s.shown.includes(kase.id)) return s;
  return { ...s, queue: [...s.queue, { kase, queuedAt: now, shownAt: null, alarm: false }] };
}

/**
 * Advances the inset to `now`: the current case stays its `insetMs` (and on after that while
 * nothing waits, until `insetMs` more has passed), then the next queued case takes its place.
 */
export function insetTick<C extends { id: number }>(s: InsetState<C>, now: number, p: Pick<CameraPolicy, 'insetMs' | 'interruptGapMs'>): InsetState<C> {
  let state = s;
  // A loop, not a single step: a clock that jumped (a test, a sleeping tab) catches up in order.
  for (;;) {
    const cur = state.current;
    if (cur && cur.shownAt !== null) {
      const shownFor = now - cur.shownAt;
      const limit = state.queue.length ? p.insetMs : 2 * p.insetMs;
      if (shownFor < limit) return state;
    }
    const next = state.queue[0];
    if (!next) return cur ? { ...state, current: null } : state;
    const start = cur?.shownAt != null ? Math.max(next.queuedAt, cur.shownAt + p.insetMs) : Math.max(next.queuedAt, now);
    const shownAt = Math.min(start, now);
    const alarm = shownAt - state.lastAlarmAt >= p.interruptGapMs;
    state = {
      queue: state.queue.slice(1),
      current: { ...next, shownAt, alarm },
      lastAlarmAt: alarm ? shownAt : state.lastAlarmAt,
      shown: [...state.shown, next.kase.id],
    };
  }
}

/** Whether the inset is in its alarm state at `now` (the first few seconds of an alarming case). */
export const ALARM_MS = 6_000;
export function insetAlarming<C>(s: InsetState<C>, now: number): boolean {
  return Boolean(s.current?.alarm && s.current.shownAt !== null && now - s.current.shownAt < ALARM_MS);
}

/** The cases that go to the inset: urgent ones only, the rest stay on the ticker. */
export function goesToInset(c: { priority: string }): boolean {
  return c.priority === 'urgent';
}
