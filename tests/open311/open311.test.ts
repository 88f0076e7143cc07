import { XMLParser } from 'fast-xml-parser';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCategoryByServiceCode, listCategories } from '../../server/src/cases/categories.ts';
import { wgs84ToGcj02 } from '../../server/src/geo/coord-systems.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, testApiKey, type AuthedFetch } from '../helpers/auth.ts';

const REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
];
const w3 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const run = `o311${process.pid}${Date.now().toString(36)}`;

describe('Open311 GeoReport v2', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let base: string;
  let key: string;
  let dispatcher: AuthedFetch;
  let inside: [number, number];
  const xml = new XMLParser({ parseTagValue: false });
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}, ext = '.json') =>
    fetch(`${base}/requests${ext}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      // GeoReport v2 carries the client's api_key among the form fields.
      body: new URLSearchParams({ api_key: key, ...fields }).toString(),
    });
  const caseRow = async (id: string) =>
    (await pool.query('SELECT c.*, ST_X(geom) AS lng, ST_Y(geom) AS lat FROM cases c WHERE id = $1', [Number(id)])).rows[0];

  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    base = `${server.url}/open311/v2`;
    key = await testApiKey(pool, { sources: ['open311'] });
    dispatcher = await fetchAs(server.url, pool, 'dispatcher');
    const { rows } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit
       WHERE level IN ('grid', 'district') ORDER BY level = 'district', id DESC LIMIT 1) x`,
    );
    inside = [rows[0].lng, rows[0].lat];
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  it('publishes a discovery document pointing at its v2 endpoint, in JSON and XML', async () => {
    const json = await (await fetch(`${base}/discovery.json`)).json();
    expect(Object.keys(json).sort()).toEqual(['changeset', 'contact', 'endpoints', 'key_service']);
    expect(json.endpoints[0]).toMatchObject({ specification: 'http://wiki.open311.org/GeoReport_v2', url: `${server.url}/open311/v2`, type: 'production' });
    expect(json.endpoints[0].formats).toEqual(['application/json', 'text/xml']);
    const res = await fetch(`${base}/discovery.xml`);
    expect(res.headers.get('content-type')).toMatch(/text\/xml/);
    const doc = xml.parse(await res.text());
    expect(doc.discovery.endpoints.endpoint.url).toBe(`${server.url}/open311/v2`);
  });

  it('lists every case category as a service with exactly the specified fields', async () => {
    const services = await (await fetch(`${base}/services.json`)).json();
    expect(services).toHaveLength(listCategories().length);
    for (const s of services) {
      expect(Object.keys(s).sort()).toEqual(['description', 'group', 'keywords', 'metadata', 'service_code', 'service_name', 'type']);
      const c = findCategoryByServiceCode(s.service_code)!;
      expect(s.service_name).toBe(c.name_zh);
      expect(s.metadata).toBe(false);
      expect(s.type).toBe('realtime');
      expect(s.group).toBe(c.group);
    }
    const doc = xml.parse(await (await fetch(`${base}/services.xml`)).text());
    expect(doc.services.service.map((s: { service_code: string }) => s.service_code)).toEqual(services.map((s: { service_code: string }) => s.service_code));
  });

  it('answers a service definition, and a 404 in the error format for an unknown code', async () => {
    const def = await (await fetch(`${base}/services/101.json`)).json();
    expect(def).toEqual({ service_code: '101', attributes: [] });
    const res = await fetch(`${base}/services/999.json`);
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body).toHaveLength(1);
    expect(Object.keys(body[0]).sort()).toEqual(['code', 'description']);
    expect(body[0].code).toBe(404);
    expect(body[0].description).toMatch(/service_code 999/);
    const x = xml.parse(await (await fetch(`${base}/services/999.xml`)).text());
    expect(x.errors.error.code).toBe('404');
  });

  it('takes a form-encoded POST as real clients send it and shows the request field by field', async () => {
    const res = await form({
      service_code: '302',
      lat: String(inside[1]),
      long: String(inside[0]),
      address_string: '西城区某胡同口',
      description: '早点摊占道',
      email: 'resident@example.org',
      first_name: '李',
      phone: '13800000000',
      media_url: 'https://example.org/p.jpg',
      jurisdiction_id: 'xicheng.beijing',
    });
    expect(res.status).toBe(200);
    const created = await res.json();
    expect(created).toHaveLength(1);
    expect(Object.keys(created[0]).sort()).toEqual(['account_id', 'service_notice', 'service_request_id']);
    const id = created[0].service_request_id;
    expect(id).toMatch(/^\d+$/);
    const row = await caseRow(id);
    expect(row.source).toBe('open311');
    expect(row.category).toBe(findCategoryByServiceCode('302')!.code);
    expect(row.contact).toEqual({ email: 'resident@example.org', first_name: '李', phone: '13800000000' });

    // The category's routing names the responsible department from intake on.
    const routed = await pool.query('SELECT name_zh FROM department WHERE id = $1', [row.department_id]);
    const [r] = await (await fetch(`${base}/requests/${id}.json`)).json();
    expect(Object.keys(r).sort()).toEqual([...REQUEST_FIELDS].sort());
    expect(r).toEqual({
      service_request_id: id,
      status: 'open',
      status_notes: '',
      service_name: findCategoryByServiceCode('302')!.name_zh,
      service_code: '302',
      description: '早点摊占道',
      agency_responsible: routed.rows[0]?.name_zh ?? '',
      service_notice: '',
      requested_datetime: w3(row.reported_at),
      updated_datetime: w3(row.updated_at),
      expected_datetime: w3(row.close_due_at),
      address: '西城区某胡同口',
      address_id: '',
      zipcode: '',
      lat: row.lat,
      long: row.lng,
      media_url: 'https://example.org/p.jpg',
    });

    // Through the loop: the department becomes the agency; closing maps to `closed` with the notes.
    const post = (body: unknown) =>
      dispatcher(`/api/cases/${id}/transitions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const b of [{ action: 'register' }, { action: 'dispatch' }, { action: 'accept' }, { action: 'handle', note: '已劝离' }, { action: 'verify' }, { action: 'close' }]) {
      expect((await post(b)).status).toBe(200);
    }
    const [closed] = await (await fetch(`${base}/requests/${id}.json`)).json();
    const after = await caseRow(id);
    const dept = await pool.query('SELECT name_zh FROM department WHERE id = $1', [after.department_id]);
    expect(closed.status).toBe('closed');
    expect(closed.status_notes).toBe('已劝离');
    expect(closed.agency_responsible).toBe(dept.rows[0]?.name_zh ?? '');
    expect(closed.expected_datetime).toBe('');
    expect(closed.updated_datetime).toBe(w3(after.updated_at));
    const x = xml.parse(await (await fetch(`${base}/requests/${id}.xml`)).text());
    expect(x.service_requests.request.status).toBe('closed');
    expect(x.service_requests.request.service_request_id).toBe(id);
  });

  it('takes a POST only from an integration client allowed the open311 source, and says so in its own error format', async () => {
    const fields = { service_code: '1001', lat: String(inside[1]), long: String(inside[0]), description: '无钥匙' };
    const anonymous = await fetch(`${base}/requests.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    expect(anonymous.status).toBe(401);
    const wrongSource = await testApiKey(pool, { sources: ['sensor'] });
    const refused = await form({ ...fields, api_key: wrongSource });
    expect(refused.status).toBe(403);
    const unknown = await form({ ...fields, api_key: 'key_not-a-real-key-0000000000' });
    expect(unknown.status).toBe(401);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM cases WHERE description = '无钥匙'");
    expect(rows[0].n).toBe(0);
  });

  it('takes a JSON POST, GCJ-02 coordinates by the crs extension, and an Idempotency-Key that makes a retry return the first request', async () => {
    const [gLng, gLat] = wgs84ToGcj02(inside[0], inside[1]);
    const body = JSON.stringify({ api_key: key, service_code: '1001', lat: gLat, long: gLng, crs: 'GCJ02', description: '助餐服务' });
    const send = () => fetch(`${base}/requests.json`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `${run}-k1` }, body });
    const a = await (await send()).json();
    const b = await (await send()).json();
    expect(b[0].service_request_id).toBe(a[0].service_request_id);
    const row = await caseRow(a[0].service_request_id);
    expect(row.external_id).toBe(`${run}-k1`);
    expect(Math.abs(row.lng - inside[0])).toBeLessThan(1e-7);
    expect(Math.abs(row.lat - inside[1])).toBeLessThan(1e-7);
  });

  it('answers bad requests in the error array, naming the field, and stores nothing', async () => {
    const before = (await pool.query("SELECT count(*)::int AS n FROM cases WHERE source = 'open311'")).rows[0].n;
    const cases: [Record<string, string>, number, RegExp][] = [
      [{ lat: '39.9', long: '116.37' }, 400, /service_code was not provided/],
      [{ service_code: '12345', lat: '39.9', long: '116.37' }, 404, /service_code 12345 was not found/],
      [{ service_code: '101', lat: '39.9' }, 400, /long is required/],
      [{ service_code: '101', lat: 'abc', long: '116.37' }, 400, /lat must be a finite/],
      [{ service_code: '101', lat: 'Infinity', long: '116.37' }, 400, /lat must be a finite/],
      [{ service_code: '101', lat: '116.37', long: '39.9' }, 400, /swapped/],
      [{ service_code: '101', lat: '39.9', long: '116.37', description: 'x'.repeat(2001) }, 400, /description must be at most 2000/],
      [{ service_code: '101', lat: '39.9', long: '116.37', colour: 'red' }, 400, /colour is not a GeoReport v2 field/],
      [{ service_code: '101', lat: '39.9', long: '116.37', 'attribute[size]': 'big' }, 400, /no attributes/],
      [{ service_code: '101', lat: '39.9', long: '116.37', jurisdiction_id: 'chicago.il' }, 404, /jurisdiction_id chicago.il/],
    ];
    for (const [fields, status, message] of cases) {
      const res = await form(fields);
      const body = await res.json();
      expect(res.status, JSON.stringify(fields)).toBe(status);
      expect(body).toEqual([{ code: status, description: expect.stringMatching(message) }]);
    }
    const x = await form({ lat: '39.9', long: '116.37' }, {}, '.xml');
    expect(xml.parse(await x.text()).errors.error.description).toMatch(/service_code/);
    expect((await pool.query("SELECT count(*)::int AS n FROM cases WHERE source = 'open311'")).rows[0].n).toBe(before);
  });

  it('filters GET requests by ids, service code, dates and open/closed status, as JSON and XML', async () => {
    const start = new Date(Date.now() - 2000);
    const ids: string[] = [];
    for (const code of ['705', '705', '802']) {
      const [c] = await (await form({ service_code: code, lat: String(inside[1]), long: String(inside[0]), description: run })).json();
      ids.push(c.service_request_id);
    }
    // Reject the first: rejected counts as closed.
    await dispatcher(`/api/cases/${ids[0]}/transitions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'reject', note: '重复' }) });
    const q = async (query: string) => (await (await fetch(`${base}/requests.json?${query}`)).json()) as { service_request_id: string; status: string }[];
    const since = `start_date=${encodeURIComponent(w3(start))}`;
    const byId = await q(`service_request_id=${ids[2]},${ids[0]}`);
    expect(byId.map((r) => r.service_request_id).sort()).toEqual([ids[0], ids[2]].sort());
    expect((await q(`${since}&service_code=705`)).map((r) => r.service_request_id).sort()).toEqual([ids[0], ids[1]].sort());
    expect((await q(`${since}&service_code=705,802&status=open`)).map((r) => r.service_request_id).sort()).toEqual([ids[1], ids[2]].sort());
    expect((await q(`${since}&service_code=705&status=closed`)).map((r) => [r.service_request_id, r.status])).toEqual([[ids[0], 'closed']]);
    expect(await q(`service_code=705&start_date=2001-01-01T00:00:00Z&end_date=2001-01-02T00:00:00Z`)).toEqual([]);
    const doc = xml.parse(await (await fetch(`${base}/requests.xml?${since}&service_code=802`)).text());
    const reqs = [doc.service_requests.request].flat();
    expect(reqs.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([ids[2]]);
    for (const [query, message] of [
      ['status=pending', /status must be open or closed/],
      ['start_date=yesterday', /start_date must be a w3 date-time/],
      ['start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z', /start_date must not be after end_date/],
      ['colour=red', /colour is not a GeoReport v2 parameter/],
    ] as const) {
      const res = await fetch(`${base}/requests.json?${query}`);
      expect(res.status).toBe(400);
      expect((await res.json())[0].description).toMatch(message);
    }
    const missing = await fetch(`${base}/requests/999999999.json`);
    expect(missing.status).toBe(404);
  });
});
