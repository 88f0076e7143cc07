import { createHash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type pg from 'pg';
import { withTransaction, type Pool } from '../db/pool.ts';
import { appendEvents } from '../events/repository.ts';
import { badRequest, conflict, HttpError, notFound } from '../lib/errors.ts';
import { isPermission, isUserRole, ROLE_PERMISSIONS, type Permission, type Role, type UserRole } from './permissions.ts';
import { actorOf, ANONYMOUS, type Ctx, type Principal } from './principal.ts';
import * as repo from './repository.ts';

/** A session lasts this long without a new login (a wall's display session is renewed on each load). */
export const SESSION_TTL_SECONDS = 12 * 3600;
export const DISPLAY_SESSION_TTL_SECONDS = 30 * 24 * 3600;
export const MIN_PASSWORD_LENGTH = 10;
/** Login throttle: failures per username or per address (config.loginRate) within this window lock further tries out. */
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Events that carry no `rooms` go to the wall; audit-only events must go to nobody. */
const NO_ROOMS = { rooms: [] as string[] };

/** A new secret: 32 random bytes, URL-safe. Shown once; only its digest is stored. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/** A readable random password for generated accounts. */
export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw badRequest(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'body.password', rule: 'min_length' });
  }
}

// ---------------------------------------------------------------- resolving principals

function userPrincipal(row: { id: number; username: string; name: string; role: string; subdistrict_id: number | null; department_id: number | null }, sessionId: number | null): Principal {
  const role = row.role as UserRole;
  return {
    kind: 'user',
    id: row.id,
    name: row.username,
    displayName: row.name,
    role,
    subdistrictId: row.subdistrict_id,
    departmentId: row.department_id,
    permissions: new Set(ROLE_PERMISSIONS[role]),
    sources: [],
    sessionId,
  };
}

function displayPrincipal(id: number, name: string, sessionId: number | null): Principal {
  return {
    kind: 'display',
    id,
    name,
    displayName: name,
    role: 'display',
    subdistrictId: null,
    departmentId: null,
    permissions: new Set(ROLE_PERMISSIONS.display),
    sources: [],
    sessionId,
  };
}

export function clientPrincipal(row: repo.ApiClientRow): Principal {
  return {
    kind: 'api_client',
    id: row.id,
    name: row.name,
    displayName: row.name,
    role: 'integration',
    subdistrictId: null,
    departmentId: null,
    permissions: new Set(row.permissions.filter(isPermission)),
    sources: row.sources,
    sessionId: null,
  };
}

/** The principal behind a session cookie's value, or anonymous when it is unknown or ended. */
export async function principalFromSession(db: Pool, token: string): Promise<Principal> {
  const row = await repo.liveSession(db, digest(token));
  if (!row) return ANONYMOUS;
  const sessionId = Number(row.session_id);
  if (row.user_id !== null) return userPrincipal({ ...row, id: row.user_id, username: row.username!, name: row.name!, role: row.role! }, sessionId);
  return displayPrincipal(row.display_token_id!, row.display_name!, sessionId);
}

/**
 * Keys resolved recently, per pool (so per database). An intake system sends thousands of
 * requests a minute with one key, and looking it up each time was a round trip per request.
 * A revocation clears the client's entry at once in the process that made it and, through the
 * log's `auth.revoked`, in every other process (`forgetApiClient`); the time limit
 * (`CITYOPS_API_KEY_CACHE_MS`, 0 turns the cache off) is the backstop for a process that does
 * not read the log. Unknown keys are never kept.
 */
const API_KEY_CACHE_MAX = 1_000;
const apiKeyCache = new WeakMap<Pool, Map<string, { principal: Principal; until: number }>>();

/** The principal behind an API key, or anonymous. */
export async function principalFromApiKey(db: Pool, key: string, cacheMs = 10_000): Promise<Principal> {
  const hash = digest(key);
  let cache = apiKeyCache.get(db);
  const hit = cache?.get(hash);
  if (hit && hit.until > Date.now()) return hit.principal;
  const row = await repo.apiClientByHash(db, hash);
  if (!row) return ANONYMOUS;
  const principal = clientPrincipal(row);
  if (cacheMs <= 0) return principal;
  if (!cache) apiKeyCache.set(db, (cache = new Map()));
  if (cache.size >= API_KEY_CACHE_MAX) cache.clear();
  cache.set(hash, { principal, until: Date.now() + cacheMs });
  return principal;
}

/** Drops the cached keys of an integration client. */
export function forgetApiClient(db: Pool, id: number): void {
  const cache = apiKeyCache.get(db);
  if (!cache) return;
  for (const [hash, entry] of cache) if (entry.principal.id === id) cache.delete(hash);
}

