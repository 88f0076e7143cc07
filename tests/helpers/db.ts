import pg from 'pg';
import { inject } from 'vitest';
import { withDatabase } from '../../server/src/db/provision.ts';

export function testDatabaseUrl(): string {
  return inject('databaseUrl');
}

/** A pool on the run's test database; close it in afterAll. */
export function testPool(): pg.Pool {
  return new pg.Pool({ connectionString: testDatabaseUrl(), max: 4 });
}

/** Creates an empty database with PostGIS for one test file; the returned function drops it. */
export async function scratchDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = inject('baseDatabaseUrl');
  const name = `cityops_scratch_${label}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: withDatabase(base, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(base, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: withDatabase(base, 'postgres') });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
