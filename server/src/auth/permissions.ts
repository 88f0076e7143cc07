/**
 * Who may do what: the one table of roles and permissions. Routes declare the permission
 * they need (`config.permission`); the auth plugin checks it against this table; the
 * repositories narrow what a permitted principal sees to its scope (a commander's
 * subdistrict, a responder's department).
 */

/** Roles of people (app_user.role). */
export const USER_ROLES = ['admin', 'dispatcher', 'commander', 'responder', 'planner', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Every role a principal can have: people, wall screens, intake systems, nobody. */
export type Role = UserRole | 'display' | 'integration' | 'anonymous';

/** Every permission a route can declare. `public` needs no principal at all. */
export const PERMISSIONS = [
  'public',
  'session', // any signed-in principal (me, logout, password change)
  'cases.read',
  'cases.create',
  'cases.transition',
  'cases.comment',
  'cases.callback',
  'kpis.read',
  'wall.read',
  'whistles.read',
  'whistles.blow',
  'whistles.respond',
  'operations.read',
  'operations.manage',
  'operations.transition',
  'coverage.read',
  'coverage.edit',
  'audit.read',
  'users.admin',
  'metrics.read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const STAFF_READ: Permission[] = ['session', 'cases.read', 'kpis.read', 'wall.read', 'whistles.read', 'operations.read', 'coverage.read'];

/**
 * The role matrix. It is shown in the README's Security section and tried cell by cell by
 * tests/auth/matrix.test.ts; change all three together.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  // The district's 12345 desk: registers, dispatches, verifies, closes and calls citizens back.
  dispatcher: [...STAFF_READ, 'cases.create', 'cases.transition', 'cases.comment', 'cases.callback'],
  // A subdistrict's street commander: acts on the subdistrict's cases, blows whistles, runs clearance operations.
  commander: [...STAFF_READ, 'cases.create', 'cases.transition', 'cases.comment', 'whistles.blow', 'operations.manage', 'operations.transition'],
  // A department's responder: accepts and handles its cases, answers whistles, works operation sites.
  responder: ['session', 'cases.read', 'kpis.read', 'whistles.read', 'operations.read', 'cases.transition', 'cases.comment', 'whistles.respond', 'operations.transition'],
  planner: [...STAFF_READ, 'coverage.edit'],
  viewer: STAFF_READ,
  // A wall screen: reads what the wall shows, changes nothing.
  display: ['session', 'cases.read', 'kpis.read', 'wall.read', 'whistles.read', 'operations.read', 'coverage.read'],
  // Intake systems: what each key may do is listed on the key (api_client.permissions).
  integration: [],
  anonymous: ['public'],
};

export function isPermission(p: unknown): p is Permission {
  return typeof p === 'string' && (PERMISSIONS as readonly string[]).includes(p);
}

export function isUserRole(r: unknown): r is UserRole {
  return typeof r === 'string' && (USER_ROLES as readonly string[]).includes(r);
}
