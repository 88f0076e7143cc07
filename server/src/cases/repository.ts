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

/** A stored case as an insert returns it: its summary and the key it was stored under. */
export type InsertedRow = SummaryRow & { external_id: string };

/**
 * Inserts a batch of cases in one set-based statement: the rows travel as arrays, are placed
 * by one join with `case_assign` (the admin units covering each point, by per-level GiST
 * indexes, and the nearest building within 300 m) and with the department of each category's
 * routing, and are inserted unless (source, external_id) exists. Rows are inserted in input
 * order, so of two rows with the same key in one batch the first is stored. Returns the
 * summaries of the rows this statement created.
 */
export async function insertCases(client: pg.ClientBase, rows: NewCaseRow[]): Promise<InsertedRow[]> {
  if (!rows.length) return [];
  const col = <T>(f: (r: NewCaseRow) => T) => rows.map(f);
  const { rows: created } = await client.query<InsertedRow>(
    `INSERT INTO cases AS c (source, external_id, category, description, address, media_url, contact, geom, input_crs, priority, status,
                             out_of_area, subdistrict_id, community_id, grid_id, building_id, department_id, reported_at,
                             register_due_at, dispatch_due_at, accept_due_at, handle_due_at, close_due_at)
     SELECT t.source, t.external_id, t.category, t.description, t.address, t.media_url, t.contact::jsonb, p.g, t.input_crs, t.priority, 'reported',
            a.out_of_area, a.subdistrict_id, a.community_id, a.grid_id, a.building_id, dep.id, t.reported_at,
            t.register_due, t.dispatch_due, t.accept_due, t.handle_due, t.close_due
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::float8[], $10::text[],
                 $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[], $17::timestamptz[],
                 $18::timestamptz[])
          WITH ORDINALITY AS t(source, external_id, category, description, address, media_url, contact, lng, lat, input_crs,
                               priority, department_code, reported_at, register_due, dispatch_due, accept_due, handle_due, close_due, i)
     CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(t.lng, t.lat), 4326) AS g) p
     CROSS JOIN LATERAL case_assign(p.g) a
     LEFT JOIN department dep ON dep.code = t.department_code
     ORDER BY t.i
     ON CONFLICT (source, external_id) DO NOTHING
     RETURNING ${SUMMARY_SQL}`,
    [
      col((r) => r.source),
      col((r) => r.external_id),
      col((r) => r.category),
      col((r) => r.description),
      col((r) => r.address),
      col((r) => r.media_url),
      col((r) => (r.contact ? JSON.stringify(r.contact) : null)),
      col((r) => r.lng),
      col((r) => r.lat),
      col((r) => r.input_crs),
      col((r) => r.priority),
      col((r) => r.department_code),
      col((r) => r.reported_at),
      col((r) => r.due.register),
      col((r) => r.due.dispatch),
      col((r) => r.due.accept),
      col((r) => r.due.handle),
      col((r) => r.due.close),
    ],
  );
  return created;
}

/** What `case_intake` says of one item: its coordinates look swapped, or the case it stored or found. */
export interface IntakeOutcome {
  swapped: boolean;
  created: boolean;
  /** The case as the API answers with it (`CaseSummary`); null when swapped or not found. */
  summary: Record<string, unknown> | null;
}

/**
 * Stores single cases with one statement (`case_intake`, migration 0140): swap check,
 * placement, insert unless the key exists, and one `case.created` event per new case, atomic
 * without a transaction around it. One outcome per row, in input order.
 */
export async function intakeCases(
  db: Db,
  rows: { row: NewCaseRow; names: { zh: string; en: string }; actor: { actor: string; actor_kind?: string | null; actor_id?: number | null } }[],
  swapMetres: number,
): Promise<IntakeOutcome[]> {
  if (!rows.length) return [];
  const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
  const { rows: out } = await db.query<IntakeOutcome>({
    // Named, so each pooled connection plans it once.
    name: 'case_intake',
    text: `SELECT swapped, created, summary FROM case_intake($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
    values: [
      col((r) => r.row.source),
      col((r) => r.row.external_id),
      col((r) => r.row.category),
      col((r) => r.names.zh),
      col((r) => r.names.en),
      col((r) => r.row.description),
      col((r) => r.row.address),
      col((r) => r.row.media_url),
      col((r) => (r.row.contact ? JSON.stringify(r.row.contact) : null)),
      col((r) => r.row.lng),
      col((r) => r.row.lat),
      col((r) => r.row.input_crs),
      col((r) => r.row.priority),
      col((r) => r.row.department_code),
      col((r) => r.row.reported_at),
      col((r) => r.row.due.register),
      col((r) => r.row.due.dispatch),
      col((r) => r.row.due.accept),
      col((r) => r.row.due.handle),
      col((r) => r.row.due.close),
      col((r) => r.actor.actor),
      col((r) => r.actor.actor_kind ?? null),
      col((r) => r.actor.actor_id ?? null),
      swapMetres,
    ],
  });
  return out;
}

/** The stored cases with these (source, external_id) keys. */
export async function summariesByKeys(db: Db, keys: { source: string; external_id: string }[]): Promise<InsertedRow[]> {
  if (!keys.length) return [];
  const { rows } = await db.query<InsertedRow>(
    `SELECT ${SUMMARY_SQL} FROM cases c
     JOIN unnest($1::text[], $2::text[]) AS k(source, external_id) ON c.source = k.source AND c.external_id = k.external_id`,
    [keys.map((k) => k.source), keys.map((k) => k.external_id)],
  );
  return rows;
}

/**
 * The 0-based positions of the points that lie farther than `metres` from the district while
 * their swapped twin (lat, lng) lies within it: their coordinates were swapped. A point the
 * district covers is never measured on the sphere, so a batch from inside costs one indexed
 * lookup a point.
 */
export async function swappedPoints(db: Db, points: { lng: number; lat: number }[], metres: number): Promise<number[]> {
  if (!points.length) return [];
  const { rows } = await db.query<{ i: number }>('SELECT i FROM case_swapped_points($1::float8[], $2::float8[], $3)', [
    points.map((p) => p.lng),
    points.map((p) => p.lat),
    metres,
  ]);
  return rows.map((r) => r.i - 1);
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
