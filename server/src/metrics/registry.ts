import { Counter, Histogram, Registry } from 'prom-client';

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
