import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Pool } from '../db/pool.ts';
import { CASE_SOURCES } from '../cases/schemas.ts';
import { systemPrincipal, type Principal } from './principal.ts';
import * as repo from './repository.ts';
import { addApiClient, addDisplayToken, addUser, clientPrincipal, digest, newSecret, resetPassword } from './service.ts';

/** One demo account as written to `.cityops/demo-accounts.json`. */
export interface DemoAccount {
  username: string;
  password: string;
  role: string;
  subdistrict_id?: number;
  department_id?: number;
}

export interface DemoAccountsFile {
  note: string;
  accounts: DemoAccount[];
  wall_url: string;
  display_token: string;
  integration: { name: string; api_key: string; sources: string[] };
}

/** The simulator's integration client: it reports under every source and works cases through the loop. */
export const SIMULATOR_CLIENT = 'simulator';
const SIMULATOR_PERMISSIONS = ['cases.create', 'cases.transition', 'cases.comment', 'cases.callback'];

/** Demo people: one per role, two commanders and two responders so scopes can be seen side by side. */
async function demoPeople(db: Pool): Promise<{ username: string; name: string; role: string; subdistrict?: number; department?: number }[]> {
  const subs = (await db.query<{ id: number; name_zh: string }>(`SELECT id, name_zh FROM admin_unit WHERE level = 'subdistrict' ORDER BY code LIMIT 2`)).rows;
  const deps = (
    await db.query<{ id: number; name_zh: string }>(
      `SELECT id, name_zh FROM department WHERE code IN ('urban_management_enforcement', 'city_management') OR kind = 'government' ORDER BY (code = 'urban_management_enforcement') DESC, (code = 'city_management') DESC, id LIMIT 2`,
    )
  ).rows;
  return [
    { username: 'admin', name: '系统管理员', role: 'admin' },
    { username: 'dispatcher', name: '12345 派单员', role: 'dispatcher' },
    ...subs.map((s, i) => ({ username: `commander${i + 1}`, name: `${s.name_zh} 战区司令`, role: 'commander', subdistrict: s.id })),
    ...deps.map((d, i) => ({ username: `responder${i + 1}`, name: `${d.name_zh} 报到员`, role: 'responder', department: d.id })),
    { username: 'planner', name: '规划师', role: 'planner' },
    { username: 'viewer', name: '观察员', role: 'viewer' },
  ];
}

function readFile(file: string): DemoAccountsFile | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoAccountsFile;
  } catch {
    return null;
  }
}

/**
 * Creates the demo accounts, a wall display token and the simulator's integration key, and
 * writes them to `file` (mode 0600). Run by every `npm start`: accounts that exist keep
 * their passwords while the file still names them; otherwise their passwords are reset so
 * the file is always right.
 */
export async function seedDemoPrincipals(db: Pool, file: string, publicUrl: string): Promise<{ file: string; created: number }> {
  const ctx = { principal: systemPrincipal('demo-setup'), db };
  const previous = readFile(file);
  const known = new Map((previous?.accounts ?? []).map((a) => [a.username, a]));
  const accounts: DemoAccount[] = [];
  let created = 0;
  for (const person of await demoPeople(db)) {
    const existing = await repo.userByUsername(db, person.username);
    let password: string;
    if (!existing) {
      password = (await addUser(ctx, { ...person, subdistrict: person.subdistrict, department: person.department, demo: true })).password;
      created++;
    } else if (!existing.demo) {
      continue; // a real account of that name: never touched
    } else {
      password = known.get(person.username)?.password ?? (await resetPassword(ctx, person.username)).password;
    }
    const row = (await repo.userByUsername(db, person.username))!;
    accounts.push({
      username: row.username,
      password,
      role: row.role,
      ...(row.subdistrict_id ? { subdistrict_id: row.subdistrict_id } : {}),
      ...(row.department_id ? { department_id: row.department_id } : {}),
    });
  }

  // The wall's display token: kept while the file has it and it is live.
  let displayToken = previous?.display_token;
  const live = displayToken ? await repo.displayTokenByHash(db, digest(displayToken)) : undefined;
  if (!live) {
    displayToken = (await addDisplayToken(ctx, 'demo wall', true)).token;
    created++;
  }

  // The simulator's key: its secret is written to the file; a lost file gets a fresh key.
  let integration = previous?.integration;
  const client = await repo.apiClientByName(db, SIMULATOR_CLIENT);
  const keyLive = integration && client && !client.revoked_at && (await repo.apiClientByHash(db, digest(integration.api_key)));
  if (!keyLive) {
    const key = newSecret('key');
    if (client) await repo.replaceApiClientKey(db, client.id, digest(key));
    else {
      const c = await addApiClient(ctx, { name: SIMULATOR_CLIENT, sources: [...CASE_SOURCES], permissions: SIMULATOR_PERMISSIONS, demo: true });
      integration = { name: c.name, api_key: c.key, sources: c.sources };
      created++;
    }
    if (client) integration = { name: client.name, api_key: key, sources: client.sources };
  }

  const body: DemoAccountsFile = {
    note: 'Demo accounts of this cityops installation. Keep this file private; start with CITYOPS_DEMO=0 after disabling them for real use.',
    accounts,
    wall_url: `${publicUrl.replace(/\/$/, '')}/wall?display=${displayToken}`,
    display_token: displayToken!,
    integration: integration!,
  };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { file, created };
}

/**
 * The simulator's principal. It writes through the services in its own process, so it
 * needs no key, only its identity; a database without the demo seeding (tests) gets the
 * client created, with a key nobody holds.
 */
export async function simulatorPrincipal(db: Pool | pg.ClientBase): Promise<Principal> {
  const row = await repo.apiClientByName(db, SIMULATOR_CLIENT);
  if (row && !row.revoked_at) return clientPrincipal(row);
  if (row) throw new Error(`the integration client "${SIMULATOR_CLIENT}" is revoked; the simulator may not write`);
  // Two writers starting at once may both try to create it; the loser reads the winner's row.
  await addApiClient({ principal: systemPrincipal('demo-setup'), db: db as Pool }, { name: SIMULATOR_CLIENT, sources: [...CASE_SOURCES], permissions: SIMULATOR_PERMISSIONS, demo: true }).catch(
    () => undefined,
  );
  const created = await repo.apiClientByName(db, SIMULATOR_CLIENT);
  if (!created) throw new Error(`the integration client "${SIMULATOR_CLIENT}" could not be created`);
  return clientPrincipal(created);
}

export function demoFileExists(file: string): boolean {
  return existsSync(file);
}
