/**
 * The demo's history: 30 days of synthetic cases written in bulk on first start, so KPIs,
 * rankings and trends mean something from the first minute.
 *
 * The rows are generated here and inserted with one statement per day; each place is
 * assigned to its units once (`case_assign`), not once per case. Instead of one event per
 * historic transition (about seven per case), the log gets a single `cases.backfilled`
 * marker: the history is synthetic, no screen was watching it happen, and a screen that
 * sees the marker reloads lists and KPIs over REST. Everything after it is logged as usual.
 */
import { actorOf, systemPrincipal } from '../auth/principal.ts';
import type pg from 'pg';
import { dueTimes, type CaseCategory } from '../cases/categories.ts';
import { appendEvents } from '../events/repository.ts';
import type { CaseStatus } from '../cases/state-machine.ts';
import { callbackAnswers, callbackDelayHours, CALLBACK_SHARE, categoryPicker, descriptionFor, hash01, pickSource, poisson, prng, rhythmAt, satisfactionFor, sentBackShare, lateShare, stageHours, unitStrain } from './model.ts';
import { hasCases, insertHistoricCallbacks, insertHistoricCases, type HistoricCallback, samplePlaces, stagePlaces, type HistoricCase, type Place, type PlaceKind } from './repository.ts';

export interface BackfillOptions {
  seed: number;
  days?: number;
  /** Average new cases per day. */
  perDay?: number;
  now?: Date;
  log?: (msg: string) => void;
}

const H = 3_600_000;

/** Places per kind: enough variety for the map, few enough to assign in a second or two. */
const PLACES_PER_KIND = 1000;

export interface PlacePool {
  all: Place[];
  /** Indexes into `all` per kind. */
  byKind: Record<PlaceKind, number[]>;
}

export async function placePool(db: pg.Pool | pg.ClientBase, seed: number): Promise<PlacePool> {
  const sampled = await samplePlaces(db, seed, PLACES_PER_KIND);
  const all: Place[] = [];
  const byKind = { old_compound: [], street: [], any: [] } as Record<PlaceKind, number[]>;
  for (const kind of ['old_compound', 'street', 'any'] as const) {
    for (const p of sampled[kind]) {
      byKind[kind].push(all.length);
      all.push(p);
    }
  }
  return { all, byKind };
}

export function pickPlace(pool: PlacePool, category: CaseCategory, rand: () => number): number {
  // Hotspot categories mostly come from their kind of place, sometimes from anywhere.
  const kind: PlaceKind = category.hotspot !== 'any' && rand() < 0.85 ? category.hotspot : 'any';
  const list = pool.byKind[kind].length ? pool.byKind[kind] : pool.byKind.any;
  return list[Math.floor(rand() * list.length)]!;
}

/** One case's life, cut off at `now`: the stages it reached, its status and its rating. */
export function historicCase(category: CaseCategory, reportedAt: Date, now: Date, rand: () => number, strain = 0.5): Omit<HistoricCase, 'place' | 'source' | 'external_id'> {
  const due = dueTimes(category, reportedAt);
  const t: HistoricCase['times'] = {
    reported_at: reportedAt,
    registered_at: null,
    dispatched_at: null,
    accepted_at: null,
    handled_at: null,
    verified_at: null,
    closed_at: null,
    evaluated_at: null,
    rejected_at: null,
    register_due_at: due.register,
    dispatch_due_at: due.dispatch,
    accept_due_at: due.accept,
    handle_due_at: due.handle,
    close_due_at: due.close,
    updated_at: reportedAt,
  };
  let status: CaseStatus = 'reported';
  let note: string | null = null;
  let returns = 0;
  let reopens = 0;
  let satisfaction: number | null = null;
  let at = reportedAt.getTime();
  const step = (hours: number, col: keyof HistoricCase['times'], next: CaseStatus): boolean => {
    const when = at + hours * H;
    if (when > now.getTime()) return false;
    at = when;
    t[col] = new Date(when);
    t.updated_at = t[col];
    status = next;
    return true;
  };
  // The units serving the place work at their own pace (model.ts `unitStrain`).
  const late = lateShare(strain);
  const back = sentBackShare(strain);
  const hours = (stage: Parameters<typeof stageHours>[1]) => stageHours(category, stage, rand(), rand(), late);
  (() => {
    if (rand() < 0.03) {
      if (step(hours('register'), 'rejected_at', 'rejected')) note = '重复件或不属于受理范围（模拟）';
      return;
    }
    if (!step(hours('register'), 'registered_at', 'registered')) return;
    if (!step(hours('dispatch'), 'dispatched_at', 'dispatched')) return;
    if (rand() < back) {
      // Returned by the first department and dispatched again.
      returns = 1;
      at += hours('dispatch') * H;
      if (at > now.getTime()) {
        status = 'registered';
        t.dispatched_at = null;
        return;
      }
      t.dispatched_at = new Date(at);
      t.updated_at = t.dispatched_at;
    }
    if (!step(hours('respond'), 'accepted_at', 'accepted')) return;
    if (!step(hours('handle'), 'handled_at', 'handled')) return;
    if (rand() < back) {
      reopens = 1;
      // Sent back after a failed check, and (maybe) handled again.
      if (!step(hours('handle') * 0.5, 'handled_at', 'handled')) {
        status = 'accepted';
        t.handled_at = null;
        return;
      }
    }
    const verify = hours('verify');
    if (!step(verify * 0.6, 'verified_at', 'verified')) return;
    if (!step(verify * 0.4, 'closed_at', 'closed')) return;
    if (rand() < 0.7) {
      const late = t.closed_at! > t.close_due_at!;
      const r = rand();
      if (step(2 + rand() * 46, 'evaluated_at', 'evaluated')) satisfaction = satisfactionFor(late, r);
    }
  })();
  return {
    category: category.code,
    description: descriptionFor(category, rand()),
    priority: category.priority,
    department_code: category.department,
    status,
    status_note: note,
    return_count: returns,
    reopen_count: reopens,
    satisfaction,
    times: t,
  };
}

