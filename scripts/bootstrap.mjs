#!/usr/bin/env node
// The one entry point behind `npm start` and `npm test`.
//
// It must run on a fresh machine before node_modules exists, so it is plain Node
// with no dependencies. It installs what the project needs (npm packages from the
// lock file; PostgreSQL + PostGIS + pgRouting and Chromium from Debian when running
// as root), provisions a project-local PostgreSQL cluster unless DATABASE_URL is set,
// then hands over to the TypeScript side (migrations, demo data, server, tests).
//
// Usage: node scripts/bootstrap.mjs <start|test|setup|db|run> [extra args for the runner]
//   start  build the client if stale, prepare the database, run the server
//   test   prepare the cluster and Chromium, build the client if stale, run Vitest
//   setup  prepare everything and exit
//   db     print the DATABASE_URL of the project-local cluster (starting it if needed)
//   run    prepare the database, then run a TypeScript script with DATABASE_URL set:
//          `node scripts/bootstrap.mjs run [--schema-only] scripts/simulate.ts --rate 5`

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, chownSync, chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2] ?? 'start';
const passThrough = process.argv.slice(3);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Debian packages, by what needs them. Named here once so messages and installs agree. */
const PG_MAJOR = Number(process.env.CITYOPS_PG_MAJOR ?? 15);
const PG_PACKAGES = [`postgresql-${PG_MAJOR}`, `postgresql-${PG_MAJOR}-postgis-3`, `postgresql-${PG_MAJOR}-pgrouting`];
const BROWSER_PACKAGES = ['chromium'];
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** The load balancer of the multi-node test and of `npm run cluster`. */
const NGINX_PACKAGES = ['nginx-light'];
export const NGINX_PATH = '/usr/sbin/nginx';
// GDAL's OGC API – Features and MVT drivers read the server in the interface tests, as a GIS client would.
const GDAL_PACKAGES = ['gdal-bin'];
export const OGRINFO_PATH = '/usr/bin/ogrinfo';

class BootstrapError extends Error {}

function log(msg) {
  process.stderr.write(`[cityops] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw new BootstrapError(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new BootstrapError(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  return r;
}

function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** Reads KEY=VALUE lines from .env without overriding what the shell already set. */
function loadDotEnv() {
  const file = path.join(root, '.env');
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/);
    if (!m || line.trimStart().startsWith('#')) continue;
    const value = m[2].replace(/^(['"])(.*)\1$/, '$2');
    if (process.env[m[1]] === undefined) process.env[m[1]] = value;
  }
}

// ---------------------------------------------------------------- npm packages

function ensureNodeModules() {
  const lock = path.join(root, 'package-lock.json');
  const stamp = path.join(root, 'node_modules', '.cityops-lock-hash');
  const want = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log('installing npm packages from package-lock.json …');
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root });
  writeFileSync(stamp, want);
}

// ---------------------------------------------------------------- Debian packages

function aptInstall(packages, why) {
  const mayInstall = isRoot && process.env.CITYOPS_NO_INSTALL !== '1';
  if (!mayInstall) {
    throw new BootstrapError(
      `${why} needs the Debian packages ${packages.join(' ')}, which are not installed` +
        (isRoot ? ' (CITYOPS_NO_INSTALL=1 forbids installing them).\n' : '.\n') +
        `Install them as root (sudo apt-get install -y ${packages.join(' ')}) and run this again,` +
        (why.includes('PostGIS') ? ' or set DATABASE_URL to a PostgreSQL database with PostGIS 3 and pgRouting.' : ''),
    );
  }
  log(`installing ${packages.join(' ')} for ${why} (apt-get) …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-q'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function pgBinDir() {
  return `/usr/lib/postgresql/${PG_MAJOR}/bin`;
}

/** Both the extension scripts and their libraries: Debian ships them in separate packages. */
function pgExtensionsPresent() {
  const dir = `/usr/share/postgresql/${PG_MAJOR}/extension`;
  const lib = `/usr/lib/postgresql/${PG_MAJOR}/lib`;
  const libs = existsSync(lib) ? readdirSync(lib) : [];
  return (
    existsSync(path.join(pgBinDir(), 'pg_ctl')) &&
    existsSync(path.join(dir, 'postgis.control')) &&
    existsSync(path.join(dir, 'pgrouting.control')) &&
    libs.some((f) => f.startsWith('postgis-3')) &&
    libs.some((f) => f.startsWith('libpgrouting'))
  );
}

function ensurePostgresPackages() {
  if (pgExtensionsPresent()) return;
  aptInstall(PG_PACKAGES, `the local PostgreSQL ${PG_MAJOR} cluster with PostGIS and pgRouting`);
  if (!pgExtensionsPresent()) throw new BootstrapError(`installed ${PG_PACKAGES.join(' ')} but PostGIS or pgRouting is still missing`);
}

function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return;
  aptInstall(BROWSER_PACKAGES, 'the browser tests (Chromium)');
}

