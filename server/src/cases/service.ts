import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withTransaction, type Pool } from '../db/pool.ts';
import { parseCoordinateSystem, toWgs84 } from '../geo/coord-systems.ts';
import { EARLIEST_REPORT, isValidWgs84 } from '../lib/schema.ts';
import { badRequest, HttpError, notFound } from '../lib/errors.ts';
import { appendEvents, eventsOfSubject, type NewEvent } from '../events/repository.ts';
import { dueTimes, findCategory } from './categories.ts';
import * as repo from './repository.ts';
import type { CaseDetail, CaseInput, CaseListQuery, CaseList, CaseSummary, TransitionInput } from './schemas.ts';
import { actionsAccepting, actionsFrom, nextStatus, roleMayTake, TRANSITIONS, type TransitionField } from './state-machine.ts';
import { actorOf, forbidden, scopeOf, type Actor, type Ctx } from '../auth/principal.ts';
import { MicroBatcher, type BatchOutcome } from './micro-batcher.ts';

/** A point this far outside the district whose swapped twin lies inside it had its coordinates swapped. */
const SWAP_CHECK_METRES = 20_000;
/** Reports may be back-dated by imports, but not into the future (clock skew allowed). */
const FUTURE_SKEW_MS = 5 * 60_000;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toSummary(row: repo.SummaryRow): CaseSummary {
  const cat = findCategory(row.category);
  return {
    ...row,
    category_name_zh: cat?.name_zh ?? row.category,
    category_name_en: cat?.name_en ?? row.category,
    reported_at: row.reported_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    due_at: iso(row.due_at),
  };
}

/** The socket rooms a case event belongs to, carried in its payload so catch-up needs no lookup. */
export function caseRooms(summary: CaseSummary, extraDepartment?: number | null): string[] {
  const rooms = ['wall'];
  if (summary.subdistrict_id) rooms.push(`subdistrict:${summary.subdistrict_id}`);
  if (summary.department_id) rooms.push(`department:${summary.department_id}`);
  if (extraDepartment && extraDepartment !== summary.department_id) rooms.push(`department:${extraDepartment}`);
  return rooms;
}

const field = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);

/**
 * Checks what the schema cannot (the category exists, the coordinates are finite and not
 * swapped, the report time is not in the future) and converts the point to WGS84.
 */
