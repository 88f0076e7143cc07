import { withTransaction, type PoolClient } from '../db/pool.ts';
import { actorOf, forbidden, scopeOf, type Ctx, type Principal } from '../auth/principal.ts';
import { appendEvents, eventsOfSubject, type NewEvent } from '../events/repository.ts';
import { badRequest, HttpError, notFound } from '../lib/errors.ts';
import { scopedRooms } from '../realtime/rooms.ts';
import { oncePerKey } from '../lib/idempotency.ts';
import { judgeExif, processPhoto, removePhotos, writePhotos, type ProcessedPhoto } from '../photos/photos.ts';
import { departmentsByCodes } from '../whistles/repository.ts';
import * as repo from './repository.ts';
import { readCsvSites, readGeoJsonSites, type ImportedSite } from './import.ts';
import {
  MAX_SITES,
  type CloseOperationInput,
  type ImportInput,
  type ImportResult,
  type OperationDetail,
  type OperationInput,
  type OperationListQuery,
  type OperationSummary,
  type PhotoInput,
  type SiteChange,
  type SiteInput,
  type SiteView,
  type TransitionInput,
} from './schemas.ts';
import {
  needsNote,
  OPERATION_ACTIONS,
  photoAction,
  refuseOperationAction,
  refuseSiteAction,
  roleMayTakeOperationAction,
  roleMayTakeSiteAction,
  SITE_ACTIONS,
  SITE_RADIUS_M,
  type OperationActionName,
  type SiteActionName,
} from './workflow.ts';

/** Settings the service needs from the configuration (the photos' folder and size limit are the whistles'). */
export interface OperationSettings {
  uploadDir: string;
  photoMaxBytes: number;
}

/** Two sites with the same label closer than this are the same site (an import sent twice, a double click). */
const DUPLICATE_M = 5;

const subject = (id: number) => `operation:${id}`;
const photoUrl = (operationId: number, photoId: number) => `/api/operations/${operationId}/photos/${photoId}`;

function withUrls(site: repo.SiteRow): SiteView {
  return { ...site, photos: site.photos.map((p) => ({ ...p, url: photoUrl(site.operation_id, p.id) })) };
}

/** The site as events carry it: where it is and its status, not its photos. */
const siteLite = (s: { id: number; label: string; lng: number; lat: number; status: string }) => ({ id: s.id, label: s.label, lng: s.lng, lat: s.lat, status: s.status });

function event(p: Principal, type: string, op: OperationSummary, extra: Record<string, unknown> = {}): NewEvent {
  return { ...actorOf(p), type, subject: subject(op.id), payload: { ...extra, operation: op, rooms: scopedRooms(op.subdistrict_id, op.departments.map((d) => d.id)) } };
}

async function summary(db: Ctx['db'] | PoolClient, id: number): Promise<OperationSummary> {
  return (await repo.operationSummary(db, id, { subdistrictId: null, departmentId: null })) as OperationSummary;
}

function mayTakeOp(p: Principal, action: OperationActionName): void {
  if (!roleMayTakeOperationAction(p.role, action)) throw forbidden(p, `${action.replace('_', ' ')} an operation (that is for: ${OPERATION_ACTIONS[action].who.join(', ')})`);
}
function mayTakeSite(p: Principal, action: SiteActionName): void {
  if (!roleMayTakeSiteAction(p.role, action)) throw forbidden(p, `${action.replace('_', ' ')} an operation site (that is for: ${SITE_ACTIONS[action].who.join(', ')})`);
}

function illegal(what: string, action: string, reason: string, details: Record<string, unknown> = {}): HttpError {
  return new HttpError(409, 'illegal_transition', `cannot ${action.replace('_', ' ')} on ${what}: ${reason}`, { requested: action, ...details });
}

/** Closes a ring drawn by clicks (GeoJSON wants the first position repeated at the end). */
function closedArea(area: OperationInput['area']): { type: 'Polygon'; coordinates: number[][][] } {
  return {
    type: 'Polygon',
    coordinates: area.coordinates.map((ring) => {
      const first = ring[0]!;
      const last = ring[ring.length - 1]!;
      return first[0] === last[0] && first[1] === last[1] ? ring : [...ring, first];
    }),
  };
}

