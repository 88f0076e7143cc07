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
  };
}
