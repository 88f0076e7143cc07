// Regenerates the demo city: empties the city tables and generates a new city from a seed,
// in one transaction (a failure leaves the old city in place).
//   npm run generate                 the seed in CITYOPS_SEED, else 20260101
//   npm run generate -- --seed 7     another city with the same statistics
// Emptying the city also clears rows of other domains that reference it (cases and the like).
import pg from 'pg';
import { seedDemoCity } from '../server/src/city/seed.ts';

function parseSeed(argv: string[]): number {
  const i = argv.indexOf('--seed');
  const raw = i >= 0 ? argv[i + 1] : process.env.CITYOPS_SEED ?? '20260101';
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`--seed must be an integer between 0 and 4294967295, got "${raw}"`);
  }
  return seed;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run this with `npm run generate`, which provisions the database');
  const seed = parseSeed(process.argv.slice(2));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await seedDemoCity(client, { seed, replace: true, log: (m) => console.error(`[generate] ${m}`) });
    console.error('[generate] rows that referenced the old city (cases, whistles) were cleared; the next `npm start` writes a new synthetic history');
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  console.error(`[generate] error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