/** Sites (clicked, imported) checked against the area and against each other and the sites already there. */
async function screenSites(db: Ctx['db'] | PoolClient, operationId: number, sites: ImportedSite[]): Promise<{ ok: ImportedSite[]; errors: { row: number; reason: string }[] }> {
  const inside = await repo.pointsInArea(db, operationId, sites);
  const existing = await repo.existingSites(db, operationId);
  const metres = (a: { lng: number; lat: number }, b: { lng: number; lat: number }) => {
    const k = Math.PI / 180;
    const x = (b.lng - a.lng) * k * Math.cos(((a.lat + b.lat) / 2) * k);
    return Math.hypot(x, (b.lat - a.lat) * k) * 6_371_008.8;
  };
  const ok: ImportedSite[] = [];
  const errors: { row: number; reason: string }[] = [];
  sites.forEach((s, i) => {
    if (!inside[i]) return void errors.push({ row: s.row, reason: `(${s.lng}, ${s.lat}) lies outside the operation's area` });
    const twin = existing.find((e) => e.label === s.label && metres(e, s) < DUPLICATE_M);
    if (twin) return void errors.push({ row: s.row, reason: `the operation already has "${s.label}" here (site ${twin.id})` });
    const before = ok.find((e) => e.label === s.label && metres(e, s) < DUPLICATE_M);
    if (before) return void errors.push({ row: s.row, reason: `repeats row ${before.row} ("${s.label}" at the same place)` });
    ok.push(s);
  });
  if (existing.length + ok.length > MAX_SITES) errors.push({ row: 0, reason: `an operation takes at most ${MAX_SITES} sites; it has ${existing.length}` });
  return { ok, errors };
}

/** Opens an operation: a commander, over an area inside its own subdistrict, with the departments involved. */
export async function createOperation(ctx: Ctx, input: OperationInput): Promise<OperationDetail> {
  const p = ctx.principal;
  mayTakeOp(p, 'create');
  const area = closedArea(input.area);
  const own = scopeOf(p).subdistrictId;
  const checked = await repo.checkArea(ctx.db, JSON.stringify(area), own);
  if (!checked.valid) throw badRequest(`the area is not a valid polygon (${checked.reason}); draw it without crossing its own edges`, { field: 'body.area', rule: 'valid_polygon' });
  if (checked.area_m2 <= 0) throw badRequest('the area is empty; draw at least three distinct corners', { field: 'body.area', rule: 'valid_polygon' });
  if (own !== null && checked.subdistrict_id !== own) {
    throw forbidden(p, `open an operation outside its own subdistrict (the area must lie wholly inside subdistrict ${own})`);
  }
  if (checked.subdistrict_id === null) throw badRequest('the area does not lie wholly inside one subdistrict of the district', { field: 'body.area', rule: 'inside_subdistrict' });
  const deps = await departmentsByCodes(ctx.db, input.department_codes);
  const unknown = input.department_codes.filter((c) => !deps.some((d) => d.code === c));
  if (unknown.length) throw badRequest(`unknown department_codes: ${unknown.join(', ')}; GET /api/departments lists them`, { field: 'body.department_codes', rule: 'known_department' });
  const who = actorOf(p).actor;
  const id = await withTransaction(ctx.db, async (client) => {
    const id = await repo.insertOperation(client, {
      subdistrict_id: checked.subdistrict_id!,
      title: input.title.trim(),
      note: input.note?.trim() || null,
      area: JSON.stringify(area),
      created_by: who,
      department_ids: deps.map((d) => d.id),
    });
    const sites = (input.sites ?? []).map((s, i) => ({ ...s, label: s.label.trim(), row: i + 1 }));
    const screened = await screenSites(client, id, sites);
    if (screened.errors.length) throw rowsRefused('body.sites', screened.errors);
    const siteIds = await repo.insertSites(client, id, screened.ok, who);
    const op = await summary(client, id);
    const events = [event(p, 'operation.created', op)];
    if (siteIds.length) events.push(event(p, 'operation.site_added', op, { via: 'create', sites: (await repo.sitesOf(client, id)).map(siteLite) }));
    await appendEvents(client, events);
    return id;
  });
  return getOperation(ctx, id);
}

