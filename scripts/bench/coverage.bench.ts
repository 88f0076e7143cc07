// Service coverage against pgRouting's pgr_drivingDistance on the same origins, in the same run.
// pgr_drivingDistance is the floor to beat: it loads the whole edge table from SQL on every call.
// Ours is measured warm (after some unmeasured runs), as a server answers after its first minute.
import pg from 'pg';
import { loadConfig } from '../../server/src/config.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { ensureExtensions, withDatabase } from '../../server/src/db/provision.ts';
import { createServer } from '../../server/src/create-server.ts';
import { reach, reachedEdgeParts } from '../../server/src/coverage/graph.ts';
import { isochroneFromParts } from '../../server/src/coverage/isochrone.ts';
import { anchorSources, coveredMask, reachFrom, summarize } from '../../server/src/coverage/model.ts';
import { CoverageService } from '../../server/src/coverage/service.ts';
import { medianMs, type BenchContext, type BenchResult } from './types.ts';

const METRES = 15 * 60 * 1.2; // a 15-minute walk at 1.2 m/s
const EDGES_SQL = 'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM walk_edge';

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results = await scenario('demo city', ctx.databaseUrl, ctx.pool, ctx.log);
  if (process.env.BENCH_GRID !== '0') results.push(...(await gridScenario(ctx)));
  return results;
}

/**
 * The same measurements on a synthetic 250 × 250 street grid (62,500 nodes, 124,500 edges of
 * 80 m) with 50,000 buildings and 300 facilities, in a scratch database: the size at which
 * pgr_drivingDistance's cost of loading the graph per call shows. `BENCH_GRID=0` skips it.
 */