/** The principal of an in-process writer (the live simulator) that holds no key, by the client's name. */
export async function principalOfClient(db: Pool | pg.ClientBase, name: string): Promise<Principal> {
  const row = await repo.apiClientByName(db, name);
  if (!row || row.revoked_at) throw new Error(`the integration client "${name}" does not exist or is revoked: create it with npm run users -- api-key add`);
  return clientPrincipal(row);
}

// ---------------------------------------------------------------- sessions

export interface NewSession {
  token: string;
  principal: Principal;
  maxAgeSeconds: number;
}

async function audit(client: pg.ClientBase, principal: Principal, type: string, subject: string, payload: Record<string, unknown> = {}): Promise<void> {
  await appendEvents(client, [{ ...actorOf(principal), type, subject, payload: { ...payload, ...NO_ROOMS } }]);
}

/**
 * Checks a username and password and opens a session. Every failure answers the same 401
 * (no hint whether the user exists) and is logged; too many recent failures for the
 * username or the address answer 429 before the password is even checked.
 */
export async function login(
  db: Pool,
  username: string,
  password: string,
  address: string | null,
  limits: { perUser: number; perAddress: number },
): Promise<NewSession> {
  const recent = await repo.recentFailedLogins(db, username, address, LOGIN_WINDOW_SECONDS);
  if (recent.byUser >= limits.perUser || recent.byAddress >= limits.perAddress) {
    throw new HttpError(429, 'too_many_attempts', `too many failed sign-ins; try again in ${LOGIN_WINDOW_SECONDS / 60} minutes`, {
      retry_after_s: LOGIN_WINDOW_SECONDS,
    });
  }
  const user = await repo.userByUsername(db, username);
  // Verify against a fixed hash when the user is unknown, so the answer takes as long either way.
  const ok = user ? await argon2.verify(user.password_hash, password).catch(() => false) : await argon2.verify(DUMMY_HASH, password).catch(() => false);
  if (!user || !ok || user.disabled_at) {
    await withTransaction(db, (c) =>
      audit(c, ANONYMOUS, 'auth.login_failed', `user:${username}`, { address, reason: !user ? 'unknown_user' : !ok ? 'wrong_password' : 'disabled' }),
    );
    throw new HttpError(401, 'invalid_credentials', 'wrong username or password');
  }
  const token = newSecret('s');
  return withTransaction(db, async (c) => {
    const sessionId = await repo.insertSession(c, { tokenHash: digest(token), userId: user.id, displayTokenId: null, ttlSeconds: SESSION_TTL_SECONDS, address });
    const principal = userPrincipal(user, sessionId);
    await audit(c, principal, 'auth.login', `user:${user.username}`, { address });
    return { token, principal, maxAgeSeconds: SESSION_TTL_SECONDS };
  });
}

const DUMMY_HASH = await argon2.hash('cityops-no-such-user', { type: argon2.argon2id });

/** Opens a wall's session from its display token (carried in the wall URL). */
export async function openDisplaySession(db: Pool, displayToken: string, address: string | null): Promise<NewSession> {
  const row = await repo.displayTokenByHash(db, digest(displayToken));
  if (!row) throw new HttpError(401, 'invalid_display_token', 'this display token is unknown or revoked; ask an administrator for a new wall URL (npm run users -- token add)');
  const token = newSecret('s');
  return withTransaction(db, async (c) => {
    const sessionId = await repo.insertSession(c, { tokenHash: digest(token), userId: null, displayTokenId: row.id, ttlSeconds: DISPLAY_SESSION_TTL_SECONDS, address });
    return { token, principal: displayPrincipal(row.id, row.name, sessionId), maxAgeSeconds: DISPLAY_SESSION_TTL_SECONDS };
  });
}

export async function logout(ctx: Ctx): Promise<void> {
  const { principal } = ctx;
  if (principal.sessionId === null) return;
  await withTransaction(ctx.db, async (c) => {
    await repo.revokeSession(c, principal.sessionId!);
    if (principal.kind === 'user') await audit(c, principal, 'auth.logout', `user:${principal.name}`);
    await announceRevoked(c, principal, [principal.sessionId!]);
  });
}

/**
 * Tells every server node that sessions ended, through the event log (which every node
 * reads): their open sockets are disconnected at once.
 */
async function announceRevoked(c: pg.ClientBase, by: Principal, sessions: number[], apiClientId?: number): Promise<void> {
  if (!sessions.length && apiClientId === undefined) return;
  await appendEvents(c, [{ ...actorOf(by), type: 'auth.revoked', subject: 'sessions', payload: { sessions, api_client_id: apiClientId ?? null, ...NO_ROOMS } }]);
}

