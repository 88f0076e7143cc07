import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Any constant works; it only has to be the same for every process migrating this database. */
const MIGRATION_LOCK_KEY = 4_211_071;

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    cause: string,
  ) {
    super(`migration ${file} failed and was rolled back: ${cause}`);
  }
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/** Migration files are `NNNN_name.sql`, applied in name order. */
export function listMigrations(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

/**
 * Applies every migration not yet recorded in `schema_migration`, each in its own transaction
 * together with its record, so a failing file leaves the schema exactly as it was. An advisory
 * lock serialises concurrent starts against one database.
 */
export async function migrate(client: pg.ClientBase, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migration (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Map<string, string>(
      (await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migration')).rows.map((r) => [
        r.name,
        r.checksum,
      ]),
    );
    const result: MigrationResult = { applied: [], skipped: [] };
    for (const file of listMigrations(dir)) {
      const sql = readFileSync(path.join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      if (done.has(file)) {
        result.skipped.push(file);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migration (name, checksum) VALUES ($1, $2)', [file, checksum]);
        await client.query('COMMIT');
        result.applied.push(file);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new MigrationError(file, (err as Error).message);
      }
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
  }
}
