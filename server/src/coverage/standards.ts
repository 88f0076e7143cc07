import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { badRequest } from '../lib/errors.ts';

/** One life-circle kind of GB 50180-2018 (data/standards/life-circle-kinds.json). */
export interface LifeCircleKind {
  kind: string;
  name_zh: string;
  name_en: string;
  circle: 5 | 10 | 15;
  walk_minutes: number;
  walk_distance_m: number;
  provision: 'required' | 'recommended' | 'not_in_standard';
  colour: string;
}

export interface LifeCircle {
  circle: 5 | 10 | 15;
  name_zh: string;
  name_en: string;
  walk_minutes: number;
  walk_distance_m: number;
}

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/standards/life-circle-kinds.json');
const standard = JSON.parse(readFileSync(FILE, 'utf8')) as { kinds: LifeCircleKind[]; circles: LifeCircle[] };

export const KINDS: readonly LifeCircleKind[] = standard.kinds.map((k) => ({
  kind: k.kind,
  name_zh: k.name_zh,
  name_en: k.name_en,
  circle: k.circle,
  walk_minutes: k.walk_minutes,
  walk_distance_m: k.walk_distance_m,
  provision: k.provision,
  colour: k.colour,
}));
export const CIRCLES: readonly LifeCircle[] = standard.circles.map((c) => ({
  circle: c.circle,
  name_zh: c.name_zh,
  name_en: c.name_en,
  walk_minutes: c.walk_minutes,
  walk_distance_m: c.walk_distance_m,
}));
export const KIND_NAMES: readonly string[] = KINDS.map((k) => k.kind);
const BY_KIND = new Map(KINDS.map((k) => [k.kind, k]));

/** The kind whose facilities are the demo city's pocket parks (table `pocket_park`). */
export const POCKET_PARK_KIND = 'pocket_park';

/** Sane ranges: below them a "coverage" is a doorstep, above them it is no longer a walk. */
export const THRESHOLD_LIMITS = {
  minutes: { min: 1, max: 30 },
  metres: { min: 50, max: 3000 },
  speed: { min: 0.3, max: 3 },
} as const;

export function kindInfo(kind: string): LifeCircleKind {
  const info = BY_KIND.get(kind);
  if (!info) throw badRequest(`kind "${kind}" is not a life-circle kind; allowed: ${KIND_NAMES.join(', ')}`, { field: 'kind', allowed: KIND_NAMES });
  return info;
}

/** A walking threshold, always carried in metres for the search and described for people. */
export interface Threshold {
  /** The distance budget of the search, metres. */
  metres: number;
  /** Minutes when given by time, else null. */
  minutes: number | null;
  /** Walking speed in m/s that turned minutes into metres. */
  speed: number;
  /** `15min@1.2` or `1000m`: the cache key and the label of the threshold. */
  key: string;
}

/**
 * Reads a threshold from `minutes` (with `speed`) or `metres`; exactly one of the two. Out of
 * range or both given is refused with the rule, so a typo cannot silently mean "the whole city".
 */
export function parseThreshold(input: { minutes?: number; metres?: number; speed?: number }, defaultSpeed: number): Threshold {
  const { minutes, metres } = input;
  const speed = input.speed ?? defaultSpeed;
  if (minutes !== undefined && metres !== undefined) throw badRequest('give either minutes or metres, not both', { field: 'minutes' });
  if (!(speed >= THRESHOLD_LIMITS.speed.min && speed <= THRESHOLD_LIMITS.speed.max)) {
    throw badRequest(`speed must be between ${THRESHOLD_LIMITS.speed.min} and ${THRESHOLD_LIMITS.speed.max} m/s`, { field: 'speed' });
  }
  if (metres !== undefined) {
    if (!(metres >= THRESHOLD_LIMITS.metres.min && metres <= THRESHOLD_LIMITS.metres.max)) {
      throw badRequest(`metres must be between ${THRESHOLD_LIMITS.metres.min} and ${THRESHOLD_LIMITS.metres.max}`, { field: 'metres' });
    }
    return { metres, minutes: null, speed, key: `${metres}m` };
  }
  const m = minutes ?? 15;
  if (!(m >= THRESHOLD_LIMITS.minutes.min && m <= THRESHOLD_LIMITS.minutes.max)) {
    throw badRequest(`minutes must be between ${THRESHOLD_LIMITS.minutes.min} and ${THRESHOLD_LIMITS.minutes.max}`, { field: 'minutes' });
  }
  return { metres: m * 60 * speed, minutes: m, speed, key: `${m}min@${speed}` };
}

const RELATIONS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/standards/complaint-categories.json');
const relations = JSON.parse(readFileSync(RELATIONS_FILE, 'utf8')) as { window_days: number; relations: Array<{ categories: string[]; kinds: string[]; reason: string }> };

/** How far back complaints beside coverage are counted, days. */
export const COMPLAINT_WINDOW_DAYS = relations.window_days;

/** The complaint categories related to a kind, and why (data/standards/complaint-categories.json). */
export function complaintCategoriesOf(kind: string): { categories: string[]; reasons: string[] } {
  const hits = relations.relations.filter((r) => r.kinds.includes(kind));
  return { categories: [...new Set(hits.flatMap((r) => r.categories))], reasons: hits.map((r) => r.reason) };
}
