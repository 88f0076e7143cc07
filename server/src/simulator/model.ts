/**
 * The shape of the synthetic demo stream: when complaints come, of what kind, and how long
 * departments take. Everything is drawn from a seeded generator so a seed gives the same
 * history every time.
 */
import { listCategories, SLA_STAGES, type CaseCategory, type SlaStage } from '../cases/categories.ts';
import type { CaseSource } from '../cases/schemas.ts';

/** mulberry32: small, fast, good enough for synthetic data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable number in [0, 1) for a key: per-case decisions that must not change between runs or processes. */
export function hash01(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return prng(h >>> 0)();
}

/**
 * Relative complaint volume per local hour (0–23): quiet at night, a morning peak as the
 * hotline opens and people leave home, a second one in the early evening.
 */
export const HOURLY_RHYTHM = [0.15, 0.1, 0.08, 0.07, 0.08, 0.15, 0.4, 0.9, 1.5, 1.8, 1.7, 1.5, 1.2, 1.3, 1.5, 1.5, 1.4, 1.4, 1.5, 1.4, 1.1, 0.8, 0.5, 0.3];
const MEAN_RHYTHM = HOURLY_RHYTHM.reduce((a, b) => a + b, 0) / 24;
/** Weekends bring fewer reports from patrols and more from residents at home; net a little fewer. */
const WEEKDAY_FACTOR = [0.85, 1.05, 1, 1, 1, 1.05, 0.9];

/** The rhythm factor (mean 1 over a day) at a moment, in Beijing local time. */
export function rhythmAt(at: Date): number {
  const local = new Date(at.getTime() + 8 * 3_600_000);
  return (HOURLY_RHYTHM[local.getUTCHours()]! / MEAN_RHYTHM) * WEEKDAY_FACTOR[local.getUTCDay()]!;
}

/** Poisson draw (Knuth for small means, normal approximation above). */
export function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rand)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

export function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

const SOURCES: [CaseSource, number][] = [
  ['hotline_12345', 0.6],
  ['grid_patrol', 0.24],
  ['wechat', 0.11],
  ['sensor', 0.05],
];

export function pickSource(rand: () => number): CaseSource {
  let r = rand();
  for (const [s, w] of SOURCES) {
    if ((r -= w) < 0) return s;
  }
  return 'hotline_12345';
}

/** Categories drawn by their weight in the taxonomy; winter adds heating complaints. */
export function categoryPicker(at: Date): (rand: () => number) => CaseCategory {
  const month = new Date(at.getTime() + 8 * 3_600_000).getUTCMonth();
  const heatingSeason = month >= 10 || month <= 2;
  const cats = listCategories().map((c) => ({ c, w: c.weight * (c.code === 'heating' ? (heatingSeason ? 2 : 0.05) : 1) }));
  const total = cats.reduce((a, x) => a + x.w, 0);
  return (rand) => {
    let r = rand() * total;
    for (const x of cats) if ((r -= x.w) < 0) return x.c;
    return cats[cats.length - 1]!.c;
  };
}

/**
 * How hard-pressed the units serving a subdistrict are, in [0, 1): 0 works smoothly, 1
 * struggles. Real districts' units differ (staffing, old housing, backlog), so their rates
 * and scores spread; a stable draw per subdistrict id gives the demo the same spread every run.
 */
export function unitStrain(subdistrictId: number | null | undefined): number {
  return subdistrictId == null ? 0.5 : hash01(`unit-strain:${subdistrictId}`);
}

/** The share of stages done late under a strain: from 2 % (smooth) to 16 % (struggling). */
export const lateShare = (strain: number): number => 0.02 + 0.14 * strain;
/** The share of cases a department hands back, or the center sends back after its check: 2 % to 10 %. */
export const sentBackShare = (strain: number): number => 0.02 + 0.08 * strain;

/**
 * How long a stage takes, in hours, as a share of its SLA: most within it (a skewed draw
 * between 10 % and 90 %), a `late` share (one in twelve by default) late by up to three times.
 */
export function stageHours(category: CaseCategory, stage: SlaStage, u: number, v: number, late = 0.08): number {
  const sla = category.sla_hours[stage];
  const share = u < late ? 1.05 + v * 2 : 0.1 + 0.8 * v * v;
  return sla * share;
}

/** A rating: on-time work is mostly rated satisfied, late work much less so. */
export function satisfactionFor(late: boolean, u: number): number {
  const dist = late ? [0.2, 0.2, 0.25, 0.2, 0.15] : [0.02, 0.03, 0.08, 0.27, 0.6];
  let r = u;
  for (let i = 0; i < 5; i++) if ((r -= dist[i]!) < 0) return i + 1;
  return 5;
}

export const STAGES = SLA_STAGES;

const DESCRIPTIONS: Record<string, string[]> = {
  parking_shortage: ['小区内车位严重不足，晚上车辆乱停', '胡同口停车占道，居民出行困难'],
  elevator_retrofit: ['六层老楼申请加装电梯，低层住户有异议', '加装电梯施工进度慢，请协调'],
  pet_nuisance: ['楼下有人遛狗不拴绳', '邻居家犬只夜间吠叫扰民'],
  property_management: ['物业长期不清理楼道垃圾', '物业费收取标准不透明'],
  street_vending: ['路口早点摊占道经营', '商铺店外摆放货架占用人行道'],
  heating: ['室内温度不足16度', '暖气片不热，已报修多次'],
};

export function descriptionFor(category: CaseCategory, u: number): string {
  const list = DESCRIPTIONS[category.code] ?? [category.description_zh];
  return `${list[Math.floor(u * list.length)]}（模拟数据）`;
}

/** What in a case's history colours the citizen's answers on the callback. */
export interface CallbackHistory {
  /** Closed after its due time. */
  late: boolean;
  /** Handed back by a department at least once. */
  returned: boolean;
  /** Failed the center's check at least once. */
  reopened: boolean;
}

/** Share of closed cases the center calls back (the rest it could not reach or did not sample). */
export const CALLBACK_SHARE = 0.85;

/**
 * The citizen's answers on the callback (回访): mostly contacted and solved, but a late,
 * returned or reopened case is less often solved, and an unsolved or late one less often
 * satisfying. `u`, `v`, `w` are uniform draws.
 */
export function callbackAnswers(h: CallbackHistory, u: number, v: number, w: number): { contacted: boolean; solved: boolean; satisfaction: 'satisfied' | 'basically_satisfied' | 'dissatisfied' } {
  const contacted = u < (h.late ? 0.85 : 0.97);
  const pSolved = Math.max(0.05, 0.92 - (h.late ? 0.3 : 0) - (h.reopened ? 0.3 : 0) - (h.returned ? 0.1 : 0) - (contacted ? 0 : 0.3));
  const solved = v < pSolved;
  const troubled = h.late || h.reopened || h.returned;
  const [pSat, pBasic] = !solved ? [0.05, 0.25] : troubled ? [0.45, 0.35] : [0.75, 0.2];
  const satisfaction = w < pSat ? 'satisfied' : w < pSat + pBasic ? 'basically_satisfied' : 'dissatisfied';
  return { contacted, solved, satisfaction };
}

/** Hours after closing that the callback is made: within three days. */
export const callbackDelayHours = (u: number): number => 4 + u * 68;
