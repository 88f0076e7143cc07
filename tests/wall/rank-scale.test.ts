import { describe, expect, it } from 'vitest';
import { rankScale } from '../../client/src/features/wall/rank-scale.ts';

describe('the ranking bars\' axis', () => {
  it('cuts a narrow band of scores to round fives around it, so the bars differ visibly', () => {
    // Scores between 91.1 and 92.9 drawn from zero would differ by 2 % of a bar.
    const { lo, hi } = rankScale([91.1, 92.0, 92.9]);
    expect([lo, hi]).toEqual([90, 95]);
    const width = (s: number) => (s - lo) / (hi - lo);
    expect(width(92.9) - width(91.1)).toBeGreaterThan(0.3);
  });

  it('keeps every score on the axis and never leaves 0–100', () => {
    for (const scores of [[0.4, 3], [55, 99.6], [100, 100], [72.5, 88.1, 64.9]]) {
      const { lo, hi } = rankScale(scores);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(100);
      expect(hi).toBeGreaterThan(lo);
      for (const s of scores) {
        expect(s).toBeGreaterThanOrEqual(lo);
        expect(s).toBeLessThanOrEqual(hi);
      }
    }
  });
});
