import type { Pool } from '../db/pool.ts';
import { badRequest } from '../lib/errors.ts';
import { findCategory, listCategories } from '../cases/categories.ts';
import { kpiFigures, kpiSeries, type FigureRow, type KpiScope } from './repository.ts';
import type { KpiFigures, KpiQuery, KpiResponse, KpiRow, KpiSnapshot, ProfilesResponse, SeriesQuery, SeriesResponse } from './schemas.ts';
import { callbackLevelValues, compositeScore, defaultProfile, findProfile, listProfiles, profileRates, type ScoringProfile } from './scoring.ts';
import type { CallbackCounts } from './repository.ts';

function asOfOf(raw: string | undefined): Date {
  if (!raw) return new Date();
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw badRequest('querystring.as_of must be an ISO 8601 date-time', { field: 'querystring.as_of', rule: 'date-time' });
  return d;
}

function scopeOf(q: { subdistrict_id?: number; department_id?: number; category?: string }): KpiScope {
  if (q.category !== undefined && !findCategory(q.category)) {
    throw badRequest(`querystring.category "${q.category}" is not a known category`, { field: 'querystring.category', rule: 'known_category' });
  }
  return { subdistrictId: q.subdistrict_id, departmentId: q.department_id, category: q.category };
}

function profileOf(id: string | undefined): ScoringProfile {
  if (id === undefined) return defaultProfile();
  const p = findProfile(id);
  if (!p) {
    throw badRequest(`querystring.profile "${id}" is not a scoring profile; GET /api/kpis/profiles lists them`, { field: 'querystring.profile', rule: 'known_profile' });
  }
  return p;
}

/** 响应率, 解决率 and 满意率 from the callback answers. */
export function callbackFigures(c: CallbackCounts): KpiFigures['callback'] {
  const levels = callbackLevelValues();
  const rated = c.satisfied + c.basically_satisfied + c.dissatisfied;
  const points = c.satisfied * levels.satisfied + c.basically_satisfied * levels.basically_satisfied + c.dissatisfied * levels.dissatisfied;
  return {
    ...c,
    response_rate: c.callbacks ? c.contacted / c.callbacks : null,
    resolution_rate: c.callbacks ? c.solved / c.callbacks : null,
    satisfaction_rate: rated ? points / rated : null,
  };
}

const ZERO_CALLBACKS: CallbackCounts = { callbacks: 0, contacted: 0, solved: 0, satisfied: 0, basically_satisfied: 0, dissatisfied: 0 };

const ZERO: Omit<KpiFigures, 'score'> = {
  cases: 0,
  response_due: 0,
  responded_on_time: 0,
  response_rate: null,
  resolution_due: 0,
  resolved: 0,
  resolution_rate: null,
  rated: 0,
  satisfied: 0,
  satisfaction_rate: null,
  open: 0,
  overdue: 0,
  closed_late: 0,
  median_hours: { register: null, dispatch: null, respond: null, handle: null, verify: null },
  callback: callbackFigures(ZERO_CALLBACKS),
};

const figuresOf = (r: FigureRow): Omit<KpiFigures, 'score'> => {
  const { key: _k, name_zh: _z, name_en: _e, callback_counts, ...f } = r;
  return { ...f, callback: callbackFigures(callback_counts) };
};

const withScore = <T extends Omit<KpiFigures, 'score'>>(f: T, profile: ScoringProfile): T & { score: number } => ({
  ...f,
  score: compositeScore(profileRates(f, profile), profile),
});

export function profiles(): ProfilesResponse {
  const { satisfied, basically_satisfied, dissatisfied } = callbackLevelValues();
  return { default: defaultProfile().id, callback_satisfaction_levels: { satisfied, basically_satisfied, dissatisfied }, profiles: listProfiles() };
}

/** Ranks rows by one figure; units without a figure (no cases due) go last, then by name. */
function rank(rows: Omit<KpiRow, 'rank'>[], sort: NonNullable<KpiQuery['sort']>, order: 'asc' | 'desc'): KpiRow[] {
  const value = (r: Omit<KpiRow, 'rank'>): number | string | null => (sort === 'name' ? r.name_zh : r[sort]);
  const sorted = [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null && vb === null) return String(a.key).localeCompare(String(b.key));
    if (va === null) return 1;
    if (vb === null) return -1;
    const c = typeof va === 'string' ? va.localeCompare(vb as string, 'zh') : va - (vb as number);
    return (order === 'asc' ? c : -c) || String(a.key).localeCompare(String(b.key), 'en', { numeric: true });
  });
  return sorted.map((r, i) => ({ ...r, rank: i + 1 }));
}

export async function kpis(db: Pool, q: KpiQuery): Promise<KpiResponse> {
  const window = q.window ?? 'today';
  const group = q.group ?? 'district';
  const asOf = asOfOf(q.as_of);
  const profile = profileOf(q.profile);
  const { from, rows } = await kpiFigures(db, window, group, asOf, scopeOf(q));
  let named: Omit<KpiRow, 'rank' | 'score'>[] = rows.map((r) => ({
    key: r.key === null ? null : group === 'category' ? r.key : Number(r.key),
    name_zh: r.name_zh ?? (group === 'district' ? '全区' : r.key ?? ''),
    name_en: r.name_en ?? (group === 'district' ? 'Whole district' : r.key ?? ''),
    ...figuresOf(r),
  }));
  if (group === 'category') {
    // Every category of the taxonomy gets a row, with or without cases.
    const byCode = new Map(named.map((r) => [r.key as string, r]));
    named = listCategories()
      .filter((c) => !q.category || c.code === q.category)
      .map((c) => ({ ...(byCode.get(c.code) ?? { ...ZERO, key: c.code }), key: c.code, name_zh: c.name_zh, name_en: c.name_en }));
  }
  const sort = q.sort ?? (group === 'district' ? 'name' : 'response_rate');
  const order = q.order ?? (sort === 'overdue' || sort === 'name' ? (sort === 'name' ? 'asc' : 'desc') : 'desc');
  const scored = named.map((r) => withScore(r, profile));
  return { window, group, from: from.toISOString(), to: asOf.toISOString(), as_of: asOf.toISOString(), profile, rows: rank(scored, sort, order) };
}

export async function series(db: Pool, q: SeriesQuery): Promise<SeriesResponse> {
  const window = q.window ?? '24h';
  const bucket = window === '24h' ? 'hour' : 'day';
  const asOf = asOfOf(q.as_of);
  const rows = await kpiSeries(db, bucket, asOf, scopeOf(q));
  return { window, bucket, as_of: asOf.toISOString(), points: rows.map((r) => ({ ...r, start: r.start.toISOString() })) };
}

/** Today's figures for the district and every subdistrict: the payload of `kpi.updated`. */
export async function kpiSnapshot(db: Pool): Promise<KpiSnapshot> {
  const asOf = new Date().toISOString();
  const [district, subdistricts] = await Promise.all([
    kpis(db, { window: 'today', group: 'district', as_of: asOf }),
    kpis(db, { window: 'today', group: 'subdistrict', as_of: asOf }),
  ]);
  const { key: _k, name_zh: _z, name_en: _e, rank: _r, ...figures } = district.rows[0]!;
  return { window: 'today', as_of: asOf, district: figures, subdistricts: subdistricts.rows };
}
