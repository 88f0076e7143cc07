import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../server/src/db/pool.ts';
import { DEMO_CLOSE_AFTER_MIN, rotateDemoWhistles } from '../../server/src/whistles/demo.ts';
import { insertWhistle } from '../../server/src/whistles/repository.ts';
import { testScopes } from '../helpers/auth.ts';
import { testPool } from '../helpers/db.ts';

describe('demo whistles', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await pool?.end();
  });

  /** A whistle whose deadline passed `minutesLate` minutes ago: one department on time, one late, one never. */
  async function staleWhistle(synthetic: boolean, minutesLate: number): Promise<{ id: number; departments: number[] }> {
    const { departments: mine } = await testScopes(pool);
    // Departments the other tests do not follow.
    const { rows } = await pool.query<{ id: number }>(`SELECT id FROM department WHERE kind <> 'subdistrict' AND NOT id = ANY($1::int[]) ORDER BY code DESC LIMIT 3`, [mine]);
    const place = (await pool.query<{ lng: number; lat: number; name: string }>(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat, name_zh AS name FROM (SELECT ST_PointOnSurface(geom) AS p, name_zh FROM admin_unit WHERE level = 'subdistrict' ORDER BY code DESC LIMIT 1) x`,
    )).rows[0]!;
    const now = Date.now();
    const deadline = new Date(now - minutesLate * 60_000);
    const calledAt = new Date(deadline.getTime() - 30 * 60_000);
    const id = await withTransaction(pool, (client) =>
      insertWhistle(client, {
        title_zh: `${place.name} · 燃气泄漏联合排查`,
        title_en: 'test · Joint check of a reported gas leak',
        called_by: 'demo',
        called_at: calledAt,
        deadline_at: deadline,
        radius_m: 200,
        lng: place.lng,
        lat: place.lat,
        synthetic,
        calls: [
          { department_id: rows[0]!.id, accepted_at: calledAt, checked_in_at: new Date(calledAt.getTime() + 10 * 60_000) },
          { department_id: rows[1]!.id, accepted_at: calledAt, checked_in_at: new Date(deadline.getTime() + 5 * 60_000) },
          { department_id: rows[2]!.id, accepted_at: calledAt, checked_in_at: null },
        ],
      }),
    );
    return { id, departments: rows.map((r) => r.id) };
  }

  it('closes a synthetic whistle left past its deadline, grades each department by how it arrived, and blows a fresh one of the same kind, both logged', async () => {
    const before = Number((await pool.query('SELECT max(seq)::text AS s FROM event')).rows[0].s);
    const { id, departments } = await staleWhistle(true, DEMO_CLOSE_AFTER_MIN + 1);
    // Any process's sweep may rotate it first; the outcome is the same.
    await rotateDemoWhistles(pool);
    const w = (await pool.query(`SELECT status, closed_by FROM whistle WHERE id = $1`, [id])).rows[0];
    expect(w).toEqual({ status: 'closed', closed_by: 'system:demo' });
    const grades = await pool.query<{ department_id: number; grade: number }>(`SELECT department_id, grade FROM whistle_call WHERE whistle_id = $1`, [id]);
    expect(new Map(grades.rows.map((g) => [g.department_id, g.grade]))).toEqual(new Map([[departments[0], 5], [departments[1], 3], [departments[2], 1]]));

    const { rows: events } = await pool.query<{ seq: number; type: string; subject: string; actor: string }>(
      `SELECT seq::float8 AS seq, type, subject, actor FROM event WHERE seq > $1 AND type LIKE 'whistle.%' ORDER BY seq`,
      [before],
    );
    const closed = events.find((e) => e.subject === `whistle:${id}` && e.type === 'whistle.closed');
    expect(closed?.actor).toBe('system:demo');
    // The replacement is logged in the same statement, right after.
    const created = events.find((e) => e.seq === closed!.seq + 1);
    expect(created?.type).toBe('whistle.created');
    const freshId = Number(created!.subject.split(':')[1]);
    const fresh = (
      await pool.query(
        `SELECT title_zh, status, synthetic, called_at <= now() AS called_before, deadline_at > now() AS deadline_ahead,
                (SELECT bool_and(checked_in_at IS NULL OR checked_in_at <= now()) FROM whistle_call WHERE whistle_id = w.id) AS no_future_check_in
         FROM whistle w WHERE id = $1`,
        [freshId],
      )
    ).rows[0];
    expect(fresh).toMatchObject({ status: 'open', synthetic: true, called_before: true, deadline_ahead: true, no_future_check_in: true });
    expect(fresh.title_zh).toMatch(/ · 燃气泄漏联合排查$/);
  });

  it('leaves a whistle alone until it has stood the grace time past its deadline, and never touches a real one', async () => {
    const recent = await staleWhistle(true, DEMO_CLOSE_AFTER_MIN - 5);
    const real = await staleWhistle(false, 24 * 60);
    await rotateDemoWhistles(pool);
    const { rows } = await pool.query(`SELECT id, status FROM whistle WHERE id = ANY($1::int[]) ORDER BY id`, [[recent.id, real.id]]);
    expect(rows).toEqual([
      { id: recent.id, status: 'open' },
      { id: real.id, status: 'open' },
    ]);
    // Tidy: cancelled, so no other test meets it open.
    await pool.query(`UPDATE whistle SET status = 'cancelled', closed_at = now() WHERE id = $1`, [real.id]);
  });
});
