import pg from 'pg';

/** Raised when the database cannot be used; the message says what is wrong and what to do. */
export class DatabaseSetupError extends Error {}

const REQUIRED_EXTENSIONS = ['postgis', 'pgrouting'] as const;

/** Returns the same URL pointing at another database of the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** Turns a driver error into a sentence a person can act on. */
export function describeConnectionError(url: string, err: unknown): string {
  const u = new URL(url);
  const where = `${u.hostname || 'localhost'}:${u.port || 5432}`;
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return `cannot reach PostgreSQL at ${where}: connection refused (is the server running, and is DATABASE_URL right?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach PostgreSQL at ${where}: unknown host "${u.hostname}" (check DATABASE_URL)`;
    case 'ETIMEDOUT':
      return `cannot reach PostgreSQL at ${where}: timed out (check DATABASE_URL and the network)`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the login of "${decodeURIComponent(u.username)}": ${e.message}`;
    case '3D000':
      return `the database "${databaseName(url)}" does not exist on ${where}: create it, or point DATABASE_URL at an existing one`;
    default:
      return `cannot use PostgreSQL at ${where}: ${e.message ?? String(err)}`;
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseSetupError(describeConnectionError(url, err));
  }
  return client;
}

/** Creates the database named in `url` through the server's `postgres` database when it is missing. */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = await connect(withDatabase(url, 'postgres'));
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
}

/**
 * Makes sure PostGIS and pgRouting are enabled in the database, creating them when they are
 * available but not yet enabled, and failing with the names of the missing ones otherwise.
 */
export async function ensureExtensions(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ name: string; installed: string | null }>(
    'SELECT name, installed_version AS installed FROM pg_available_extensions WHERE name = ANY($1)',
    [REQUIRED_EXTENSIONS],
  );
  const available = new Set(rows.map((r) => r.name));
  const missing = REQUIRED_EXTENSIONS.filter((e) => !available.has(e));
  if (missing.length) {
    throw new DatabaseSetupError(
      `the PostgreSQL server lacks the extension${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}: ` +
        `install PostGIS 3 and pgRouting there (Debian: postgresql-15-postgis-3 postgresql-15-pgrouting)`,
    );
  }
  for (const ext of REQUIRED_EXTENSIONS) {
    if (rows.find((r) => r.name === ext)?.installed) continue;
    try {
      await client.query(`CREATE EXTENSION IF NOT EXISTS ${ext} CASCADE`);
    } catch (err) {
      throw new DatabaseSetupError(`could not enable the extension ${ext}: ${(err as Error).message} (a superuser must run CREATE EXTENSION ${ext})`);
    }
  }
}

export interface PreparedDatabase {
  client: pg.Client;
}

/** Connects to `url`, creating the database first when allowed. */
export async function openDatabase(url: string, opts: { create: boolean }): Promise<pg.Client> {
  if (opts.create) await ensureDatabaseExists(url);
  return connect(url);
}
