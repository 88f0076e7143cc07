/**
 * Hostile input across every route: requests are generated from the routes' own schemas (each
 * field of a valid request replaced, one at a time, by values the schema must refuse), plus
 * path ids that are not plain decimals, bodies that are not objects, and the Open311 routes
 * (which parse their own fields). Every one must be refused with a 4xx, never a 5xx; the
 * process stays up; and the data tables are byte-for-byte what they were.
 */
import { addUser } from '../../server/src/auth/service.ts';
import { systemPrincipal } from '../../server/src/auth/principal.ts';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import pgLib from 'pg';
import { scratchCity } from '../import/helpers.ts';
import { seedDemoCity } from '../../server/src/city/seed.ts';
import { TEST_SEED } from '../helpers/constants.ts';
import { harden } from '../../server/src/lib/validation.ts';
import type { RouteRecord } from '../../server/src/lib/security.ts';
import { makeSender, type OutgoingRequest, type Sender } from './sender.ts';
import { TEST_PASSWORD } from '../helpers/auth.ts';

type Json = Record<string, unknown>;
type Ctx = 'body' | 'query';

interface Case {
  label: string;
  req: OutgoingRequest;
}

const NUL = 'a\u0000b';
const typesOf = (s: Json): string[] => (Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : []);

/** A value the schema accepts (overridden per route where the schema alone cannot say, e.g. a real category). */
function sample(schema: Json): unknown {
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const alts = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (alts) return sample(alts.find((a) => !typesOf(a).includes('null')) ?? alts[0]!);
  const t = typesOf(schema);
  if (t.includes('object')) {
    const out: Json = {};
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const k of (schema.required ?? []) as string[]) out[k] = sample(props[k]!);
    return out;
  }
  if (t.includes('array')) return (schema.minItems as number) > 0 ? [sample(schema.items as Json)] : [];
  if (t.includes('integer') || t.includes('number')) {
    const min = (schema.minimum as number | undefined) ?? -Infinity;
    const max = (schema.maximum as number | undefined) ?? Infinity;
    return Math.min(Math.max(1, min), max);
  }
  if (t.includes('boolean')) return false;
  if (t.includes('string')) {
    if (schema.format === 'date-time') return new Date(Date.now() - 3_600_000).toISOString();
    return 'x'.repeat(Math.max(1, (schema.minLength as number | undefined) ?? 1));
  }
  return null;
}

/** Values the schema node must refuse, as JSON (body) or as query-string text. */
function invalidValues(schema: Json, ctx: Ctx): unknown[] {
  const t = typesOf(schema);
  const out: unknown[] = [];
  const alts = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (alts && !t.length) {
    const consts = alts.every((a) => a.const !== undefined);
    if (consts) return ctx === 'body' ? ['not-a-value', 1, true, NUL] : ['not-a-value', NUL];
    return ctx === 'body' ? [[], { x: 1 }] : [NUL];
  }
  if (Array.isArray(schema.enum)) return ctx === 'body' ? ['not-a-value', NUL, 1, true] : ['not-a-value', NUL];
  const min = schema.minimum as number | undefined;
  const max = schema.maximum as number | undefined;
  if (t.includes('integer') || t.includes('number')) {
    const isInt = t.includes('integer');
    if (ctx === 'body') {
      out.push(true, false, ' ', '0x10', '1', [], {});
      if (!t.includes('null')) out.push(null);
      if (isInt) out.push(1.5, 1e20, -1e20);
    } else {
      out.push('0x1', '+1', '1e3', ' ', ' 1', '', 'abc', 'Infinity', 'NaN', NUL, '99999999999999999999');
      if (isInt) out.push('1.5');
    }
    if (min !== undefined) out.push(ctx === 'body' ? min - 1 : String(min - 1));
    if (max !== undefined) out.push(ctx === 'body' ? max + 1 : String(max + 1));
    return out;
  }
  if (t.includes('string')) {
    if (ctx === 'body') out.push(1, true, [], { x: 1 }, NUL);
    else out.push(NUL);
    if (ctx === 'body' && !t.includes('null')) out.push(null);
    if (typeof schema.maxLength === 'number') out.push('x'.repeat(schema.maxLength + 1));
    if (typeof schema.minLength === 'number' && schema.minLength > 0) out.push('');
    if (schema.format === 'date-time') out.push('0000-01-01T00:00:00Z', '0000-01-01', '9999-12-31T23:59:59Z', '2026-13-45T99:99:99Z', 'yesterday');
    return out;
  }
  if (t.includes('boolean')) return ctx === 'body' ? ['true', 1, 0, null, 'x'] : ['yes', 'maybe', '2', NUL];
  if (t.includes('array')) {
    if (ctx === 'query') return invalidValues(schema.items as Json, 'query');
    out.push(null, 'x', { x: 1 }, 1);
    if (typeof schema.maxItems === 'number') out.push(Array.from({ length: schema.maxItems + 1 }, () => sample(schema.items as Json)));
    if (typeof schema.minItems === 'number' && schema.minItems > 0) out.push([]);
    return out;
  }
  if (t.includes('object')) return ctx === 'body' ? [null, 'x', [], 1] : [];
  return out;
}

