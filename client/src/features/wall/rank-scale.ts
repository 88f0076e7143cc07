/**
 * The ranking bars' axis: from a round 5 below the lowest score to the round 5 at or above the
 * highest. Scores that all lie within a few points would make bars from zero look equal; a
 * cut axis shows the differences, and its two ends are printed over the bars so it stays honest.
 */
export function rankScale(scores: number[]): { lo: number; hi: number } {
  if (!scores.length) return { lo: 0, hi: 100 };
  const lo = Math.max(0, Math.floor((Math.min(...scores) - 1) / 5) * 5);
  const hi = Math.min(100, Math.max(lo + 5, Math.ceil(Math.max(...scores) / 5) * 5));
  return { lo, hi };
}
