import type { Pool, PoolClient } from '../db/pool.ts';

/** Days of history the live stream's arrival rate is calibrated against. */
export const CALIBRATION_DAYS = 7;

/**
 * New cases a second the history holds for the hour of day (Beijing time) `now` falls in: the
 * mean count of cases reported in that hour over the last CALIBRATION_DAYS whole days before
 * today. A live stream at this rate makes "today at this hour" comparable to "yesterday at
 * this hour" and keeps the current hour of the 24-hour chart in line with the others.
 */
export async function historyRateAt(db: Pool | PoolClient, now: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH today AS (SELECT date_trunc('day', $1::timestamptz AT TIME ZONE 'Asia/Shanghai') AS d,
                           extract(hour FROM $1::timestamptz AT TIME ZONE 'Asia/Shanghai') AS h)
     SELECT count(*)::float8 / ${CALIBRATION_DAYS} AS n
     FROM cases, today
     WHERE reported_at >= (today.d - interval '${CALIBRATION_DAYS} days') AT TIME ZONE 'Asia/Shanghai'
       AND reported_at < today.d AT TIME ZONE 'Asia/Shanghai'
       AND extract(hour FROM reported_at AT TIME ZONE 'Asia/Shanghai') = today.h`,
    [now],
  );
  return (rows[0]?.n ?? 0) / 3600;
}
