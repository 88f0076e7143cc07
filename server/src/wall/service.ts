import type { Pool } from '../db/pool.ts';
import { listCategories } from '../cases/categories.ts';
import { listActiveWhistles, type WhistleView } from '../whistles/repository.ts';
import {
  hasCases,
  readCategoryCounts,
  readDepartments,
  readDistrictRates,
  readHeadline,
  readHourlyTrend,
  readLatestCases,
  readLatestSeq,
  readOverdueCases,
  readRateCounts,
  readSubdistricts,
  type GroupCounts,
  type WallCase,
} from './repository.ts';
import { compositeScore, rate, SCORE_PERIOD_DAYS } from './scoring.ts';

/**
 * Targets the KPI tiles compare against (the project's choice, in the spirit of the
 * 接诉即办 assessments: response near-universal, resolution and satisfaction high).
 */
export const KPI_TARGETS = { response: 0.95, resolution: 0.85, satisfaction: 0.9 } as const;

export interface RankedUnit {
  id: number;
  code: string;
  name_zh: string;
  name_en: string;
  score: number;
  response: number;
  resolution: number;
  satisfaction: number;
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
    response: number;
    resolution: number;
    satisfaction: number;
    response_day_ago: number;
    resolution_day_ago: number;
    satisfaction_day_ago: number;
    targets: typeof KPI_TARGETS;
    /** How many cases each rate judges; a rate over none is shown as a dash, not 100 %. */
    judged: { response: number; resolution: number; satisfaction: number };
  };
  score_period_days: number;
  subdistricts: (RankedUnit & { lng: number; lat: number })[];
  departments: RankedUnit[];
  categories: { code: string; name_zh: string; name_en: string; count: number; previous: number }[];
  trend: { hour: string; reported: number; closed: number }[];
  latest: WallCase[];
  overdue: WallCase[];
  whistles: WhistleView[];
}

function rank<T extends { id: number }>(units: T[], counts: GroupCounts[]): (T & Omit<RankedUnit, keyof T>)[] {
  const byId = new Map(counts.map((c) => [c.group_id, c]));
  const empty = { responseDue: 0, respondedOnTime: 0, resolutionDue: 0, resolvedOnTime: 0, evaluated: 0, satisfied: 0, overdue: 0, cases: 0 };
  return units
    .map((u) => {
      const c = byId.get(u.id) ?? { ...empty, group_id: u.id };
      return {
        ...u,
        score: compositeScore(c),
        response: rate(c.respondedOnTime, c.responseDue),
        resolution: rate(c.resolvedOnTime, c.resolutionDue),
        satisfaction: rate(c.satisfied, c.evaluated),
        cases: c.cases,
        overdue: c.overdue,
      };
    })
    .sort((a, b) => b.score - a.score || a.overdue - b.overdue || a.id - b.id) as unknown as (T & Omit<RankedUnit, keyof T>)[];
}

/** Everything the wall's panels show, in one read (the map's heat points come separately). */
export async function readWallSummary(db: Pool, now = new Date()): Promise<WallSummary> {
  const dayAgo = new Date(now.getTime() - 86_400_000);
  const seq = await readLatestSeq(db);
  const [available, headline, rates, ratesDayAgo, subdistricts, departments, subCounts, depCounts, cats, trend, latest, overdue, whistles] = await Promise.all([
    hasCases(db),
    readHeadline(db, now),
    readDistrictRates(db, now),
    readDistrictRates(db, dayAgo),
    readSubdistricts(db),
    readDepartments(db),
    readRateCounts(db, 'subdistrict', now),
    readRateCounts(db, 'department', now),
    readCategoryCounts(db, now),
    readHourlyTrend(db, now),
    readLatestCases(db, now, 40),
    readOverdueCases(db, now, 3000),
    listActiveWhistles(db),
  ]);
  const names = new Map(listCategories().map((c) => [c.code, c]));
  const named = (c: WallCase): WallCase => ({ ...c, category_name_zh: names.get(c.category)?.name_zh ?? c.category, category_name_en: names.get(c.category)?.name_en ?? c.category });
  return {
    as_of: now.toISOString(),
    seq,
    cases_available: available,
    kpis: {
      today: headline.today,
      yesterday_same_time: headline.yesterday,
      overdue: overdue.total,
      overdue_day_ago: headline.overdueDayAgo,
      response: rate(rates.respondedOnTime, rates.responseDue),
      resolution: rate(rates.resolvedOnTime, rates.resolutionDue),
      satisfaction: rate(rates.satisfied, rates.evaluated),
      response_day_ago: rate(ratesDayAgo.respondedOnTime, ratesDayAgo.responseDue),
      resolution_day_ago: rate(ratesDayAgo.resolvedOnTime, ratesDayAgo.resolutionDue),
      satisfaction_day_ago: rate(ratesDayAgo.satisfied, ratesDayAgo.evaluated),
      targets: KPI_TARGETS,
      judged: { response: rates.responseDue, resolution: rates.resolutionDue, satisfaction: rates.evaluated },
    },
    score_period_days: SCORE_PERIOD_DAYS,
    subdistricts: rank(subdistricts, subCounts),
    departments: rank(departments, depCounts),
    categories: cats.slice(0, 10).map((c) => ({
      code: c.category,
      name_zh: names.get(c.category)?.name_zh ?? c.category,
      name_en: names.get(c.category)?.name_en ?? c.category,
      count: c.count,
      previous: c.previous,
    })),
    trend,
    latest: latest.map(named),
    overdue: overdue.cases.map(named),
    whistles,
  };
}
