import { rankScale } from './rank-scale.ts';

/**
 * The optional subdistrict choropleth (`?choropleth=overdue` or `?choropleth=score`): each
 * subdistrict filled by the class its figure falls in. Five classes of equal width with round
 * bounds, so the legend can print them as plain ranges with their unit.
 */
export const CHOROPLETH_MEASURES = ['overdue', 'score'] as const;
export type ChoroplethMeasure = (typeof CHOROPLETH_MEASURES)[number];
export const CHOROPLETH_CLASSES = 5;

const NICE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];

/**
 * The lower bound of each class, ascending (the first is where the scale starts). Overdue
 * counts start at 0 in round steps that hold the largest count; scores share the ranking bars'
 * axis (rank-scale.ts), cut into five equal classes.
 */
export function choroplethBreaks(values: number[], measure: ChoroplethMeasure): number[] {
  if (measure === 'score') {
    const { lo, hi } = rankScale(values);
    const step = (hi - lo) / CHOROPLETH_CLASSES;
    return Array.from({ length: CHOROPLETH_CLASSES }, (_, i) => lo + i * step);
  }
  const max = Math.max(0, ...values);
  const step = NICE_STEPS.find((s) => s * (CHOROPLETH_CLASSES - 1) >= max) ?? Math.ceil(max / (CHOROPLETH_CLASSES - 1));
  return Array.from({ length: CHOROPLETH_CLASSES }, (_, i) => i * step);
}

/** The class (0 … breaks.length − 1) of a value: the last class whose lower bound it reaches. */
export function choroplethClass(value: number, breaks: number[]): number {
  let k = 0;
  for (let i = 1; i < breaks.length; i++) if (value >= breaks[i]!) k = i;
  return k;
}

/** The legend's label of a class: "0–4", "20 以上"-style tails are left to the caller's words. */
export function classRange(breaks: number[], i: number, measure: ChoroplethMeasure): { from: string; to: string | null } {
  const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  const next = breaks[i + 1];
  if (next === undefined) return { from: fmt(breaks[i]!), to: null };
  // Overdue counts are whole cases: 0–4 then 5–9; scores are continuous: 80–82 then 82–84.
  return { from: fmt(breaks[i]!), to: fmt(measure === 'overdue' ? next - 1 : next) };
}
