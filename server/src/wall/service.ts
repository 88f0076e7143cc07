import type { Pool } from '../db/pool.ts';
import { kpis, series } from '../kpis/service.ts';
import type { KpiRow } from '../kpis/schemas.ts';
import { listCategories } from '../cases/categories.ts';
import { listActiveWhistles, type WhistleView } from '../whistles/repository.ts';
import { listOpenForWall, type WallOperation } from '../operations/repository.ts';
import { hasCases, readLatestCases, readLatestSeq, readOverdueCases, readOverdueCountAt, readSubdistricts, type WallCase } from './repository.ts';
import { compositeScore, SCORE_PERIOD_DAYS, wallProfile, wallRates } from './scoring.ts';

/**
 * Targets the KPI tiles compare against (the project's choice, in the spirit of the
 * 接诉即办 assessments: response near-universal, resolution and satisfaction high).
 */
export const KPI_TARGETS = { response: 0.95, resolution: 0.85, satisfaction: 0.9 } as const;

export interface RankedUnit {
  id: number;
  name_zh: string;
  name_en: string;
  score: number;
  response: number | null;
  resolution: number | null;
  satisfaction: number | null;
  cases: number;
  overdue: number;
}

export interface WallSummary {
  as_of: string;
  seq: number;
  cases_available: boolean;
  kpis: {
    today: number;
    yesterday_same_time: number;
    overdue: number;
    overdue_day_ago: number;
    /** Rates over the scoring period (null: nothing to judge yet), now and 24 hours earlier. */
    response: number | null;
    resolution: number | null;
    satisfaction: number | null;
    response_day_ago: number | null;
    resolution_day_ago: number | null;
    satisfaction_day_ago: number | null;
    targets: typeof KPI_TARGETS;
  };
  score_period_days: number;
  /** The scoring profile the rates and scores are of (data/standards/scoring-profiles.json). */
  profile: { id: string; name_zh: string; name_en: string; rates: 'callback' | 'administrative' };
  subdistricts: (RankedUnit & { code: string; lng: number; lat: number })[];
  departments: RankedUnit[];
  categories: { code: string; name_zh: string; name_en: string; count: number; previous: number }[];
  trend: { hour: string; reported: number; closed: number }[];
  latest: WallCase[];
  overdue: WallCase[];
  whistles: WhistleView[];
  /** Open clearance operations: each site's place and status, and the operation's progress. */
  operations: WallOperation[];
}

function ranked(rows: KpiRow[]): RankedUnit[] {
  return rows
    .map((r) => ({
      id: Number(r.key),
      name_zh: r.name_zh,
      name_en: r.name_en,
      score: compositeScore(r),
      ...wallRates(r),
      cases: r.cases,
      overdue: r.overdue,
    }))
    .sort((a, b) => b.score - a.score || a.overdue - b.overdue || a.id - b.id);
}

const PERIOD = '30d' as const;

const profileSummary = () => {
  const { id, name_zh, name_en, rates } = wallProfile();
  return { id, name_zh, name_en, rates };
};

/**
 * Every wall asks for the same figures, and computing them is fourteen KPI queries (seconds on
 * a small machine with 100,000 cases). So each process keeps its last summary and hands it to
 * every wall that asks while the event log has not moved (every change a wall shows is logged)
 * and it is younger than `SUMMARY_REUSE_MS`, which bounds what time alone changes (a case
 * falling overdue). Walls that ask while it is being computed share the computation. The
 * figures are exact as of the summary's `as_of`, which the wall shows beside them.
 */
const SUMMARY_REUSE_MS = 15_000;
const lastSummary = new WeakMap<Pool, { seq: number; at: number; summary: Promise<WallSummary> }>();

export async function sharedWallSummary(db: Pool): Promise<WallSummary> {
  const seq = await readLatestSeq(db);
  const now = Date.now();
  const last = lastSummary.get(db);
  if (last && last.seq === seq && now - last.at < SUMMARY_REUSE_MS) return last.summary;
  const summary = readWallSummary(db, new Date(now), seq);
  lastSummary.set(db, { seq, at: now, summary });
  summary.catch(() => {
    if (lastSummary.get(db)?.summary === summary) lastSummary.delete(db);
  });
  return summary;
}

