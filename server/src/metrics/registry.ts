import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Process-wide metrics, observed deep inside services (intake, the coverage model) that do
 * not know the app they serve. One server process serves one app, so process-wide is exact;
 * per-app metrics (requests, sockets, pool, events) live in the metrics plugin.
 */
export const processRegistry = new Registry();

const intake = new Counter({
  name: 'cityops_intake_cases_total',
  help: 'Cases received at intake, by source and outcome (created, or duplicate of a case already received)',
  labelNames: ['source', 'outcome'] as const,
  registers: [processRegistry],
});

const coverageLoad = new Histogram({
  name: 'cityops_coverage_model_load_seconds',
  help: 'Time to load the in-memory coverage model from PostGIS, by what was reloaded (network or facilities only)',
  labelNames: ['part'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60],
  registers: [processRegistry],
});

/** Counts one case at intake. */
export function countIntake(source: string, created: boolean): void {
  intake.inc({ source, outcome: created ? 'created' : 'duplicate' });
}

/** Records one load of the coverage model. */
export function observeCoverageLoad(part: 'network' | 'facilities', seconds: number): void {
  coverageLoad.observe({ part }, seconds);
}

/**
 * How late the event loop ran its callbacks since the previous scrape (perf_hooks, 10 ms
 * resolution): a push that waits behind a long synchronous task shows here, not in the
 * database's times. Reset at each scrape, so each scrape covers the time since the last.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
new Gauge({
  name: 'cityops_event_loop_delay_seconds',
  help: 'Event-loop delay since the previous scrape: p50, p99 and max',
  labelNames: ['quantile'] as const,
  registers: [processRegistry],
  collect() {
    // An empty histogram (no sample since the last scrape) reports its lowest bucket as every
    // percentile but 0 as its max; say 0 for all three instead.
    const empty = loopDelay.count === 0;
    const s = (ns: number) => (!empty && Number.isFinite(ns) ? ns / 1e9 : 0);
    this.set({ quantile: '0.5' }, s(loopDelay.percentile(50)));
    this.set({ quantile: '0.99' }, s(loopDelay.percentile(99)));
    this.set({ quantile: 'max' }, s(loopDelay.max));
    loopDelay.reset();
  },
});
