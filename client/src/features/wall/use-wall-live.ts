import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FeatureCollection } from 'geojson';
import type { WallSummary } from '../../../../server/src/wall/service.ts';
import type { WallCase } from '../../../../server/src/wall/repository.ts';
import type { CaseSummary } from '../../../../server/src/cases/schemas.ts';
import { OPERATION_EVENT_TYPES, type ServerHeartbeat } from '../../../../server/src/realtime/events.ts';
import { getJson } from '../../lib/api.ts';
import { cacheGet, cachePut } from './cache.ts';
import { useLive, useLiveConnection, useLiveEvent, useLiveEvents, useWhistles } from '../../live/index.ts';
import type { HeatWindow } from './settings.ts';

export type { WallSummary, WallCase };
type WallWhistle = WallSummary['whistles'][number];

/** A case that arrived (or turned overdue) while the wall was watching, for the pulse and the tour. */
export interface LiveArrival {
  kase: WallCase;
  at: number;
  kind: 'new' | 'overdue';
}

export interface HeatData {
  /** [lng, lat, weight] triplets. */
  points: Float32Array;
  window: HeatWindow;
  as_of: string;
}

export interface WallLive {
  summary: WallSummary | null;
  heat: HeatData | null;
  subdistricts: FeatureCollection | null;
  /** Whether what is drawn came from the browser's cache and has not been refreshed yet. */
  fromCache: boolean;
  connected: boolean;
  /** ms since the epoch of the last heartbeat (or of page load, before the first). */
  lastBeat: number;
  /** The newest event seq the wall has seen. */
  seq: number;
  arrivals: LiveArrival[];
  error: string | null;
}

/** The fields of a pushed case (`case.created` / `case.updated`) the wall uses; the server's type. */
type PushedCase = Pick<
  CaseSummary,
  'id' | 'category' | 'priority' | 'status' | 'lng' | 'lat' | 'subdistrict_id' | 'reported_at' | 'due_at' | 'overdue' | 'category_name_zh' | 'category_name_en' | 'department_id' | 'address'
>;

function toWallCase(c: PushedCase): WallCase {
  return {
    id: c.id,
    category: c.category,
    priority: c.priority,
    status: c.status,
    lng: c.lng,
    lat: c.lat,
    subdistrict_id: c.subdistrict_id ?? null,
    reported_at: c.reported_at,
    due_at: c.due_at ?? null,
    overdue: Boolean(c.overdue),
    department_id: c.department_id ?? null,
    // Pushes carry the department's id only; the inset names it from the summary's list.
    department_zh: null,
    department_en: null,
    address: c.address ?? null,
    category_name_zh: c.category_name_zh,
    category_name_en: c.category_name_en,
  };
}

/** The case and seq of a push, whether the payload is `{seq, case}` or the case with a `seq`. */
function readPush(p: unknown): { kase: WallCase; seq: number } | null {
  if (!p || typeof p !== 'object') return null;
  const o = p as { seq?: number; case?: PushedCase } & Partial<PushedCase>;
  const c = (o.case ?? o) as PushedCase;
  if (typeof c.id !== 'number' || typeof c.lng !== 'number') return null;
  return { kase: toWallCase(c), seq: Number(o.seq ?? 0) };
}

const ARRIVAL_KEEP_MS = 10 * 60_000;
const SUMMARY_EVERY_MS = 30_000;
const HEAT_EVERY_MS = 60_000;

async function fetchHeat(window: HeatWindow): Promise<HeatData> {
  const res = await fetch(`/api/wall/heatmap?window=${window}`);
  if (!res.ok) throw new Error(`heatmap: ${res.status}`);
  const buf = await res.arrayBuffer();
  return { points: new Float32Array(buf), window, as_of: res.headers.get('x-data-as-of') ?? new Date().toISOString() };
}

/**
 * Everything live on the wall: the cached state at once, then the server's, then socket
 * pushes. A reconnect re-reads the summary and the heat points; cases whose ids the wall had
 * not seen, reported since the last seq it saw, arrive on the ticker as they would have live.
 */
