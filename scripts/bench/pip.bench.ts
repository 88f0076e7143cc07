// Point in polygon: placing N random cases (default 1,000,000; BENCH_PIP_N) into the demo
// city's 1,309 grids in one statement, through the placement intake uses (`case_assign`,
// asked for the grid), beside the bare SQL join of the points with the grid polygons
// (`JOIN admin_unit ON level = 'grid' AND ST_Covers`). A second row times the full placement
// (district, subdistrict, community, grid and the nearest building within 300 m) on
// BENCH_PIP_FULL_N points (default 100,000), with no floor: nothing simpler gives the same
// answer. The points live in a temporary table, so nothing is written to the city.
import type pg from 'pg';
import type { BenchContext, BenchResult } from './types.ts';

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const n = Number(process.env.BENCH_PIP_N ?? 1_000_000);
  const fullN = Number(process.env.BENCH_PIP_FULL_N ?? 100_000);
  const client = await ctx.pool.connect();
  try {
    await client.query('SET jit = off');
    const { rows } = await client.query("SELECT ST_XMin(geom) x0, ST_YMin(geom) y0, ST_XMax(geom) x1, ST_YMax(geom) y1 FROM admin_unit WHERE level = 'district'");
    const { x0, y0, x1, y1 } = rows[0];
    ctx.log(`pip: ${n.toLocaleString('en-US')} random points over the district …`);
    await client.query('DROP TABLE IF EXISTS bench_pip_point');
    await client.query(
      `CREATE TEMP TABLE bench_pip_point AS
       SELECT i, ST_SetSRID(ST_MakePoint($2::float8 + random() * ($4::float8 - $2::float8), $3::float8 + random() * ($5::float8 - $3::float8)), 4326) AS g
       FROM generate_series(1, $1::integer) i`,
      [n, x0, y0, x1, y1],
    );
    await client.query('ANALYZE bench_pip_point');
    const timed = async (sql: string) => {
      const t0 = performance.now();
      const r = await client.query(sql);
      return { ms: performance.now() - t0, rows: r.rows };
    };
    // `case_assign` is an SQL function the planner inlines, so each reference to one of its
    // columns is its own subquery: `count(a.grid_id), sum(a.grid_id)` ran the grid lookup twice a
    // point (0.46× of the floor on 2026-12-02, for that reason alone). Intake reads each column
    // once (one INSERT … SELECT); so does this, behind `OFFSET 0`, which keeps the inner query
    // from being merged into the outer one.
    const ours = `SELECT count(s.grid_id) AS placed, sum(s.grid_id) AS checksum
                  FROM (SELECT a.grid_id FROM bench_pip_point p CROSS JOIN LATERAL case_assign(p.g) a OFFSET 0) s`;
    const floor = `SELECT count(x.id) AS placed, sum(x.id) AS checksum FROM bench_pip_point p
                   LEFT JOIN LATERAL (SELECT min(a.id) AS id FROM admin_unit a WHERE a.level = 'grid' AND ST_Covers(a.geom, p.g)) x ON true`;
    // Warm both (caches, plans), then alternate three runs each and keep the medians.
    await timed(ours.replace('bench_pip_point p', '(SELECT * FROM bench_pip_point LIMIT 10000) p'));
    await timed(floor.replace('bench_pip_point p', '(SELECT * FROM bench_pip_point LIMIT 10000) p'));
    const oursMs: number[] = [];
    const floorMs: number[] = [];
    let checks: [unknown, unknown] = [null, null];
    for (let i = 0; i < 3; i++) {
      ctx.log(`pip: run ${i + 1} of 3 …`);
      const a = await timed(ours);
      const b = await timed(floor);
      oursMs.push(a.ms);
      floorMs.push(b.ms);
      checks = [a.rows[0], b.rows[0]];
    }
    if (JSON.stringify(checks[0]) !== JSON.stringify(checks[1])) throw new Error(`placement and the bare join disagree: ${JSON.stringify(checks)}`);
    const med = (v: number[]) => [...v].sort((p, q) => p - q)[1]!;
    ctx.log(`pip: full placement of ${fullN.toLocaleString('en-US')} points …`);
    const full = `SELECT count(*) FROM (SELECT * FROM bench_pip_point LIMIT ${Math.floor(fullN)}) p CROSS JOIN LATERAL case_assign(p.g) a
                  WHERE a.out_of_area IS NOT NULL AND (a.building_id IS NULL OR a.building_id > 0) AND (a.subdistrict_id IS NULL OR a.community_id IS NOT NULL)`;
    const fullMs: number[] = [];
    for (let i = 0; i < 3; i++) fullMs.push((await timed(full)).ms);
    await client.query('DROP TABLE bench_pip_point');
    const label = n === 1_000_000 ? '1M' : n.toLocaleString('en-US');
    return [
      {
        name: `point in polygon: ${label} cases into 1,309 grids, one statement (median of 3)`,
        value: med(oursMs),
        floor: med(floorMs),
        floorName: "bare SQL join with the grid polygons (ST_Covers, lowest id)",
        minRatio: 1 / 1.2,
      },
      {
        name: `point in polygon: full placement (4 levels + nearest building), ${fullN.toLocaleString('en-US')} cases, per 1,000`,
        value: (med(fullMs) / fullN) * 1000,
        floor: null,
        floorName: 'none simpler gives the same answer',
      },
    ];
  } finally {
    client.release();
  }
}
