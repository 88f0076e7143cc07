/**
 * Open311 GeoReport v2 over the cases: services are the case categories, service requests
 * are cases (source `open311`). Field names, status values and the error array follow
 * the specification (wiki.open311.org/GeoReport_v2) so existing clients work unchanged.
 */
import { actorOf, type Ctx } from '../auth/principal.ts';
import { DATE_WINDOW_DEFAULT, PLAIN_NUMBER } from '../lib/schema.ts';
import type { Pool } from '../db/pool.ts';
import { findCategory, findCategoryByServiceCode, listCategories, type CaseCategory } from '../cases/categories.ts';
import { LIMITS } from '../cases/schemas.ts';
import { normalizeCase, submitCase } from '../cases/service.ts';
import { FINAL_STATUSES, CASE_STATUSES } from '../cases/state-machine.ts';
import { HttpError } from '../lib/errors.ts';
import { findRequests, type RequestRow } from './repository.ts';
import { countIntake } from '../metrics/registry.ts';

export const JURISDICTION_ID = 'xicheng.beijing';
/** Without dates, GET requests covers the last 90 days, as the specification suggests. */
const DEFAULT_DAYS = 90;
export const MAX_REQUESTS = 1000;

/** An Open311 error: answered as `[{code, description}]`. */
export class Open311Error extends HttpError {
  constructor(statusCode: number, description: string, field?: string) {
    super(statusCode, 'open311', description, field ? { field } : undefined);
  }
}

export function open311Status(status: string): 'open' | 'closed' {
  return (FINAL_STATUSES as readonly string[]).includes(status) ? 'closed' : 'open';
}

export function serviceOf(c: CaseCategory) {
  return {
    service_code: c.service_code,
    service_name: c.name_zh,
    description: `${c.description_zh} (${c.name_en}: ${c.description_en})`,
    metadata: false,
    type: 'realtime' as const,
    keywords: [c.code, c.name_en].join(','),
    group: c.group,
  };
}

export function listServices() {
  return listCategories().map(serviceOf);
}

export function serviceDefinition(code: string) {
  const c = findCategoryByServiceCode(code);
  if (!c) throw new Open311Error(404, `service_code ${code} was not found; GET services lists them`, 'service_code');
  return { service_code: c.service_code, attributes: [] as unknown[] };
}

export function checkJurisdiction(id: string | undefined): void {
  if (id !== undefined && id !== '' && id !== JURISDICTION_ID) {
    throw new Open311Error(404, `jurisdiction_id ${id} was not found; this server serves ${JURISDICTION_ID}`, 'jurisdiction_id');
  }
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function formatRequest(r: RequestRow) {
  const cat = findCategory(r.category);
  const status = open311Status(r.status);
  return {
    service_request_id: String(r.id),
    status,
    status_notes: r.status_note ?? '',
    service_name: cat?.name_zh ?? r.category,
    service_code: cat?.service_code ?? '',
    description: r.description,
    agency_responsible: r.agency ?? '',
    service_notice: '',
    requested_datetime: iso(r.reported_at),
    updated_datetime: iso(r.updated_at),
    expected_datetime: status === 'open' ? iso(r.close_due_at) : '',
    address: r.address ?? '',
    address_id: '',
    zipcode: '',
    lat: r.lat,
    long: r.lng,
    media_url: r.media_url ?? '',
  };
}

/** The fields a GeoReport v2 POST may carry (plus `crs`, this server's extension for GCJ-02/BD-09 coordinates). */
const POST_FIELDS = new Set([
  'api_key',
  'jurisdiction_id',
  'service_code',
  'lat',
  'long',
  'address_string',
  'address_id',
  'email',
  'device_id',
  'account_id',
  'first_name',
  'last_name',
  'phone',
  'description',
  'media_url',
  'crs',
]);
const CONTACT_FIELDS = ['email', 'device_id', 'account_id', 'first_name', 'last_name', 'phone'] as const;

function text(body: Record<string, unknown>, name: string, max: number): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new Open311Error(400, `${name} must be a string`, name);
  const s = String(v);
  if (s.length > max) throw new Open311Error(400, `${name} must be at most ${max} characters, got ${s.length}`, name);
  return s;
}

function coordinate(body: Record<string, unknown>, name: 'lat' | 'long', min: number, max: number): number {
  const raw = body[name];
  if (raw === undefined || raw === '' || raw === null) {
    throw new Open311Error(400, `${name} is required: this jurisdiction locates requests by lat and long (WGS84), it cannot geocode address_string or address_id`, name);
  }
  // Only a plain decimal: `0x10`, `1e1`, `+1` or ` ` are not coordinates.
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && PLAIN_NUMBER.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new Open311Error(400, `${name} must be a finite decimal number of degrees, got "${String(raw)}"`, name);
  if (n < min || n > max) throw new Open311Error(400, `${name} must be between ${min} and ${max}, got ${n}`, name);
  return n;
}