export async function changeOwnPassword(ctx: Ctx, current: string, next: string): Promise<void> {
  const p = ctx.principal;
  if (p.kind !== 'user') throw new HttpError(403, 'forbidden', 'only a signed-in user has a password to change');
  checkPassword(next);
  const user = await repo.userById(ctx.db, p.id);
  if (!user || !(await argon2.verify(user.password_hash, current).catch(() => false))) {
    throw badRequest('the current password is wrong', { field: 'body.current_password', rule: 'wrong_password' });
  }
  const hash = await hashPassword(next);
  await withTransaction(ctx.db, async (c) => {
    await repo.setPasswordHash(c, p.id, hash);
    // Other sessions of this user end; the one that changed the password stays.
    const ended = await repo.revokeSessionsOf(c, { userId: p.id, except: p.sessionId });
    await audit(c, p, 'auth.password_changed', `user:${p.name}`);
    await announceRevoked(c, p, ended);
  });
}

// ---------------------------------------------------------------- administration

export interface UserView {
  id: number;
  username: string;
  name: string;
  role: string;
  subdistrict_id: number | null;
  department_id: number | null;
  demo: boolean;
  created_at: string;
  disabled_at: string | null;
}

export function userView(u: repo.UserRow): UserView {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    role: u.role,
    subdistrict_id: u.subdistrict_id,
    department_id: u.department_id,
    demo: u.demo,
    created_at: u.created_at.toISOString(),
    disabled_at: u.disabled_at ? u.disabled_at.toISOString() : null,
  };
}

export interface NewUserInput {
  username: string;
  name?: string;
  role: string;
  password?: string;
  subdistrict?: string | number | null;
  department?: string | number | null;
  demo?: boolean;
}

