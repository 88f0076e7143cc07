import { withTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import { actorOf, systemPrincipal } from '../auth/principal.ts';
import { appendEvents, type NewEvent } from '../events/repository.ts';
import { applyWhistleAction, hasAnyWhistle, insertWhistle, isDemoCity, readDemoAnchors, setGrades } from './repository.ts';
import { event, view } from './service.ts';
import { WHISTLE_ACTIONS } from './workflow.ts';

/** Demo whistles: typical joint actions of 街乡吹哨, labelled synthetic. */
const DEMO = [
  { zh: '背街小巷违建拆除', en: 'Clear illegal structures in a back alley', minutesAgo: 25, minutesLeft: 35, calls: 4, checkedIn: 2 },
  { zh: '占道经营集中整治', en: 'Clear street stalls blocking the road', minutesAgo: 40, minutesLeft: 12, calls: 3, checkedIn: 2 },
  { zh: '老旧小区电梯困人处置', en: 'People trapped in an old-compound elevator', minutesAgo: 8, minutesLeft: 22, calls: 3, checkedIn: 1 },
  { zh: '燃气泄漏联合排查', en: 'Joint check of a reported gas leak', minutesAgo: 15, minutesLeft: 5, calls: 4, checkedIn: 3 },
];

/** How long a demo whistle stays on the board after its deadline before the demo closes it. */
export const DEMO_CLOSE_AFTER_MIN = 20;
const DEMO_ACTOR = systemPrincipal('demo');
/** Held while demo whistles are seeded or rotated, so one process of many does it. */
const DEMO_LOCK = 4211130;

/**
 * Blows a few synthetic whistles once per database (when none was ever recorded) so the
 * arrival board of a fresh demo city is not empty. Deadlines are relative to `now`.
 */
export async function ensureDemoWhistles(db: Pool, now = new Date()): Promise<number> {
  if (!(await isDemoCity(db)) || (await hasAnyWhistle(db))) return 0;
  const { places, departments } = await readDemoAnchors(db, DEMO.length * 3);
  if (places.length === 0 || departments.length === 0) return 0;
  return withTransaction(db, async (client) => {
    // Another process may have seeded them while this one looked.
    if ((await client.query('SELECT pg_try_advisory_xact_lock($1) AS ok', [DEMO_LOCK])).rows[0].ok !== true) return 0;
    if ((await client.query('SELECT 1 FROM whistle LIMIT 1')).rowCount) return 0;
    for (const i of DEMO.keys()) await blowDemoWhistle(client, i, i, now, places, departments);
    return DEMO.length;
  });
}

/**
 * Keeps a demo city's arrival board alive: a synthetic whistle that has stood
 * DEMO_CLOSE_AFTER_MIN minutes past its deadline is closed (each department graded by how it
 * arrived: on time 5, late 3, not at all 1) and a fresh one of the same kind is blown at the
 * next place, so the board shows whistles in progress, not countdowns hours overdue. Both
 * are logged as a commander's would be (actor `system:demo`), so walls see them at once.
 * Real whistles are never touched.
 */
export async function rotateDemoWhistles(db: Pool, now = new Date()): Promise<{ closed: number; blown: number }> {
  const none = { closed: 0, blown: 0 };
  if (!(await isDemoCity(db))) return none;
  const cutoff = new Date(now.getTime() - DEMO_CLOSE_AFTER_MIN * 60_000);
  const due = await db.query(`SELECT 1 FROM whistle WHERE synthetic AND status = 'open' AND deadline_at < $1 LIMIT 1`, [cutoff]);
  if (!due.rowCount) return none;
  const { places, departments } = await readDemoAnchors(db, DEMO.length * 3);
  if (places.length === 0 || departments.length === 0) return none;
  return withTransaction(db, async (client) => {
    if ((await client.query('SELECT pg_try_advisory_xact_lock($1) AS ok', [DEMO_LOCK])).rows[0].ok !== true) return none;
    const { rows: stale } = await client.query<{ id: number }>(
      `SELECT id FROM whistle WHERE synthetic AND status = 'open' AND deadline_at < $1 ORDER BY id FOR UPDATE`,
      [cutoff],
    );
    const { rows: count } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM whistle WHERE synthetic');
    let serial = count[0]!.n;
    const events: NewEvent[] = [];
    for (const { id } of stale) {
      const before = await view(client, id);
      const grades = before.calls.map((c) => ({
        department_id: c.department_id,
        department_code: c.department_code,
        score: c.state === 'checked_in_on_time' ? 5 : c.state === 'checked_in_late' ? 3 : 1,
      }));
      await setGrades(client, id, grades.map((g) => ({ department_id: g.department_id, score: g.score, note: null })));
      await applyWhistleAction(client, 'close', id, { status: WHISTLE_ACTIONS.close.to, actor: actorOf(DEMO_ACTOR).actor });
      events.push(event(DEMO_ACTOR, 'whistle.closed', await view(client, id), { grades: grades.map(({ department_code, score }) => ({ department_code, score })) }));
      // The same kind of action again, at the next place: the board keeps its mix.
      const kind = DEMO.findIndex((d) => before.title_zh.endsWith(d.zh));
      const fresh = await blowDemoWhistle(client, kind >= 0 ? kind : serial % DEMO.length, serial, now, places, departments);
      serial++;
      events.push(event(DEMO_ACTOR, 'whistle.created', await view(client, fresh)));
    }
    await appendEvents(client, events);
    return { closed: stale.length, blown: stale.length };
  });
}

/**
 * One synthetic whistle of kind `kind` (DEMO), at place `slot`: called `minutesAgo` before
 * `now`, its deadline `minutesLeft` after, the first departments already checked in (never
 * later than `now`).
 */
async function blowDemoWhistle(
  client: PoolClient,
  kind: number,
  slot: number,
  now: Date,
  places: { name_zh: string; name_en: string; lng: number; lat: number }[],
  departments: number[],
): Promise<number> {
  const d = DEMO[kind]!;
  // A stride coprime with the 12 places read, so consecutive whistles visit every place in turn.
  const place = places[(slot * 5 + 1) % places.length]!;
  const calledAt = new Date(now.getTime() - d.minutesAgo * 60_000);
  const calls = Array.from({ length: Math.min(d.calls, departments.length) }, (_, k) => {
    const department_id = departments[(slot * 2 + k * 3) % departments.length]!;
    const checkedIn = k < d.checkedIn ? new Date(Math.min(now.getTime(), calledAt.getTime() + (k + 1) * 6 * 60_000)) : null;
    return { department_id, accepted_at: new Date(calledAt.getTime() + 60_000), checked_in_at: checkedIn };
  });
  // Distinct departments only (the modulo can repeat one on small lists).
  const unique = [...new Map(calls.map((c) => [c.department_id, c])).values()];
  return insertWhistle(client, {
    title_zh: `${place.name_zh} · ${d.zh}`,
    title_en: `${place.name_en} · ${d.en}`,
    called_by: 'demo',
    called_at: calledAt,
    deadline_at: new Date(now.getTime() + d.minutesLeft * 60_000),
    radius_m: 200,
    lng: place.lng + 0.002 * ((slot % 2) - 0.5),
    lat: place.lat + 0.0015 * (((slot + 1) % 2) - 0.5),
    synthetic: true,
    calls: unique,
  });
}