/** POST requests: validates like a GeoReport server and stores the request as a case. */
export async function postRequest(ctx: Ctx, body: Record<string, unknown>, idempotencyKey: string | undefined) {
  for (const key of Object.keys(body)) {
    if (key.startsWith('attribute[')) throw new Open311Error(400, `${key}: this service has no attributes (metadata is false)`, key);
    if (!POST_FIELDS.has(key)) throw new Open311Error(400, `${key} is not a GeoReport v2 field`, key);
  }
  checkJurisdiction(text(body, 'jurisdiction_id', 100));
  const code = text(body, 'service_code', 64);
  if (!code) throw new Open311Error(400, 'service_code was not provided', 'service_code');
  const category = findCategoryByServiceCode(code);
  if (!category) throw new Open311Error(404, `service_code ${code} was not found; GET services lists them`, 'service_code');
  // Up to 180 here so that a swapped pair is answered as swapped by the case checks.
  const lat = coordinate(body, 'lat', -180, 180);
  const lng = coordinate(body, 'long', -180, 180);
  const description = text(body, 'description', LIMITS.description) ?? '';
  const address = text(body, 'address_string', LIMITS.address);
  const mediaUrl = text(body, 'media_url', LIMITS.media_url);
  const crsRaw = text(body, 'crs', 16);
  const contact: Record<string, string> = {};
  for (const f of CONTACT_FIELDS) {
    const v = text(body, f, 200);
    if (v) contact[f] = v;
  }
  if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > LIMITS.external_id)) {
    throw new Open311Error(400, `the Idempotency-Key header must be 1 to ${LIMITS.external_id} characters`, 'Idempotency-Key');
  }
  const crs = crsRaw === undefined ? 'WGS84' : crsRaw.toUpperCase().replace('-', '');
  if (!['WGS84', 'GCJ02', 'BD09'].includes(crs)) throw new Open311Error(400, 'crs must be WGS84, GCJ02 or BD09', 'crs');
  try {
    const row = normalizeCase(
      {
        source: 'open311',
        external_id: idempotencyKey,
        category: category.code,
        description,
        lng,
        lat,
        crs: crs as 'WGS84' | 'GCJ02' | 'BD09',
        address,
        media_url: mediaUrl,
      },
      '',
      { contact: Object.keys(contact).length ? contact : null },
    );
    const p = ctx.principal;
    if (p.kind === 'api_client' && !p.sources.includes('open311')) {
      throw new Open311Error(403, `the api_key of ${p.name} may not report under the open311 source`, 'api_key');
    }
    const result = await submitCase(ctx.db, { row, prefix: '', actor: actorOf(p) });
    countIntake('open311', result.created);
    return [{ service_request_id: String(result.case.id), service_notice: '', account_id: contact.account_id ?? '' }];
  } catch (err) {
    if (err instanceof HttpError && !(err instanceof Open311Error) && err.statusCode < 500) {
      const field = typeof err.details?.field === 'string' ? (err.details.field === 'lng' ? 'long' : err.details.field) : undefined;
      throw new Open311Error(err.statusCode, err.message.replace(/\blng\b/g, 'long'), field);
    }
    throw err;
  }
}

export interface RequestsQuery {
  service_request_id?: string;
  service_code?: string;
  start_date?: string;
  end_date?: string;
  status?: string;
  jurisdiction_id?: string;
  api_key?: string;
}

function dateParam(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  const d = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(d.getTime())) {
    throw new Open311Error(400, `${name} must be a w3 date-time with a time zone, e.g. 2026-11-05T08:15:30+08:00`, name);
  }
  if (d.getTime() < Date.parse(DATE_WINDOW_DEFAULT.notBefore) || d.getTime() > Date.parse(DATE_WINDOW_DEFAULT.notAfter)) {
    throw new Open311Error(400, `${name} must be between ${DATE_WINDOW_DEFAULT.notBefore} and ${DATE_WINDOW_DEFAULT.notAfter}`, name);
  }
  return d;
}

function list(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

/** GET requests: by ids (other filters ignored, as the specification says) or by the filters. */
export async function getRequests(db: Pool, q: RequestsQuery) {
  checkJurisdiction(q.jurisdiction_id);
  const ids = list(q.service_request_id);
  if (ids) {
    const bad = ids.find((id) => !/^[1-9]\d{0,15}$/.test(id));
    if (bad) throw new Open311Error(400, `service_request_id "${bad}" is not a service request id`, 'service_request_id');
    return (await findRequests(db, { ids: ids.map(Number), limit: MAX_REQUESTS })).map(formatRequest);
  }
  let categories: string[] | undefined;
  const codes = list(q.service_code);
  if (codes) {
    categories = codes.map((code) => {
      const c = findCategoryByServiceCode(code);
      if (!c) throw new Open311Error(404, `service_code ${code} was not found`, 'service_code');
      return c.code;
    });
  }
  let statuses: string[] | undefined;
  const wanted = list(q.status);
  if (wanted) {
    const badStatus = wanted.find((s) => s !== 'open' && s !== 'closed');
    if (badStatus) throw new Open311Error(400, `status must be open or closed (comma-separated), got "${badStatus}"`, 'status');
    statuses = CASE_STATUSES.filter((s) => wanted.includes(open311Status(s)));
  }
  let start = dateParam('start_date', q.start_date);
  const end = dateParam('end_date', q.end_date);
  if (start && end && start > end) throw new Open311Error(400, 'start_date must not be after end_date', 'start_date');
  if (!start && !end) start = new Date(Date.now() - DEFAULT_DAYS * 86_400_000);
  return (await findRequests(db, { categories, start, end, statuses, limit: MAX_REQUESTS })).map(formatRequest);
}

export async function getRequest(db: Pool, id: string) {
  if (!/^[1-9]\d{0,15}$/.test(id)) throw new Open311Error(404, `service request ${id} was not found`, 'service_request_id');
  const rows = await findRequests(db, { ids: [Number(id)], limit: 1 });
  if (!rows.length) throw new Open311Error(404, `service request ${id} was not found`, 'service_request_id');
  return rows.map(formatRequest);
}

export function discovery(baseUrl: string) {
  return {
    changeset: '2026-11-01T00:00:00Z',
    contact: 'cityops operations center (synthetic demo of Beijing Xicheng)',
    key_service: 'No API key is needed.',
    endpoints: [
      {
        specification: 'http://wiki.open311.org/GeoReport_v2',
        url: `${baseUrl}/open311/v2`,
        changeset: '2026-11-01T00:00:00Z',
        type: 'production',
        formats: ['application/json', 'text/xml'],
      },
    ],
  };
}
