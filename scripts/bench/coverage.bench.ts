// Service coverage against pgRouting's pgr_drivingDistance on the same origins, in the same run.
// pgr_drivingDistance is the floor to beat: it loads the whole edge table from SQL on every call.
// Ours is measured warm (after some unmeasured runs), as a server answers after its first minute.
import { loadConfig } from '../../server/src/config.ts';
import { createServer } from '../../server/src/create-server.ts';
import { reach, reachedEdgeParts } from '../../server/src/coverage/graph.ts';
import { isochroneFromParts } from '../../server/src/coverage/isochrone.ts';
import { anchorSources, coveredMask, reachFrom, summarize } from '../../server/src/coverage/model.ts';
import { CoverageService } from '../../server/src/coverage/service.ts';
import { medianMs, type BenchContext, type BenchResult } from './types.ts';

const METRES = 15 * 60 * 1.2; // a 15-minute walk at 1.2 m/s
const EDGES_SQL = 'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM walk_edge';

export async function run({ databaseUrl, pool, log }: BenchContext): Promise<BenchResult[]> {
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
  log(`graph ${graph.nodeIds.length} nodes, ${graph.edgeIds.length} edges; ${model.buildings.id.length} buildings; kind ${kind} with ${facilities.length} facilities; load ${loadMs.toFixed(0)} ms`);

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
  return [
    { name: 'load the city into memory (once per data version)', value: loadMs, floor: null },
    { name: 'one 15-min reach', value: oneReach, floor: pgrOne, floorName: pgrName, target: 10, minRatio: 5 },
    { name: 'one 15-min isochrone polygon (reach + polygon)', value: onePolygon, floor: pgrPolygon, floorName: 'pgr_drivingDistance + ST_Buffer of reached edges', target: 50, minRatio: 5 },
    { name: `all ${facilities.length} ${kind} isochrones: reach`, value: allReach, floor: pgrAll, floorName: `${pgrName} (equicost)`, minRatio: 5 },
    { name: `all ${facilities.length} ${kind} isochrones: reach + union polygon`, value: allPolygon, floor: pgrAll, floorName: `${pgrName} (equicost)` },
    { name: `full coverage recompute, ${kind} (3 levels)`, value: coverage, floor: pgrAll, floorName: `${pgrName} (equicost)`, target: 1000, minRatio: 5 },
    { name: 'one what-if through the API (HTTP)', value: whatIf, floor: pgrAll, floorName: `${pgrName} (equicost)`, target: 100, minRatio: 5 },
  ];
}