function rowsRefused(field: string, errors: { row: number; reason: string }[]): HttpError {
  const shown = errors.slice(0, 5).map((e) => (e.row ? `row ${e.row}: ${e.reason}` : e.reason)).join('; ');
  return badRequest(`${errors.length} site${errors.length === 1 ? '' : 's'} cannot be added, so none was: ${shown}${errors.length > 5 ? '; …' : ''}. Send dry_run: true to see every row.`, {
    field,
    rule: 'sites',
    errors,
  });
}

export async function listOperations(ctx: Ctx, q: OperationListQuery): Promise<{ as_of: string; operations: OperationSummary[] }> {
  const operations = (await repo.listOperations(ctx.db, scopeOf(ctx.principal), q.status ?? 'open', q.limit ?? 200)) as OperationSummary[];
  return { as_of: new Date().toISOString(), operations };
}

export async function getOperation(ctx: Ctx, id: number): Promise<OperationDetail> {
  const op = (await repo.operationSummary(ctx.db, id, scopeOf(ctx.principal))) as OperationSummary | undefined;
  if (!op) throw notFound(`operation ${id} does not exist`);
  const [sites, history] = await Promise.all([repo.sitesOf(ctx.db, id), eventsOfSubject(ctx.db, subject(id))]);
  return {
    ...op,
    sites: sites.map(withUrls),
    history: history.map((e) => {
      const site = e.payload.site as { id?: number } | undefined;
      return {
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        type: e.type,
        action: (e.payload.action as string | undefined) ?? null,
        site_id: site?.id ?? null,
        from: (e.payload.from as string | undefined) ?? null,
        to: (e.payload.to as string | undefined) ?? null,
        note: (e.payload.note as string | undefined) ?? null,
      };
    }),
  };
}

/** Sites of open operations the caller works on (a responder: its department's), still to be done or checked. */
export async function listOpenSites(ctx: Ctx, limit = 500) {
  return (await repo.openSites(ctx.db, scopeOf(ctx.principal), limit)).map((s) => ({ ...withUrls(s), operation_title: s.operation_title }));
}

/** Runs an operation-level step with the row locked and in scope. */
async function onOperation<T>(ctx: Ctx, id: number, action: OperationActionName, fn: (client: PoolClient, op: NonNullable<Awaited<ReturnType<typeof repo.lockOperation>>>) => Promise<T>): Promise<T> {
  return withTransaction(ctx.db, async (client) => {
    const op = await repo.lockOperation(client, id, scopeOf(ctx.principal));
    if (!op) throw notFound(`operation ${id} does not exist`);
    const refusal = refuseOperationAction(action, op.status);
    if (refusal) throw illegal(`operation ${id}`, action, refusal, { current: op.status });
    return fn(client, op);
  });
}

/** Adds one site (a click on the map). */
export async function addSite(ctx: Ctx, id: number, input: SiteInput): Promise<SiteChange> {
  mayTakeOp(ctx.principal, 'add_sites');
  const who = actorOf(ctx.principal).actor;
  return onOperation(ctx, id, 'add_sites', async (client) => {
    const screened = await screenSites(client, id, [{ row: 1, lng: input.lng, lat: input.lat, label: input.label.trim() }]);
    if (screened.errors.length) throw badRequest(`the site cannot be added: ${screened.errors[0]!.reason}`, { field: 'body', rule: 'site', errors: screened.errors });
    const [siteId] = await repo.insertSites(client, id, screened.ok, who);
    const site = withUrls((await repo.siteById(client, siteId!))!);
    const op = await summary(client, id);
    await appendEvents(client, [event(ctx.principal, 'operation.site_added', op, { via: 'click', sites: [siteLite(site)] })]);
    return { site, operation: op };
  });
}