/**
 * The callback (回访) of a closed historic case, if the center made one by `now`: its answers
 * follow the case's history. Drawn from a hash of the external id, so the case stream's own
 * random sequence is the same with or without callbacks.
 */
export function historicCallback(h: Pick<HistoricCase, 'source' | 'external_id' | 'return_count' | 'reopen_count' | 'times'>, now: Date): HistoricCallback | undefined {
  const closed = h.times.closed_at;
  if (!closed) return undefined;
  const u = (k: string) => hash01(`${h.external_id}:callback:${k}`);
  if (u('share') >= CALLBACK_SHARE) return undefined;
  const at = new Date(closed.getTime() + callbackDelayHours(u('delay')) * H);
  if (at > now) return undefined;
  const late = closed > h.times.close_due_at!;
  return { source: h.source, external_id: h.external_id, at, ...callbackAnswers({ late, returned: h.return_count > 0, reopened: h.reopen_count > 0 }, u('u'), u('v'), u('w')) };
}

/**
 * Writes `days` of history ending now, unless cases exist already. Runs in one
 * transaction: a failure leaves no half history. Returns the number of cases written.
 */
export async function backfillDemoCases(client: pg.ClientBase, opts: BackfillOptions): Promise<number> {
  const days = opts.days ?? 30;
  const perDay = opts.perDay ?? 1000;
  const now = opts.now ?? new Date();
  const log = opts.log ?? (() => {});
  if (await hasCases(client)) return 0;
  const started = Date.now();
  await client.query('BEGIN');
  try {
    const pool = await placePool(client, opts.seed);
    await stagePlaces(client, pool.all);
    log(`placed ${pool.all.length} complaint sites (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const rand = prng(opts.seed);
    const start = new Date(now.getTime() - days * 24 * H);
    let total = 0;
    let n = 0;
    for (let d = 0; d < days; d++) {
      const rows: HistoricCase[] = [];
      for (let h = 0; h < 24; h++) {
        const hourStart = start.getTime() + (d * 24 + h) * H;
        const pick = categoryPicker(new Date(hourStart));
        const count = poisson(rand, (perDay / 24) * rhythmAt(new Date(hourStart)));
        for (let i = 0; i < count; i++) {
          const reportedAt = new Date(hourStart + rand() * H);
          if (reportedAt >= now) continue;
          const category = pick(rand);
          const place = pickPlace(pool, category, rand);
          rows.push({
            place: place + 1,
            source: pickSource(rand),
            external_id: `sim-${opts.seed}-${n++}`,
            ...historicCase(category, reportedAt, now, rand, unitStrain(pool.all[place]!.unit)),
          });
        }
      }
      total += await insertHistoricCases(client, rows);
      await insertHistoricCallbacks(client, rows.map((r) => historicCallback(r, now)).filter((c) => c !== undefined));
    }
    await appendEvents(client, [
      { ...actorOf(systemPrincipal('demo-backfill')), type: 'cases.backfilled', subject: 'cases', payload: { cases: total, days, from: start.toISOString(), to: now.toISOString(), rooms: ['wall'] } },
    ]);
    await client.query('COMMIT');
    log(`wrote ${total} synthetic cases over ${days} days (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return total;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
