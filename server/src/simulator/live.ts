/**
 * The live demo stream: new complaints at a daily rhythm and departments working the open
 * synthetic cases through the loop. It writes through the cases service, in its own
 * process, so every change reaches the screens the way any other writer's does: through
 * the event log.
 *
 * `speed` compresses the departments' working time (60: an hour of work passes in a
 * minute); arrivals follow the real clock's rhythm at `rate` cases per second on average.
 * Time before the simulator started counts at 1×, so the backfilled history is not
 * fast-forwarded in one burst.
 */
import { actorOf, type Ctx, type Principal } from '../auth/principal.ts';
import { simulatorPrincipal } from '../auth/demo.ts';
import type { Pool } from '../db/pool.ts';
import { findCategory, type CaseCategory, type SlaStage } from '../cases/categories.ts';
import { createCases, normalizeCase, transitionCase } from '../cases/service.ts';
import type { TransitionInput } from '../cases/schemas.ts';
import { HttpError } from '../lib/errors.ts';
import { pickPlace, placePool, type PlacePool } from './backfill.ts';
import { recordCallback } from '../callbacks/service.ts';
import { callbackAnswers, callbackDelayHours, CALLBACK_SHARE, categoryPicker, descriptionFor, hash01, pickSource, poisson, prng, rhythmAt, satisfactionFor, sentBackShare, lateShare, stageHours as stageHoursAt, unitStrain } from './model.ts';
import { simulatedCasesToCallBack, simulatedCasesToWork, type OpenSimCase } from './repository.ts';
import { historyRateAt } from './calibrate.ts';

export interface LiveOptions {
  pool: Pool;
  /**
   * Mean new cases per second (scaled by the hour's rhythm), or `'history'`: as many as the
   * history holds for this hour of the day (see calibrate.ts), read again every hour.
   */
  rate: number | 'history';
  /** How many times faster than real time departments work. */
  speed: number;
  seed: number;
  log?: (msg: string) => void;
  tickMs?: number;
  /** Transitions per tick at most, so a backlog drains smoothly instead of in one burst. */
  maxTransitionsPerTick?: number;
}

const H = 3_600_000;
/** Closed cases are rated within this many simulated hours, or never. */
const RATING_WINDOW_HOURS = 72;
/** Closed cases are called back within this many real hours, or never (older ones are history). */
const CALLBACK_WINDOW_HOURS = 7 * 24;

interface Step {
  action: TransitionInput['action'];
  hours: number;
  body?: Partial<TransitionInput>;
}

/** The next thing a department or citizen does with a case, and after how many working hours. */
export function nextStep(c: OpenSimCase, category: CaseCategory): Step | undefined {
  const key = `${c.id}:${c.status}:${c.return_count}:${c.reopen_count}`;
  const u = hash01(`${key}:u`);
  const v = hash01(`${key}:v`);
  const w = hash01(`${key}:w`);
  // Each subdistrict's units work at their own pace (model.ts), so the demo's rates spread.
  const strain = unitStrain(c.subdistrict_id);
  const late = lateShare(strain);
  const back = sentBackShare(strain);
  const stageHours = (cat: CaseCategory, stage: SlaStage, a: number, b: number) => stageHoursAt(cat, stage, a, b, late);
  switch (c.status) {
    case 'reported':
      return w < 0.03
        ? { action: 'reject', hours: stageHours(category, 'register', u, v), body: { note: '重复件或不属于受理范围（模拟）' } }
        : { action: 'register', hours: stageHours(category, 'register', u, v) };
    case 'registered':
      return { action: 'dispatch', hours: stageHours(category, 'dispatch', u, v) };
    case 'dispatched':
      return c.return_count === 0 && w < back
        ? { action: 'return', hours: stageHours(category, 'respond', u, v) * 0.5, body: { note: '不属于本部门职责（模拟）' } }
        : { action: 'accept', hours: stageHours(category, 'respond', u, v) };
    case 'accepted':
      return { action: 'handle', hours: stageHours(category, 'handle', u, v), body: { note: '已现场处置（模拟）' } };
    case 'handled':
      return c.reopen_count === 0 && w < back
        ? { action: 'reopen', hours: stageHours(category, 'verify', u, v) * 0.6, body: { note: '核查未通过，退回重办（模拟）' } }
        : { action: 'verify', hours: stageHours(category, 'verify', u, v) * 0.6 };
    case 'verified':
      return { action: 'close', hours: stageHours(category, 'verify', u, v) * 0.4 };
    case 'closed':
      return { action: 'evaluate', hours: 2 + u * 46, body: { satisfaction: satisfactionFor(c.late, v) } };
    default:
      return undefined;
  }
}

export class LiveSimulator {
  private stopped = false;
  private readonly started = Date.now();
  private readonly rand: () => number;
  private places?: PlacePool;
  private n = 0;
  private stats = { created: 0, transitions: 0, callbacks: 0 };
  private wake?: () => void;
  /** Who the simulator writes as: the `simulator` integration client. */
  private principal?: Principal;

  private ctx(): Ctx {
    if (!this.principal) throw new Error('the simulator has not started');
    return { principal: this.principal, db: this.opts.pool };
  }

  constructor(private readonly opts: LiveOptions) {
    this.rand = prng(opts.seed ^ this.started);
  }

