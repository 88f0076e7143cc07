// Scratch databases and server processes for benchmarks that write (intake, push): they get a
// demo city of their own, so the project's database keeps no benchmark cases.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { seedDemoCity } from '../../../server/src/city/seed.ts';
import { migrate } from '../../../server/src/db/migrate.ts';
import { ensureExtensions, withDatabase } from '../../../server/src/db/provision.ts';
import { addApiClient } from '../../../server/src/auth/service.ts';
import { systemPrincipal } from '../../../server/src/auth/principal.ts';
import { CASE_SOURCES } from '../../../server/src/cases/schemas.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ScratchCity {
  url: string;
  /** An integration key that may create and read cases (and open a socket in the wall room): send it as `x-api-key`. */
  apiKey: string;
  drop: () => Promise<void>;
}

/** A new database on the same server with the migrated demo city (seed 20260101) and no cases. */
export async function scratchCity(databaseUrl: string, tag: string, log: (m: string) => void): Promise<ScratchCity> {
  const name = `cityops_bench_${tag}_${process.pid}`;
  const admin = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(databaseUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    log(`building a scratch demo city in ${name} …`);
    await ensureExtensions(client);
    await migrate(client);
    await seedDemoCity(client, { seed: 20260101, log: () => {} });
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
  const keyPool = new pg.Pool({ connectionString: url, max: 1 });
  let apiKey: string;
  try {
    apiKey = (
      await addApiClient(
        { principal: systemPrincipal('bench'), db: keyPool },
        { name: 'bench', sources: [...CASE_SOURCES], permissions: ['cases.create', 'cases.read', 'wall.read', 'kpis.read'] },
      )
    ).key;
  } finally {
    await keyPool.end();
  }
  return {
    url,
    apiKey,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/**
 * Runs the real server (`server/src/server.ts`) as a process of its own, as in production, so
 * the load generator in this process does not share its event loop.
 */
export async function startServerProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server under load
  // (Node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(root, 'server/src/server.ts')], {
    cwd: root,
    // The per-client intake limit guards production against one runaway sender; the benchmark is that sender.
    // The coverage model is not loaded at start-up: its load (seconds of SQL, in a worker) would
    // share the CPUs with the first seconds of whatever these benchmarks measure; coverage.bench.ts
    // measures coverage on a server of its own.
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', CITYOPS_LOG_LEVEL: 'warn', CITYOPS_INTAKE_RATE: '1000000', CITYOPS_COVERAGE_PRELOAD: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 60 s: ${stderr}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('ready:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}: ${stderr}`));
    });
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url: `http://127.0.0.1:${port}`, port, child, stop };
}

/** The value at quantile q (0–1) of unsorted numbers (nearest rank). */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Random points over the district's envelope, shrunk a little so nearly all fall inside. */
export async function districtPoints(db: pg.Pool | pg.Client, n: number, seed = 14): Promise<{ lng: number; lat: number }[]> {
  const { rows } = await db.query('SELECT ST_XMin(geom) AS x0, ST_YMin(geom) AS y0, ST_XMax(geom) AS x1, ST_YMax(geom) AS y1 FROM admin_unit WHERE level = $1', ['district']);
  const { x0, y0, x1, y1 } = rows[0];
  let s = seed;
  const rnd = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => ({ lng: x0 + (0.1 + 0.8 * rnd()) * (x1 - x0), lat: y0 + (0.1 + 0.8 * rnd()) * (y1 - y0) }));
}
