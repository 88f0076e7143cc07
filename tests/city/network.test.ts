import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';

describe('the generated walking network', () => {
  let db: pg.Pool;
  beforeAll(() => { db = testPool(); });
  afterAll(() => db.end());

  it('is one connected component holding more than 99% of the edges, by pgRouting', async () => {
    const { rows } = await db.query(
      `WITH c AS (SELECT node, component FROM pgr_connectedComponents('SELECT id, source, target, cost_s AS cost, cost_s AS reverse_cost FROM walk_edge WHERE synthetic'))
       SELECT c.component, count(*)::int AS edges FROM walk_edge e JOIN c ON c.node = e.source WHERE e.synthetic GROUP BY c.component ORDER BY edges DESC`,
    );
    const total = rows.reduce((s, r) => s + r.edges, 0);
    expect(total).toBeGreaterThan(3000);
    expect(rows[0].edges / total).toBeGreaterThan(0.99);
  });

  it('is one connected component by an independent union-find over the exported edges', async () => {
    const { rows } = await db.query<{ source: string; target: string }>(`SELECT source, target FROM walk_edge WHERE synthetic`);
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    for (const { source, target } of rows) {
      if (!parent.has(source)) parent.set(source, source);
      if (!parent.has(target)) parent.set(target, target);
      parent.set(find(source), find(target));
    }
    const sizes = new Map<string, number>();
    for (const { source } of rows) sizes.set(find(source), (sizes.get(find(source)) ?? 0) + 1);
    expect(Math.max(...sizes.values()) / rows.length).toBeGreaterThan(0.99);
  });

  it('is noded: edges meet only at shared nodes whose points are the edge ends, never crossing mid-segment', async () => {
    const { rows: [ends] } = await db.query(
      `SELECT count(*)::int AS bad FROM walk_edge e JOIN walk_node s ON s.id = e.source JOIN walk_node t ON t.id = e.target
       WHERE e.synthetic AND (NOT ST_Equals(ST_StartPoint(e.geom), s.geom) OR NOT ST_Equals(ST_EndPoint(e.geom), t.geom))`,
    );
    expect(ends.bad).toBe(0);
    const { rows: [cross] } = await db.query(
      `SELECT count(*)::int AS n FROM walk_edge a JOIN walk_edge b ON a.id < b.id AND a.geom && b.geom AND ST_Crosses(a.geom, b.geom)
       WHERE a.synthetic AND b.synthetic`,
    );
    expect(cross.n).toBe(0);
  });

  it('measures edges in metres on the spheroid and costs them at 1.2 m/s', async () => {
    const { rows: [r] } = await db.query(
      `SELECT max(abs(length_m - ST_Length(geom::geography))) AS len_err, max(abs(cost_s - length_m / 1.2)) AS cost_err,
              min(length_m) AS shortest, sum(length_m) / 1000 AS km FROM walk_edge WHERE synthetic`,
    );
    expect(r.len_err).toBeLessThan(0.01);
    expect(r.cost_err).toBeLessThan(0.01);
    expect(r.shortest).toBeGreaterThan(1);
    expect(r.km).toBeGreaterThan(300);
  });

  it('looks like old Beijing: arterials, secondary streets, and short hutong segments packed in the old city', async () => {
    const { rows } = await db.query(
      `SELECT kind, count(*)::int AS n, avg(length_m)::float8 AS mean_m,
              avg(CASE WHEN ST_X(ST_Centroid(geom)) > 116.3565 AND ST_Y(ST_Centroid(geom)) < 39.948 THEN 1 ELSE 0 END)::float8 AS in_old_city
       FROM walk_edge WHERE synthetic GROUP BY kind`,
    );
    const by = Object.fromEntries(rows.map((r) => [r.kind, r]));
    for (const k of ['arterial', 'secondary', 'hutong']) expect(by[k]?.n, k).toBeGreaterThan(300);
    expect(by.hutong.mean_m).toBeLessThan(by.secondary.mean_m);
    expect(by.hutong.in_old_city).toBeGreaterThan(0.9);
    // Hutongs are dense: in the old city there is more hutong than secondary street per km².
    const { rows: [dens] } = await db.query(
      `SELECT sum(length_m) FILTER (WHERE kind = 'hutong') AS hutong_m, sum(length_m) FILTER (WHERE kind = 'secondary') AS secondary_m
       FROM walk_edge WHERE synthetic AND ST_Intersects(geom, ST_MakeEnvelope(116.366, 39.9335, 116.39, 39.948, 4326))`,
    );
    expect(dens.hutong_m).toBeGreaterThan(dens.secondary_m);
  });

  it('stays out of the lakes', async () => {
    const { rows: [r] } = await db.query(
      `SELECT count(*)::int AS n FROM walk_edge e JOIN land_cover w ON w.kind = 'water' AND ST_Intersects(e.geom, ST_Buffer(w.geom, -0.0001))
       WHERE e.synthetic AND w.synthetic`,
    );
    expect(r.n).toBe(0);
  });
});
