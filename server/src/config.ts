/**
 * The server's configuration, read from environment variables in this one place.
 * Every variable is documented in `.env.example` and the README.
 */
export interface Config {
  /** HTTP port shared by the API, tiles, the client and socket.io. */
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Folder with the built client (`vite build`); served at `/`. */
  clientDist: string;
  /** Service coverage: default walking speed (m/s), snapping limit and isochrone band (metres). */
  coverage: {
    walkSpeed: number;
    snapLimitM: number;
    isochroneBufferM: number;
    /** Load the coverage model (in a worker thread) when the server starts, not on the first request. */
    preload: boolean;
    /** How long a coverage request waits for a loading model before a 503 with progress, milliseconds. */
    loadWaitMs: number;
  };
  /** Live push: `kpi.updated` is sent at most once per this many milliseconds while cases change. */
  kpiPushIntervalMs: number;
  /** Whole months of the event log kept before the current one (older monthly partitions are dropped); 0 keeps all. */
  eventRetentionMonths: number;
  /** Whistles: where report photos are stored (outside the web root), their size limit, escalation and sweep timing. */
  whistles: { uploadDir: string; photoMaxBytes: number; escalateMinutes: number; sweepMs: number };
  /** Open311 POST without an API key (a jurisdiction that takes anonymous citizen reports). */
  open311Anonymous: boolean;
  /** The origin clients reach this server at (no trailing slash): absolute URLs are built from it, never from Host. */
  publicUrl: string;
  /** Origins allowed to call the API from a browser (CORS) and to POST Open311 forms; empty = same origin only. */
  corsOrigins: string[];
  /** CSP `frame-ancestors`: who may embed the pages in a frame (default only this origin). */
  frameAncestors: string[];
  /** Requests per minute per client on the intake routes (cases, batches, Open311 POST). */
  intakeRatePerMinute: number;
  /** How long a process trusts an API key it has looked up; a revocation reaches every process sooner, through the log. */
  apiKeyCacheMs: number;
  /** Failed sign-ins per 15 minutes, per user name and per address, before sign-in answers 429 (counted in the audit log, so across nodes). */
  loginRate: { perUser: number; perAddress: number };
  /** Heavy requests (batches, siting, what-if) run at most this many at once; this many more wait; the rest get 503. */
  heavy: { concurrency: number; queue: number };
  /** Connections of the separate pool that socket catch-up replays read from. */
  replayConnections: number;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${name} must be a port number between 0 and 65535, got "${raw}"`);
  }
  return n;
}

function parseNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  return n;
}

function parseInteger(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  const n = parseNumber(name, raw, fallback, min, max);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be a whole number between ${min} and ${max}, got "${raw}"`);
  return n;
}

