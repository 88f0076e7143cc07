import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pgLib from 'pg';
import { scratchCity } from '../import/helpers.ts';
import { seedDemoCity } from '../../server/src/city/seed.ts';
import { TEST_SEED } from '../helpers/constants.ts';
import { backfillDemoCases } from '../../server/src/simulator/backfill.ts';
import { CALIBRATION_DAYS, historyRateAt } from '../../server/src/simulator/calibrate.ts';

const BEIJING_MS = 8 * 3_600_000;

describe('the live stream calibrated against its own history', () => {
  let pool: pg.Pool;
  let city: Awaited<ReturnType<typeof scratchCity>>;
  beforeAll(async () => {
    // A city of its own: the backfill writes only into a database without cases, and the run's
    // shared database has the other files' cases. Nine days of history, written as the demo's is.
    city = await scratchCity('calibrate');
    await seedDemoCity(city.client, { seed: TEST_SEED });
    await backfillDemoCases(city.client, { seed: 3, days: 9, perDay: 200 });
    pool = new pgLib.Pool({ connectionString: city.url, max: 2 });
  }, 240_000);
  afterAll(async () => {
    await pool?.end();
    await city?.drop();
  });

  it('runs at the mean rate of the same hour of day over the last whole days, counted here in JavaScript', async () => {
    const db = await pool.connect();
    try {
      await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      // The history ends when the city was generated, not necessarily today: work back from its last case.
      const { rows } = await db.query<{ t: Date }>(
        `WITH h AS (SELECT max(reported_at) AS last FROM cases WHERE external_id LIKE 'sim-%' AND external_id NOT LIKE 'sim-live-%')
         SELECT reported_at AS t FROM cases, h WHERE reported_at > h.last - interval '9 days' AND reported_at <= h.last`,
      );
      expect(rows.length).toBeGreaterThan(100);
      // Two moments of the latest day of the history: mid-morning and the small hours, Beijing time.
      // Cases other tests write now come after the history's last day, outside every window here.
      const latest = Math.max(...rows.map((r) => r.t.getTime()));
      const dayStart = Math.floor((latest + BEIJING_MS) / 86_400_000) * 86_400_000 - BEIJING_MS;
      for (const hour of [10, 3]) {
        const now = new Date(dayStart + hour * 3_600_000 + 17 * 60_000);
        const from = dayStart - CALIBRATION_DAYS * 86_400_000;
        const expected = rows.filter((r) => {
          const t = r.t.getTime();
          return t >= from && t < dayStart && new Date(t + BEIJING_MS).getUTCHours() === hour;
        }).length / CALIBRATION_DAYS / 3600;
        expect(await historyRateAt(db, now)).toBeCloseTo(expected, 9);
      }
      // The district's day has a rhythm: mid-morning is busier than 3 am.
      const morning = await historyRateAt(db, new Date(dayStart + 10 * 3_600_000));
      const night = await historyRateAt(db, new Date(dayStart + 3 * 3_600_000));
      expect(morning).toBeGreaterThan(night * 2);
    } finally {
      await db.query('ROLLBACK');
      db.release();
    }
  });
});
