import type pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS, type Permission, type Role } from '../../server/src/auth/permissions.ts';
import { setUserDisabled } from '../../server/src/auth/service.ts';
import { systemPrincipal } from '../../server/src/auth/principal.ts';
import { testPool } from '../helpers/db.ts';
import { GUARDED } from '../../server/src/auth/plugin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { ensureTestUser, loginCookie, testApiKey, testDisplayToken, testScopes, TEST_PASSWORD, type TestUser } from '../helpers/auth.ts';
import { onLogRows, until } from '../realtime/helpers.ts';

/** The principals the matrix tries: nobody, each person's role, a wall and an intake system. */
type Who = 'anonymous' | TestUser | 'display' | 'integration';
const PEOPLE: TestUser[] = ['admin', 'dispatcher', 'commander', 'responder', 'planner', 'viewer'];
const WHO: Who[] = ['anonymous', ...PEOPLE, 'display', 'integration'];

/** A concrete URL for a route pattern: ids and names that parse, whatever they find. */
function concrete(url: string): string {
  return url
    .replace(/:layer\.json$/, 'streets.json')
    .replace(':layer', 'streets')
    .replace(':z', '14')
    .replace(':x', '13487')
    .replace(':y.mvt', '6203.mvt')
    .replace(':code', '1001.json')
    .replace(/:id(\b|$)/g, '1')
    .replace(':source', 'facility')
    .replace(/:[a-z_]+/g, '1');
}

