import type pg from 'pg';
import { addApiClient, addDisplayToken, addUser } from '../../server/src/auth/service.ts';
import { systemPrincipal } from '../../server/src/auth/principal.ts';
import type { UserRole } from '../../server/src/auth/permissions.ts';
import * as repo from '../../server/src/auth/repository.ts';
import { CASE_SOURCES } from '../../server/src/cases/schemas.ts';

/** The password of every test user (long enough for the policy). */
export const TEST_PASSWORD = 'test-password-0123';

/** Test users by name: one per role; `commander2`/`responder2` sit in another subdistrict/department. */
export type TestUser = UserRole | 'commander2' | 'responder2';

const setupCtx = (db: pg.Pool) => ({ principal: systemPrincipal('tests'), db });

/** The subdistricts and departments the test commanders and responders belong to. */
export async function testScopes(db: pg.Pool): Promise<{ subdistricts: [number, number]; departments: [number, number] }> {
  const subs = (await db.query<{ id: number }>(`SELECT id FROM admin_unit WHERE level = 'subdistrict' ORDER BY code LIMIT 2`)).rows.map((r) => r.id);
  const deps = (await db.query<{ id: number }>(`SELECT id FROM department WHERE code IN ('urban_management_enforcement', 'city_management') ORDER BY code DESC`)).rows.map(
    (r) => r.id,
  );
  return { subdistricts: [subs[0]!, subs[1]!], departments: [deps[0]!, deps[1]!] };
}

/** Creates the test user if it is missing (tests share one database per run) and returns its username. */
export async function ensureTestUser(db: pg.Pool, who: TestUser): Promise<string> {
  const username = `test-${who}`;
  if (await repo.userByUsername(db, username)) return username;
  const { subdistricts, departments } = await testScopes(db);
  const role: UserRole = who === 'commander2' ? 'commander' : who === 'responder2' ? 'responder' : who;
  await addUser(setupCtx(db), {
    username,
    name: `Test ${who}`,
    role,
    password: TEST_PASSWORD,
    subdistrict: role === 'commander' ? subdistricts[who === 'commander2' ? 1 : 0] : null,
    department: role === 'responder' ? departments[who === 'responder2' ? 1 : 0] : null,
  }).catch(async (err) => {
    // Another test file created it at the same moment.
    if (!(await repo.userByUsername(db, username))) throw err;
  });
  return username;
}

/** Signs in over HTTP and returns the session cookie (`name=value`). */
export async function loginCookie(baseUrl: string, db: pg.Pool, who: TestUser): Promise<string> {
  const username = await ensureTestUser(db, who);
  const res = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: TEST_PASSWORD }) });
  if (res.status !== 200) throw new Error(`login as ${username} answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error('login set no cookie');
  return cookie.split(';')[0]!;
}

/** A display token for a test wall. */
export async function testDisplayToken(db: pg.Pool, name = 'test wall'): Promise<string> {
  return (await addDisplayToken(setupCtx(db), name)).token;
}

/** An integration key allowed `sources` (every source by default) and `permissions` (cases.create by default). */
export async function testApiKey(db: pg.Pool, opts: { sources?: string[]; permissions?: string[] } = {}): Promise<string> {
  const name = `test-client-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return (await addApiClient(setupCtx(db), { name, sources: opts.sources ?? [...CASE_SOURCES], permissions: opts.permissions })).key;
}

export interface AuthedFetch {
  (path: string, init?: RequestInit): Promise<Response>;
  cookie: string;
}

/** `fetch` against the test server as a test user: paths are relative to the server. */
export async function fetchAs(baseUrl: string, db: pg.Pool, who: TestUser): Promise<AuthedFetch> {
  const cookie = await loginCookie(baseUrl, db, who);
  const f = ((path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), cookie } })) as AuthedFetch;
  f.cookie = cookie;
  return f;
}

/** JSON helpers over an authenticated fetch. */
export function jsonApi(f: AuthedFetch) {
  return {
    post: (path: string, body: unknown) => f(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    get: (path: string) => f(path),
  };
}