function ensureNginx() {
  if (existsSync(NGINX_PATH)) return;
  aptInstall(NGINX_PACKAGES, 'the multi-node test and `npm run cluster` (nginx)');
}

function ensureGdal() {
  if (existsSync(OGRINFO_PATH)) return;
  aptInstall(GDAL_PACKAGES, 'the GIS interface tests (GDAL ogrinfo)');
}

// ---------------------------------------------------------------- local cluster

/**
 * When we run as root the cluster runs as `postgres`, which may be unable to enter the
 * checkout (a clone under /root, say). Then the cluster lives in the postgres user's home,
 * in a folder named after the checkout so two checkouts never share one.
 */
function resolveDataDir() {
  const wanted = path.resolve(root, process.env.CITYOPS_PGDATA ?? '.pgdata');
  if (!isRoot || process.env.CITYOPS_PGDATA) return wanted;
  const parent = path.dirname(wanted);
  if (capture('runuser', ['-u', 'postgres', '--', 'test', '-x', parent]).status === 0) return wanted;
  const home = capture('sh', ['-c', 'getent passwd postgres | cut -d: -f6']).stdout.trim() || '/var/lib/postgresql';
  return path.join(home, `cityops-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
}

function clusterSettings() {
  const dataDir = resolveDataDir();
  const port = Number(process.env.CITYOPS_PG_PORT ?? 54329);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new BootstrapError(`CITYOPS_PG_PORT must be a port number between 1024 and 65535, got "${process.env.CITYOPS_PG_PORT}"`);
  }
  return {
    dataDir,
    clusterDir: path.join(dataDir, 'cluster'),
    socketDir: path.join(dataDir, 'run'),
    logFile: path.join(dataDir, 'postgres.log'),
    port,
    url: (password) => `postgres://cityops:${encodeURIComponent(password)}@127.0.0.1:${port}/cityops`,
  };
}

// ---------------------------------------------------------------- cluster authentication

/** The project's state folder (git-ignored): the cluster password lives here, readable by its owner only. */
const STATE_DIR = path.join(root, '.cityops');
const PASSWORD_FILE = path.join(STATE_DIR, 'pg-password');

/** The password of the cluster's `cityops` role: read from the state folder, or generated once. */
function clusterPassword() {
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  if (existsSync(PASSWORD_FILE)) {
    chmodSync(PASSWORD_FILE, 0o600);
    const pw = readFileSync(PASSWORD_FILE, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{16,}$/.test(pw)) return pw;
  }
  const pw = randomBytes(24).toString('base64url');
  writeFileSync(PASSWORD_FILE, pw + '\n', { mode: 0o600 });
  chmodSync(PASSWORD_FILE, 0o600);
  return pw;
}

/** Password (scram-sha-256) for every connection, socket and TCP: no local user gets in without it. */
const HBA_SCRAM = [
  '# Written by scripts/bootstrap.mjs: every connection needs the password in .cityops/pg-password.',
  'local all all scram-sha-256',
  'host all all 127.0.0.1/32 scram-sha-256',
  'host all all ::1/128 scram-sha-256',
  '',
].join('\n');

