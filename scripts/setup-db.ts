// Prepares the database named by DATABASE_URL: creates it (local cluster only), enables
// PostGIS and pgRouting, applies migrations and loads the demo city when it is empty
// (unless CITYOPS_SCHEMA_ONLY=1, set by `bootstrap run --schema-only`).
// Run by scripts/bootstrap.mjs; safe to run again (each step is idempotent).
import { migrate } from '../server/src/db/migrate.ts';
import { DatabaseSetupError, ensureExtensions, openDatabase } from '../server/src/db/provision.ts';
import { MigrationError } from '../server/src/db/migrate.ts';
import { cityIsEmpty, seedDemoCity } from '../server/src/city/seed.ts';
import { backfillDemoCases } from '../server/src/simulator/backfill.ts';
import { hasCases } from '../server/src/simulator/repository.ts';
import path from 'node:path';
import { seedDemoPrincipals } from '../server/src/auth/demo.ts';
import { activeDemoPrincipals } from '../server/src/auth/repository.ts';
import { createPool } from '../server/src/db/pool.ts';

const DEMO_SEED = Number(process.env.CITYOPS_SEED ?? 20260101);

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new DatabaseSetupError('DATABASE_URL is not set');
  // Only the project's own cluster may be given new databases; a DATABASE_URL is used as it is.
  const client = await openDatabase(url, { create: process.env.CITYOPS_LOCAL_CLUSTER === '1' });
  try {
    await ensureExtensions(client);
    const { applied } = await migrate(client);
    if (applied.length) console.error(`[cityops] applied migrations: ${applied.join(', ')}`);
    if (process.env.CITYOPS_SCHEMA_ONLY === '1') return;
    if (await cityIsEmpty(client)) {
      console.error('[cityops] loading the demo city …');
      await seedDemoCity(client, { seed: DEMO_SEED, log: (m) => console.error(`[cityops]   ${m}`) });
    }
    // 30 days of synthetic cases, so KPIs and trends mean something from the first minute.
    if (process.env.CITYOPS_SIMULATE !== '0' && !(await hasCases(client))) {
      console.error('[cityops] writing 30 days of synthetic case history …');
      await backfillDemoCases(client, { seed: DEMO_SEED, days: 30, log: (m) => console.error(`[cityops]   ${m}`) });
    }
    await demoPrincipals(url);
  } finally {
    await client.end();
  }
}

/**
 * The demo's accounts, wall token and simulator key, written where only this user can read
 * them. `CITYOPS_DEMO=0` creates none and refuses to go on while demo principals are active,
 * so a real installation cannot keep the published demo passwords by accident.
 */
async function demoPrincipals(url: string): Promise<void> {
  const pool = createPool(url, 2);
  try {
    if (process.env.CITYOPS_DEMO === '0') {
      const active = await activeDemoPrincipals(pool);
      if (active > 0) {
        throw new DatabaseSetupError(
          `CITYOPS_DEMO=0 but ${active} demo account(s), display token(s) or key(s) are still active: disable them first (npm run users -- list, disable --username …, token revoke --id …, api-key revoke --name …)`,
        );
      }
      return;
    }
    const port = process.env.PORT || '8080';
    const publicUrl = process.env.CITYOPS_PUBLIC_URL || `http://localhost:${port}`;
    const file = path.resolve(import.meta.dirname, '..', '.cityops', 'demo-accounts.json');
    const { created } = await seedDemoPrincipals(pool, file, publicUrl);
    console.error(`[cityops] demo accounts${created ? ` (${created} new)` : ''}, the wall URL and the simulator's key: ${path.relative(process.cwd(), file) || file}`);
  } finally {
    await pool.end();
  }
}

main().catch((err) => {
  if (err instanceof DatabaseSetupError || err instanceof MigrationError) console.error(`[cityops] error: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