async function resolveSubdistrict(db: Pool | pg.ClientBase, ref: string | number): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM admin_unit WHERE level = 'subdistrict' AND (id::text = $1::text OR code = $1::text OR name_zh = $1::text OR lower(name_en) = lower($1::text))`,
    [String(ref)],
  );
  if (rows.length !== 1) throw badRequest(`subdistrict "${ref}" is not a known subdistrict (give its id, NBS code or name)`, { field: 'subdistrict', rule: 'known_subdistrict' });
  return rows[0]!.id;
}

async function resolveDepartment(db: Pool | pg.ClientBase, ref: string | number): Promise<number> {
  const { rows } = await db.query<{ id: number }>(`SELECT id FROM department WHERE id::text = $1::text OR code = $1::text`, [String(ref)]);
  if (rows.length !== 1) throw badRequest(`department "${ref}" is not a known department (give its id or code)`, { field: 'department', rule: 'known_department' });
  return rows[0]!.id;
}

/** Creates a user; returns it with the password (generated when none was given), shown once. */
export async function addUser(ctx: Ctx, input: NewUserInput): Promise<{ user: UserView; password: string }> {
  if (!isUserRole(input.role)) throw badRequest(`role must be one of admin, dispatcher, commander, responder, planner, viewer`, { field: 'role', rule: 'role' });
  if (!/^[a-z0-9][a-z0-9_.-]{1,63}$/.test(input.username)) {
    throw badRequest('username must be 2–64 lowercase letters, digits, dot, dash or underscore', { field: 'username', rule: 'pattern' });
  }
  const role: UserRole = input.role;
  if (role === 'commander' && input.subdistrict == null) throw badRequest('a commander needs --subdistrict', { field: 'subdistrict', rule: 'required' });
  if (role === 'responder' && input.department == null) throw badRequest('a responder needs --department', { field: 'department', rule: 'required' });
  const password = input.password ?? generatePassword();
  checkPassword(password);
  const hash = await hashPassword(password);
  return withTransaction(ctx.db, async (c) => {
    if (await repo.userByUsername(c, input.username)) throw conflict(`user ${input.username} already exists`);
    const row = await repo.insertUser(c, {
      username: input.username,
      name: input.name?.trim() || input.username,
      role,
      subdistrict_id: role === 'commander' ? await resolveSubdistrict(c, input.subdistrict!) : null,
      department_id: role === 'responder' ? await resolveDepartment(c, input.department!) : null,
      password_hash: hash,
      demo: input.demo ?? false,
    });
    await audit(c, ctx.principal, 'user.created', `user:${row.username}`, { role, subdistrict_id: row.subdistrict_id, department_id: row.department_id });
    return { user: userView(row), password };
  });
}

async function userOrThrow(db: Pool | pg.ClientBase, username: string): Promise<repo.UserRow> {
  const u = await repo.userByUsername(db, username);
  if (!u) throw notFound(`user ${username} does not exist`);
  return u;
}

/** Disables (or enables again) a user; disabling ends every session and open socket of theirs at once. */
export async function setUserDisabled(ctx: Ctx, username: string, disabled: boolean): Promise<UserView> {
  return withTransaction(ctx.db, async (c) => {
    const u = await userOrThrow(c, username);
    await repo.setDisabled(c, u.id, disabled);
    const ended = disabled ? await repo.revokeSessionsOf(c, { userId: u.id }) : [];
    await audit(c, ctx.principal, disabled ? 'user.disabled' : 'user.enabled', `user:${username}`);
    await announceRevoked(c, ctx.principal, ended);
    return userView((await repo.userById(c, u.id))!);
  });
}

export async function resetPassword(ctx: Ctx, username: string, password?: string): Promise<{ user: UserView; password: string }> {
  const next = password ?? generatePassword();
  checkPassword(next);
  const hash = await hashPassword(next);
  return withTransaction(ctx.db, async (c) => {
    const u = await userOrThrow(c, username);
    await repo.setPasswordHash(c, u.id, hash);
    const ended = await repo.revokeSessionsOf(c, { userId: u.id });
    await audit(c, ctx.principal, 'user.password_reset', `user:${username}`);
    await announceRevoked(c, ctx.principal, ended);
    return { user: userView(u), password: next };
  });
}

export async function listUsers(db: Pool): Promise<UserView[]> {
  return (await repo.listUsers(db)).map(userView);
}

export async function addDisplayToken(ctx: Ctx, name: string, demo = false): Promise<{ id: number; name: string; token: string }> {
  const token = newSecret('wall');
  return withTransaction(ctx.db, async (c) => {
    const row = await repo.insertDisplayToken(c, { name, tokenHash: digest(token), demo, createdBy: actorOf(ctx.principal).actor });
    await audit(c, ctx.principal, 'display_token.created', `display_token:${row.id}`, { name });
    return { id: row.id, name: row.name, token };
  });
}

export async function revokeDisplayToken(ctx: Ctx, id: number): Promise<void> {
  await withTransaction(ctx.db, async (c) => {
    if (!(await repo.revokeDisplayToken(c, id))) throw notFound(`display token ${id} does not exist or is already revoked`);
    const ended = await repo.revokeSessionsOf(c, { displayTokenId: id });
    await audit(c, ctx.principal, 'display_token.revoked', `display_token:${id}`);
    await announceRevoked(c, ctx.principal, ended);
  });
}

export async function addApiClient(
  ctx: Ctx,
  input: { name: string; sources: string[]; permissions?: string[]; demo?: boolean },
): Promise<{ id: number; name: string; key: string; sources: string[]; permissions: string[] }> {
  const permissions = input.permissions?.length ? input.permissions : ['cases.create'];
  const bad = permissions.filter((p) => !isPermission(p));
  if (bad.length) throw badRequest(`unknown permission(s): ${bad.join(', ')}`, { field: 'permissions', rule: 'known_permission' });
  if (!input.sources.length) throw badRequest('an integration client needs at least one case source (--sources hotline,patrol)', { field: 'sources', rule: 'required' });
  const key = newSecret('key');
  return withTransaction(ctx.db, async (c) => {
    const existing = await repo.apiClientByName(c, input.name);
    if (existing) throw conflict(`integration client ${input.name} already exists`);
    const row = await repo.insertApiClient(c, {
      name: input.name,
      keyHash: digest(key),
      sources: input.sources,
      permissions,
      demo: input.demo ?? false,
      createdBy: actorOf(ctx.principal).actor,
    });
    await audit(c, ctx.principal, 'api_client.created', `api_client:${row.name}`, { sources: row.sources, permissions: row.permissions });
    return { id: row.id, name: row.name, key, sources: row.sources, permissions: row.permissions };
  });
}

export async function revokeApiClient(ctx: Ctx, name: string): Promise<void> {
  const id = await withTransaction(ctx.db, async (c) => {
    const row = await repo.apiClientByName(c, name);
    if (!row || !(await repo.revokeApiClient(c, row.id))) throw notFound(`integration client ${name} does not exist or is already revoked`);
    await audit(c, ctx.principal, 'api_client.revoked', `api_client:${name}`);
    await announceRevoked(c, ctx.principal, [], row.id);
    return row.id;
  });
  // This process forgets the key now; the others when they read the `auth.revoked` just logged.
  forgetApiClient(ctx.db, id);
}

/** Roles a principal can be shown as, for `me`. */
export function describe(p: Principal): { kind: Principal['kind']; username: string; name: string; role: Role; subdistrict_id: number | null; department_id: number | null; permissions: Permission[] } {
  return {
    kind: p.kind,
    username: p.name,
    name: p.displayName,
    role: p.role,
    subdistrict_id: p.subdistrictId,
    department_id: p.departmentId,
    permissions: [...p.permissions].sort(),
  };
}
