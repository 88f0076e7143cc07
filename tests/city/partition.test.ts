import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';

// The run's test database holds the city generated with the test seed.
const PLURAL = { subdistrict: 'subdistricts', community: 'communities', grid: 'grids' } as const;
const LEVELS = [
  ['subdistrict', 'district'],
  ['community', 'subdistrict'],
  ['grid', 'community'],
] as const;

describe('the generated administrative units', () => {
  let db: pg.Pool;
  beforeAll(() => { db = testPool(); });
  afterAll(() => db.end());

  it('have the real names and codes: 15 subdistricts, 263 communities, and about a thousand grids coded under their community', async () => {
    const { rows } = await db.query(`SELECT level, count(*)::int AS n FROM admin_unit GROUP BY level`);
    const n = Object.fromEntries(rows.map((r) => [r.level, r.n]));
    expect(n).toMatchObject({ district: 1, subdistrict: 15, community: 263 });
    expect(n.grid).toBeGreaterThanOrEqual(1000);
    expect(n.grid).toBeLessThanOrEqual(1600);
    const bad = await db.query(
      `SELECT g.code FROM admin_unit g JOIN admin_unit c ON c.id = g.parent_id
       WHERE g.level = 'grid' AND (c.level <> 'community' OR left(g.code, 12) <> c.code OR length(g.code) <> 14)`,
    );
    expect(bad.rows).toEqual([]);
    const community = await db.query(
      `SELECT c.name_zh, s.name_zh AS sub FROM admin_unit c JOIN admin_unit s ON s.id = c.parent_id WHERE c.code = '110102012001'`,
    );
    expect(community.rows[0]?.sub).toBe('什刹海街道');
  });

  for (const [child, parent] of LEVELS) {
    describe(`${child} polygons`, () => {
      it(`cover each ${parent}: the areas of its ${PLURAL[child]} sum to its area within 0.1%, and their union leaves no gap wider than a millimetre`, async () => {
        const { rows } = await db.query(
          `SELECT p.code, ST_Area(p.geom::geography) AS parent_m2, sum(ST_Area(c.geom::geography)) AS children_m2
           FROM admin_unit p JOIN admin_unit c ON c.parent_id = p.id AND c.level = $1
           WHERE p.level = $2 GROUP BY p.id`,
          [child, parent],
        );
        expect(rows.length).toBeGreaterThan(0);
        for (const r of rows) expect(Math.abs(r.children_m2 - r.parent_m2) / r.parent_m2, r.code).toBeLessThan(0.001);
        // Union and difference leave floating-point slivers along shared edges; what matters is
        // that none of them is a real gap or overlap: their widest inscribed circle is nanometres.
        const { rows: [w] } = await db.query(
          `WITH d AS (
             SELECT (ST_Dump(ST_SymDifference(ST_Union(c.geom), p.geom))).geom AS g
             FROM admin_unit p JOIN admin_unit c ON c.parent_id = p.id AND c.level = $1 WHERE p.level = $2 GROUP BY p.id)
           SELECT COALESCE(max((ST_MaximumInscribedCircle(g)).radius), 0) * 111000 AS widest_m FROM d`,
          [child, parent],
        );
        expect(w.widest_m).toBeLessThan(0.001);
      });

      it(`do not overlap one another`, async () => {
        const { rows } = await db.query(
          `SELECT COALESCE(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) AS overlap_m2, count(*)::int AS touching
           FROM admin_unit a JOIN admin_unit b ON a.level = $1 AND b.level = $1 AND a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)`,
          [child],
        );
        // Neighbours share edges (so they do touch), but the shared part has no area.
        expect(rows[0].touching).toBeGreaterThan(0);
        expect(rows[0].overlap_m2).toBeLessThan(1);
      });

      it(`each lie inside their ${parent}`, async () => {
        const { rows } = await db.query(
          `SELECT c.code, ST_Area(ST_Difference(c.geom, p.geom)::geography) AS outside_m2
           FROM admin_unit c JOIN admin_unit p ON p.id = c.parent_id
           WHERE c.level = $1 AND NOT ST_CoveredBy(c.geom, p.geom)`,
          [child],
        );
        // Anything not covered exactly must be floating-point dust, far below a square metre.
        for (const r of rows) expect(r.outside_m2, r.code).toBeLessThan(0.01);
        const empty = await db.query(`SELECT code FROM admin_unit WHERE level = $1 AND (ST_IsEmpty(geom) OR NOT ST_IsValid(geom))`, [child]);
        expect(empty.rows).toEqual([]);
      });
    });
  }

  it('carry populations that add up: building → grid → community → subdistrict → district, about 1.1 million', async () => {
    const { rows: mismatch } = await db.query(
      `SELECT p.level, p.code, p.population, sum(c.population) AS children
       FROM admin_unit p JOIN admin_unit c ON c.parent_id = p.id
       GROUP BY p.id HAVING p.population IS DISTINCT FROM sum(c.population)::int`,
    );
    expect(mismatch).toEqual([]);
    const { rows: grids } = await db.query(
      `SELECT g.code FROM admin_unit g LEFT JOIN (SELECT grid_id, sum(population) AS p FROM building GROUP BY grid_id) b ON b.grid_id = g.id
       WHERE g.level = 'grid' AND g.population IS DISTINCT FROM COALESCE(b.p, 0)::int`,
    );
    expect(grids).toEqual([]);
    // Independently of grid_id: the buildings whose centre lies in each subdistrict.
    const { rows: subs } = await db.query(
      `SELECT s.code, s.population, (SELECT COALESCE(sum(b.population), 0)::int FROM building b WHERE ST_Covers(s.geom, b.centroid)) AS inside
       FROM admin_unit s WHERE s.level = 'subdistrict'`,
    );
    for (const s of subs) expect(s.inside, s.code).toBe(s.population);
    const { rows: [d] } = await db.query(`SELECT population, (SELECT sum(population)::int FROM building) AS b FROM admin_unit WHERE level = 'district'`);
    expect(d.population).toBe(d.b);
    expect(d.population).toBeGreaterThan(1_080_000);
    expect(d.population).toBeLessThan(1_120_000);
  });

  it('are all marked synthetic except the real district outline', async () => {
    const { rows } = await db.query(`SELECT level, bool_and(synthetic) AS all_syn, bool_or(synthetic) AS any_syn FROM admin_unit GROUP BY level`);
    const by = Object.fromEntries(rows.map((r) => [r.level, r]));
    expect(by.district.any_syn).toBe(false);
    for (const l of ['subdistrict', 'community', 'grid']) expect(by[l].all_syn).toBe(true);
  });
});
