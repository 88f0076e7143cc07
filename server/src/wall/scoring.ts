/**
 * The wall's league tables. 接诉即办 judges every unit by three rates; the wall ranks
 * subdistricts and departments by one composite of them, over the last 30 days:
 *
 *   score = 100 × (0.2 × response + 0.4 × resolution + 0.4 × satisfaction)
 *
 * - response rate: of the cases whose department had to respond (accept) in the period, the
 *   share accepted by their accept deadline (a case still unaccepted past its deadline counts
 *   as late; one not yet due is not counted);
 * - resolution rate: of the cases whose close deadline fell in the period or that were closed
 *   in it, the share closed (closed or evaluated) by that deadline;
 * - satisfaction rate: of the evaluated cases, the share rated 4 or 5 of 5.
 *
 * A rate with nothing to judge yet counts as 1 (no failure recorded), so a unit is never
 * punished for having had no cases. Resolution and satisfaction weigh most because they are
 * what citizens feel; the weights are the project's choice.
 */
export const SCORE_WEIGHTS = { response: 0.2, resolution: 0.4, satisfaction: 0.4 } as const;
export const SCORE_PERIOD_DAYS = 30;

export interface RateCounts {
  responseDue: number;
  respondedOnTime: number;
  resolutionDue: number;
  resolvedOnTime: number;
  evaluated: number;
  satisfied: number;
}

export function rate(hit: number, of: number): number {
  return of > 0 ? hit / of : 1;
}

export function compositeScore(c: RateCounts): number {
  const s =
    SCORE_WEIGHTS.response * rate(c.respondedOnTime, c.responseDue) +
    SCORE_WEIGHTS.resolution * rate(c.resolvedOnTime, c.resolutionDue) +
    SCORE_WEIGHTS.satisfaction * rate(c.satisfied, c.evaluated);
  return Math.round(s * 1000) / 10;
}

/** Heatmap weight of a case by priority: an urgent case warms the map as much as eight low ones. */
export const PRIORITY_WEIGHT = { urgent: 8, high: 4, normal: 2, low: 1 } as const;

/** Heatmap windows the wall can show. `today` starts at midnight Beijing time. */
export const HEAT_WINDOWS = ['1h', 'today', '7d'] as const;
export type HeatWindow = (typeof HEAT_WINDOWS)[number];
