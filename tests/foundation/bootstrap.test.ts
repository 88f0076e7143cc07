import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import pg from 'pg';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, exitOf } from '../helpers/process.ts';

const BOOTSTRAP = path.join(ROOT, 'scripts', 'bootstrap.mjs');

/** Runs the bootstrap like `npm start` would. */
function bootstrap(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [BOOTSTRAP, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, output: () => out };
}

describe('the bootstrap', () => {
  it('names the exact Debian packages when it may not install them', async () => {
    // A PostgreSQL major version with no packages on this machine stands in for a fresh
    // machine; CITYOPS_NO_INSTALL stands in for not being root.
    const run = bootstrap(['db'], { DATABASE_URL: '', CITYOPS_PG_MAJOR: '99', CITYOPS_NO_INSTALL: '1' });
    expect(await exitOf(run.child)).toBe(1);
    expect(run.output()).toContain('postgresql-99 postgresql-99-postgis-3 postgresql-99-pgrouting');
    expect(run.output()).toContain('DATABASE_URL');
  });

  it('reuses the running local cluster on a second run without provisioning again', async () => {
    const first = bootstrap(['db'], { DATABASE_URL: '' });
    expect(await exitOf(first.child)).toBe(0);
    const url = first.output().trim().split('\n').pop()!;
    expect(url).toMatch(/^postgres:\/\/cityops:[A-Za-z0-9_%-]{16,}@127\.0\.0\.1:\d+\/cityops$/);
    const second = bootstrap(['db'], { DATABASE_URL: '' });
    expect(await exitOf(second.child)).toBe(0);
    expect(second.output().trim()).toBe(url);
    expect(second.output()).not.toMatch(/installing|creating|starting/);
  });

  it('gives the local cluster a password kept in .cityops with mode 0600, and the cluster refuses anyone without it', async () => {
    const run = bootstrap(['db'], { DATABASE_URL: '' });
    expect(await exitOf(run.child)).toBe(0);
    const url = new URL(run.output().trim().split('\n').pop()!);
    const file = path.join(ROOT, '.cityops', 'pg-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(decodeURIComponent(url.password)).toBe(readFileSync(file, 'utf8').trim());
    // `db` starts the cluster without creating the app database; the maintenance database always exists.
    url.pathname = '/postgres';
    const withPassword = new pg.Client({ connectionString: url.toString() });
    await withPassword.connect();
    expect((await withPassword.query("SELECT rolpassword LIKE 'SCRAM-SHA-256%' AS scram FROM pg_authid WHERE rolname = 'cityops'")).rows[0].scram).toBe(true);
    const hba = (await withPassword.query('SELECT type, auth_method FROM pg_hba_file_rules')).rows;
    await withPassword.end();
    expect(hba.length).toBeGreaterThan(0);
    expect(hba.every((r) => r.auth_method === 'scram-sha-256')).toBe(true);
    url.password = '';
    const without = new pg.Client({ connectionString: url.toString(), password: '' });
    await expect(without.connect()).rejects.toThrow(/password/);
    await without.end().catch(() => {});
  });

  it('refuses a second start on a busy port at once, naming the port and PORT', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = bootstrap(['start'], { PORT: String(port) });
      expect(await exitOf(run.child)).toBe(1);
      expect(run.output()).toContain(`port ${port} is already in use`);
      expect(run.output()).toContain('set PORT');
      expect(run.output()).not.toContain('building the client');
    } finally {
      blocker.close();
    }
  });
});