/** Every one-field mutation of `valid` (and of the first element of arrays of objects), with its JSON path. */
function mutate(schema: Json, valid: unknown, ctx: Ctx, path: string, depth = 0): { path: string; value: unknown }[] {
  const out = invalidValues(schema, ctx).map((value) => ({ path, value }));
  if (depth > 3) return out;
  const t = typesOf(schema);
  if (t.includes('object') && valid && typeof valid === 'object' && !Array.isArray(valid)) {
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const [k, p] of Object.entries(props)) {
      const base = (valid as Json)[k] ?? sample(p);
      for (const m of mutate(p, base, ctx, `${path}.${k}`, depth + 1)) {
        // A nested mutation comes back as the whole mutated child.
        out.push({ path: m.path, value: { ...(valid as Json), [k]: m.value } });
      }
    }
    // A required field with a default is filled in, not missing.
    for (const k of ((schema.required ?? []) as string[]).filter((r) => props[r]?.default === undefined)) {
      const { [k]: _gone, ...rest } = valid as Json;
      out.push({ path: `${path}.-${k}`, value: rest });
    }
    if (schema.additionalProperties === false) out.push({ path: `${path}.+extra`, value: { ...(valid as Json), not_a_field: 1 } });
  }
  if (t.includes('array') && Array.isArray(valid) && valid.length && ctx === 'body') {
    const items = schema.items as Json;
    for (const m of mutate(items, valid[0], ctx, `${path}.0`, depth + 1)) out.push({ path: m.path, value: [m.value, ...valid.slice(1)] });
  }
  return out;
}

const encodeQuery = (q: Json) =>
  Object.entries(q)
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]))
    .map(([k, v]) => `${encodeURIComponent(String(k))}=${encodeURIComponent(String(v))}`)
    .join('&');