async function gridScenario({ databaseUrl, log }: BenchContext): Promise<BenchResult[]> {
  const name = `cityops_bench_grid_${process.pid}`;
  const admin = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(databaseUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // Dropping the scratch database at the end ends its idle connections; that is expected.
  pool.on('error', () => {});
  try {
    log('building the synthetic 125,000-edge grid …');
    const client = await pool.connect();
    try {
      await ensureExtensions(client);
      await migrate(client);
      const side = 250;
      const step = 80; // metres between crossings
      const dLon = step / 85_300;
      const dLat = step / 111_000;
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO admin_unit (level, code, name_zh, name_en, synthetic, geom)
         VALUES ('district', 'BENCH', '基准网格', 'Benchmark grid', true, ST_Multi(ST_MakeEnvelope(116.2, 39.8, 116.2 + $1::float8, 39.8 + $2::float8, 4326)))`,
        [dLon * (side - 1), dLat * (side - 1)],
      );
      await client.query(
        `INSERT INTO walk_node (id, geom) SELECT y * $1 + x + 1, ST_SetSRID(ST_MakePoint(116.2 + x * $2::float8, 39.8 + y * $3::float8), 4326)
           FROM generate_series(0, $1 - 1) x, generate_series(0, $1 - 1) y`,
        [side, dLon, dLat],
      );
      await client.query(
        `INSERT INTO walk_edge (source, target, length_m, cost_s, kind, synthetic, geom)
         SELECT a.id, b.id, ST_Distance(a.geom::geography, b.geom::geography), ST_Distance(a.geom::geography, b.geom::geography) / 1.2, 'secondary', true, ST_MakeLine(a.geom, b.geom)
           FROM walk_node a JOIN walk_node b ON (b.id = a.id + 1 AND a.id % $1 <> 0) OR b.id = a.id + $1`,
        [side],
      );
      await client.query(
        `INSERT INTO building (floors, households, population, synthetic, geom)
         SELECT 6, 40, 20 + (i * 7919) % 180, true, ST_Expand(ST_SetSRID(ST_MakePoint(116.2 + ((i * 104729) % 100000) / 100000.0 * $1::float8, 39.8 + ((i * 130363) % 100000) / 100000.0 * $2::float8), 4326), 0.0001)::geometry(Polygon, 4326)
           FROM generate_series(1::bigint, 50000) i`,
        [dLon * (side - 1), dLat * (side - 1)],
      );
      await client.query(
        `INSERT INTO facility (kind, name, synthetic, geom)
         SELECT 'public_toilet', 'T' || i, true, ST_SetSRID(ST_MakePoint(116.2 + ((i * 7907) % 1000) / 1000.0 * $1::float8, 39.8 + ((i * 6551) % 1000) / 1000.0 * $2::float8), 4326)
           FROM generate_series(1::bigint, 300) i`,
        [dLon * (side - 1), dLat * (side - 1)],
      );
      await client.query('COMMIT');
      await client.query('VACUUM ANALYZE');
    } finally {
      client.release();
    }
    return await scenario('125k-edge grid', url, pool, log);
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function scenario(label: string, databaseUrl: string, pool: pg.Pool, log: (msg: string) => void): Promise<BenchResult[]> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const service = new CoverageService(pool, { walkSpeed: 1.2, snapLimit: config.coverage.snapLimitM, isochroneBuffer: config.coverage.isochroneBufferM });
  const t0 = performance.now();
  const model = await service.current();
  const loadMs = performance.now() - t0;
  const { graph } = model;
  // The kind with the most facilities: the heaviest "all isochrones of a kind".
  const counts = new Map<string, number>();
  for (const f of model.facilities) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  const kind = process.env.BENCH_KIND ?? [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!kind) throw new Error('the database has no facilities: load the demo city first (`npm run setup`)');
  const facilities = model.facilities.filter((f) => f.kind === kind && f.edge >= 0);
  log(`${label}: graph ${graph.nodeIds.length} nodes, ${graph.edgeIds.length} edges; ${model.buildings.id.length} buildings; kind ${kind} with ${facilities.length} facilities; load ${loadMs.toFixed(0)} ms`);

  // Origins: the street ends nearest to twenty facilities of the kind.
  const origins = [...new Set(facilities.map((f) => graph.edgeSource[f.edge]!))].slice(0, 20);
  const originIds = origins.map((v) => graph.nodeIds[v]!);
  let k = 0;
  const oneReach = await medianMs(() => reach(graph, [{ node: origins[k++ % origins.length]!, offset: 0 }], METRES), 40, 10);
  k = 0;
  const pgrOne = await medianMs(() => pool.query('SELECT count(*) FROM pgr_drivingDistance($1, $2::bigint, $3::float8, directed => false)', [EDGES_SQL, originIds[k++ % originIds.length], METRES]), 8, 1);
  log(`one reach ${oneReach.toFixed(2)} ms, pgr ${pgrOne.toFixed(1)} ms`);

  k = 0;
  const onePolygon = await medianMs(() => {
    const r = reach(graph, [{ node: origins[k++ % origins.length]!, offset: 0 }], METRES);
    return isochroneFromParts(model.shapes, reachedEdgeParts(graph, r), config.coverage.isochroneBufferM, (2 * model.snapLimit) ** 2);
  }, 40, 10);
  k = 0;
  // The same polygon the SQL way: pgr_drivingDistance, then the reached streets buffered by PostGIS.
  const pgrPolygon = await medianMs(
    () =>
      pool.query(
        `WITH dd AS (SELECT node, agg_cost FROM pgr_drivingDistance($1, $2::bigint, $3::float8, directed => false))
         SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_Collect(ST_Transform(e.geom, 32650)), $4::float8, 'quad_segs=2'), 4326))
           FROM walk_edge e JOIN dd s ON s.node = e.source JOIN dd t ON t.node = e.target`,
        [EDGES_SQL, originIds[k++ % originIds.length], METRES, config.coverage.isochroneBufferM],
      ),
    8,
    1,
  );
  log(`one polygon ${onePolygon.toFixed(2)} ms, SQL ${pgrPolygon.toFixed(1)} ms`);

  // Every facility of the kind at once: one multi-source search (and its one polygon).
  const allStarts = anchorSources(graph, facilities);
  const allIds = [...new Set(allStarts.map((s) => graph.nodeIds[s.node]!))];
  const allReach = await medianMs(() => reach(graph, allStarts, METRES), 20, 5);
  const allPolygon = await medianMs(() => {
    const r = reachFrom(model, facilities, METRES);
    return isochroneFromParts(model.shapes, reachedEdgeParts(graph, r), config.coverage.isochroneBufferM, (2 * model.snapLimit) ** 2);
  }, 8, 2);
  const pgrAll = await medianMs(() => pool.query('SELECT count(*) FROM pgr_drivingDistance($1, $2::bigint[], $3::float8, directed => false, equicost => true)', [EDGES_SQL, allIds, METRES]), 5, 1);
  log(`all ${facilities.length} reach ${allReach.toFixed(2)} ms, with polygon ${allPolygon.toFixed(1)} ms, pgr ${pgrAll.toFixed(1)} ms`);

  // A full coverage recompute for the kind: search, every building, every unit at three levels.
  const coverage = await medianMs(() => summarize(model, coveredMask(model, reachFrom(model, facilities, METRES)), ['subdistrict', 'community', 'grid']), 20, 5);
  log(`coverage recompute ${coverage.toFixed(2)} ms`);

  // A what-if through the HTTP API: snap the candidate in PostGIS, search twice, sum, draw its isochrone.
  const server = await createServer({ ...config, port: 0, host: '127.0.0.1', logLevel: 'silent' });
  let whatIf = 0;
  try {
    await server.listen({ port: 0, host: '127.0.0.1' });
    const address = server.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const { rows } = await pool.query<{ lon: number; lat: number }>(
      `SELECT ST_X(b.centroid) AS lon, ST_Y(b.centroid) AS lat FROM building b JOIN admin_unit d ON d.level = 'district' AND ST_Contains(d.geom, b.centroid) ORDER BY b.id LIMIT 40`,
    );
    let i = 0;
    const post = async () => {
      const p = rows[i++ % rows.length]!;
      const res = await fetch(`${url}/api/coverage/what-if`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind, minutes: 15, add: [{ lon: p.lon, lat: p.lat }] }),
      });
      await res.arrayBuffer();
    };
    whatIf = await medianMs(post, 30, 10);
    log(`what-if via API ${whatIf.toFixed(1)} ms`);
  } finally {
    await server.close();
  }

  const pgrName = 'pgr_drivingDistance, same origins';
  const results: BenchResult[] = [
    { name: 'load the city into memory (once per data version)', value: loadMs, floor: null },
    { name: 'one 15-min reach', value: oneReach, floor: pgrOne, floorName: pgrName, target: 10, minRatio: 5 },
    { name: 'one 15-min isochrone polygon (reach + polygon)', value: onePolygon, floor: pgrPolygon, floorName: 'pgr_drivingDistance + ST_Buffer of reached edges', target: 50, minRatio: 5 },
    { name: `all ${facilities.length} ${kind} isochrones: reach`, value: allReach, floor: pgrAll, floorName: `${pgrName} (equicost)`, minRatio: 5 },
    { name: `all ${facilities.length} ${kind} isochrones: reach + union polygon`, value: allPolygon, floor: pgrAll, floorName: `${pgrName} (equicost)` },
    { name: `full coverage recompute, ${kind} (3 levels)`, value: coverage, floor: pgrAll, floorName: `${pgrName} (equicost)`, target: 1000, minRatio: 5 },
    { name: 'one what-if through the API (HTTP)', value: whatIf, floor: pgrAll, floorName: `${pgrName} (equicost)`, target: 100, minRatio: 5 },
  ];
  return results.map((r) => ({ ...r, name: `${label}: ${r.name}` }));
}
