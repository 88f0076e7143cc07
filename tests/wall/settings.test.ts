import { describe, expect, it } from 'vitest';
import { LAYER_IDS, parseWallSettings } from '../../client/src/features/wall/settings.ts';

describe('wall URL settings', () => {
  it('shows every live layer (the planner\'s complaint gaps only when asked), tours, and waits 15 s for a heartbeat by default', () => {
    const s = parseWallSettings('');
    expect([...s.layers]).toEqual(LAYER_IDS.filter((l) => l !== 'complaints'));
    expect(s.gapKind).toBe('elderly_day_care');
    expect([...parseWallSettings('?layers=complaints,heat&gapkind=public_toilet').layers].sort()).toEqual(['complaints', 'heat']);
    expect(parseWallSettings('?gapkind=Robert%27);DROP').gapKind).toBe('elderly_day_care');
    expect(s.tour).toBe(true);
    expect(s.staleAfterMs).toBe(15_000);
    expect(s.window).toBe('today');
  });

  it('reads layers, tour, window and stale threshold, ignoring unknown layers', () => {
    const s = parseWallSettings('?layers=heat,bogus,whistles&tour=0&window=7d&stale=4');
    expect([...s.layers]).toEqual(['heat', 'whistles']);
    expect(s.tour).toBe(false);
    expect(s.window).toBe('7d');
    expect(s.staleAfterMs).toBe(4000);
  });

  it('turns the tour off when a subdistrict is in focus, and keeps defaults for out-of-range values', () => {
    const s = parseWallSettings('?focus=什刹海街道&stale=0&window=2h&layers=');
    expect(s.focus).toBe('什刹海街道');
    expect(s.tour).toBe(false);
    expect(s.staleAfterMs).toBe(15_000);
    expect(s.window).toBe('today');
    expect(s.layers.size).toBe(0);
  });
});
