/**
 * The wall's league tables rank subdistricts and departments by one composite of the three
 * 接诉即办 rates, as the KPI module computes them (server/src/kpis; formulas in the README)
 * over the last 30 days:
 *
 *   score = 100 × (0.2 × response_rate + 0.4 × resolution_rate + 0.4 × satisfaction_rate)
 *
 * A rate with nothing to judge yet (null) counts as 1 (no failure recorded), so a unit is
 * never punished for having had no cases. Resolution and satisfaction weigh most because
 * they are what citizens feel; the weights are the project's choice. Ties go to the unit
 * with fewer overdue cases.
 */
export const SCORE_WEIGHTS = { response: 0.2, resolution: 0.4, satisfaction: 0.4 } as const;
export const SCORE_PERIOD_DAYS = 30;

export interface Rates {
  response_rate: number | null;
  resolution_rate: number | null;
  satisfaction_rate: number | null;
}

export function compositeScore(r: Rates): number {
  const s =
    SCORE_WEIGHTS.response * (r.response_rate ?? 1) + SCORE_WEIGHTS.resolution * (r.resolution_rate ?? 1) + SCORE_WEIGHTS.satisfaction * (r.satisfaction_rate ?? 1);
  return Math.round(s * 1000) / 10;
}

/** Heatmap weight of a case by priority: an urgent case warms the map as much as eight low ones. */
export const PRIORITY_WEIGHT = { urgent: 8, high: 4, normal: 2, low: 1 } as const;

/** Heatmap windows the wall can show. `today` starts at midnight Beijing time. */
export const HEAT_WINDOWS = ['1h', 'today', '7d'] as const;
export type HeatWindow = (typeof HEAT_WINDOWS)[number];
