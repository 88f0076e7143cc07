import type pg from 'pg';
import type { CaseListQuery, CaseSource, CaseSummary } from './schemas.ts';
import { FINAL_STATUSES, TRANSITIONS, type CaseAction, type CaseStatus } from './state-machine.ts';
import type { Priority } from './categories.ts';
import type { Scope } from '../auth/principal.ts';

type Db = pg.Pool | pg.ClientBase;

/** A case ready to store: validated, converted to WGS84, with its due times computed. */
export interface NewCaseRow {
  source: CaseSource;
  external_id: string;
  category: string;
  description: string;
  address: string | null;
  media_url: string | null;
  contact: Record<string, string> | null;
  lng: number;
  lat: number;
  input_crs: string;
  priority: Priority;
  department_code: string;
  reported_at: Date;
  due: Record<'register' | 'dispatch' | 'accept' | 'handle' | 'close', Date>;
}

/** Columns of a summary; category names are added from the taxonomy by the service. */
const SUMMARY_SQL = `c.id::int AS id, c.source, c.external_id, c.category, c.priority, c.status,
  ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, c.address, c.subdistrict_id, c.community_id, c.grid_id,
  c.building_id, c.department_id, c.out_of_area, c.reported_at, c.updated_at,
  case_current_due(c.status, c.register_due_at, c.dispatch_due_at, c.accept_due_at, c.handle_due_at, c.close_due_at) AS due_at,
  COALESCE(case_current_due(c.status, c.register_due_at, c.dispatch_due_at, c.accept_due_at, c.handle_due_at, c.close_due_at) < now(), false) AS overdue,
  c.satisfaction`;

export type SummaryRow = Omit<CaseSummary, 'category_name_zh' | 'category_name_en' | 'reported_at' | 'updated_at' | 'due_at'> & {
  reported_at: Date;
  updated_at: Date;
  due_at: Date | null;
};

/**
 * Inserts a case unless (source, external_id) exists, assigning the admin units that cover
 * the point and the nearest building within 300 m (`case_assign`, GiST-indexed), and the
 * department of the category's routing. Returns the id and whether it was created.
 */
export async function insertCase(client: pg.ClientBase, row: NewCaseRow): Promise<{ id: number; created: boolean }> {
  const inserted = await client.query<{ id: number }>(
    `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g)
     INSERT INTO cases (source, external_id, category, description, address, media_url, contact, geom, input_crs, priority, status,
                        out_of_area, subdistrict_id, community_id, grid_id, building_id, department_id, reported_at,
                        register_due_at, dispatch_due_at, accept_due_at, handle_due_at, close_due_at)
     SELECT $3, $4, $5, $6, $7, $8, $9::jsonb, p.g, $10, $11, 'reported',
            a.out_of_area, a.subdistrict_id, a.community_id, a.grid_id, a.building_id,
            (SELECT dep.id FROM department dep WHERE dep.code = $12),
            $13, $14, $15, $16, $17, $18
     FROM p CROSS JOIN LATERAL case_assign(p.g) a
     ON CONFLICT (source, external_id) DO NOTHING
     RETURNING id::int AS id`,
    [
      row.lng,
      row.lat,
      row.source,
      row.external_id,
      row.category,
      row.description,
      row.address,
      row.media_url,
      row.contact ? JSON.stringify(row.contact) : null,
      row.input_crs,
      row.priority,
      row.department_code,
      row.reported_at,
      row.due.register,
      row.due.dispatch,
      row.due.accept,
      row.due.handle,
      row.due.close,
    ],
  );
  if (inserted.rows[0]) return { id: inserted.rows[0].id, created: true };
  const existing = await client.query<{ id: number }>('SELECT id::int AS id FROM cases WHERE source = $1 AND external_id = $2', [
    row.source,
    row.external_id,
  ]);
  return { id: existing.rows[0]!.id, created: false };
}

/**
 * Whether a point is near the district (within `metres`), and whether the point with its
 * coordinates swapped is: the second without the first means lat and lng were swapped.
 */