/** Adds the sites of a CSV or GeoJSON file, all or none; a dry run says what would be added and what is wrong. */
export async function importSites(ctx: Ctx, id: number, input: ImportInput): Promise<ImportResult> {
  mayTakeOp(ctx.principal, 'add_sites');
  if ((input.csv === undefined) === (input.geojson === undefined)) {
    throw badRequest('send either csv (lng,lat,label per line) or geojson (a FeatureCollection of points)', { field: 'body', rule: 'csv_or_geojson' });
  }
  const field = input.csv !== undefined ? 'body.csv' : 'body.geojson';
  const read = input.csv !== undefined ? readCsvSites(input.csv) : readGeoJsonSites(input.geojson);
  const who = actorOf(ctx.principal).actor;
  const dry = input.dry_run === true;
  return onOperation(ctx, id, 'add_sites', async (client) => {
    const screened = await screenSites(client, id, read.sites);
    const errors = [...read.errors, ...screened.errors].sort((a, b) => a.row - b.row);
    if (dry) {
      return { dry_run: true, sites: screened.ok.map((s) => ({ id: null, ...s })), errors, operation: await summary(client, id) };
    }
    if (errors.length) throw rowsRefused(field, errors);
    const ids = await repo.insertSites(client, id, screened.ok, who);
    const op = await summary(client, id);
    await appendEvents(client, [
      event(ctx.principal, 'operation.site_added', op, { via: 'import', sites: screened.ok.map((s, i) => siteLite({ ...s, id: ids[i]!, status: 'pending' })) }),
    ]);
    return { dry_run: false, sites: screened.ok.map((s, i) => ({ id: ids[i]!, ...s })), errors: [], operation: op };
  });
}

/** The department a responder acts for (its own; the lock already kept it to involved operations); an admin may name one. */
async function actingDepartment(client: PoolClient, p: Principal, operationId: number, code: string | undefined): Promise<{ id: number; code: string } | null> {
  const deps = (await client.query<{ id: number; code: string }>(`SELECT d.id, d.code FROM operation_department od JOIN department d ON d.id = od.department_id WHERE od.operation_id = $1`, [operationId])).rows;
  if (p.role === 'responder') {
    const own = deps.find((d) => d.id === p.departmentId);
    if (!own) throw notFound(`operation ${operationId} does not involve your department`);
    if (code !== undefined && code !== own.code) throw forbidden(p, `act for the department ${code}`);
    return own;
  }
  if (code === undefined) return null;
  const d = deps.find((x) => x.code === code);
  if (!d) throw badRequest(`department ${code} is not involved in operation ${operationId}`, { field: 'body.department_code', rule: 'involved' });
  return d;
}

/** Moves a site along the workflow (start, clear, verify, send back). */
export async function transition(ctx: Ctx, id: number, siteId: number, input: TransitionInput, key?: string): Promise<SiteChange> {
  const action = input.action;
  mayTakeSite(ctx.principal, action);
  if (needsNote(action) && !input.note?.trim()) throw badRequest(`${action.replace('_', ' ')} needs a note saying why`, { field: 'body.note', rule: 'required' });
  const who = actorOf(ctx.principal).actor;
  return withTransaction(ctx.db, (client) => oncePerKey(client, key, { actor: who, action, target: `site:${siteId}` }, async () => {
    const op = await repo.lockOperation(client, id, scopeOf(ctx.principal));
    if (!op) throw notFound(`operation ${id} does not exist`);
    if (op.status !== 'open') throw illegal(`site ${siteId}`, action, `operation ${id} is ${op.status}`, { current: op.status });
    const site = await repo.lockSite(client, id, siteId);
    if (!site) throw notFound(`operation ${id} has no site ${siteId}`);
    const refusal = refuseSiteAction(action, site);
    if (refusal) throw illegal(`site ${siteId}`, action, refusal, { current: site.status });
    const dep = (SITE_ACTIONS[action].who as readonly string[]).includes('responder') ? await actingDepartment(client, ctx.principal, id, input.department_code) : null;
    const to = SITE_ACTIONS[action].to;
    await repo.applySiteAction(client, action, siteId, to, { actor: who, department_id: dep?.id ?? null, note: input.note?.trim() ?? null });
    const now = withUrls((await repo.siteById(client, siteId))!);
    const summaryNow = await summary(client, id);
    await appendEvents(client, [
      event(ctx.principal, 'operation.site_changed', summaryNow, { action, from: site.status, to, note: input.note?.trim() || null, department_code: dep?.code ?? null, client_at: input.client_at ?? null, site: siteLite(now) }),
    ]);
    return { site: now, operation: summaryNow };
  }));
}

