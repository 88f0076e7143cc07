import type { Pool } from '../db/pool.ts';
import { kpis } from '../kpis/service.ts';
import { compositeScore } from '../wall/scoring.ts';
import { listDepartments, whistleFigures } from './repository.ts';

/**
 * The department ranking (红黑榜) over the last 30 days combines how a department handles its
 * cases with how it answers whistles and how the subdistricts grade it:
 *
 *   score = 100 × (0.5 × case_score / 100 + 0.3 × on_time_rate + 0.2 × grade_rate)
 *
 * - case_score: the wall's composite of the three 接诉即办 rates under the district's scoring
 *   profile (server/src/wall/scoring.ts, data/standards/scoring-profiles.json).
 * - on_time_rate: arrivals on time ÷ calls due. A call is due once its deadline passed or it
 *   checked in; an arrival is on time when the check-in came by the deadline and inside the
 *   geofence, or the commander accepted it (an outside check-in with a reason).
 * - grade_rate: (mean grade − 1) ÷ 4, the commanders' 1–5 grades given when closing.
 * A part with nothing to judge yet counts as 1 (no failure recorded), as on the wall. Ties go
 * to the department with fewer missing arrivals, then by code. Weights are the project's
 * choice: case handling weighs most, the summons loop together as much again.
 */
export const RANKING_WEIGHTS = { cases: 0.5, on_time: 0.3, grade: 0.2 } as const;
export const RANKING_PERIOD_DAYS = 30;

export interface RankedDepartment {
  rank: number;
  id: number;
  code: string;
  name_zh: string;
  name_en: string;
  score: number;
  case_score: number;
  cases: number;
  calls_due: number;
  on_time: number;
  on_time_rate: number | null;
  missing: number;
  graded: number;
  mean_grade: number | null;
  grade_rate: number | null;
}

export function rankingScore(caseScore: number, onTimeRate: number | null, gradeRate: number | null): number {
  const s = RANKING_WEIGHTS.cases * (caseScore / 100) + RANKING_WEIGHTS.on_time * (onTimeRate ?? 1) + RANKING_WEIGHTS.grade * (gradeRate ?? 1);
  return Math.round(s * 1000) / 10;
}

export async function departmentRanking(db: Pool, now = new Date()): Promise<{ as_of: string; period_days: number; weights: typeof RANKING_WEIGHTS; departments: RankedDepartment[] }> {
  const from = new Date(now.getTime() - RANKING_PERIOD_DAYS * 86_400_000);
  const [departments, caseKpis, whistles] = await Promise.all([
    listDepartments(db),
    kpis(db, { window: '30d', group: 'department', as_of: now.toISOString() }),
    whistleFigures(db, from, now),
  ]);
  const byCase = new Map(caseKpis.rows.map((r) => [Number(r.key), r]));
  const byWhistle = new Map(whistles.map((r) => [r.department_id, r]));
  const rows = departments
    .filter((d) => d.kind !== 'subdistrict')
    .map((d) => {
      const k = byCase.get(d.id);
      const w = byWhistle.get(d.id);
      // The district's scoring profile, as on the wall; a department without cases scores 100.
      const caseScore = k ? compositeScore(k) : 100;
      const onTimeRate = w && w.calls_due > 0 ? w.on_time / w.calls_due : null;
      const gradeRate = w && w.graded > 0 && w.mean_grade !== null ? (w.mean_grade - 1) / 4 : null;
      return {
        rank: 0,
        id: d.id,
        code: d.code,
        name_zh: d.name_zh,
        name_en: d.name_en,
        score: rankingScore(caseScore, onTimeRate, gradeRate),
        case_score: caseScore,
        cases: k?.cases ?? 0,
        calls_due: w?.calls_due ?? 0,
        on_time: w?.on_time ?? 0,
        on_time_rate: onTimeRate,
        missing: w?.missing ?? 0,
        graded: w?.graded ?? 0,
        mean_grade: w?.mean_grade ?? null,
        grade_rate: gradeRate,
      };
    })
    .sort((a, b) => b.score - a.score || a.missing - b.missing || a.code.localeCompare(b.code))
    .map((r, i) => ({ ...r, rank: i + 1 }));
  return { as_of: now.toISOString(), period_days: RANKING_PERIOD_DAYS, weights: RANKING_WEIGHTS, departments: rows };
}
