// The live demo stream: `npm run simulate -- --rate 2 --speed 60`.
//   --rate N   mean new cases per second, shaped by the time of day (default: as many as the
//              history holds for each hour of the day, so today reads like the days before)
//   --speed N  how many times faster than real time departments work cases (default 60)
//   --seed N   seed of the stream (default CITYOPS_SEED or 20260101)
// Writes straight into the database named by DATABASE_URL; every change reaches the
// screens through the event log like any other writer's.
import { ConfigError, loadConfig } from '../server/src/config.ts';
import { createPool } from '../server/src/db/pool.ts';
import { LiveSimulator } from '../server/src/simulator/live.ts';

function flag(args: string[], name: string, fallback: number, min: number, max: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const raw = args[i + 1];
  const n = Number(raw);
  if (raw === undefined || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`--${name} must be a number between ${min} and ${max}, got "${raw ?? ''}"`);
  }
  return n;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const known = new Set(['--rate', '--speed', '--seed']);
  const unknown = args.find((a, i) => a.startsWith('--') && !known.has(a) && !(i > 0 && known.has(args[i - 1]!)));
  if (unknown) throw new ConfigError(`unknown option ${unknown}; use --rate N, --speed N, --seed N`);
  const config = loadConfig();
  const rate = args.includes('--rate') ? flag(args, 'rate', 0, 0, 100) : ('history' as const);
  const speed = flag(args, 'speed', 60, 1, 100_000);
  const seed = flag(args, 'seed', Number(process.env.CITYOPS_SEED ?? 20260101), 0, 2 ** 31);
  const pool = createPool(config.databaseUrl, 3);
  const sim = new LiveSimulator({ pool, rate, speed, seed, log: (m) => console.error(`[simulate] ${m}`) });
  const stop = () => sim.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await sim.run();
  await pool.end();
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(`[simulate] error: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
