/**
 * Scoring profiles (data/standards/scoring-profiles.json): which three rates a district ranks
 * its units by — the citizen's callback answers (Beijing 接诉即办) or the center's own
 * administrative stamps — and the weights of the composite score. The weights are policy,
 * not a constant, so they live in data with their sources.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCORING_RATES = ['callback', 'administrative'] as const;
export type ScoringRates = (typeof SCORING_RATES)[number];

export const CALLBACK_LEVELS = ['satisfied', 'basically_satisfied', 'dissatisfied'] as const;
export type CallbackLevel = (typeof CALLBACK_LEVELS)[number];

/** One profile of the file. */
export interface ScoringProfile {
  id: string;
  name_zh: string;
  name_en: string;
  rates: ScoringRates;
  weights: { response: number; resolution: number; satisfaction: number; sourced: boolean };
  sources: { what: string; title: string; url?: string }[];
  unsourced?: string;
}

interface ProfileFile {
  default: string;
  callback_satisfaction_levels: Record<CallbackLevel, number> & { sourced: boolean };
  profiles: ScoringProfile[];
}

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/standards/scoring-profiles.json');

function load(): ProfileFile {
  const f = JSON.parse(readFileSync(FILE, 'utf8')) as ProfileFile;
  for (const p of f.profiles) {
    const { response, resolution, satisfaction } = p.weights;
    if (!SCORING_RATES.includes(p.rates)) throw new Error(`scoring profile ${p.id}: rates must be one of ${SCORING_RATES.join(', ')}`);
    if ([response, resolution, satisfaction].some((w) => !(w >= 0)) || Math.abs(response + resolution + satisfaction - 1) > 1e-9) {
      throw new Error(`scoring profile ${p.id}: weights must be non-negative and sum to 1`);
    }
  }
  if (!f.profiles.some((p) => p.id === f.default)) throw new Error(`scoring profiles: default "${f.default}" is not a profile`);
  for (const l of CALLBACK_LEVELS) if (!(f.callback_satisfaction_levels[l] >= 0 && f.callback_satisfaction_levels[l] <= 1)) throw new Error(`callback level ${l} must lie in [0, 1]`);
  return f;
}

const FILE_DATA = load();

export const listProfiles = (): ScoringProfile[] => FILE_DATA.profiles;
export const findProfile = (id: string): ScoringProfile | undefined => FILE_DATA.profiles.find((p) => p.id === id);
export const defaultProfile = (): ScoringProfile => findProfile(FILE_DATA.default)!;
/** How much each callback answer counts towards the callback satisfaction rate. */
export const callbackLevelValues = (): Record<CallbackLevel, number> => FILE_DATA.callback_satisfaction_levels;

export interface ThreeRates {
  response: number | null;
  resolution: number | null;
  satisfaction: number | null;
}

/** The figures a profile can rank by: the administrative rates and the callback rates. */
export interface RatedFigures {
  response_rate: number | null;
  resolution_rate: number | null;
  satisfaction_rate: number | null;
  callback: { response_rate: number | null; resolution_rate: number | null; satisfaction_rate: number | null };
}

/** The three rates the profile ranks by. */
export function profileRates(f: RatedFigures, profile: ScoringProfile): ThreeRates {
  return profile.rates === 'callback'
    ? { response: f.callback.response_rate, resolution: f.callback.resolution_rate, satisfaction: f.callback.satisfaction_rate }
    : { response: f.response_rate, resolution: f.resolution_rate, satisfaction: f.satisfaction_rate };
}

/**
 * score = 100 × (w_response × response + w_resolution × resolution + w_satisfaction × satisfaction),
 * to one decimal. A rate with nothing to judge yet (null) counts as 1 (no failure recorded),
 * so a unit is never punished for having had no cases.
 */
export function compositeScore(r: ThreeRates, profile: ScoringProfile): number {
  const w = profile.weights;
  const s = w.response * (r.response ?? 1) + w.resolution * (r.resolution ?? 1) + w.satisfaction * (r.satisfaction ?? 1);
  return Math.round(s * 1000) / 10;
}
