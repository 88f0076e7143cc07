import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';

/**
 * A facility farther than the snap limit (CITYOPS_SNAP_LIMIT_M, 150 m) from every street would
 * count as present and reach nobody; the generator puts such sites at their gates.
 */
const SNAP_LIMIT_M = 150;

describe('demo facilities on the walking network', () => {
  let db: pg.Pool;
  beforeAll(() => {
    db = testPool();
  });
  afterAll(async () => {
    await db?.end();
  });

  it('places no facility beyond the snap limit from a walkable street', async () => {
    const { rows } = await db.query<{ name: string; kind: string; d: number }>(
      `SELECT f.name, f.kind, s.d FROM facility f
       CROSS JOIN LATERAL (SELECT min(ST_Distance(e.geom::geography, f.geom::geography)) AS d
                           FROM (SELECT geom FROM walk_edge ORDER BY geom <-> f.geom LIMIT 16) e) s
       WHERE f.synthetic AND s.d > $1`,
      [SNAP_LIMIT_M],
    );
    expect(rows.map((r) => `${r.kind} ${r.name} ${Math.round(r.d)} m`)).toEqual([]);
    const { rows: n } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM facility WHERE synthetic');
    expect(n[0]!.n).toBeGreaterThan(1000);
  });

  it('keeps a large park whose centre lies far from any street on its own grounds, within reach of a street', async () => {
    const { rows } = await db.query<{ on_grounds: boolean; street_m: number }>(
      `SELECT ST_AsText(f.geom) AS at, EXISTS (SELECT 1 FROM land_cover g WHERE g.kind = 'green' AND g.name = f.name AND ST_DWithin(g.geom::geography, f.geom::geography, 1)) AS on_grounds,
              (SELECT min(ST_Distance(e.geom::geography, f.geom::geography)) FROM (SELECT geom FROM walk_edge ORDER BY geom <-> f.geom LIMIT 16) e) AS street_m
       FROM facility f WHERE f.name = '北海公园'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.on_grounds, JSON.stringify(rows[0])).toBe(true);
    expect(rows[0]!.street_m).toBeLessThanOrEqual(SNAP_LIMIT_M);
  });
});
