// Prepares the database named by DATABASE_URL: creates it (local cluster only), enables
// PostGIS and pgRouting, applies migrations and loads the demo city when it is empty.
// Run by scripts/bootstrap.mjs; safe to run again (each step is idempotent).
import { migrate } from '../server/src/db/migrate.ts';
import { DatabaseSetupError, ensureExtensions, openDatabase } from '../server/src/db/provision.ts';
import { MigrationError } from '../server/src/db/migrate.ts';
import { cityIsEmpty, seedDemoCity } from '../server/src/city/seed.ts';

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
    if (await cityIsEmpty(client)) {
      console.error('[cityops] loading the demo city …');
      await seedDemoCity(client, { seed: DEMO_SEED, log: (m) => console.error(`[cityops]   ${m}`) });
    }
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  if (err instanceof DatabaseSetupError || err instanceof MigrationError) console.error(`[cityops] error: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