/** Everything the wall's panels show, in one read (the map's heat points come separately). */
/** `knownSeq`: the log's newest seq, when the caller has just read it (read here otherwise). */
export async function readWallSummary(db: Pool, now = new Date(), knownSeq?: number): Promise<WallSummary> {
  const available = await hasCases(db);
  const subdistrictPlaces = await readSubdistricts(db);
  const as_of = now.toISOString();
  const dayAgo = new Date(now.getTime() - 86_400_000).toISOString();
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000).toISOString();
  if (!available) {
    return {
      as_of, seq: 0, cases_available: false,
      kpis: { today: 0, yesterday_same_time: 0, overdue: 0, overdue_day_ago: 0, response: null, resolution: null, satisfaction: null, response_day_ago: null, resolution_day_ago: null, satisfaction_day_ago: null, targets: KPI_TARGETS },
      score_period_days: SCORE_PERIOD_DAYS,
      profile: profileSummary(),
      subdistricts: subdistrictPlaces.map((s) => ({ ...s, score: 100, response: null, resolution: null, satisfaction: null, cases: 0, overdue: 0 })),
      departments: [], categories: [], trend: [], latest: [], overdue: [], whistles: await listActiveWhistles(db), operations: await listOpenForWall(db),
    };
  }
  const seq = knownSeq ?? (await readLatestSeq(db));
  const [today, yesterday, period, periodDayAgo, bySub, byDep, cats, catsBefore, trend, latest, overdue, overdueDayAgo, whistles, operations] = await Promise.all([
    kpis(db, { window: 'today', group: 'district', as_of }),
    kpis(db, { window: 'today', group: 'district', as_of: dayAgo }),
    kpis(db, { window: PERIOD, group: 'district', as_of }),
    kpis(db, { window: PERIOD, group: 'district', as_of: dayAgo }),
    kpis(db, { window: PERIOD, group: 'subdistrict', as_of }),
    kpis(db, { window: PERIOD, group: 'department', as_of }),
    kpis(db, { window: '7d', group: 'category', as_of }),
    kpis(db, { window: '7d', group: 'category', as_of: weekAgo }),
    series(db, { window: '24h', as_of }),
    readLatestCases(db, now, 40),
    readOverdueCases(db, now, 3000),
    readOverdueCountAt(db, new Date(now.getTime() - 86_400_000)),
    listActiveWhistles(db),
    listOpenForWall(db),
  ]);
  const place = new Map(subdistrictPlaces.map((s) => [s.id, s]));
  const names = new Map(listCategories().map((c) => [c.code, c]));
  const named = (c: WallCase): WallCase => ({ ...c, category_name_zh: names.get(c.category)?.name_zh ?? c.category, category_name_en: names.get(c.category)?.name_en ?? c.category });
  const d = period.rows[0];
  const dBefore = periodDayAgo.rows[0];
  const before = new Map(catsBefore.rows.map((r) => [r.key as string, r.cases]));
  return {
    as_of,
    seq,
    cases_available: true,
    kpis: {
      today: today.rows[0]?.cases ?? 0,
      yesterday_same_time: yesterday.rows[0]?.cases ?? 0,
      overdue: overdue.total,
      overdue_day_ago: overdueDayAgo,
      response: d ? wallRates(d).response : null,
      resolution: d ? wallRates(d).resolution : null,
      satisfaction: d ? wallRates(d).satisfaction : null,
      response_day_ago: dBefore ? wallRates(dBefore).response : null,
      resolution_day_ago: dBefore ? wallRates(dBefore).resolution : null,
      satisfaction_day_ago: dBefore ? wallRates(dBefore).satisfaction : null,
      targets: KPI_TARGETS,
    },
    score_period_days: SCORE_PERIOD_DAYS,
    profile: profileSummary(),
    subdistricts: ranked(bySub.rows)
      .filter((r) => place.has(r.id))
      .map((r) => ({ ...r, code: place.get(r.id)!.code, lng: place.get(r.id)!.lng, lat: place.get(r.id)!.lat })),
    departments: ranked(byDep.rows),
    categories: cats.rows
      .filter((r) => r.cases > 0)
      .sort((a, b) => b.cases - a.cases || String(a.key).localeCompare(String(b.key)))
      .slice(0, 10)
      .map((r) => ({ code: r.key as string, name_zh: r.name_zh, name_en: r.name_en, count: r.cases, previous: before.get(r.key as string) ?? 0 })),
    trend: trend.points.map((p) => ({ hour: p.start, reported: p.reported, closed: p.closed })),
    latest: latest.map(named),
    overdue: overdue.cases.map(named),
    whistles,
    operations,
  };
}
