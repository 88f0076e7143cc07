// `npm run bench`: runs every scripts/bench/*.bench.ts module against the demo city and prints
// one table of medians next to their floors, with the ratio floor/value (how many times faster).
// Usage: npm run bench [-- name-filter]   e.g. `npm run bench -- coverage`
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import type { BenchModule, BenchResult } from './types.ts';

const dir = path.dirname(fileURLToPath(import.meta.url));

function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
}

function fmt(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

/** How many times better ours is than its floor: floor/value for times, value/floor for rates. */
function ratioOf(r: BenchResult): number | null {
  if (r.floor === null) return null;
  return r.higherIsBetter ? r.value / r.floor : r.floor / r.value;
}

function fmtValue(v: number | null, r: BenchResult): string {
  if (v === null) return '—';
  if (r.unit) return `${v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(v < 10 ? 2 : 1)} ${r.unit}`;
  return fmt(v);
}

function verdict(r: BenchResult): string {
  const ratio = ratioOf(r);
  const fails: string[] = [];
  if (r.target !== undefined && !r.higherIsBetter && r.value > r.target) fails.push(`over ${r.target} ${r.unit ?? "ms"}`);
  if (r.target !== undefined && r.higherIsBetter && r.value < r.target) fails.push(`under ${r.target} ${r.unit ?? ''}`.trim());
  if (r.minRatio !== undefined && ratio !== null && ratio < r.minRatio) fails.push(`under ${Number(r.minRatio.toFixed(2))}×`);
  return fails.length ? `MISS (${fails.join(', ')})` : r.target !== undefined || r.minRatio !== undefined ? 'ok' : '';
}

function printTable(rows: Array<BenchResult & { module: string }>): void {
  const header = ['benchmark', 'value (ms)', 'floor (ms)', 'ratio', 'target', 'verdict', 'floor'];
  const body = rows.map((r) => [
    `${r.module}: ${r.name}`,
    fmtValue(r.value, r),
    fmtValue(r.floor, r),
    ratioOf(r) !== null ? `${ratioOf(r)!.toFixed(2)}×` : '—',
    [
      r.target !== undefined ? (r.higherIsBetter ? `≥ ${r.target.toLocaleString('en-US')} ${r.unit ?? ''}`.trim() : `< ${r.target} ${r.unit ?? 'ms'}`) : '',
      r.minRatio !== undefined ? `≥ ${Number(r.minRatio.toFixed(2))}×` : '',
    ]
      .filter(Boolean)
      .join(', ') || '—',
    verdict(r),
    r.floorName ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set: run `npm run bench`, which provisions the database');
  const filter = process.argv[2];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !filter || f.includes(filter))
    .sort();
  if (files.length === 0) throw new Error(`no benchmark matches "${filter}" in scripts/bench`);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
  const all: Array<BenchResult & { module: string }> = [];
  try {
    for (const file of files) {
      const module = file.replace(/\.bench\.ts$/, '');
      log(`running ${file} …`);
      const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as BenchModule;
      for (const r of await mod.run({ databaseUrl, pool, log })) all.push({ ...r, module });
    }
  } finally {
    await pool.end();
  }
  console.log(`\nmachine: ${os.availableParallelism()} CPUs available (nproc), ${cpuModel()}, Node ${process.version}\n`);
  printTable(all);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
