import { describe, expect, it } from 'vitest';
import { choroplethBreaks, choroplethClass, classRange } from '../../client/src/features/wall/choropleth.ts';
import { parseWallSettings } from '../../client/src/features/wall/settings.ts';

describe('the subdistrict choropleth', () => {
  it('cuts overdue counts into five round classes from 0 that hold the largest count', () => {
    const breaks = choroplethBreaks([0, 3, 12, 34], 'overdue');
    expect(breaks).toEqual([0, 10, 20, 30, 40]);
    expect([0, 3, 12, 34].map((v) => choroplethClass(v, breaks))).toEqual([0, 0, 1, 3]);
    expect(classRange(breaks, 0, 'overdue')).toEqual({ from: '0', to: '9' });
    expect(classRange(breaks, 4, 'overdue')).toEqual({ from: '40', to: null });
  });

  it('puts every score in one of five equal classes of the ranking axis, the best in the lightest', () => {
    const scores = [85.3, 86.1, 87.4, 88.0];
    const breaks = choroplethBreaks(scores, 'score');
    expect(breaks).toHaveLength(5);
    expect(breaks[0]).toBeLessThanOrEqual(85.3);
    const classes = scores.map((s) => choroplethClass(s, breaks));
    expect(classes).toEqual([...classes].sort((a, b) => a - b));
    expect(classes[0]).toBeLessThan(classes.at(-1)!);
  });

  it('is off unless the URL asks, and takes the heat\'s place unless the layers are named', () => {
    expect(parseWallSettings('').choropleth).toBeNull();
    expect(parseWallSettings('?choropleth=bogus').choropleth).toBeNull();
    const s = parseWallSettings('?choropleth=overdue');
    expect(s.choropleth).toBe('overdue');
    expect(s.layers.has('heat')).toBe(false);
    expect(parseWallSettings('?choropleth=score&layers=heat,cases').layers.has('heat')).toBe(true);
  });
});
