import type pg from 'pg';
import { withTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import { actorOf, forbidden, scopeOf, systemPrincipal, type Ctx, type Principal } from '../auth/principal.ts';
import { appendEvents, eventsOfSubject, type NewEvent } from '../events/repository.ts';
import { badRequest, HttpError, notFound } from '../lib/errors.ts';
import { scopedRooms } from '../realtime/rooms.ts';
import { oncePerKey } from '../lib/idempotency.ts';
import * as repo from './repository.ts';
import { judgeExif, processPhoto, removePhotos, writePhotos, type ProcessedPhoto } from '../photos/photos.ts';
import type { AcceptCheckInInput, AcceptInput, CheckInInput, CloseInput, ReportInput, WhistleDetail, WhistleInput, WhistleListQuery, WhistleView } from './schemas.ts';
import {
  DEFAULT_RADIUS_M,
  insideGeofence,
  refuseCallAction,
  refuseWhistleAction,
  roleMayTakeWhistleAction,
  WHISTLE_ACTIONS,
  type CallActionName,
  type WhistleActionName,
} from './workflow.ts';

/** Settings the service needs from the configuration. */
export interface WhistleSettings {
  uploadDir: string;
  photoMaxBytes: number;
  escalateMinutes: number;
}

/** The rooms of a whistle's events: the wall, its subdistrict, every summoned department. */
function roomsOf(w: WhistleView): string[] {
  return scopedRooms(w.subdistrict_id, w.calls.map((c) => c.department_id));
}

/** A whistle's log event: the whole whistle as it now is, to its rooms. */
export function event(principal: Principal, type: string, w: WhistleView, extra: Record<string, unknown> = {}): NewEvent {
  return { ...actorOf(principal), type, subject: `whistle:${w.id}`, payload: { ...extra, whistle: w, rooms: roomsOf(w) } };
}

/** A whistle as events and lists carry it. */
export async function view(db: pg.Pool | PoolClient, id: number): Promise<WhistleView> {
  return (await repo.whistleDetail(db, id, { subdistrictId: null, departmentId: null })) as WhistleView;
}

function mayTake(p: Principal, action: WhistleActionName): void {
  if (!roleMayTakeWhistleAction(p.role, action)) throw forbidden(p, `${action.replace('_', ' ')} a whistle (that is for: ${WHISTLE_ACTIONS[action].who.join(', ')})`);
}

function conflictOn(action: string, id: number, reason: string, details: Record<string, unknown> = {}): HttpError {
  return new HttpError(409, 'illegal_transition', `cannot ${action.replace('_', ' ')} on whistle ${id}: ${reason}`, { requested: action, ...details });
}

export async function listDepartments(ctx: Ctx) {
  return repo.listDepartments(ctx.db);
}

/** Blows a whistle: a commander inside its own subdistrict, at a case of it or a point in it. */
export async function createWhistle(ctx: Ctx, input: WhistleInput, settings: WhistleSettings): Promise<WhistleView> {
  const p = ctx.principal;
  mayTake(p, 'blow');
  const scope = scopeOf(p);
  let lng = input.lng;
  let lat = input.lat;
  let subdistrictId: number | null;
  if (input.case_id !== undefined) {
    if (lng !== undefined || lat !== undefined) throw badRequest('give either case_id or lng and lat, not both', { field: 'body.case_id', rule: 'case_or_point' });
    const place = await repo.casePlace(ctx.db, input.case_id, scope);
    if (!place) throw notFound(`case ${input.case_id} does not exist`);
    ({ lng, lat } = place);
    subdistrictId = place.subdistrict_id;
  } else {
    if (lng === undefined || lat === undefined) throw badRequest('give case_id, or lng and lat of the site', { field: 'body.lng', rule: 'case_or_point' });
    subdistrictId = await repo.subdistrictAt(ctx.db, lng, lat);
    if (subdistrictId === null) throw badRequest(`(${lng}, ${lat}) lies in no subdistrict of the district`, { field: 'body.lng', rule: 'inside_district' });
  }
  if (scope.subdistrictId !== null && subdistrictId !== scope.subdistrictId) {
    throw forbidden(p, `blow a whistle outside its own subdistrict (the site lies in subdistrict ${subdistrictId ?? 'none'})`);
  }
  const deps = await repo.departmentsByCodes(ctx.db, input.department_codes);
  const unknown = input.department_codes.filter((c) => !deps.some((d) => d.code === c));
  if (unknown.length) throw badRequest(`unknown department_codes: ${unknown.join(', ')}; GET /api/departments lists them`, { field: 'body.department_codes', rule: 'known_department' });
  const who = actorOf(p);
  return withTransaction(ctx.db, async (client) => {
    const id = await repo.insertFullWhistle(client, {
      case_id: input.case_id ?? null,
      subdistrict_id: subdistrictId,
      title: input.title.trim(),
      note: input.note?.trim() || null,
      called_by: who.actor,
      called_by_kind: who.actor_kind,
      called_by_id: who.actor_id,
      deadline_minutes: input.deadline_minutes,
      escalate_minutes: settings.escalateMinutes,
      radius_m: input.radius_m ?? DEFAULT_RADIUS_M,
      lng: lng!,
      lat: lat!,
      department_ids: deps.map((d) => d.id),
    });
    const w = await view(client, id);
    await appendEvents(client, [event(p, 'whistle.created', w)]);
    return w;
  });
}

export async function listWhistles(ctx: Ctx, q: WhistleListQuery): Promise<{ as_of: string; whistles: WhistleView[] }> {
  const whistles = (await repo.listWhistles(ctx.db, scopeOf(ctx.principal), q.status ?? 'active', q.limit ?? 200)) as WhistleView[];
  return { as_of: new Date().toISOString(), whistles };
}

export async function getWhistle(ctx: Ctx, id: number): Promise<WhistleDetail> {
  const w = (await repo.whistleDetail(ctx.db, id, scopeOf(ctx.principal))) as WhistleView | undefined;
  if (!w) throw notFound(`whistle ${id} does not exist`);
  const [reports, history] = await Promise.all([repo.reportsOf(ctx.db, id), eventsOfSubject(ctx.db, `whistle:${id}`)]);
  return {
    ...w,
    reports: reports.map((r) => ({ ...r, photos: r.photos.map((ph) => ({ ...ph, url: `/api/whistles/${id}/photos/${ph.id}` })) })),
    history: history.map((e) => ({
      seq: e.seq,
      at: e.at,
      actor: e.actor,
      type: e.type,
      department_code: (e.payload.department_code as string | undefined) ?? null,
      note: (e.payload.note as string | undefined) ?? null,
    })),
  };
}

/** The department a responder acts for: its own; an admin names one. */
function departmentOf(p: Principal, code: string | undefined, deps: { id: number; code: string }[]): { id: number; code: string } {
  if (p.role === 'responder') {
    const own = deps.find((d) => d.id === p.departmentId);
    if (code !== undefined && own?.code !== code) throw forbidden(p, `act for the department ${code}`);
    if (!own) throw notFound('this whistle does not summon your department');
    return own;
  }
  if (!code) throw badRequest('department_code is required when acting for a department you do not belong to', { field: 'body.department_code', rule: 'required' });
  const d = deps.find((x) => x.code === code);
  if (!d) throw badRequest(`department ${code} is not summoned by this whistle`, { field: 'body.department_code', rule: 'summoned' });
  return d;
}

/**
 * Runs one responder or commander action on a whistle inside a transaction, under an
 * idempotency key when one is given: a key seen before answers the first result and
 * changes nothing (the phone's offline queue may send an action twice).
 */
async function act<T>(ctx: Ctx, id: number, action: WhistleActionName, key: string | undefined, fn: (client: PoolClient, w: NonNullable<Awaited<ReturnType<typeof repo.lockWhistle>>>) => Promise<T>): Promise<T> {
  mayTake(ctx.principal, action);
  const who = actorOf(ctx.principal).actor;
  return withTransaction(ctx.db, (client) =>
    oncePerKey(client, key, { actor: who, action, target: `whistle:${id}` }, async () => {
      const w = await repo.lockWhistle(client, id, scopeOf(ctx.principal));
      if (!w) throw notFound(`whistle ${id} does not exist`);
      return fn(client, w);
    }),
  );
}

async function callFor(client: PoolClient, ctx: Ctx, whistleId: number, action: CallActionName, code: string | undefined) {
  const deps = (await client.query<{ id: number; code: string }>(`SELECT d.id, d.code FROM whistle_call c JOIN department d ON d.id = c.department_id WHERE c.whistle_id = $1`, [whistleId])).rows;
  const dep = departmentOf(ctx.principal, code, deps);
  const call = (await repo.lockCall(client, whistleId, dep.id))!;
  const refusal = refuseCallAction(action, call);
  if (refusal) throw conflictOn(action, whistleId, `${dep.code} ${refusal}`, { current: call.state, department_code: dep.code });
  return dep;
}

function openOrRefuse(action: string, w: { id: number; status: string }): void {
  if (w.status !== 'open') throw conflictOn(action, w.id, `it is ${w.status}`, { current: w.status });
}

export async function acceptWhistle(ctx: Ctx, id: number, input: AcceptInput, key?: string): Promise<WhistleView> {
  return act(ctx, id, 'accept', key, async (client, w) => {
    openOrRefuse('accept', w);
    const dep = await callFor(client, ctx, id, 'accept', input.department_code);
    const actor = actorOf(ctx.principal).actor;
    await repo.applyCallAction(client, 'accept', id, dep.id, { actor, client_at: input.client_at ?? null });
    const v = await view(client, id);
    await appendEvents(client, [event(ctx.principal, 'whistle.accepted', v, { department_code: dep.code, client_at: input.client_at ?? null })]);
    return v;
  });
}

export async function checkIn(ctx: Ctx, id: number, input: CheckInInput, key?: string): Promise<WhistleView> {
  return act(ctx, id, 'check_in', key, async (client, w) => {
    openOrRefuse('check_in', w);
    const dep = await callFor(client, ctx, id, 'check_in', input.department_code);
    const distance = await repo.distanceToSite(client, id, input.lng, input.lat);
    const inside = insideGeofence(distance, w.radius_m, input.accuracy_m);
    const actor = actorOf(ctx.principal).actor;
    await repo.applyCallAction(client, 'check_in', id, dep.id, {
      actor,
      client_at: input.client_at ?? null,
      geom: `SRID=4326;POINT(${input.lng} ${input.lat})`,
      accuracy_m: input.accuracy_m,
      distance_m: distance,
      inside,
    });
    const v = await view(client, id);
    const call = v.calls.find((c) => c.department_id === dep.id)!;
    await appendEvents(client, [
      event(ctx.principal, 'whistle.checked_in', v, {
        department_code: dep.code,
        distance_m: distance,
        accuracy_m: input.accuracy_m,
        inside,
        on_time: call.on_time,
        flagged: call.flagged,
        client_at: input.client_at ?? null,
      }),
    ]);
    return v;
  });
}

export async function report(ctx: Ctx, id: number, input: ReportInput, settings: WhistleSettings, key?: string): Promise<WhistleDetail> {
  // Decode, check and strip the photos before the transaction; files are written only once all pass.
  const photos: ProcessedPhoto[] = [];
  for (const [i, b64] of (input.photos ?? []).entries()) photos.push(await processPhoto(b64, i, settings.photoMaxBytes));
  let written = false;
  try {
    await act(ctx, id, 'report', key, async (client, w) => {
      openOrRefuse('report', w);
      const dep = await callFor(client, ctx, id, 'report', input.department_code);
      const actor = actorOf(ctx.principal).actor;
      const reportId = await repo.insertReport(client, { whistle_id: id, department_id: dep.id, actor, note: input.note.trim(), client_at: input.client_at ?? null });
      const now = new Date();
      const judged = [];
      for (const ph of photos) {
        const distance = ph.exif_lng !== null && ph.exif_lat !== null ? await repo.distanceToSite(client, id, ph.exif_lng, ph.exif_lat) : null;
        const j = judgeExif({ exif_taken_at: ph.exif_taken_at, exif_distance_m: distance }, { radius_m: w.radius_m, since: w.called_at, tooEarly: 'taken_before_whistle' }, now);
        await repo.insertPhoto(client, reportId, { ...ph, exif_distance_m: distance, exif_mismatch: j.mismatch, exif_issues: j.issues });
        judged.push(j);
      }
      await writePhotos(settings.uploadDir, photos);
      written = true;
      const v = await view(client, id);
      await appendEvents(client, [
        event(ctx.principal, 'whistle.reported', v, {
          department_code: dep.code,
          report_id: reportId,
          note: input.note.trim(),
          photos: photos.length,
          exif_mismatch: judged.some((j) => j.mismatch),
          client_at: input.client_at ?? null,
        }),
      ]);
      return { report_id: reportId };
    });
  } catch (err) {
    if (written) await removePhotos(settings.uploadDir, photos);
    throw err;
  }
  return getWhistle({ ...ctx, principal: ctx.principal }, id);
}

export async function acceptCheckIn(ctx: Ctx, id: number, input: AcceptCheckInInput): Promise<WhistleView> {
  return act(ctx, id, 'accept_check_in', undefined, async (client, w) => {
    openOrRefuse('accept_check_in', w);
    const dep = (await repo.departmentsByCodes(client, [input.department_code]))[0];
    const call = dep ? await repo.lockCall(client, id, dep.id) : undefined;
    if (!dep || !call) throw badRequest(`department ${input.department_code} is not summoned by this whistle`, { field: 'body.department_code', rule: 'summoned' });
    const refusal = refuseCallAction('accept_check_in', call);
    if (refusal) throw conflictOn('accept_check_in', id, `${dep.code}: ${refusal}`, { current: call.state, department_code: dep.code });
    await repo.applyCallAction(client, 'accept_check_in', id, dep.id, { actor: actorOf(ctx.principal).actor, note: input.note.trim() });
    const v = await view(client, id);
    await appendEvents(client, [event(ctx.principal, 'whistle.check_in_accepted', v, { department_code: dep.code, note: input.note.trim() })]);
    return v;
  });
}

/** Closes a whistle with a grade (1–5) for every summoned department. */
export async function closeWhistle(ctx: Ctx, id: number, input: CloseInput): Promise<WhistleView> {
  return act(ctx, id, 'close', undefined, async (client, w) => {
    const refusal = refuseWhistleAction('close', { status: w.status, escalated_at: w.escalated_at });
    if (refusal) throw conflictOn('close', id, refusal, { current: w.status });
    const deps = (await client.query<{ id: number; code: string }>(`SELECT d.id, d.code FROM whistle_call c JOIN department d ON d.id = c.department_id WHERE c.whistle_id = $1 ORDER BY d.code`, [id])).rows;
    const given = input.grades.map((g) => g.department_code);
    const dup = given.find((c, i) => given.indexOf(c) !== i);
    if (dup) throw badRequest(`${dup} is graded twice`, { field: 'body.grades', rule: 'unique_department' });
    const extra = given.filter((c) => !deps.some((d) => d.code === c));
    if (extra.length) throw badRequest(`not summoned by this whistle: ${extra.join(', ')}`, { field: 'body.grades', rule: 'summoned' });
    const missing = deps.filter((d) => !given.includes(d.code)).map((d) => d.code);
    if (missing.length) throw badRequest(`grade every summoned department; missing: ${missing.join(', ')}`, { field: 'body.grades', rule: 'every_department' });
    await repo.setGrades(
      client,
      id,
      input.grades.map((g) => ({ department_id: deps.find((d) => d.code === g.department_code)!.id, score: g.score, note: g.note?.trim() || null })),
    );
    await repo.applyWhistleAction(client, 'close', id, { status: WHISTLE_ACTIONS.close.to, actor: actorOf(ctx.principal).actor });
    const v = await view(client, id);
    await appendEvents(client, [event(ctx.principal, 'whistle.closed', v, { grades: input.grades })]);
    return v;
  });
}

const SWEEPER = systemPrincipal('whistle-sweep');

/**
 * Records what the clock has decided (missing departments, escalations) and logs one event
 * each. Run at startup and then periodically: the deadlines live in the database, so one
 * that passed while no server ran is recorded as soon as one starts.
 */
export async function sweep(db: Pool): Promise<{ missing: number; escalated: number }> {
  return withTransaction(db, async (client) => {
    const due = await repo.sweepDue(client);
    const events: NewEvent[] = [];
    const views = new Map<number, WhistleView>();
    const viewOf = async (id: number) => views.get(id) ?? views.set(id, await view(client, id)).get(id)!;
    for (const m of due.missing) {
      const v = await viewOf(m.whistle_id);
      const code = v.calls.find((c) => c.department_id === m.department_id)!.department_code;
      events.push(event(SWEEPER, 'whistle.missing', v, { department_code: code }));
    }
    for (const id of due.escalated) events.push(event(SWEEPER, 'whistle.escalated', await viewOf(id), { to: 'district' }));
    await appendEvents(client, events);
    return { missing: due.missing.length, escalated: due.escalated.length };
  });
}
