import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAs, jsonApi } from '../helpers/auth.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { whistleFixture } from './helpers.ts';

describe('whistle deadlines across a restart', () => {
  let pool: pg.Pool;
  let server: TestServer | undefined;

  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  it('marks a department missing when its deadline passed while no server ran, as soon as one starts', async () => {
    const fx = await whistleFixture(pool);
    server = await startTestServer({ whistles: { uploadDir: '/nonexistent', photoMaxBytes: 100_000, escalateMinutes: 600, sweepMs: 600_000 } });
    const commander = jsonApi(await fetchAs(server.url, pool, 'commander'));
    const res = await commander.post('/api/whistles', { lng: fx.site[0], lat: fx.site[1], title: '重启测试', department_codes: [fx.departments[0].code], deadline_minutes: 20 });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    await server.close();
    server = undefined;

    // While no server runs, the deadline passes (the clock is moved by moving the whistle back 21 minutes).
    await pool.query(
      `UPDATE whistle SET called_at = called_at - interval '21 minutes', deadline_at = deadline_at - interval '21 minutes' WHERE id = $1`,
      [id],
    );
    const before = await pool.query(`SELECT missing_at FROM whistle_call WHERE whistle_id = $1`, [id]);
    expect(before.rows[0].missing_at).toBeNull();

    server = await startTestServer({ whistles: { uploadDir: '/nonexistent', photoMaxBytes: 100_000, escalateMinutes: 600, sweepMs: 600_000 } });
    const after = await pool.query(`SELECT missing_at FROM whistle_call WHERE whistle_id = $1`, [id]);
    expect(after.rows[0].missing_at).not.toBeNull();
    const log = await pool.query<{ type: string; payload: { department_code: string; rooms: string[] } }>(
      `SELECT type, payload FROM event WHERE subject = $1 AND type = 'whistle.missing'`,
      [`whistle:${id}`],
    );
    expect(log.rows.map((r) => r.payload.department_code)).toEqual([fx.departments[0].code]);
    expect(log.rows[0]!.payload.rooms).toEqual(['wall', `subdistrict:${fx.subdistrict}`, `department:${fx.departments[0].id}`]);
  });
});
