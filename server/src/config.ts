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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    throw new ConfigError('DATABASE_URL is not set: start the server with `npm start`, which provisions a local database, or set DATABASE_URL');
  }
  const logLevel = (env.CITYOPS_LOG_LEVEL ?? 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`CITYOPS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  return {
    port: parsePort('PORT', env.PORT, 8080),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    logLevel,
    clientDist: env.CITYOPS_CLIENT_DIST || new URL('../../dist/client/', import.meta.url).pathname,
    coverage: {
      walkSpeed: parseNumber('CITYOPS_WALK_SPEED', env.CITYOPS_WALK_SPEED, 1.2, 0.3, 3),
      snapLimitM: parseNumber('CITYOPS_SNAP_LIMIT_M', env.CITYOPS_SNAP_LIMIT_M, 150, 1, 1000),
      isochroneBufferM: parseNumber('CITYOPS_ISOCHRONE_BUFFER_M', env.CITYOPS_ISOCHRONE_BUFFER_M, 40, 1, 500),
      preload: env.CITYOPS_COVERAGE_PRELOAD !== '0',
      loadWaitMs: parseNumber('CITYOPS_COVERAGE_WAIT_MS', env.CITYOPS_COVERAGE_WAIT_MS, 15_000, 0, 120_000),
    },
    kpiPushIntervalMs: parseNumber('CITYOPS_KPI_PUSH_MS', env.CITYOPS_KPI_PUSH_MS, 2000, 100, 60_000),
  };
}