function psql(s, args, opts = {}) {
  return capture(path.join(pgBinDir(), 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-p', String(s.port), '-U', 'cityops', '-d', 'postgres', ...args], opts);
}

function reloadCluster(s) {
  const r = pgCommand('pg_ctl', ['reload', '-D', s.clusterDir]);
  if (r.status !== 0) throw new BootstrapError(`pg_ctl reload failed: ${r.stderr.trim()}`);
}

/** True once a password login over TCP works (the reload is asynchronous, so this retries briefly). */
function passwordWorks(s, password, tries = 1) {
  for (let i = 0; i < tries; i++) {
    const r = psql(s, ['-h', '127.0.0.1', '-tAc', 'SELECT 1'], { env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' } });
    if (r.status === 0) return true;
    if (i < tries - 1) spawnSync('sleep', ['0.2']);
  }
  return false;
}

/**
 * Makes the running cluster require the password: a cluster made by an older bootstrap (trust
 * for every local user) or whose password file was lost is migrated. The password is set over
 * the cluster's own socket, in a folder only its owner can enter, during a moment of trust
 * limited to that socket; then pg_hba.conf is rewritten to scram-sha-256 and reloaded.
 */
function ensureClusterPassword(s) {
  const password = clusterPassword();
  const hbaFile = path.join(s.clusterDir, 'pg_hba.conf');
  const hba = existsSync(hbaFile) ? readFileSync(hbaFile, 'utf8') : '';
  if (hba === HBA_SCRAM && passwordWorks(s, password)) return password;
  log('setting the local PostgreSQL cluster to password authentication (scram-sha-256) …');
  chmodSync(s.socketDir, 0o700);
  writeFileSync(hbaFile, '# temporary: the password is being set\nlocal all cityops trust\n');
  reloadCluster(s);
  const sql = `SET password_encryption = 'scram-sha-256'; ALTER ROLE cityops WITH PASSWORD '${password}';\n`;
  let r;
  for (let i = 0; i < 25; i++) {
    r = psql(s, ['-h', s.socketDir, '-f', '-'], { input: sql, env: { ...process.env, PGPASSWORD: '' } });
    if (r.status === 0) break;
    spawnSync('sleep', ['0.2']);
  }
  writeFileSync(hbaFile, HBA_SCRAM);
  reloadCluster(s);
  if (r.status !== 0) throw new BootstrapError(`could not set the password of the local cluster: ${r.stderr.trim()}`);
  if (!passwordWorks(s, password, 25)) throw new BootstrapError('the local cluster does not accept the password in .cityops/pg-password');
  return password;
}

/** Runs a PostgreSQL server binary as the `postgres` system user when we are root (initdb refuses root). */
function pgCommand(bin, args, opts = {}) {
  const exe = path.join(pgBinDir(), bin);
  if (isRoot) return capture('runuser', ['-u', 'postgres', '--', exe, ...args], opts);
  return capture(exe, args, opts);
}

function portInUse(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function ensureCluster() {
  const s = clusterSettings();
  if (!existsSync(path.join(s.clusterDir, 'PG_VERSION'))) {
    const shown = s.clusterDir.startsWith(root + path.sep) ? path.relative(root, s.clusterDir) : s.clusterDir;
    log(`creating the project-local PostgreSQL cluster in ${shown} …`);
    mkdirSync(s.clusterDir, { recursive: true });
    mkdirSync(s.socketDir, { recursive: true });
    if (isRoot) {
      const uid = Number(capture('id', ['-u', 'postgres']).stdout.trim());
      const gid = Number(capture('id', ['-g', 'postgres']).stdout.trim());
      if (!Number.isInteger(uid)) throw new BootstrapError('the postgres system user is missing; reinstall postgresql-common');
      for (const d of [s.dataDir, s.clusterDir, s.socketDir]) chownSync(d, uid, gid);
    }
    // Password authentication from the first start: the password file initdb reads is made in
    // the cluster's own folder (the postgres user cannot read the state folder) and removed after.
    const pwFile = path.join(s.dataDir, 'initdb-password');
    writeFileSync(pwFile, clusterPassword() + '\n', { mode: 0o600 });
    if (isRoot) run('chown', ['postgres:postgres', pwFile]);
    const r = pgCommand('initdb', ['-D', s.clusterDir, '-U', 'cityops', '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--locale=C.UTF-8']);
    rmSync(pwFile, { force: true });
    if (r.status !== 0) {
      throw new BootstrapError(
        `initdb failed: ${r.stderr.trim() || r.error?.message}\n` +
          (isRoot ? `(the postgres user must be able to enter ${s.dataDir}; check the permissions of its parent folders)` : ''),
      );
    }
    // Only this machine may connect; the socket lives in the project, not in /var/run.
    writeFileSync(
      path.join(s.clusterDir, 'postgresql.auto.conf'),
      [
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${s.socketDir}'`,
        `max_connections = 200`,
        `shared_buffers = '256MB'`,
        `work_mem = '32MB'`,
        `maintenance_work_mem = '256MB'`,
        `logging_collector = off`,
        '',
      ].join('\n'),
    );
    if (isRoot) run('chown', ['postgres:postgres', path.join(s.clusterDir, 'postgresql.auto.conf')]);
    writeFileSync(path.join(s.clusterDir, 'pg_hba.conf'), HBA_SCRAM);
  }
  // Only the cluster's owner may enter the socket folder.
  if (existsSync(s.socketDir)) chmodSync(s.socketDir, 0o700);

  const status = pgCommand('pg_ctl', ['status', '-D', s.clusterDir]);
  if (status.status === 0) return { url: s.url(ensureClusterPassword(s)), started: false, settings: s };

  if (await portInUse(s.port)) {
    throw new BootstrapError(
      `port ${s.port} is already in use by another program, so the local PostgreSQL cannot start there; ` +
        `set CITYOPS_PG_PORT to a free port (or DATABASE_URL to an existing database)`,
    );
  }
  log(`starting PostgreSQL ${PG_MAJOR} on 127.0.0.1:${s.port} …`);
  const start = pgCommand('pg_ctl', ['start', '-w', '-t', '60', '-D', s.clusterDir, '-l', s.logFile, '-o', `-p ${s.port}`]);
  if (start.status !== 0) {
    let tail = '';
    try {
      tail = readFileSync(s.logFile, 'utf8').split('\n').slice(-8).join('\n');
    } catch {}
    throw new BootstrapError(`PostgreSQL did not start (pg_ctl exited ${start.status}).\n${start.stderr}${tail}`);
  }
  return { url: s.url(ensureClusterPassword(s)), started: true, settings: s };
}

function stopCluster(settings) {
  log('stopping the local PostgreSQL cluster …');
  pgCommand('pg_ctl', ['stop', '-m', 'fast', '-D', settings.clusterDir]);
}

// ---------------------------------------------------------------- client build

function newestMtime(paths) {
  let newest = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

/** Builds the client into dist/client unless the build is newer than every source it depends on. */
function ensureClientBuilt() {
  const index = path.join(root, 'dist', 'client', 'index.html');
  const sources = newestMtime(['client', 'vite.config.ts', 'package-lock.json', 'tsconfig.json'].map((p) => path.join(root, p)));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  log('building the client (vite build) …');
  run(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: root });
}

// ---------------------------------------------------------------- hand-over

// ---------------------------------------------------------------- signals
//
// Ctrl-C sends SIGINT to the whole foreground group (npm, its shell, this process, the server);
// `kill <npm pid>` makes npm forward the signal to its shell, which dies without passing it on.
// Either way this process stops its children and the cluster it started: it forwards a signal
// it receives, and treats losing its parent (the shell that ran it) as a SIGTERM.

/** Child processes running now; a stop signal is forwarded to each. */
const children = new Set();
let stopSignal = null;

function stop(sig) {
  if (!stopSignal) log(`${sig}: stopping …`);
  stopSignal = stopSignal ?? sig;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(sig);
}

function watchSignals() {
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGTERM'));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('SIGTERM');
  }, 250).unref();
}

class Stopped extends Error {}

function tsx(script, args, env) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(root, script), ...args], { stdio: 'inherit', env, cwd: root });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function waitFor(child) {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function prepareDatabase(env) {
  const code = await waitFor(tsx('scripts/setup-db.ts', [], env));
  if (stopSignal) throw new Stopped();
  if (code !== 0) throw new BootstrapError('the database could not be prepared (see the message above)');
}

const MODES = ['start', 'test', 'setup', 'db', 'run'];

/** The cluster this process started (stopped again on the way out), or null. */
let cluster = null;

async function main() {
  if (!MODES.includes(mode)) throw new BootstrapError(`unknown mode "${mode}": use one of ${MODES.join(', ')}`);
  watchSignals();
  loadDotEnv();
  ensureNodeModules();

  const env = { ...process.env };
  if (!env.DATABASE_URL) {
    ensurePostgresPackages();
    cluster = await ensureCluster();
    if (stopSignal) throw new Stopped();
    env.DATABASE_URL = cluster.url;
    // Lets tests and scripts create their own databases on the same cluster.
    env.CITYOPS_LOCAL_CLUSTER = '1';
  }

  if (mode === 'db') {
    process.stdout.write(env.DATABASE_URL + '\n');
    return 0;
  }

  if (mode === 'test') {
    ensureChromium();
    ensureNginx();
    ensureGdal();
    ensureClientBuilt();
    env.CITYOPS_CHROMIUM = CHROMIUM_PATH;
    const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
    const child = spawn(process.execPath, [vitest, 'run', ...passThrough], { stdio: 'inherit', env, cwd: root });
    children.add(child);
    return waitFor(child);
  }

  if (mode === 'run') {
    // --schema-only: migrate but load no demo data, for scripts that bring their own city
    // (generate, import) and would otherwise first load a demo city only to replace it.
    const schemaOnly = passThrough[0] === '--schema-only';
    const [script, ...args] = schemaOnly ? passThrough.slice(1) : passThrough;
    if (!script) throw new BootstrapError('usage: node scripts/bootstrap.mjs run [--schema-only] <script.ts> [args]');
    await prepareDatabase(schemaOnly ? { ...env, CITYOPS_SCHEMA_ONLY: '1' } : env);
    return waitFor(tsx(script, args, env));
  }

  if (mode === 'start') {
    // A second `npm start` should say so at once, before building or migrating anything.
    const port = Number(env.PORT || 8080);
    if (await portInUse(port)) {
      throw new BootstrapError(`port ${port} is already in use (is cityops already running?); set PORT to use another port`);
    }
  }

  ensureClientBuilt();
  await prepareDatabase(env);
  if (mode === 'setup') return 0;

  // mode === 'start': run the server; on Ctrl-C / SIGTERM it shuts down, then we stop the cluster we started.
  const server = tsx('server/src/server.ts', passThrough, env);
  // The live demo stream runs next to the server as a process of its own (CITYOPS_SIMULATE=0 turns it off);
  // its writes reach the screens through the event log like any other writer's.
  const simulator = env.CITYOPS_SIMULATE === '0' ? null : tsx('scripts/simulate.ts', [], env);
  const code = await waitFor(server);
  if (simulator && simulator.exitCode === null) {
    simulator.kill('SIGTERM');
    await waitFor(simulator);
  }
  // Stopped by a signal, the server's clean exit is the run's success.
  return stopSignal && code === 0 ? 0 : code;
}

/**
 * Waits for every child to exit (after a stop they are already on their way), then, for
 * `start`, stops the cluster it started; tests and scripts leave it running, as before, since
 * other runs may be using it.
 */
async function cleanUp() {
  await Promise.all([...children].map((c) => (c.exitCode === null && c.signalCode === null ? waitFor(c) : null)));
  if (mode === 'start' && cluster?.started) stopCluster(cluster.settings);
}

main().then(
  async (code) => {
    await cleanUp();
    process.exit(code);
  },
  async (err) => {
    if (err instanceof Stopped) log(`stopped by ${stopSignal}`);
    else if (err instanceof BootstrapError) log(`error: ${err.message}`);
    else log(`unexpected error: ${err?.stack ?? err}`);
    await cleanUp();
    process.exit(err instanceof Stopped ? 130 : 1);
  },
);
