// Creates one PostGIS database for this test run and drops it afterwards.
//
// Building the demo city takes a while, so the migrated and seeded database is kept as a
// template named after a hash of everything that shapes it (migrations, the city code,
// data/). Each run clones the template (seconds) instead of regenerating the city.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../server/src/db/migrate.ts';
import { ensureExtensions, withDatabase } from '../../server/src/db/provision.ts';
import { seedDemoCity } from '../../server/src/city/seed.ts';
import { TEST_SEED } from '../helpers/constants.ts';

const root = path.resolve(import.meta.dirname, '../..');
const TEMPLATE_LOCK = 4_211_072;

function hashInputs(): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(path.join(p, e));
    else if (!p.endsWith('.test.ts')) h.update(path.relative(root, p)).update(readFileSync(p));
  };
  ['server/migrations', 'server/src/city', 'server/src/db', 'server/src/geo', 'data'].forEach((d) => walk(path.join(root, d)));
  h.update(String(TEST_SEED));
  return h.digest('hex').slice(0, 16);
}

async function exists(admin: pg.Client, name: string): Promise<boolean> {
  return Boolean((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount);
}

async function buildTemplate(baseUrl: string, admin: pg.Client, name: string): Promise<void> {
  const building = `${name}_building`;
  await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${building}`);
  const client = new pg.Client({ connectionString: withDatabase(baseUrl, building) });
  await client.connect();
  try {
    await ensureExtensions(client);
    await migrate(client);
    await seedDemoCity(client, { seed: TEST_SEED });
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
  // Renaming last makes the template appear only once it is complete.
  await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
}

export default async function setup(project: TestProject) {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) throw new Error('DATABASE_URL is not set: run the tests with `npm test`, which provisions the database');
  const admin = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
  await admin.connect();
  const template = `cityops_tpl_${hashInputs()}`;
  const testDb = `cityops_test_${process.pid}_${Date.now().toString(36)}`;
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      if (!(await exists(admin, template))) {
        console.log(`[tests] building the template database ${template} (demo city, seed ${TEST_SEED}) …`);
        await buildTemplate(baseUrl, admin, template);
        await admin.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(template)} IS ${pg.escapeLiteral(new Date().toISOString())}`);
        // Templates of code that no longer exists go after a day; younger ones may belong to
        // another checkout testing against the same cluster at this moment.
        const stale = await admin.query<{ datname: string }>(
          `SELECT datname FROM pg_database
            WHERE datname LIKE 'cityops\\_tpl\\_%' AND datname <> $1 AND datname NOT LIKE '%\\_building'
              AND coalesce(shobj_description(oid, 'pg_database'), '') < $2`,
          [template, new Date(Date.now() - 24 * 3600_000).toISOString()],
        );
        for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
      }
      await admin.query(`CREATE DATABASE ${testDb} TEMPLATE ${template}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  } catch (err) {
    await admin.end();
    throw err;
  }
  await admin.end();

  const url = withDatabase(baseUrl, testDb);
  project.provide('databaseUrl', url);
  project.provide('baseDatabaseUrl', baseUrl);

  return async () => {
    const c = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${testDb} WITH (FORCE)`);
    await c.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The database of this test run: migrated, with the demo city loaded. */
    databaseUrl: string;
    /** The server the test database lives on, for tests that need a scratch database of their own. */
    baseDatabaseUrl: string;
  }
}
