import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/db.ts';
import { ROOT, exitOf, freePort, waitForOutput } from '../helpers/process.ts';

/** `npm start` as a user runs it: npm, in a process group of its own like a terminal's foreground job. */
function npmStart(env: Record<string, string>) {
  const child = spawn('npm', ['start'], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CITYOPS_SIMULATE: '0', CITYOPS_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return Object.assign(child, { output: () => out });
}

/** True while any process of the group is alive. */
const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pgid: number, ms = 20_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (!groupAlive(pgid)) return true;
  return false;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });

describe('stopping npm start', () => {
  const started: number[] = [];
  afterAll(() => {
    for (const pgid of started) if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  });

  for (const [how, send] of [
    ['SIGTERM sent to the npm process', (pid: number) => process.kill(pid, 'SIGTERM')],
    ['SIGINT sent to the npm process', (pid: number) => process.kill(pid, 'SIGINT')],
    ['Ctrl-C (SIGINT to the whole foreground group)', (pid: number) => process.kill(-pid, 'SIGINT')],
  ] as const) {
    it(`stops the server and every process it started on ${how}`, async () => {
      const port = await freePort();
      const npm = npmStart({ DATABASE_URL: testDatabaseUrl(), PORT: String(port) });
      started.push(npm.pid!);
      await waitForOutput(npm, /ready: http/, 180_000);
      expect(await listening(port)).toBe(true);
      send(npm.pid!);
      await exitOf(npm);
      expect(await gone(npm.pid!), npm.output()).toBe(true);
      expect(await listening(port)).toBe(false);
      expect(npm.output()).toMatch(/SIGINT|SIGTERM/);
    }, 240_000);
  }

  it('stops the preparation and the local cluster it started when SIGTERM reaches npm before the server is up', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-signal-'));
    const pgPort = await freePort();
    try {
      const npm = npmStart({ DATABASE_URL: '', CITYOPS_PGDATA: dir, CITYOPS_PG_PORT: String(pgPort), PORT: String(await freePort()) });
      started.push(npm.pid!);
      // Stopped while it loads the demo city into the cluster it has just created and started.
      await waitForOutput(npm, /loading the demo city/, 180_000);
      expect(await listening(pgPort)).toBe(true);
      process.kill(npm.pid!, 'SIGTERM');
      await exitOf(npm);
      expect(await gone(npm.pid!), npm.output()).toBe(true);
      expect(npm.output()).toContain('stopping the local PostgreSQL cluster');
      expect(await listening(pgPort)).toBe(false);
    } finally {
      // Had it not stopped, the cluster must not outlive the test.
      spawnSync('runuser', ['-u', 'postgres', '--', `/usr/lib/postgresql/${process.env.CITYOPS_PG_MAJOR ?? 15}/bin/pg_ctl`, 'stop', '-m', 'immediate', '-D', path.join(dir, 'cluster')]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
