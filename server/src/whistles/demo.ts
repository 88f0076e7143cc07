import type { Pool } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import { hasAnyWhistle, insertWhistle, isDemoCity, readDemoAnchors } from './repository.ts';

/** Demo whistles: typical joint actions of 街乡吹哨, labelled synthetic. */
const DEMO = [
  { zh: '背街小巷违建拆除', en: 'Clear illegal structures in a back alley', minutesAgo: 25, minutesLeft: 35, calls: 4, checkedIn: 2 },
  { zh: '占道经营集中整治', en: 'Clear street stalls blocking the road', minutesAgo: 40, minutesLeft: 12, calls: 3, checkedIn: 2 },
  { zh: '老旧小区电梯困人处置', en: 'People trapped in an old-compound elevator', minutesAgo: 8, minutesLeft: 22, calls: 3, checkedIn: 1 },
  { zh: '燃气泄漏联合排查', en: 'Joint check of a reported gas leak', minutesAgo: 15, minutesLeft: 5, calls: 4, checkedIn: 3 },
];

/**
 * Blows a few synthetic whistles once per database (when none was ever recorded) so the
 * arrival board of a fresh demo city is not empty. Deadlines are relative to `now`; the
 * full whistle workflow replaces these with real ones.
 */
export async function ensureDemoWhistles(db: Pool, now = new Date()): Promise<number> {
  if (!(await isDemoCity(db)) || (await hasAnyWhistle(db))) return 0;
  const { places, departments } = await readDemoAnchors(db, DEMO.length * 3);
  if (places.length === 0 || departments.length === 0) return 0;
  return withTransaction(db, async (client) => {
    // Another process may have seeded them while this one looked.
    if ((await client.query('SELECT pg_try_advisory_xact_lock(4211130) AS ok')).rows[0].ok !== true) return 0;
    if ((await client.query('SELECT 1 FROM whistle LIMIT 1')).rowCount) return 0;
    let made = 0;
    for (const [i, d] of DEMO.entries()) {
      const place = places[(i * 3 + 1) % places.length]!;
      const calledAt = new Date(now.getTime() - d.minutesAgo * 60_000);
      const calls = Array.from({ length: Math.min(d.calls, departments.length) }, (_, k) => {
        const department_id = departments[(i * 2 + k * 3) % departments.length]!;
        const checkedIn = k < d.checkedIn ? new Date(calledAt.getTime() + (k + 1) * 6 * 60_000) : null;
        return { department_id, accepted_at: new Date(calledAt.getTime() + 60_000), checked_in_at: checkedIn };
      });
      // Distinct departments only (the modulo can repeat one on small lists).
      const unique = [...new Map(calls.map((c) => [c.department_id, c])).values()];
      await insertWhistle(client, {
        title_zh: `${place.name_zh} · ${d.zh}`,
        title_en: `${place.name_en} · ${d.en}`,
        called_by: 'demo',
        called_at: calledAt,
        deadline_at: new Date(now.getTime() + d.minutesLeft * 60_000),
        radius_m: 200,
        lng: place.lng + 0.002 * ((i % 2) - 0.5),
        lat: place.lat + 0.0015 * (((i + 1) % 2) - 0.5),
        synthetic: true,
        calls: unique,
      });
      made++;
    }
    return made;
  });
}