export function normalizeCase(input: CaseInput, prefix = '', extra: { contact?: Record<string, string> | null } = {}): repo.NewCaseRow {
  const category = findCategory(input.category);
  if (!category) {
    throw badRequest(`${field(prefix, 'category')} "${input.category}" is not a known category; GET /api/case-categories lists them`, {
      field: field(prefix, 'category'),
      rule: 'known_category',
    });
  }
  for (const k of ['lng', 'lat'] as const) {
    if (typeof input[k] !== 'number' || !Number.isFinite(input[k])) {
      throw badRequest(`${field(prefix, k)} must be a finite number`, { field: field(prefix, k), rule: 'finite' });
    }
  }
  if (input.lat < -90 || input.lat > 90) {
    const swapped = input.lng >= -90 && input.lng <= 90;
    throw badRequest(
      swapped
        ? `${field(prefix, 'lat')} and ${field(prefix, 'lng')} look swapped: a latitude must be between -90 and 90, got lat ${input.lat}, lng ${input.lng}; send lng as the longitude (about 116 here) and lat as the latitude (about 39.9)`
        : `${field(prefix, 'lat')} must be between -90 and 90, got ${input.lat}`,
      { field: field(prefix, 'lat'), rule: swapped ? 'lat_lng_swapped' : 'range' },
    );
  }
  const crs = parseCoordinateSystem(input.crs ?? 'WGS84');
  if (!crs) throw badRequest(`${field(prefix, 'crs')} must be WGS84, GCJ02 or BD09`, { field: field(prefix, 'crs'), rule: 'crs' });
  const [lng, lat] = toWgs84(input.lng, input.lat, crs);
  // A datum shift near the edge of the globe (BD-09 at 180, 90) can land off it.
  if (!isValidWgs84(lng, lat)) {
    throw badRequest(`${field(prefix, 'lng')}/${field(prefix, 'lat')} in ${crs} converts to (${lng}, ${lat}), which is not a WGS84 position`, { field: field(prefix, 'lng'), rule: 'range_after_crs' });
  }
  let reportedAt = new Date();
  if (input.reported_at) {
    reportedAt = new Date(input.reported_at);
    if (Number.isNaN(reportedAt.getTime())) {
      throw badRequest(`${field(prefix, 'reported_at')} must be an ISO 8601 date-time`, { field: field(prefix, 'reported_at'), rule: 'date-time' });
    }
    if (reportedAt.getTime() < Date.parse(EARLIEST_REPORT)) {
      throw badRequest(`${field(prefix, 'reported_at')} must not be before ${EARLIEST_REPORT}`, { field: field(prefix, 'reported_at'), rule: 'date_window' });
    }
    if (reportedAt.getTime() > Date.now() + FUTURE_SKEW_MS) {
      throw badRequest(`${field(prefix, 'reported_at')} must not be in the future`, { field: field(prefix, 'reported_at'), rule: 'not_future' });
    }
  }
  return {
    source: input.source,
    external_id: input.external_id ?? `${input.source}-${randomUUID()}`,
    category: category.code,
    description: input.description,
    address: input.address ?? null,
    media_url: input.media_url ?? null,
    contact: extra.contact ?? null,
    lng,
    lat,
    input_crs: crs,
    priority: input.priority ?? category.priority,
    department_code: category.department,
    reported_at: reportedAt,
    due: dueTimes(category, reportedAt),
  };
}

function swappedError(row: repo.NewCaseRow, prefix: string): HttpError {
  return badRequest(
    `${field(prefix, 'lat')} and ${field(prefix, 'lng')} look swapped: (${row.lng}, ${row.lat}) is far from the district but (${row.lat}, ${row.lng}) lies in it; send lng as the longitude (about 116) and lat as the latitude (about 39.9)`,
    { field: field(prefix, 'lat'), rule: 'lat_lng_swapped' },
  );
}

export interface CreateResult {
  created: boolean;
  case: CaseSummary;
}

/** A normalized case waiting to be stored, with the error prefix of its place in the request. */
export interface PendingCase {
  row: repo.NewCaseRow;
  prefix: string;
  /** Who reports it: the principal's actor (`actorOf`). */
  actor: Actor;
}

/**
 * Runs `fn` in a transaction with JIT compilation off: a batch's placement join is costed
 * high enough to trigger JIT, whose compile time is larger than the statement's run time.
 */