export function useWallLive(window: HeatWindow): WallLive {
  const [state, setState] = useState<WallLive>(() => ({
    summary: null,
    heat: null,
    subdistricts: null,
    fromCache: false,
    connected: false,
    lastBeat: Date.now(),
    seq: 0,
    arrivals: [],
    error: null,
  }));
  const seenIds = useRef(new Set<number>());
  const overdueSeen = useRef(new Set<number>());
  const seqRef = useRef(0);
  const freshRef = useRef(false);

  const applySummary = useCallback((s: WallSummary, live: boolean) => {
    setState((prev) => {
      const arrivals = [...prev.arrivals];
      if (live && seenIds.current.size > 0) {
        // Cases the wall has not seen yet arrive here as they would by push, oldest first so the
        // newest pulses last. A summary can overtake the push of the same case (after a
        // reconnect, or on the heartbeat's refresh); the push then finds it seen and adds nothing.
        for (const c of [...s.latest].reverse()) {
          if (!seenIds.current.has(c.id)) arrivals.push({ kase: c, at: Date.now(), kind: 'new' });
        }
      }
      for (const c of s.latest) seenIds.current.add(c.id);
      // Cases go overdue by the clock, with no event: a case overdue now that was not in the
      // previous live read has just gone overdue (a few at most, so a backlog never floods).
      if (live && prev.summary && !prev.fromCache) {
        const before = new Set(prev.summary.overdue.map((c) => c.id));
        const turned = s.overdue.filter((c) => !before.has(c.id) && !overdueSeen.current.has(c.id)).slice(0, 3);
        for (const c of turned) arrivals.push({ kase: c, at: Date.now(), kind: 'overdue' });
      }
      for (const c of s.overdue) overdueSeen.current.add(c.id);
      seqRef.current = Math.max(seqRef.current, s.seq);
      return { ...prev, summary: s, fromCache: !live, seq: seqRef.current, arrivals, error: null };
    });
  }, []);

  const refreshSummary = useCallback(async () => {
    try {
      const s = await getJson<WallSummary>('/api/wall/summary');
      freshRef.current = true;
      applySummary(s, true);
      void cachePut('summary', s);
    } catch (err) {
      setState((prev) => ({ ...prev, error: (err as Error).message }));
    }
  }, [applySummary]);

  const refreshHeat = useCallback(async () => {
    try {
      const heat = await fetchHeat(window);
      setState((prev) => ({ ...prev, heat }));
      void cachePut(`heat:${window}`, heat);
    } catch {
      // Keep drawing the last heat points; the stale banner tells the room.
    }
  }, [window]);

  // The last known state first, then the server's.
  useEffect(() => {
    let alive = true;
    void (async () => {
      const [s, h, sub] = await Promise.all([
        cacheGet<WallSummary>('summary'),
        cacheGet<HeatData>(`heat:${window}`),
        cacheGet<FeatureCollection>('subdistricts'),
      ]);
      if (!alive) return;
      if (s && !freshRef.current) applySummary(s, false);
      setState((prev) => ({ ...prev, heat: prev.heat ?? h ?? null, subdistricts: prev.subdistricts ?? sub ?? null }));
    })();
    void refreshSummary();
    void refreshHeat();
    getJson<FeatureCollection>('/api/admin-units?level=subdistrict')
      .then((fc) => {
        if (!alive) return;
        setState((prev) => ({ ...prev, subdistricts: fc }));
        void cachePut('subdistricts', fc);
      })
      .catch(() => {});
    const t1 = setInterval(() => void refreshSummary(), SUMMARY_EVERY_MS);
    const t2 = setInterval(() => void refreshHeat(), HEAT_EVERY_MS);
    return () => {
      alive = false;
      clearInterval(t1);
      clearInterval(t2);
    };
  }, [window, applySummary, refreshSummary, refreshHeat]);

  // The page's live connection: heartbeats, pushes, and a catch-up on every reconnect.
  const live = useLiveConnection();
  const connection = useLive();
  useEffect(() => {
    // The seq the wall has read up to is where the next reconnection catches up from.
    live.noteSeq(state.seq);
  }, [live, state.seq]);
  const summaryTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // KPIs and rankings follow pushes within a couple of seconds, without a read per event.
  const soon = useCallback(() => {
    clearTimeout(summaryTimer.current);
    summaryTimer.current = setTimeout(() => void refreshSummary(), 1500);
  }, [refreshSummary]);
  useEffect(() => () => clearTimeout(summaryTimer.current), []);
  useLiveEvent('live.reconnected', () => {
    // The replay brings the missed events; the re-read also covers a log that was cut short.
    void refreshSummary();
    void refreshHeat();
  });
  useLiveEvent('replay.skipped', () => {
    void refreshSummary();
    void refreshHeat();
  });
  useLiveEvent('server.heartbeat', (beat: ServerHeartbeat) => {
    if (beat.seq > seqRef.current && seqRef.current > 0) soon();
  });
  useLiveEvent('case.created', (p: unknown) => {
    const push = readPush(p);
    if (!push) return;
    seqRef.current = Math.max(seqRef.current, push.seq);
    const fresh = !seenIds.current.has(push.kase.id);
    seenIds.current.add(push.kase.id);
    setState((prev) => {
      const latest = prev.summary ? [push.kase, ...prev.summary.latest.filter((c) => c.id !== push.kase.id)].slice(0, 40) : [push.kase];
      const arrivals = fresh ? [...prev.arrivals.filter((a) => Date.now() - a.at < ARRIVAL_KEEP_MS), { kase: push.kase, at: Date.now(), kind: 'new' as const }] : prev.arrivals;
      return { ...prev, seq: seqRef.current, arrivals, summary: prev.summary ? { ...prev.summary, latest } : prev.summary };
    });
    soon();
  });
  useLiveEvent('case.updated', (p: unknown) => {
    const push = readPush(p);
    if (!push) return;
    seqRef.current = Math.max(seqRef.current, push.seq);
    setState((prev) => {
      const before = prev.summary?.latest.find((c) => c.id === push.kase.id) ?? prev.summary?.overdue.find((c) => c.id === push.kase.id);
      const turnedOverdue = push.kase.overdue && !(before?.overdue ?? false) && !overdueSeen.current.has(push.kase.id);
      if (push.kase.overdue) overdueSeen.current.add(push.kase.id);
      const latest = prev.summary?.latest.map((c) => (c.id === push.kase.id ? push.kase : c)) ?? [];
      const arrivals = turnedOverdue ? [...prev.arrivals, { kase: push.kase, at: Date.now(), kind: 'overdue' as const }] : prev.arrivals;
      return { ...prev, seq: seqRef.current, arrivals, summary: prev.summary ? { ...prev.summary, latest } : prev.summary };
    });
    soon();
  });
  useLiveEvent('kpi.updated', soon);
  // Operations' sites and progress come with the summary: any change re-reads it shortly.
  useLiveEvents(OPERATION_EVENT_TYPES, soon);
  useLiveEvent('cases.backfilled', () => {
    void refreshSummary();
    void refreshHeat();
  });

  // The arrival board follows whistle pushes at once: a pushed whistle replaces the summary's
  // copy (a closed one leaves the board); the summary's refresh brings the rest.
  const pushed = useWhistles();
  const summaryWhistles = state.summary?.whistles;
  const whistles = useMemo(() => {
    if (!summaryWhistles) return undefined;
    const byId = new Map<number, WallWhistle>(summaryWhistles.map((w) => [w.id, w]));
    for (const w of pushed) {
      if (w.status === 'open') byId.set(w.id, w);
      else byId.delete(w.id);
    }
    return [...byId.values()].sort((a, b) => a.deadline_at.localeCompare(b.deadline_at) || a.id - b.id);
  }, [summaryWhistles, pushed]);
  const summary = useMemo(() => (state.summary && whistles ? { ...state.summary, whistles } : state.summary), [state.summary, whistles]);

  return { ...state, summary, connected: connection.connected, lastBeat: connection.lastBeat };
}

