import { describe, expect, it } from 'vitest';
import { emptyInset, goesToInset, insetAlarming, insetPush, insetTick, nextTourChange, tourTarget, type InsetState } from '../../client/src/features/wall/camera.ts';

const P = { tour: true, homeMs: 45_000, dwellMs: 15_000, insetMs: 15_000, interruptGapMs: 180_000 };

describe('the wall camera policy', () => {
  it('stays home for good when the tour is off, whatever the time and the hotspots', () => {
    for (const t of [0, 1, 44_999, 45_000, 10 * 60_000, 86_400_000]) {
      expect(tourTarget(t, 5, { ...P, tour: false })).toEqual({ kind: 'home', segment: 0 });
    }
  });

  it('stays home when there is no hotspot to visit', () => {
    expect(tourTarget(50_000, 0, P).kind).toBe('home');
  });

  it('alternates home for homeMs and one stop for dwellMs, stop after stop', () => {
    // Sampled every second over three cycles, the schedule written out by hand.
    const kinds: string[] = [];
    for (let t = 0; t < 180_000; t += 1000) {
      const x = tourTarget(t, 5, P);
      kinds.push(x.kind === 'home' ? 'H' : `S${x.turn}`);
    }
    const expected = [...Array(3).keys()].flatMap((c) => [...Array(45).fill('H'), ...Array(15).fill(`S${c}`)]);
    expect(kinds).toEqual(expected);
    expect(nextTourChange(0, P)).toBe(45_000);
    expect(nextTourChange(45_000, P)).toBe(60_000);
    expect(nextTourChange(59_999, P)).toBe(60_000);
  });

  it('sends only urgent cases to the inset', () => {
    expect(['urgent', 'high', 'normal', 'low'].filter((p) => goesToInset({ priority: p }))).toEqual(['urgent']);
  });

  it('shows each queued urgent case in turn, insetMs each, and hides after the last has stayed twice as long', () => {
    let s: InsetState<{ id: number }> = emptyInset();
    for (const id of [1, 2, 3]) s = insetPush(s, { id }, 0);
    s = insetPush(s, { id: 2 }, 0); // a duplicate is ignored
    s = insetTick(s, 0, P);
    expect(s.current?.kase.id).toBe(1);
    expect(s.queue.map((e) => e.kase.id)).toEqual([2, 3]);
    s = insetTick(s, 14_999, P);
    expect(s.current?.kase.id).toBe(1);
    s = insetTick(s, 15_000, P);
    expect(s.current?.kase.id).toBe(2);
    // A clock that jumps far ahead catches up in order and ends with nothing shown.
    s = insetTick(s, 1_000_000, P);
    expect(s.current).toBeNull();
    expect(s.shown).toEqual([1, 2, 3]);
    // A case shown before does not come back.
    expect(insetPush(s, { id: 1 }, 1_000_000)).toBe(s);
  });

  it('raises the alarm for at most one case per interruptGapMs', () => {
    let s: InsetState<{ id: number }> = emptyInset();
    const alarms: number[] = [];
    // Ten urgent cases, one every 30 s: the inset shows each, the alarm rings every 180 s only.
    for (let t = 0; t <= 600_000; t += 1000) {
      if (t % 30_000 === 0 && t / 30_000 < 10) s = insetPush(s, { id: t / 30_000 + 1 }, t);
      const before = s.current;
      s = insetTick(s, t, P);
      if (s.current && s.current !== before && s.current.alarm) alarms.push(s.current.shownAt!);
      if (insetAlarming(s, t)) expect(s.current!.alarm).toBe(true);
    }
    expect(s.shown).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(alarms).toEqual([0, 180_000]);
    for (let i = 1; i < alarms.length; i++) expect(alarms[i]! - alarms[i - 1]!).toBeGreaterThanOrEqual(P.interruptGapMs);
  });
});