describe('hostile input (fuzz)', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let city: Awaited<ReturnType<typeof scratchCity>>;
  let send: Sender;
  const FUZZER = `fuzz-${process.pid}-${Date.now().toString(36)}`;
  const valid = { inside: [0, 0] as [number, number], category: '', kind: '', caseId: 0, facilityId: 0, node: 0 };

  beforeAll(async () => {
    // A city of its own: other test files write to the shared database while this one runs, and
    // the checksum must see only what this file's requests could have changed.
    city = await scratchCity('fuzz');
    await seedDemoCity(city.client, { seed: TEST_SEED });
    server = await startTestServer({ databaseUrl: city.url, intakeRatePerMinute: 1_000_000 });
    pool = new pgLib.Pool({ connectionString: city.url, max: 4 });
    // As an administrator, so that every route's input is read (a refused principal stops at 401/403 first).
    // An administrator of its own: other test files write to the log at the same time, as their
    // own principals, and the checksum of the log looks only at what this one wrote.
    await addUser({ principal: systemPrincipal('tests'), db: pool }, { username: FUZZER, role: 'admin', password: TEST_PASSWORD });
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: FUZZER, password: TEST_PASSWORD }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    send = makeSender(server.url, () => ({ cookie }));
    const p = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit
       WHERE level IN ('grid', 'district') ORDER BY level = 'district', id LIMIT 1) x`,
    );
    valid.inside = [p.rows[0].lng, p.rows[0].lat];
    const cats = await (await fetch(`${server.url}/api/case-categories`)).json();
    valid.category = cats[0].code;
    const kinds = await (await send({ method: 'GET', path: '/api/coverage/kinds', headers: {} })).json();
    valid.kind = (Array.isArray(kinds) ? kinds[0] : kinds.kinds[0]).kind;
    const created = await (
      await send({
        method: 'POST',
        path: '/api/cases',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'hotline_12345', category: valid.category, description: 'fuzz target', lng: valid.inside[0], lat: valid.inside[1] }),
      })
    ).json();
    valid.caseId = created.case.id;
    valid.facilityId = (await pool.query('SELECT id FROM facility ORDER BY id LIMIT 1')).rows[0].id;
    valid.node = (await pool.query('SELECT id FROM walk_node ORDER BY id LIMIT 1')).rows[0].id;
  }, 240_000);
  afterAll(async () => {
    await pool?.end();
    await server?.close();
    await city?.drop();
  });

  /** One hash per table of everything in it (order-independent). */
  async function checksum(): Promise<Record<string, string>> {
    const tables = await pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'spatial_ref_sys'
         -- other test files sign in while this one runs: their sessions and users are theirs
         AND c.relname NOT IN ('auth_session', 'app_user', 'api_client', 'display_token') ORDER BY 1`,
    );
    const out: Record<string, string> = {};
    for (const { name } of tables.rows) {
      // A refused sign-in is written to the log on purpose (the audit): only those rows may appear.
      // Of the log, what a request of this session wrote; a refused sign-in is audited on purpose.
      const where = name === 'event' ? ` WHERE actor = 'user:${FUZZER}' AND type <> 'auth.login_failed'` : '';
      const { rows } = await pool.query(`SELECT count(*) || ':' || coalesce(md5(string_agg(h, '' ORDER BY h)), '') AS h FROM (SELECT md5(t::text) AS h FROM "${name}" t${where}) x`);
      out[name] = rows[0].h;
    }
    return out;
  }

  function validBodyFor(route: RouteRecord): Json | undefined {
    const item = { source: 'hotline_12345', category: valid.category, description: 'fuzz', lng: valid.inside[0], lat: valid.inside[1] };
    const bases: Record<string, Json> = {
      'POST /api/cases': item,
      'POST /api/cases/batch': { cases: [item] },
      'POST /api/cases/:id/transitions': { action: 'register' },
      'POST /api/cases/:id/comments': { body: 'fuzz' },
      'POST /api/coverage/what-if': { kind: valid.kind, minutes: 10, add: [{ lon: valid.inside[0], lat: valid.inside[1] }] },
      'POST /api/coverage/siting': { kind: valid.kind, minutes: 10, count: 1 },
    };
    const key = `${route.method} ${route.url}`;
    if (bases[key]) return bases[key];
    return route.schema?.body ? (sample(harden(route.schema.body) as Json) as Json) : undefined;
  }

  function validQueryFor(route: RouteRecord): Json {
    const q = route.schema?.querystring ? (sample(harden(route.schema.querystring) as Json) as Json) : {};
    const props = ((route.schema?.querystring as Json | undefined)?.properties ?? {}) as Json;
    if ('kind' in props) q.kind = valid.kind;
    if ('node' in props) q.node = valid.node;
    return q;
  }

  function validParamsFor(route: RouteRecord): Json {
    const out: Json = {};
    for (const name of route.url.match(/:[a-z_]+/g) ?? []) {
      const k = name.slice(1);
      out[k] = k === 'layer' ? 'streets' : k === 'source' ? 'facility' : k === 'id' ? (route.url.includes('coverage') ? valid.facilityId : valid.caseId) : k === 'code' ? valid.category : 1;
    }
    return out;
  }

  const pathOf = (url: string, params: Json) => url.replace(/:([a-z_]+)/g, (_m, k: string) => encodeURIComponent(String(params[k])));

  function casesFor(route: RouteRecord): Case[] {
    const out: Case[] = [];
    const params = validParamsFor(route);
    const query = validQueryFor(route);
    const body = validBodyFor(route);
    const build = (p: Json, q: Json, b: unknown, raw?: string, type = 'application/json'): OutgoingRequest => {
      const qs = encodeQuery(q);
      const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
      return {
        method: route.method,
        path: `${pathOf(route.url, p)}${qs ? `?${qs}` : ''}`,
        headers: hasBody ? { 'content-type': type } : {},
        body: hasBody ? (raw ?? JSON.stringify(b ?? {})) : undefined,
      };
    };
    const tag = `${route.method} ${route.url}`;
    // Path parameters that are not plain decimals, or carry NUL.
    const paramSchema = (route.schema?.params ? harden(route.schema.params) : undefined) as Json | undefined;
    for (const k of Object.keys(params)) {
      const ps = ((paramSchema?.properties ?? {}) as Record<string, Json>)[k];
      const numeric = ps ? typesOf(ps).some((x) => x === 'integer' || x === 'number') : k === 'id';
      const below = ps && typeof ps.minimum === 'number' ? [String(ps.minimum - 1)] : ['-1'];
      const bad = numeric ? ['0x1', '+1', '1e3', '1e20', ...below, ' 1', '1.0', '99999999999999999999', '%00', 'NaN'] : ['%00', 'x'.repeat(300)];
      for (const v of bad) out.push({ label: `${tag} params.${k}=${v}`, req: { ...build({ ...params, [k]: '__V__' }, query, body), path: build({ ...params, [k]: '__V__' }, query, body).path.replace('__V__', v === '%00' ? '%00' : encodeURIComponent(v)) } });
    }
    if (route.schema?.querystring) {
      const qs = harden(route.schema.querystring) as Json;
      for (const m of mutate(qs, query, 'query', 'query')) {
        if (m.path === 'query') continue;
        out.push({ label: `${tag} ${m.path}=${JSON.stringify(m.value).slice(0, 60)}`, req: build(params, m.value as Json, body) });
      }
    }
    if (route.schema?.body) {
      const bs = harden(route.schema.body) as Json;
      for (const m of mutate(bs, body, 'body', 'body')) out.push({ label: `${tag} ${m.path}=${JSON.stringify(m.value).slice(0, 60)}`, req: build(params, query, m.value) });
      for (const raw of ['{', '{"a":', '"x"', '1', 'null', '[]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '['.repeat(5000) + ']'.repeat(5000)]) {
        out.push({ label: `${tag} raw body ${raw.slice(0, 20)}`, req: build(params, query, undefined, raw) });
      }
      out.push({ label: `${tag} wrong content type`, req: build(params, query, undefined, 'x=1', 'text/plain') });
    }
    return out;
  }

  /** Open311 parses its own fields: hostile values for each, in JSON and form encoding, and hostile ids. */
  function open311Cases(): Case[] {
    const out: Case[] = [];
    const good = { service_code: '', lat: String(valid.inside[1]), long: String(valid.inside[0]), description: 'fuzz', api_key: 'fuzz' };
    const bad: Record<string, unknown[]> = {
      lat: ['0x10', ' ', '+1', '1e1', 'abc', '', '91', '-91', 'Infinity', NUL, true, null, []],
      long: ['0x10', ' ', '1e2', '181', '-181', 'NaN', NUL, false],
      service_code: ['', 'no-such-code', NUL, 'x'.repeat(500)],
      description: [NUL, 'x'.repeat(5000), [], { x: 1 }],
      crs: ['XYZ', NUL],
      email: [NUL, 'x'.repeat(1000)],
      not_a_field: ['1'],
    };
    return [
      ...Object.entries(bad).flatMap(([field, values]) =>
        values.flatMap((v) => {
          const json = { ...good, service_code: valid.category ? serviceCode : '', [field]: v };
          const form = Object.fromEntries(Object.entries(json).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)]));
          return ['', '.json', '.xml'].flatMap((ext) => [
            { label: `POST open311${ext} json ${field}=${JSON.stringify(v)?.slice(0, 30)}`, req: { method: 'POST', path: `/open311/v2/requests${ext}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) } },
            // A form carries only text: a non-string value would arrive as (valid) text.
            ...(typeof v === 'string'
              ? [{ label: `POST open311${ext} form ${field}=${v.slice(0, 30)}`, req: { method: 'POST', path: `/open311/v2/requests${ext}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form as Record<string, string>).toString() } }]
              : []),
          ]);
        }),
      ),
      ...['0x1', '+1', '1e3', '1e20', '-1', '0', '99999999999999999999', '%00', ' 1'].flatMap((id) =>
        ['', '.json', '.xml'].map((ext) => ({ label: `GET open311 request ${id}${ext}`, req: { method: 'GET', path: `/open311/v2/requests/${id === '%00' ? '%00' : encodeURIComponent(id)}${ext}`, headers: {} } })),
      ),
      ...[
        'service_request_id=0x1',
        'service_request_id=1e3',
        'service_request_id=%2B1',
        'service_request_id=99999999999999999999',
        'start_date=0000-01-01T00:00:00Z',
        'end_date=9999-12-31T23:59:59Z',
        'start_date=0000-01-01',
        'status=%00',
        'service_code=%00',
        'jurisdiction_id=%00',
        'nope=1',
      ].flatMap((q) => ['', '.json', '.xml'].map((ext) => ({ label: `GET open311 requests${ext}?${q}`, req: { method: 'GET', path: `/open311/v2/requests${ext}?${q}`, headers: {} } }))),
    ];
  }
  let serviceCode = '';

  it('refuses every malformed request with a 4xx, keeps running, and changes no data', async () => {
    serviceCode = (await (await fetch(`${server.url}/open311/v2/services.json`)).json())[0].service_code;
    const routes = server.app.routeCatalog.filter((r) => !r.url.startsWith('/open311') && r.url !== '/*' && !r.url.includes('*'));
    expect(routes.length).toBeGreaterThan(20);
    const cases = [...routes.flatMap(casesFor), ...open311Cases()];
    expect(cases.length).toBeGreaterThanOrEqual(1000);
    // Every route with a schema is exercised.
    for (const r of routes.filter((x) => x.schema?.params || x.schema?.querystring || x.schema?.body)) {
      expect(cases.some((c) => c.label.startsWith(`${r.method} ${r.url} `)), `${r.method} ${r.url}`).toBe(true);
    }

    const before = await checksum();
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const res = await send(c.req);
        const text = await res.text();
        if (res.status < 400 || res.status >= 500) failures.push(`${res.status} ${c.label}: ${text.slice(0, 160)}`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(failures, failures.slice(0, 30).join('\n')).toEqual([]);

    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await checksum()).toEqual(before);
  });
});