export async function nearDistrict(db: Db, lng: number, lat: number, metres: number): Promise<{ near: boolean; swappedNear: boolean }> {
  const { rows } = await db.query<{ near: boolean; swapped_near: boolean }>(
    `SELECT COALESCE(bool_or(ST_DWithin(d.geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3)), true) AS near,
            COALESCE(bool_or(ST_DWithin(d.geom::geography, ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography, $3)), false) AS swapped_near
     FROM admin_unit d WHERE d.level = 'district'`,
    [lng, lat, metres],
  );
  return { near: rows[0]!.near, swappedNear: rows[0]!.swapped_near };
}

export async function summariesByIds(db: Db, ids: number[]): Promise<SummaryRow[]> {
  const { rows } = await db.query<SummaryRow>(`SELECT ${SUMMARY_SQL} FROM cases c WHERE c.id = ANY($1::bigint[]) ORDER BY c.id`, [ids]);
  return rows;
}

export interface CaseStateRow {
  id: number;
  status: CaseStatus;
  category: string;
  department_id: number | null;
}

/**
 * The WHERE condition that keeps a principal inside its scope: a commander sees the
 * cases of its subdistrict, a responder those assigned to its department. `$n` numbering
 * continues after `offset` parameters.
 */
export function scopeCondition(scope: Scope, offset: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (scope.subdistrictId !== null) {
    params.push(scope.subdistrictId);
    parts.push(`c.subdistrict_id = $${offset + params.length}`);
  }
  if (scope.departmentId !== null) {
    params.push(scope.departmentId);
    parts.push(`c.department_id = $${offset + params.length}`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
}

/** Locks the case row for a transition or comment; nothing when it lies outside the scope. */
export async function lockCase(client: pg.ClientBase, id: number, scope: Scope): Promise<CaseStateRow | undefined> {
  const sc = scopeCondition(scope, 1);
  const { rows } = await client.query<CaseStateRow>(
    `SELECT id::int AS id, status, category, department_id FROM cases c WHERE id = $1 AND ${sc.sql} FOR UPDATE`,
    [id, ...sc.params],
  );
  return rows[0];
}

export async function departmentIdByCode(db: Db, code: string): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM department WHERE code = $1', [code]);
  return rows[0]?.id;
}

/**
 * Applies a legal transition (checked by the caller): sets the new status and the columns its
 * row of TRANSITIONS names (stage times stamped or cleared, counters, the department, the
 * rating). Column names come only from that table, values only as parameters.
 */
export async function applyTransition(
  client: pg.ClientBase,
  id: number,
  action: CaseAction,
  to: CaseStatus,
  opts: { departmentId?: number | null; note?: string | null; satisfaction?: number | null },
): Promise<void> {
  const params: unknown[] = [id, to, opts.note ?? null];
  const sets = ['status = $2', 'updated_at = now()', 'status_note = COALESCE($3, status_note)'];
  for (const [column, effect] of Object.entries(TRANSITIONS[action].sets)) {
    if (effect === 'now') sets.push(`${column} = now()`);
    else if (effect === 'clear') sets.push(`${column} = NULL`);
    else if (effect === 'increment') sets.push(`${column} = ${column} + 1`);
    else if (effect === 'department') {
      params.push(opts.departmentId ?? null);
      sets.push(`${column} = $${params.length}::int`);
    } else {
      params.push(opts.satisfaction ?? null);
      sets.push(`${column} = $${params.length}::smallint`);
    }
  }
  await client.query(`UPDATE cases SET ${sets.join(', ')} WHERE id = $1`, params);
}

export async function insertComment(client: pg.ClientBase, caseId: number, actor: string, body: string) {
  const { rows } = await client.query<{ id: number; created_at: Date }>(
    'INSERT INTO case_comment (case_id, actor, body) VALUES ($1, $2, $3) RETURNING id::int AS id, created_at',
    [caseId, actor, body],
  );
  await client.query('UPDATE cases SET updated_at = now() WHERE id = $1', [caseId]);
  return rows[0]!;
}

/** One page of cases matching the filters, newest report first, with the total count. */
export async function listCases(db: Db, scope: Scope, q: CaseListQuery & { bboxValues?: [number, number, number, number] }): Promise<{ total: number; rows: SummaryRow[] }> {
  const sc = scopeCondition(scope, 0);
  const where: string[] = sc.params.length ? [sc.sql] : [];
  const params: unknown[] = [...sc.params];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const due = 'case_current_due(c.status, c.register_due_at, c.dispatch_due_at, c.accept_due_at, c.handle_due_at, c.close_due_at)';
  if (q.status?.length) where.push(`c.status = ANY(${p(q.status)}::text[])`);
  if (q.category?.length) where.push(`c.category = ANY(${p(q.category)}::text[])`);
  if (q.source?.length) where.push(`c.source = ANY(${p(q.source)}::text[])`);
  if (q.subdistrict_id) where.push(`c.subdistrict_id = ${p(q.subdistrict_id)}`);
  if (q.community_id) where.push(`c.community_id = ${p(q.community_id)}`);
  if (q.grid_id) where.push(`c.grid_id = ${p(q.grid_id)}`);
  if (q.department_id) where.push(`c.department_id = ${p(q.department_id)}`);
  if (q.from) where.push(`c.reported_at >= ${p(q.from)}::timestamptz`);
  if (q.to) where.push(`c.reported_at < ${p(q.to)}::timestamptz`);
  if (q.bboxValues) {
    const [a, b, c, d] = q.bboxValues;
    where.push(`c.geom && ST_MakeEnvelope(${p(a)}, ${p(b)}, ${p(c)}, ${p(d)}, 4326)`);
  }
  if (q.overdue === true) where.push(`${due} < now()`);
  if (q.overdue === false) where.push(`NOT COALESCE(${due} < now(), false)`);
  if (q.out_of_area !== undefined) where.push(`c.out_of_area = ${p(q.out_of_area)}`);
  if (q.open === true) where.push(`c.status <> ALL(${p(FINAL_STATUSES)}::text[])`);
  if (q.open === false) where.push(`c.status = ANY(${p(FINAL_STATUSES)}::text[])`);
  const limit = q.limit ?? 100;
  const offset = q.offset ?? 0;
  const { rows } = await db.query<SummaryRow & { total: string }>(
    `SELECT ${SUMMARY_SQL}, count(*) OVER () AS total FROM cases c
     ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
     ORDER BY c.reported_at DESC, c.id DESC LIMIT ${p(limit)} OFFSET ${p(offset)}`,
    params,
  );
  let total = rows[0] ? Number(rows[0].total) : 0;
  if (!rows.length && offset > 0) {
    const c = await db.query<{ n: string }>(`SELECT count(*) AS n FROM cases c ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`, params.slice(0, -2));
    total = Number(c.rows[0]!.n);
  }
  for (const r of rows) delete (r as { total?: string }).total;
  return { total, rows };
}

export interface DetailRow extends SummaryRow {
  description: string;
  media_url: string | null;
  input_crs: string;
  status_note: string | null;
  return_count: number;
  reopen_count: number;
  registered_at: Date | null;
  dispatched_at: Date | null;
  accepted_at: Date | null;
  handled_at: Date | null;
  verified_at: Date | null;
  closed_at: Date | null;
  evaluated_at: Date | null;
  rejected_at: Date | null;
  register_due_at: Date;
  dispatch_due_at: Date;
  accept_due_at: Date;
  handle_due_at: Date;
  close_due_at: Date;
}

export async function caseDetail(db: Db, id: number, scope: Scope): Promise<DetailRow | undefined> {
  const sc = scopeCondition(scope, 1);
  const { rows } = await db.query<DetailRow>(
    `SELECT ${SUMMARY_SQL}, c.description, c.media_url, c.input_crs, c.status_note, c.return_count, c.reopen_count,
            c.registered_at, c.dispatched_at, c.accepted_at, c.handled_at, c.verified_at, c.closed_at, c.evaluated_at, c.rejected_at,
            c.register_due_at, c.dispatch_due_at, c.accept_due_at, c.handle_due_at, c.close_due_at
     FROM cases c WHERE c.id = $1 AND ${sc.sql}`,
    [id, ...sc.params],
  );
  return rows[0];
}

export async function commentsOf(db: Db, id: number) {
  const { rows } = await db.query<{ id: number; actor: string; body: string; created_at: Date }>(
    'SELECT id::int AS id, actor, body, created_at FROM case_comment WHERE case_id = $1 ORDER BY id',
    [id],
  );
  return rows;
}
