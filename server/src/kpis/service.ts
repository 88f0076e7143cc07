import type { Pool } from '../db/pool.ts';
import { badRequest } from '../lib/errors.ts';
import { findCategory, listCategories } from '../cases/categories.ts';
import { kpiFigures, kpiSeries, type FigureRow, type KpiScope } from './repository.ts';
import type { KpiFigures, KpiQuery, KpiResponse, KpiRow, KpiSnapshot, SeriesQuery, SeriesResponse } from './schemas.ts';

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

const ZERO: KpiFigures = {
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
};

const figuresOf = (r: FigureRow): KpiFigures => {
  const { key: _k, name_zh: _z, name_en: _e, ...f } = r;
  return f;
};

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
  const { from, rows } = await kpiFigures(db, window, group, asOf, scopeOf(q));
  let named: Omit<KpiRow, 'rank'>[] = rows.map((r) => ({
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
  return { window, group, from: from.toISOString(), to: asOf.toISOString(), as_of: asOf.toISOString(), rows: rank(named, sort, order) };
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
