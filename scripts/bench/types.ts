import type pg from 'pg';

/** What every benchmark module receives. */
export interface BenchContext {
  /** The database with the demo city (`npm run bench` uses the project's own). */
  databaseUrl: string;
  pool: pg.Pool;
  /** Prints a progress line (to stderr, so the table on stdout stays clean). */
  log: (msg: string) => void;
}

/** One measured figure next to its floor: the simplest existing way to get the same answer. */
export interface BenchResult {
  name: string;
  /** Median time of ours, milliseconds (or a figure in `unit`). */
  value: number;
  /** Median time of the floor on the same input in the same run, milliseconds; null when there is none. */
  floor: number | null;
  /** What the floor is. */
  floorName?: string;
  /** The target for `value`, milliseconds, where the issue sets one. */
  target?: number;
  /** The least floor/value ratio accepted (e.g. 5 for "at least 5× faster"). */
  minRatio?: number;
  /** The unit of `value`, `floor` and `target` when not milliseconds (e.g. `cases/s`). */
  unit?: string;
  /**
   * A rate rather than a time: more is better, the ratio is value/floor (ours as a share of
   * the floor's rate) and `target` is the least value accepted.
   */
  higherIsBetter?: boolean;
}

/** A benchmark module: `scripts/bench/<name>.bench.ts` exporting `run`. */
export interface BenchModule {
  run: (ctx: BenchContext) => Promise<BenchResult[]>;
}

/** Median wall-clock milliseconds of `fn` over `runs` runs, after `warmup` unmeasured ones. */
export async function medianMs(fn: () => unknown, runs: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}