describe('authorization: every route, socket and tile against every role', () => {
  let server: TestServer;
  let pool: pg.Pool;
  const headers = new Map<Who, Record<string, string>>();
  const cookies = new Map<Who, string>();

  let displayToken = '';
  async function openDisplay(): Promise<void> {
    const wall = await fetch(`${server.url}/api/auth/display`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: displayToken }) });
    expect(wall.status).toBe(200);
    const wallCookie = wall.headers.get('set-cookie')!.split(';')[0]!;
    cookies.set('display', wallCookie);
    headers.set('display', { cookie: wallCookie });
  }

  async function signInAll(): Promise<void> {
    for (const who of [...PEOPLE, 'commander2', 'responder2'] as TestUser[]) {
      const cookie = await loginCookie(server.url, pool, who);
      cookies.set(who, cookie);
      headers.set(who, { cookie });
    }
  }

  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    headers.set('anonymous', {});
    await signInAll();
    displayToken = await testDisplayToken(pool);
    await openDisplay();
    headers.set('integration', { 'x-api-key': await testApiKey(pool) });
    // Cases in both test subdistricts, dispatched to both test departments, so scopes have something to hide.
    const { subdistricts, departments } = await testScopes(pool);
    const codes = (await pool.query<{ code: string }>('SELECT code FROM department WHERE id = ANY($1) ORDER BY array_position($1, id)', [departments])).rows.map((r) => r.code);
    for (const [i, sub] of subdistricts.entries()) {
      const { rows } = await pool.query<{ lng: number; lat: number }>('SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE id = $1) x', [sub]);
      for (let n = 0; n < 2; n++) {
        const post = (path: string, body: unknown) =>
          fetch(server.url + path, { method: 'POST', headers: { ...headers.get('dispatcher'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const { case: c } = await (await post('/api/cases', { source: 'hotline_12345', category: 'street_light', description: `matrix scope ${i}-${n}`, lng: rows[0]!.lng, lat: rows[0]!.lat })).json();
        if (n === 0) continue; // one stays reported
        await post(`/api/cases/${c.id}/transitions`, { action: 'register' });
        await post(`/api/cases/${c.id}/transitions`, { action: 'dispatch', department_code: codes[i] });
      }
    }
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  /** The guarded routes with the permission each declares (the server's route catalog). */
  const catalog = () =>
    server.app.routeCatalog
      .filter((r) => GUARDED.test(r.url))
      .map((r) => ({ method: r.method, url: r.url, permission: (r.config as { permission?: Permission } | undefined)?.permission as Permission }));

  const roleOf = (who: Who): Role => (who === 'commander2' ? 'commander' : who === 'responder2' ? 'responder' : who === 'display' ? 'display' : who === 'integration' ? 'integration' : who);
  /** What the principal holds: the role's permissions, or the test key's own (cases.create). */
  const holds = (who: Who, p: Permission) =>
    p === 'public' || (who === 'integration' ? p === 'cases.create' : (ROLE_PERMISSIONS[roleOf(who)] as readonly string[]).includes(p));

  it('has a permission declared on every API, tile and Open311 route', () => {
    const routes = catalog();
    expect(routes.length).toBeGreaterThan(30);
    for (const r of routes) expect(r.permission, `${r.method} ${r.url}`).toBeTruthy();
    expect(routes.filter((r) => r.url.startsWith('/tiles/')).every((r) => r.permission === 'public')).toBe(true);
  });

  it('answers each cell of the role × route matrix: 401 for nobody, 403 for a role without the permission, past the gate otherwise', async () => {
    const failures: string[] = [];
    let cells = 0;
    // Signing out ends the session every later cell would use: that route goes last.
    const routes = catalog().sort((a, b) => Number(a.url === '/api/auth/logout') - Number(b.url === '/api/auth/logout'));
    try {
      for (const route of routes) {
        for (const who of WHO) {
          // An empty body: a permitted principal gets past the gate (and is then told what is
          // missing, or served); the gate runs before validation, so a refused one never is.
          const res = await fetch(server.url + concrete(route.url), {
            method: route.method,
            headers: { ...headers.get(who)!, ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
            body: route.method === 'POST' ? '{}' : undefined,
          });
          await res.arrayBuffer();
          cells++;
          const allowed = holds(who, route.permission);
          const expected = allowed ? 'not 401/403' : who === 'anonymous' ? '401' : '403';
          const ok = allowed ? res.status !== 401 && res.status !== 403 : res.status === (who === 'anonymous' ? 401 : 403);
          if (!ok || res.status >= 500) failures.push(`${who} ${route.method} ${route.url} (${route.permission}): got ${res.status}, want ${expected}`);
        }
      }
    } finally {
      await signInAll();
      await openDisplay();
    }
    expect(failures).toEqual([]);
    expect(cells).toBe(catalog().length * WHO.length);
  }, 600_000);

  it('keeps a commander to its subdistrict and a responder to its department, in SQL', async () => {
    const { subdistricts, departments } = await testScopes(pool);
    const commander = await (await fetch(`${server.url}/api/cases?limit=500`, { headers: headers.get('commander') })).json();
    expect(commander.total).toBeGreaterThan(0);
    expect(commander.items.every((c: { subdistrict_id: number }) => c.subdistrict_id === subdistricts[0])).toBe(true);
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cases WHERE subdistrict_id = $1', [subdistricts[0]]);
    expect(commander.total).toBe(rows[0]!.n);
    // Asking for another subdistrict narrows to nothing; it never widens.
    const other = await (await fetch(`${server.url}/api/cases?subdistrict_id=${subdistricts[1]}`, { headers: headers.get('commander') })).json();
    expect(other.total).toBe(0);
    const responder = await (await fetch(`${server.url}/api/cases?limit=500`, { headers: headers.get('responder') })).json();
    expect(responder.items.every((c: { department_id: number }) => c.department_id === departments[0])).toBe(true);
    // A case outside the scope does not exist for it, and cannot be acted on.
    const outside = (await pool.query<{ id: number }>(`SELECT id::int AS id FROM cases WHERE subdistrict_id = $1 AND status = 'reported' LIMIT 1`, [subdistricts[1]])).rows[0];
    if (outside) {
      expect((await fetch(`${server.url}/api/cases/${outside.id}`, { headers: headers.get('commander') })).status).toBe(404);
      const t = await fetch(`${server.url}/api/cases/${outside.id}/transitions`, {
        method: 'POST',
        headers: { ...headers.get('commander'), 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'register' }),
      });
      expect(t.status).toBe(404);
    }
  });

  it('lets each role take only its own steps of the loop', async () => {
    const created = await fetch(`${server.url}/api/cases`, {
      method: 'POST',
      headers: { ...headers.get('dispatcher'), 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'hotline_12345', category: 'street_light', description: 'matrix: steps by role', lng: 116.366, lat: 39.912 }),
    });
    const { case: c } = await created.json();
    const act = (who: Who, body: Record<string, unknown>) =>
      fetch(`${server.url}/api/cases/${c.id}/transitions`, { method: 'POST', headers: { ...headers.get(who), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await act('responder', { action: 'register' })).status).toBe(403);
    expect((await act('planner', { action: 'register' })).status).toBe(403);
    expect((await act('dispatcher', { action: 'register' })).status).toBe(200);
    expect((await act('commander', { action: 'close' })).status).toBe(403);
    const log = await pool.query('SELECT actor, actor_kind FROM event WHERE subject = $1 ORDER BY seq', [`case:${c.id}`]);
    expect(log.rows.map((r) => r.actor)).toEqual(['user:test-dispatcher', 'user:test-dispatcher']);
  });

  it('refuses an actor named in the body: the log names the principal', async () => {
    const res = await fetch(`${server.url}/api/cases`, {
      method: 'POST',
      headers: { ...headers.get('dispatcher'), 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'hotline_12345', category: 'street_light', description: 'x', lng: 116.366, lat: 39.912, actor: '区长' }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/actor/);
  });

  it('lets only a planner or an administrator save a what-if', async () => {
    const body = JSON.stringify({ kind: 'kindergarten', minutes: 5, add: [{ lon: 116.366, lat: 39.912, name: 'matrix' }], save: true });
    for (const who of ['viewer', 'dispatcher', 'commander'] as Who[]) {
      const res = await fetch(`${server.url}/api/coverage/what-if`, { method: 'POST', headers: { ...headers.get(who), 'content-type': 'application/json' }, body });
      expect(res.status, who).toBe(403);
    }
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM facility WHERE name = 'matrix'`);
    expect(rows[0].n).toBe(0);
  });

  function socketOf(who: Who): Socket {
    return io(server.url, { transports: ['websocket'], reconnection: false, extraHeaders: cookies.get(who) ? { cookie: cookies.get(who)! } : {} });
  }

  it('refuses a socket without a principal, and joins only the rooms a principal may see', async () => {
    const anon = socketOf('anonymous');
    const err = await new Promise<Error>((resolve) => anon.once('connect_error', resolve));
    expect(err.message).toMatch(/unauthenticated/);
    anon.close();
    const { subdistricts, departments } = await testScopes(pool);
    const ask = async (who: Who, rooms: string[]) => {
      const s = socketOf(who);
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('connect_error', reject);
        });
        return (await s.timeout(5000).emitWithAck('subscribe', rooms)).joined as string[];
      } finally {
        s.close();
      }
    };
    const all = ['wall', `subdistrict:${subdistricts[0]}`, `subdistrict:${subdistricts[1]}`, `department:${departments[0]}`, 'department:99999'];
    expect(await ask('commander', all)).toEqual([`subdistrict:${subdistricts[0]}`]);
    expect(await ask('responder', all)).toEqual([`department:${departments[0]}`]);
    expect(await ask('display', all)).toEqual(all);
    expect(await ask('dispatcher', ['wall'])).toEqual(['wall']);
  });

  it('replays to a commander only the rows of its own subdistrict', async () => {
    const { subdistricts } = await testScopes(pool);
    const s = socketOf('commander');
    const got: { rooms?: string[]; case?: { subdistrict_id: number } }[] = [];
    onLogRows(s, (event, msg) => {
      if (event.startsWith('case.')) got.push(msg as { case?: { subdistrict_id: number } });
    });
    try {
        await new Promise<void>((resolve) => s.once('connect', () => resolve()));
        const since = Math.max(0, (await pool.query('SELECT max(seq)::float8 AS s FROM event')).rows[0].s - 2000);
        const ack = await s.timeout(20_000).emitWithAck('catch_up', { since, rooms: ['wall', `subdistrict:${subdistricts[1]}`, `subdistrict:${subdistricts[0]}`] });
        expect(ack.joined).toEqual([`subdistrict:${subdistricts[0]}`]);
        expect(got.every((m) => m.case?.subdistrict_id === subdistricts[0])).toBe(true);
    } finally {
      s.close();
    }
  });

  it('ends a disabled user’s sessions and open sockets at once', async () => {
    const username = await ensureTestUser(pool, 'viewer');
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: TEST_PASSWORD }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const s = io(server.url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    let disconnected = false;
    s.on('disconnect', () => (disconnected = true));
    await setUserDisabled({ principal: systemPrincipal('tests'), db: pool }, username, true);
    try {
        await until(() => disconnected, 'the socket to be disconnected');
        expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
        expect((await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: TEST_PASSWORD }) })).status).toBe(401);
    } finally {
      s.close();
      await setUserDisabled({ principal: systemPrincipal('tests'), db: pool }, username, false);
      // the other tests' viewer session was ended with it
      const fresh = await loginCookie(server.url, pool, 'viewer');
      cookies.set('viewer', fresh);
      headers.set('viewer', { cookie: fresh });
    }
  });

  it('audits sign-ins and failures, throttles guessing, and lets an administrator read and export the log', async () => {
    const username = await ensureTestUser(pool, 'planner');
    const attempt = (password: string) =>
      fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `${username}-nobody`, password }) });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt(`wrong-${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    const audit = await (await fetch(`${server.url}/api/audit?subject=${encodeURIComponent(`user:${username}-nobody`)}`, { headers: headers.get('admin') })).json();
    expect(audit.items.filter((e: { type: string }) => e.type === 'auth.login_failed')).toHaveLength(5);
    expect(audit.items.every((e: { actor: string }) => e.actor === 'anonymous:anonymous')).toBe(true);
    const csv = await fetch(`${server.url}/api/audit?type=auth.login&format=csv&limit=5`, { headers: headers.get('admin') });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    // UTF-8 with a byte-order mark, so Excel opens the Chinese correctly.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toBe('seq,at,actor,type,subject,payload');
    expect((await fetch(`${server.url}/api/audit`, { headers: headers.get('dispatcher') })).status).toBe(403);
  });
});