function parseList(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** An http(s) origin (scheme, host, port), without path or trailing slash. */
function parseOrigin(name: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL such as https://ops.example.org, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  if (u.pathname !== '/' || u.search || u.hash) throw new ConfigError(`${name} must be an origin without a path, e.g. ${u.origin}, got "${raw}"`);
  return u.origin;
}

/** `'self'` (the default), `'none'`, or origins; given as a comma-separated list. */
function parseFrameAncestors(raw: string | undefined): string[] {
  const items = parseList(raw);
  if (!items.length) return ["'self'"];
  return items.map((i) => {
    const bare = i.replace(/^'(.*)'$/, '$1');
    if (bare === 'self' || bare === 'none') return `'${bare}'`;
    return parseOrigin('CITYOPS_FRAME_ANCESTORS', i);
  });
}

/** The snapping limit alone (CITYOPS_SNAP_LIMIT_M), for the city generator, which needs no server config. */
export function snapLimitFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return parseNumber('CITYOPS_SNAP_LIMIT_M', env.CITYOPS_SNAP_LIMIT_M, 150, 1, 1000);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    throw new ConfigError('DATABASE_URL is not set: start the server with `npm start`, which provisions a local database, or set DATABASE_URL');
  }
  const logLevel = (env.CITYOPS_LOG_LEVEL ?? 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`CITYOPS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const port = parsePort('PORT', env.PORT, 8080);
  return {
    port,
    // Loopback unless told otherwise: exposing the server is a decision (HOST=0.0.0.0 behind a proxy).
    host: env.HOST || '127.0.0.1',
    databaseUrl,
    logLevel,
    clientDist: env.CITYOPS_CLIENT_DIST || new URL('../../dist/client/', import.meta.url).pathname,
    coverage: {
      walkSpeed: parseNumber('CITYOPS_WALK_SPEED', env.CITYOPS_WALK_SPEED, 1.2, 0.3, 3),
      snapLimitM: snapLimitFromEnv(env),
      isochroneBufferM: parseNumber('CITYOPS_ISOCHRONE_BUFFER_M', env.CITYOPS_ISOCHRONE_BUFFER_M, 20, 1, 500),
      preload: env.CITYOPS_COVERAGE_PRELOAD !== '0',
      loadWaitMs: parseNumber('CITYOPS_COVERAGE_WAIT_MS', env.CITYOPS_COVERAGE_WAIT_MS, 15_000, 0, 120_000),
    },
    kpiPushIntervalMs: parseNumber('CITYOPS_KPI_PUSH_MS', env.CITYOPS_KPI_PUSH_MS, 2000, 100, 60_000),
    eventRetentionMonths: parseInteger('CITYOPS_EVENT_RETENTION_MONTHS', env.CITYOPS_EVENT_RETENTION_MONTHS, 13, 0, 1200),
    whistles: {
      uploadDir: env.CITYOPS_UPLOAD_DIR || new URL('../../.cityops/uploads/', import.meta.url).pathname,
      photoMaxBytes: parseNumber('CITYOPS_PHOTO_MAX_BYTES', env.CITYOPS_PHOTO_MAX_BYTES, 5 * 1024 * 1024, 10_000, 20 * 1024 * 1024),
      escalateMinutes: parseNumber('CITYOPS_WHISTLE_ESCALATE_MIN', env.CITYOPS_WHISTLE_ESCALATE_MIN, 15, 1, 24 * 60),
      sweepMs: parseNumber('CITYOPS_WHISTLE_SWEEP_MS', env.CITYOPS_WHISTLE_SWEEP_MS, 5000, 200, 600_000),
    },
    open311Anonymous: env.CITYOPS_OPEN311_ANONYMOUS === '1',
    publicUrl: parseOrigin('CITYOPS_PUBLIC_URL', env.CITYOPS_PUBLIC_URL || `http://localhost:${port}`),
    corsOrigins: parseList(env.CITYOPS_CORS_ORIGINS).map((o) => parseOrigin('CITYOPS_CORS_ORIGINS', o)),
    frameAncestors: parseFrameAncestors(env.CITYOPS_FRAME_ANCESTORS),
    intakeRatePerMinute: parseNumber('CITYOPS_INTAKE_RATE', env.CITYOPS_INTAKE_RATE, 1200, 1, 1_000_000),
    apiKeyCacheMs: parseNumber('CITYOPS_API_KEY_CACHE_MS', env.CITYOPS_API_KEY_CACHE_MS, 10_000, 0, 3_600_000),
    loginRate: {
      perUser: parseNumber('CITYOPS_LOGIN_RATE_USER', env.CITYOPS_LOGIN_RATE_USER, 5, 1, 10_000),
      perAddress: parseNumber('CITYOPS_LOGIN_RATE_ADDRESS', env.CITYOPS_LOGIN_RATE_ADDRESS, 20, 1, 100_000),
    },
    heavy: {
      concurrency: parseNumber('CITYOPS_HEAVY_CONCURRENCY', env.CITYOPS_HEAVY_CONCURRENCY, 3, 1, 64),
      queue: parseNumber('CITYOPS_HEAVY_QUEUE', env.CITYOPS_HEAVY_QUEUE, 32, 0, 1000),
    },
    replayConnections: parseNumber('CITYOPS_REPLAY_CONNECTIONS', env.CITYOPS_REPLAY_CONNECTIONS, 2, 1, 32),
  };
}