  /** Simulated milliseconds since `since`: real time before the start, `speed` times real time after it. */
  simulatedSince(since: Date, now = Date.now(), speed = this.opts.speed): number {
    const t = since.getTime();
    const before = Math.max(0, Math.min(now, this.started) - t);
    const after = Math.max(0, now - Math.max(t, this.started)) * speed;
    return before + after;
  }

  async run(): Promise<void> {
    const log = this.opts.log ?? (() => {});
    this.principal = await simulatorPrincipal(this.opts.pool);
    this.places = await placePool(this.opts.pool, this.opts.seed);
    log(`simulating: ${this.opts.rate === 'history' ? 'as many new cases as the history holds for each hour' : `${this.opts.rate} new cases/s on average`}, departments working ${this.opts.speed}× real time`);
    let lastReport = Date.now();
    while (!this.stopped) {
      const tickStart = Date.now();
      try {
        await this.arrivals();
        await this.progress();
        await this.callbacks();
      } catch (err) {
        // A database restart or a conflicting writer must not end the demo stream.
        log(`tick failed: ${(err as Error).message}`);
      }
      if (Date.now() - lastReport > 60_000) {
        log(`last minute: ${this.stats.created} new cases, ${this.stats.transitions} transitions, ${this.stats.callbacks} callbacks`);
        this.stats = { created: 0, transitions: 0, callbacks: 0 };
        lastReport = Date.now();
      }
      const wait = Math.max(0, (this.opts.tickMs ?? 1000) - (Date.now() - tickStart));
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, wait);
      });
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private calibrated?: { hour: number; perSecond: number };

  /** New cases a second now: the fixed rate shaped by the hour's rhythm, or the history's rate for this hour. */
  private async perSecond(now: Date): Promise<number> {
    if (this.opts.rate !== 'history') return this.opts.rate * rhythmAt(now);
    const hour = Math.floor(now.getTime() / 3_600_000);
    if (this.calibrated?.hour !== hour) {
      this.calibrated = { hour, perSecond: await historyRateAt(this.opts.pool, now) };
      this.opts.log?.(`calibrated to the history: ${(this.calibrated.perSecond * 3600).toFixed(1)} new cases this hour`);
    }
    return this.calibrated.perSecond;
  }

  private async arrivals(): Promise<void> {
    const now = new Date();
    const count = poisson(this.rand, (await this.perSecond(now)) * ((this.opts.tickMs ?? 1000) / 1000));
    if (!count) return;
    const pick = categoryPicker(now);
    const rows = [];
    const actor = actorOf(this.ctx().principal);
    for (let i = 0; i < count; i++) {
      const category = pick(this.rand);
      const place = this.places!.all[pickPlace(this.places!, category, this.rand)]!;
      const source = pickSource(this.rand);
      rows.push({
        row: normalizeCase({
          source,
          external_id: `sim-live-${this.started.toString(36)}-${this.n++}`,
          category: category.code,
          description: descriptionFor(category, this.rand()),
          lng: place.lng,
          lat: place.lat,
          ...(place.address ? { address: place.address } : {}),
        }),
        prefix: '',
        actor,
      });
    }
    await createCases(this.opts.pool, rows);
    this.stats.created += count;
  }

  private async progress(): Promise<void> {
    const open = await simulatedCasesToWork(this.opts.pool, 10_000, RATING_WINDOW_HOURS);
    let budget = this.opts.maxTransitionsPerTick ?? 40;
    const now = Date.now();
    for (const c of open) {
      if (budget <= 0 || this.stopped) break;
      const category = findCategory(c.category);
      if (!category) continue;
      const step = nextStep(c, category);
      // Only cases reported since the start are worked faster than real time: the history's open
      // backlog goes on at its own pace, or it would all close within the first hour and that
      // hour's bar would flatten the day's chart.
      const speed = c.reported_at.getTime() >= this.started ? this.opts.speed : 1;
      if (!step || this.simulatedSince(c.updated_at, now, speed) < step.hours * H) continue;
      try {
        await transitionCase(this.ctx(), c.id, { action: step.action, ...step.body });
        this.stats.transitions++;
        budget--;
      } catch (err) {
        // Someone else moved the case meanwhile (409) or it vanished (404): skip it.
        if (!(err instanceof HttpError)) throw err;
      }
    }
  }

  /** The dispatcher calls citizens back a few (simulated) hours after their case is closed. */
  private async callbacks(): Promise<void> {
    const due = await simulatedCasesToCallBack(this.opts.pool, 1000, CALLBACK_WINDOW_HOURS, Math.round(CALLBACK_SHARE * 100));
    let budget = this.opts.maxTransitionsPerTick ?? 40;
    const now = Date.now();
    for (const c of due) {
      if (budget <= 0 || this.stopped) break;
      const u = (k: string) => hash01(`${c.id}:callback:${k}`);
      if (this.simulatedSince(c.closed_at, now) < callbackDelayHours(u('delay')) * H) continue;
      const answers = callbackAnswers({ late: c.late, returned: c.return_count > 0, reopened: c.reopen_count > 0 }, u('u'), u('v'), u('w'));
      try {
        await recordCallback(this.opts.pool, actorOf(this.ctx().principal), c.id, answers);
        this.stats.callbacks++;
        budget--;
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
      }
    }
  }
}
