// Administers the principals from the console: `npm run users -- <command> [flags]`.
// Scriptable: everything comes from flags, nothing is prompted; secrets are printed once.
//
//   add --username U --role R [--name N] [--password P] [--subdistrict ID|CODE|NAME] [--department ID|CODE]
//   list
//   disable --username U          (ends the user's sessions and open sockets at once)
//   enable --username U
//   reset-password --username U [--password P]
//   token add --name N            (a wall display token; prints the wall URL)
//   token list
//   token revoke --id N
//   api-key add --name N --sources hotline_12345,open311 [--permissions cases.create]
//   api-key list
//   api-key revoke --name N
//
// Every change is written to the audit log as `system:cli:<OS user>`.
import os from 'node:os';
import { ConfigError, loadConfig } from '../server/src/config.ts';
import { createPool } from '../server/src/db/pool.ts';
import { HttpError } from '../server/src/lib/errors.ts';
import { systemPrincipal } from '../server/src/auth/principal.ts';
import * as repo from '../server/src/auth/repository.ts';
import * as auth from '../server/src/auth/service.ts';

class UsageError extends Error {}

function flags(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
    out.set(a.slice(2), v);
    i++;
  }
  return out;
}

function need(f: Map<string, string>, name: string): string {
  const v = f.get(name);
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

function only(f: Map<string, string>, allowed: string[]): void {
  for (const k of f.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option --${k}; this command takes ${allowed.map((a) => `--${a}`).join(', ') || 'no options'}`);
}

function table(rows: Record<string, unknown>[]): void {
  if (!rows.length) return console.log('(none)');
  const cols = Object.keys(rows[0]!);
  const text = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(',') : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  console.log(cols.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const r of rows) console.log(cols.map((c, i) => text(r[c]).padEnd(widths[i]!)).join('  '));
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const config = loadConfig();
  const db = createPool(config.databaseUrl, 2);
  const ctx = { principal: systemPrincipal(`cli:${os.userInfo().username}`), db };
  const publicUrl = (process.env.CITYOPS_PUBLIC_URL || `http://localhost:${config.port}`).replace(/\/$/, '');
  try {
    if (command === 'add') {
      const f = flags(rest);
      only(f, ['username', 'role', 'name', 'password', 'subdistrict', 'department']);
      const r = await auth.addUser(ctx, {
        username: need(f, 'username'),
        role: need(f, 'role'),
        name: f.get('name'),
        password: f.get('password'),
        subdistrict: f.get('subdistrict') ?? null,
        department: f.get('department') ?? null,
      });
      console.log(JSON.stringify({ ...r.user, password: f.get('password') ? undefined : r.password }, null, 2));
    } else if (command === 'list') {
      only(flags(rest), []);
      table((await auth.listUsers(db)).map((u) => ({ ...u })));
    } else if (command === 'disable' || command === 'enable') {
      const f = flags(rest);
      only(f, ['username']);
      const u = await auth.setUserDisabled(ctx, need(f, 'username'), command === 'disable');
      console.log(`${u.username}: ${u.disabled_at ? `disabled at ${u.disabled_at}; its sessions are ended` : 'enabled'}`);
    } else if (command === 'reset-password') {
      const f = flags(rest);
      only(f, ['username', 'password']);
      const r = await auth.resetPassword(ctx, need(f, 'username'), f.get('password'));
      console.log(f.get('password') ? `${r.user.username}: password set; its sessions are ended` : `${r.user.username}: new password ${r.password} (its sessions are ended)`);
    } else if (command === 'token') {
      const [sub, ...more] = rest;
      const f = flags(more);
      if (sub === 'add') {
        only(f, ['name']);
        const t = await auth.addDisplayToken(ctx, need(f, 'name'));
        console.log(JSON.stringify({ id: t.id, name: t.name, token: t.token, wall_url: `${publicUrl}/wall?display=${t.token}` }, null, 2));
      } else if (sub === 'list') {
        only(f, []);
        table((await repo.listDisplayTokens(db)).map((t) => ({ ...t })));
      } else if (sub === 'revoke') {
        only(f, ['id']);
        const id = Number(need(f, 'id'));
        if (!Number.isInteger(id) || id < 1) throw new UsageError('--id must be a display token id (npm run users -- token list)');
        await auth.revokeDisplayToken(ctx, id);
        console.log(`display token ${id} revoked; walls using it go blank at once`);
      } else throw new UsageError('token needs add, list or revoke');
    } else if (command === 'api-key') {
      const [sub, ...more] = rest;
      const f = flags(more);
      if (sub === 'add') {
        only(f, ['name', 'sources', 'permissions']);
        const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
        const c = await auth.addApiClient(ctx, { name: need(f, 'name'), sources: list(need(f, 'sources'))!, permissions: list(f.get('permissions')) });
        console.log(JSON.stringify(c, null, 2));
      } else if (sub === 'list') {
        only(f, []);
        table((await repo.listApiClients(db)).map((c) => ({ ...c })));
      } else if (sub === 'revoke') {
        only(f, ['name']);
        await auth.revokeApiClient(ctx, need(f, 'name'));
        console.log(`integration client ${f.get('name')} revoked`);
      } else throw new UsageError('api-key needs add, list or revoke');
    } else {
      throw new UsageError(`unknown command "${command ?? ''}"; use add, list, disable, enable, reset-password, token add|list|revoke, api-key add|list|revoke`);
    }
  } finally {
    await db.end();
  }
}

main().catch((err) => {
  if (err instanceof UsageError || err instanceof ConfigError) console.error(`[users] error: ${err.message}`);
  else if (err instanceof HttpError) console.error(`[users] error: ${err.message}`);
  else console.error(err);
  process.exit(err instanceof UsageError ? 2 : 1);
});
