import type { Pool } from '../db/pool.ts';
import { HttpError } from '../lib/errors.ts';
import { ROLE_PERMISSIONS, type Permission, type Role } from './permissions.ts';

/**
 * Who is asking: resolved once per request (and once per socket) by the auth plugin from a
 * session cookie, a display token or an API key. Services take it in their context; the
 * event log's actor is always derived from it, never from a field the client sends.
 */
export interface Principal {
  kind: 'user' | 'display' | 'api_client' | 'system' | 'anonymous';
  /** Row id in app_user, display_token or api_client; 0 for anonymous. */
  id: number;
  /** Login name of a user, name of a display token or client. */
  name: string;
  /** Display name of a user (equal to `name` for screens and clients). */
  displayName: string;
  role: Role;
  /** A commander's subdistrict (admin_unit.id). */
  subdistrictId: number | null;
  /** A responder's department (department.id). */
  departmentId: number | null;
  /** What this principal may do: the role's permissions, or the key's own list for a client. */
  permissions: ReadonlySet<Permission>;
  /** Case sources an integration client may report under. */
  sources: readonly string[];
  /** The session behind a cookie (users and walls), so logout and revocation can end it. */
  sessionId: number | null;
}

export const ANONYMOUS: Principal = Object.freeze({
  kind: 'anonymous',
  id: 0,
  name: 'anonymous',
  displayName: 'anonymous',
  role: 'anonymous',
  subdistrictId: null,
  departmentId: null,
  permissions: new Set<Permission>(ROLE_PERMISSIONS.anonymous),
  sources: [],
  sessionId: null,
}) as Principal;

/**
 * A principal for work the product does by itself or an operator does at the console
 * (`npm run users`, seeding): named, never able to act through HTTP.
 */
export function systemPrincipal(name: string): Principal {
  return { ...ANONYMOUS, kind: 'system', name, displayName: name, role: 'admin', permissions: new Set(ROLE_PERMISSIONS.admin) };
}

export type Actor = ReturnType<typeof actorOf>;

/** The readable actor written to the event log and comments: `user:alice`, `display:3`, `api_client:simulator`. */
export function actorOf(p: Principal): { actor: string; actor_kind: Principal['kind']; actor_id: number | null } {
  const label = p.kind === 'display' ? `display:${p.id}` : `${p.kind}:${p.name}`;
  return { actor: label, actor_kind: p.kind, actor_id: p.kind === 'anonymous' ? null : p.id };
}

export function can(p: Principal, permission: Permission): boolean {
  return permission === 'public' || p.permissions.has(permission);
}

/** 401 when nobody is signed in, 403 naming what is missing otherwise. */
export function demand(p: Principal, permission: Permission): void {
  if (can(p, permission)) return;
  if (p.kind === 'anonymous') {
    throw new HttpError(401, 'unauthenticated', `sign in first: this needs the permission ${permission} (POST /api/auth/login, a wall's display token, or an API key)`, {
      permission,
    });
  }
  throw forbidden(p, `${permission}`);
}

export function forbidden(p: Principal, what: string): HttpError {
  return new HttpError(403, 'forbidden', `${actorOf(p).actor} (role ${p.role}) may not ${what.includes(' ') ? what : `use ${what}`}`, { role: p.role, missing: what });
}

/**
 * The part of the city a principal sees: a commander's subdistrict, a responder's
 * department, or everything. Repositories turn it into a WHERE clause.
 */
export interface Scope {
  subdistrictId: number | null;
  departmentId: number | null;
}

export function scopeOf(p: Principal): Scope {
  return { subdistrictId: p.role === 'commander' ? p.subdistrictId : null, departmentId: p.role === 'responder' ? p.departmentId : null };
}

/** The socket rooms a principal may be in; the server joins them, a client may only narrow. */
export function roomsFor(p: Principal): string[] {
  if (!can(p, 'cases.read') && !can(p, 'whistles.read') && !can(p, 'operations.read')) return [];
  if (p.role === 'commander' && p.subdistrictId) return [`subdistrict:${p.subdistrictId}`];
  if (p.role === 'responder' && p.departmentId) return [`department:${p.departmentId}`];
  return ['wall'];
}

/** What a service needs to act for someone: who, and the database. */
export interface Ctx {
  principal: Principal;
  db: Pool;
  /** The client's address, for the audit of logins. */
  address?: string;
}