/** Adds before or after photos to a site: checked, EXIF read and compared with the site, stripped, stored. */
export async function addPhotos(ctx: Ctx, id: number, siteId: number, input: PhotoInput, settings: OperationSettings, key?: string): Promise<SiteChange> {
  const action = photoAction(input.stage);
  mayTakeSite(ctx.principal, action);
  // Decode, check and strip the photos before the transaction; files are written only once all pass.
  const photos: ProcessedPhoto[] = [];
  for (const [i, b64] of input.photos.entries()) photos.push(await processPhoto(b64, i, settings.photoMaxBytes));
  const who = actorOf(ctx.principal).actor;
  let written = false;
  try {
    return await withTransaction(ctx.db, (client) => oncePerKey(client, key, { actor: who, action, target: `site:${siteId}` }, async () => {
      const op = await repo.lockOperation(client, id, scopeOf(ctx.principal));
      if (!op) throw notFound(`operation ${id} does not exist`);
      if (op.status !== 'open') throw illegal(`site ${siteId}`, action, `operation ${id} is ${op.status}`, { current: op.status });
      const site = await repo.lockSite(client, id, siteId);
      if (!site) throw notFound(`operation ${id} has no site ${siteId}`);
      const refusal = refuseSiteAction(action, site);
      if (refusal) throw illegal(`site ${siteId}`, action, refusal, { current: site.status });
      const dep = await actingDepartment(client, ctx.principal, id, input.department_code);
      const now = new Date();
      let mismatch = false;
      for (const ph of photos) {
        const distance = ph.exif_lng !== null && ph.exif_lat !== null ? await repo.distanceToSite(client, siteId, ph.exif_lng, ph.exif_lat) : null;
        const j = judgeExif({ exif_taken_at: ph.exif_taken_at, exif_distance_m: distance }, { radius_m: SITE_RADIUS_M, since: op.created_at, tooEarly: 'taken_before_operation' }, now);
        mismatch ||= j.mismatch;
        await repo.insertPhoto(client, siteId, input.stage, { actor: who, department_id: dep?.id ?? null }, { ...ph, exif_distance_m: distance, exif_mismatch: j.mismatch, exif_issues: j.issues });
      }
      await writePhotos(settings.uploadDir, photos);
      written = true;
      const after = withUrls((await repo.siteById(client, siteId))!);
      const summaryNow = await summary(client, id);
      await appendEvents(client, [
        event(ctx.principal, 'operation.site_changed', summaryNow, {
          action,
          from: site.status,
          to: site.status,
          note: null,
          department_code: dep?.code ?? null,
          photos: photos.length,
          exif_mismatch: mismatch,
          client_at: input.client_at ?? null,
          site: siteLite(after),
        }),
      ]);
      return { site: after, operation: summaryNow };
    }));
  } catch (err) {
    if (written) await removePhotos(settings.uploadDir, photos);
    throw err;
  }
}

/** Closes an operation; with sites not yet verified only when the commander says why. */
export async function closeOperation(ctx: Ctx, id: number, input: CloseOperationInput): Promise<OperationSummary> {
  mayTakeOp(ctx.principal, 'close');
  return onOperation(ctx, id, 'close', async (client) => {
    const before = await summary(client, id);
    const open = before.progress.total - before.progress.verified;
    const note = input.note?.trim() || null;
    if (open > 0 && !note) {
      throw illegal(`operation ${id}`, 'close', `${open} of its ${before.progress.total} sites are not verified; verify them, or close with a note saying why`, { unverified: open });
    }
    await repo.applyOperationAction(client, 'close', id, { to: OPERATION_ACTIONS.close.to, actor: actorOf(ctx.principal).actor, note });
    const op = await summary(client, id);
    await appendEvents(client, [event(ctx.principal, 'operation.closed', op, { note, unverified: open })]);
    return op;
  });
}