async function withIntakeTransaction<T>(db: Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN; SET LOCAL jit = off');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

const keyOf = (r: { source: string; external_id: string }) => `${r.source}\u0000${r.external_id}`;

/**
 * Stores checked cases inside the caller's transaction with one set-based INSERT … SELECT
 * (placement included), reads the cases that already existed in one more statement, and
 * appends one `case.created` event per new case as the transaction's last statement.
 */
async function storeCases(client: pg.ClientBase, items: PendingCase[]): Promise<CreateResult[]> {
  const created = await repo.insertCases(
    client,
    items.map((i) => i.row),
  );
  const fresh = new Map(created.map((r) => [keyOf(r), toSummary(r)]));
  // Of several items with one key, the first was inserted (input order); the others repeat it.
  const claimed = new Set<string>();
  const isNew = items.map((i) => {
    const k = keyOf(i.row);
    if (fresh.has(k) && !claimed.has(k)) {
      claimed.add(k);
      return true;
    }
    return false;
  });
  const missing = items.filter((i, n) => !isNew[n] && !fresh.has(keyOf(i.row))).map((i) => i.row);
  const existing = new Map((await repo.summariesByKeys(client, missing)).map((r) => [keyOf(r), toSummary(r)]));
  const results = items.map((i, n) => {
    const k = keyOf(i.row);
    const summary = fresh.get(k) ?? existing.get(k);
    if (!summary) throw new Error(`case ${i.row.source}/${i.row.external_id} was neither inserted nor found`);
    return { created: isNew[n]!, case: summary };
  });
  const events: NewEvent[] = [];
  items.forEach((i, n) => {
    if (!isNew[n]) return;
    const c = results[n]!.case;
    events.push({ ...i.actor, type: 'case.created', subject: `case:${c.id}`, payload: { case: c, rooms: caseRooms(c) } });
  });
  await appendEvents(client, events);
  return results;
}

/**
 * Stores cases in one transaction (all or nothing): one statement checks every point for
 * swapped coordinates, one places and inserts them all. A repeated (source, external_id)
 * returns the stored case with `created: false` and writes nothing for it.
 */
export async function createCases(db: Pool, rows: PendingCase[]): Promise<CreateResult[]> {
  return withIntakeTransaction(db, async (client) => {
    const swapped = await repo.swappedPoints(
      client,
      rows.map((r) => r.row),
      SWAP_CHECK_METRES,
    );
    if (swapped.length) {
      const first = rows[swapped[0]!]!;
      throw swappedError(first.row, first.prefix);
    }
    return storeCases(client, rows);
  });
}

/**
 * Stores the single cases that arrived together as one batch, in one statement
 * (`repo.intakeCases`), each settled on its own: a case with swapped coordinates gets its 400
 * while the others are stored. Should the statement fail as a whole, or leave a case neither
 * stored nor found (another writer committed its key meanwhile), those cases are tried alone,
 * so one case never fails another.
 */
async function flushSingles(db: Pool, items: PendingCase[], retried = false): Promise<BatchOutcome<CreateResult>[]> {
  try {
    const outcomes = await repo.intakeCases(
      db,
      items.map((i) => {
        const cat = findCategory(i.row.category);
        return { row: i.row, names: { zh: cat?.name_zh ?? i.row.category, en: cat?.name_en ?? i.row.category }, actor: i.actor };
      }),
      SWAP_CHECK_METRES,
    );
    const results: BatchOutcome<CreateResult>[] = [];
    for (const [n, item] of items.entries()) {
      const o = outcomes[n]!;
      if (o.swapped) results.push({ ok: false, error: swappedError(item.row, item.prefix) });
      else if (o.summary) results.push({ ok: true, value: { created: o.created, case: o.summary as unknown as CaseSummary } });
      else if (!retried) results.push((await flushSingles(db, [item], true))[0]!);
      else results.push({ ok: false, error: new Error(`case ${item.row.source}/${item.row.external_id} was neither inserted nor found`) });
    }
    return results;
  } catch (err) {
    if (items.length === 1) return [{ ok: false, error: err }];
    const outcomes: BatchOutcome<CreateResult>[] = [];
    for (const item of items) outcomes.push((await flushSingles(db, [item]))[0]!);
    return outcomes;
  }
}

const singleQueues = new WeakMap<Pool, MicroBatcher<PendingCase, CreateResult>>();

/**
 * Stores one case. Concurrent calls on the same pool are grouped into one set-based insert
 * (see `MicroBatcher`), so single POSTs under load cost about what a batch does; each caller
 * still gets its own result or its own error.
 */
export function submitCase(db: Pool, item: PendingCase): Promise<CreateResult> {
  let queue = singleQueues.get(db);
  if (!queue) {
    queue = new MicroBatcher((items) => flushSingles(db, items));
    singleQueues.set(db, queue);
  }
  return queue.submit(item);
}

/** An intake system reports only under the sources its key allows; people report under any. */
function checkSource(ctx: Ctx, source: string, fieldName: string): void {
  const p = ctx.principal;
  if (p.kind === 'api_client' && !p.sources.includes(source)) {
    throw new HttpError(403, 'forbidden', `the integration client ${p.name} may report under the sources ${p.sources.join(', ') || '(none)'}, not "${source}"`, {
      field: fieldName,
      rule: 'allowed_source',
    });
  }
}

export async function createCase(ctx: Ctx, input: CaseInput): Promise<CreateResult> {
  checkSource(ctx, input.source, 'source');
  return submitCase(ctx.db, { row: normalizeCase(input), prefix: '', actor: actorOf(ctx.principal) });
}

export async function createCaseBatch(ctx: Ctx, inputs: CaseInput[]): Promise<CreateResult[]> {
  inputs.forEach((input, i) => checkSource(ctx, input.source, `body.cases.${i}.source`));
  const actor = actorOf(ctx.principal);
  const rows = inputs.map((input, i) => ({ row: normalizeCase(input, `body.cases.${i}`), prefix: `body.cases.${i}`, actor }));
  return createCases(ctx.db, rows);
}

/** Moves a case along the loop, or answers 409 naming the current status and the requested action. */
export async function transitionCase(ctx: Ctx, id: number, input: TransitionInput): Promise<CaseSummary> {
  const { action } = input;
  if (!roleMayTake(ctx.principal.role, action)) throw forbidden(ctx.principal, `${action} a case (that is for: ${TRANSITIONS[action].who.join(', ')})`);
  // What each action requires and accepts is in its row of TRANSITIONS.
  const t = TRANSITIONS[action];
  for (const f of ['satisfaction', 'department_code'] as const) {
    if (input[f] !== undefined && !t.accepts?.includes(f)) {
      const with_ = actionsAccepting(f);
      throw badRequest(`${f} is only given with the ${with_.join(' or ')} action`, { field: `body.${f}`, rule: `only_with_${with_[0]}` });
    }
  }
  for (const [f, reason] of Object.entries(t.requires ?? {}) as [TransitionField, string][]) {
    const v = input[f];
    if (v === undefined || v === null || (typeof v === 'string' && !v.trim())) throw badRequest(reason, { field: `body.${f}`, rule: 'required' });
  }
  return withTransaction(ctx.db, async (client) => {
    const current = await repo.lockCase(client, id, scopeOf(ctx.principal));
    if (!current) throw notFound(`case ${id} does not exist`);
    const to = nextStatus(current.status, action);
    if (!to) {
      const allowed = actionsFrom(current.status);
      throw new HttpError(
        409,
        'illegal_transition',
        `cannot ${action} case ${id}: it is ${current.status}, and ${action} leads to ${TRANSITIONS[action].to} only from ${TRANSITIONS[action].from.join(' or ')}` +
          (allowed.length ? `; from ${current.status} the allowed actions are ${allowed.join(', ')}` : `; ${current.status} is final`),
        { current: current.status, requested: action, requested_status: TRANSITIONS[action].to, allowed },
      );
    }
    let departmentId: number | null | undefined;
    if (t.accepts?.includes('department_code')) {
      const code = input.department_code ?? findCategory(current.category)?.department;
      departmentId = code ? await repo.departmentIdByCode(client, code) : undefined;
      if (departmentId === undefined) {
        if (input.department_code) {
          throw badRequest(`department_code "${input.department_code}" is not a known department`, { field: 'body.department_code', rule: 'known_department' });
        }
        departmentId = null;
      }
      if (action === 'reassign' && departmentId === current.department_id) {
        throw badRequest('reassign needs a department other than the current one', { field: 'body.department_code', rule: 'different_department' });
      }
    }
    await repo.applyTransition(client, id, action, to, { departmentId, note: input.note ?? null, satisfaction: input.satisfaction ?? null });
    const summary = toSummary((await repo.summariesByIds(client, [id]))[0]!);
    await appendEvents(client, [
      {
        ...actorOf(ctx.principal),
        type: 'case.updated',
        subject: `case:${id}`,
        payload: {
          action,
          from: current.status,
          to,
          note: input.note ?? null,
          case: summary,
          rooms: caseRooms(summary, current.department_id),
        },
      },
    ]);
    return summary;
  });
}

export async function addComment(ctx: Ctx, id: number, body: string) {
  const who = actorOf(ctx.principal);
  const actor = ctx.principal.kind === 'user' ? ctx.principal.displayName : who.actor;
  return withTransaction(ctx.db, async (client) => {
    const current = await repo.lockCase(client, id, scopeOf(ctx.principal));
    if (!current) throw notFound(`case ${id} does not exist`);
    const comment = await repo.insertComment(client, id, actor, body);
    const summary = toSummary((await repo.summariesByIds(client, [id]))[0]!);
    const view = { id: comment.id, actor, body, created_at: comment.created_at.toISOString() };
    await appendEvents(client, [{ ...who, type: 'case.commented', subject: `case:${id}`, payload: { comment: view, case: summary, rooms: caseRooms(summary) } }]);
    return view;
  });
}

export function parseBbox(bbox: string | undefined): [number, number, number, number] | undefined {
  if (!bbox) return undefined;
  const v = bbox.split(',').map(Number) as [number, number, number, number];
  const [a, b, c, d] = v;
  if (v.some((x) => !Number.isFinite(x)) || a < -180 || c > 180 || b < -90 || d > 90 || a >= c || b >= d) {
    throw badRequest('querystring.bbox must be minLng,minLat,maxLng,maxLat with min < max, in WGS84 degrees', { field: 'querystring.bbox', rule: 'bbox' });
  }
  return v;
}

export async function listCases(ctx: Ctx, q: CaseListQuery): Promise<CaseList> {
  if (q.from && q.to && new Date(q.from) >= new Date(q.to)) {
    throw badRequest('querystring.from must be before querystring.to', { field: 'querystring.from', rule: 'from_before_to' });
  }
  const { total, rows } = await repo.listCases(ctx.db, scopeOf(ctx.principal), { ...q, bboxValues: parseBbox(q.bbox) });
  const limit = q.limit ?? 100;
  const offset = q.offset ?? 0;
  return { total, limit, offset, next_offset: offset + rows.length < total ? offset + rows.length : null, items: rows.map(toSummary) };
}

export async function getCase(ctx: Ctx, id: number): Promise<CaseDetail> {
  const { db } = ctx;
  // Outside the principal's scope a case does not exist for it (no hint that the id is taken).
  const row = await repo.caseDetail(db, id, scopeOf(ctx.principal));
  if (!row) throw notFound(`case ${id} does not exist`);
  const [comments, history] = await Promise.all([repo.commentsOf(db, id), eventsOfSubject(db, `case:${id}`)]);
  const s = toSummary(row);
  return {
    ...s,
    description: row.description,
    media_url: row.media_url,
    input_crs: row.input_crs,
    status_note: row.status_note,
    return_count: row.return_count,
    reopen_count: row.reopen_count,
    stages: {
      reported_at: row.reported_at.toISOString(),
      registered_at: iso(row.registered_at),
      dispatched_at: iso(row.dispatched_at),
      accepted_at: iso(row.accepted_at),
      handled_at: iso(row.handled_at),
      verified_at: iso(row.verified_at),
      closed_at: iso(row.closed_at),
      evaluated_at: iso(row.evaluated_at),
      rejected_at: iso(row.rejected_at),
    },
    due: {
      register: row.register_due_at.toISOString(),
      dispatch: row.dispatch_due_at.toISOString(),
      accept: row.accept_due_at.toISOString(),
      handle: row.handle_due_at.toISOString(),
      close: row.close_due_at.toISOString(),
    },
    comments: comments.map((c) => ({ ...c, created_at: c.created_at.toISOString() })),
    history: history.map((e) => ({
      seq: e.seq,
      at: e.at,
      actor: e.actor,
      type: e.type,
      action: (e.payload.action as string | undefined) ?? null,
      from: (e.payload.from as string | undefined) ?? null,
      to: (e.payload.to as string | undefined) ?? null,
      note: (e.payload.note as string | undefined) ?? null,
    })),
  };
}

