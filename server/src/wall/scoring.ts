/**
 * The wall's league tables rank subdistricts and departments by the composite score of the
 * district's scoring profile (data/standards/scoring-profiles.json; by default Beijing's
 * 接诉即办 three rates from the citizen's callback), over the last 30 days:
 *
 *   score = 100 × (w_response × response + w_resolution × resolution + w_satisfaction × satisfaction)
 *
 * The rates and the score come from the KPI module (server/src/kpis), which owns them; a
 * rate with nothing to judge yet counts as 1. Ties go to the unit with fewer overdue cases.
 */
import { compositeScore as profileScore, defaultProfile, profileRates, type RatedFigures, type ScoringProfile, type ThreeRates } from '../kpis/scoring.ts';

export const SCORE_PERIOD_DAYS = 30;

/** The profile the wall ranks by. */
export const wallProfile = (): ScoringProfile => defaultProfile();

/** The three rates the wall shows for a KPI row: those of the wall's profile. */
export const wallRates = (f: RatedFigures): ThreeRates => profileRates(f, wallProfile());

export function compositeScore(f: RatedFigures): number {
  return profileScore(wallRates(f), wallProfile());
}

/** Heatmap weight of a case by priority: an urgent case warms the map as much as eight low ones. */
export const PRIORITY_WEIGHT = { urgent: 8, high: 4, normal: 2, low: 1 } as const;

/** Heatmap windows the wall can show. `today` starts at midnight Beijing time. */
export const HEAT_WINDOWS = ['1h', 'today', '7d'] as const;
export type HeatWindow = (typeof HEAT_WINDOWS)[number];
