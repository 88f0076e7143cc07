import { useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { LiveContext } from './LiveProvider.tsx';
import type { CaseSummary, LiveConnection, LiveEventName, LiveListener, LiveSnapshot, WhistleView } from './connection.ts';

/** The page's live connection (inside a LiveProvider). */
export function useLiveConnection(): LiveConnection {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLiveConnection outside LiveProvider');
  return live;
}

/** The whole live snapshot; re-renders on every change. */
export function useLiveSnapshot(): LiveSnapshot {
  const live = useLiveConnection();
  return useSyncExternalStore(live.subscribe, () => live.snapshot);
}

export interface LiveState {
  connected: boolean;
  lastBeat: number;
  seq: number;
}

/** The connection's state: connected, the last heartbeat, the newest seq seen. */
export function useLive(): LiveState {
  const live = useLiveConnection();
  const connected = useSyncExternalStore(live.subscribe, () => live.snapshot.connected);
  const lastBeat = useSyncExternalStore(live.subscribe, () => live.snapshot.lastBeat);
  const seq = useSyncExternalStore(live.subscribe, () => live.snapshot.seq);
  return { connected, lastBeat, seq };
}

/** Whether the screen must say its data is stale: no heartbeat for `afterMs` (checked each second). */
export function useStale(afterMs: number): { stale: boolean; silentMs: number } {
  const { lastBeat } = useLive();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const silentMs = Math.max(0, now - lastBeat);
  return { stale: silentMs > afterMs, silentMs };
}

/** Calls `fn` for every event of that name (the latest `fn`, without resubscribing on each render). */
export function useLiveEvent<K extends LiveEventName>(name: K, fn: LiveListener<K>): void {
  const live = useLiveConnection();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.on(name, ((p) => ref.current(p)) as LiveListener<K>), [live, name]);
}

/** Calls `fn` on each of several events (e.g. every `operation.*`); `names` must not change between renders. */
export function useLiveEvents<K extends LiveEventName>(names: readonly K[], fn: (payload: unknown) => void): void {
  const live = useLiveConnection();
  const ref = useRef(fn);
  ref.current = fn;
  const key = names.join(',');
  useEffect(() => {
    const offs = names.map((name) => live.on(name, ((p: unknown) => ref.current(p)) as LiveListener<K>));
    return () => offs.forEach((off) => off());
    // `key` stands for `names`' content.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live, key]);
}

/** The stored whistles that pass `filter` (the store follows pushes; seed it with a read), newest first. */
export function useWhistles(filter?: (w: WhistleView) => boolean): WhistleView[] {
  const live = useLiveConnection();
  const whistles = useSyncExternalStore(live.subscribe, () => live.snapshot.whistles);
  return useMemo(() => [...whistles.values()].filter((w) => !filter || filter(w)).sort((a, b) => b.id - a.id), [whistles, filter]);
}

/** The stored cases that pass `filter`, newest first. */
export function useCases(filter?: (c: CaseSummary) => boolean): CaseSummary[] {
  const live = useLiveConnection();
  const cases = useSyncExternalStore(live.subscribe, () => live.snapshot.cases);
  return useMemo(() => [...cases.values()].filter((c) => !filter || filter(c)).sort((a, b) => b.id - a.id), [cases, filter]);
}

/**
 * Keeps the store's whistles in step with `GET /api/whistles?status=…`: read on mount, on
 * every reconnection and when the server skipped a replay. Returns whether the first read came.
 */
export function useWhistleFeed(status: 'active' | 'closed' = 'active'): { loaded: boolean; error: string | null; reload: () => void } {
  const live = useLiveConnection();
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let alive = true;
    const asOf = live.snapshot.seq;
    fetch(`/api/whistles?status=${status}`, { headers: { accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`${res.status}`);
        const body = (await res.json()) as { whistles: WhistleView[] };
        if (!alive) return;
        live.seedWhistles(body.whistles, asOf, (w) => (status === 'active' ? w.status === 'open' : w.status !== 'open'));
        setLoaded(true);
        setError(null);
      })
      .catch((err: Error) => alive && setError(err.message));
    return () => {
      alive = false;
    };
  }, [live, status, round]);
  const reload = () => setRound((r) => r + 1);
  useLiveEvent('live.reconnected', reload);
  useLiveEvent('replay.skipped', reload);
  return { loaded, error, reload };
}
