// Vector tiles through a fresh server process on the demo city, beside the bare ST_AsMVT SQL
// run through `pg` for the same tiles. The tile URLs come from the TileJSON documents: by
// default `/tiles/base.json`, the composite basemap every view loads (one versioned tile per
// z/x/y holding every layer); BENCH_TILEJSON takes comma-separated paths instead (e.g.
// `/tiles/streets.json` for one layer's own tiles, which other clients use).
// Every tile of zooms 12–15 over the district, 4 requests at a time: first pass cold (the
// server just started), second pass warm. The floor runs the tile's SQL (`readTile`, once per
// vector layer the TileJSON names, or the composite statement for composite tiles) with 4
// connections.
import pg from 'pg';
import { TILE_LAYER_IDS, type TileLayerId } from '../../server/src/tiles/layers.ts';
import { readCompositeTile, readTile } from '../../server/src/tiles/repository.ts';
import { httpClient } from './lib/http.ts';
import { quantile, startServerProcess } from './lib/scratch.ts';
import type { BenchContext, BenchResult } from './types.ts';

const ZOOMS = [12, 13, 14, 15];
const CONCURRENCY = 4;

interface TileJsonDoc {
  tiles: string[];
  bounds?: number[];
  minzoom: number;
  maxzoom: number;
  vector_layers: { id: string }[];
}

function lon2x(lon: number, z: number) {
  return Math.floor(((lon + 180) / 360) * 2 ** z);
}
function lat2y(lat: number, z: number) {
  const r = (lat * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
}

interface Job {
  url: string;
  /** One tile holding every layer (`/tiles/v/…/base/…`): its floor is the composite statement. */
  composite: boolean;
  layers: TileLayerId[];
  z: number;
  x: number;
  y: number;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const server = await startServerProcess(ctx.databaseUrl);
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: CONCURRENCY });
  const http = httpClient(server.url);
  try {
    const docs = (process.env.BENCH_TILEJSON ?? '/tiles/base.json').split(',').filter(Boolean);
    const jobs: Job[] = [];
    for (const path of docs) {
      const doc = (await (await fetch(`${server.url}${path}`)).json()) as TileJsonDoc;
      const [w, s, e, n] = doc.bounds ?? [116.29, 39.86, 116.4, 39.96];
      const layers = doc.vector_layers.map((v) => v.id).filter((id): id is TileLayerId => (TILE_LAYER_IDS as readonly string[]).includes(id));
      for (const z of ZOOMS) {
        if (z < doc.minzoom || z > doc.maxzoom) continue;
        for (let x = lon2x(w!, z); x <= lon2x(e!, z); x++) {
          for (let y = lat2y(n!, z); y <= lat2y(s!, z); y++) {
            // The template may be absolute for another host name; keep its path and query.
            const u = new URL(doc.tiles[0]!.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y)));
            jobs.push({ url: `${u.pathname}${u.search}`, composite: /\/base\//.test(u.pathname), layers, z, x, y });
          }
        }
      }
    }
    ctx.log(`tiles: ${jobs.length} tiles from ${docs.length} TileJSON documents, ${CONCURRENCY} at a time …`);
    const fetchTile = async (j: Job) => {
      const res = await http.get(j.url);
      if (res.status !== 200 && res.status !== 204) throw new Error(`${j.url} answered ${res.status}`);
    };
    const sql = async (j: Job) => {
      if (j.composite) await readCompositeTile(pool, j.z, j.x, j.y);
      else for (const layer of j.layers) await readTile(pool, layer, j.z, j.x, j.y);
    };
    // Both sides open their connections and plan their statements on the first 20 tiles; the
    // rest are measured, so "cold" means tiles the server has not made yet, not a server that
    // has not made any.
    const [warmUp, measured] = [jobs.slice(0, 20), jobs.slice(20)];
    await pass(warmUp, fetchTile);
    const cold = await pass(measured, fetchTile);
    const warm = await pass(measured, fetchTile);
    await pass(warmUp, sql);
    const floor = await pass(measured, sql);
    const floorName = `the same ST_AsMVT SQL through pg (${CONCURRENCY} connections)`;
    return [
      { name: `tiles cold p50, ${measured.length} tiles z12–15, ${CONCURRENCY} at a time`, value: cold.p50, floor: floor.p50, floorName, minRatio: 1 / 1.3 },
      { name: 'tiles cold throughput', value: cold.rate, floor: floor.rate, floorName, unit: 'tiles/s', higherIsBetter: true },
      { name: 'tiles warm p50', value: warm.p50, floor: floor.p50, floorName },
      { name: 'tiles warm throughput', value: warm.rate, floor: floor.rate, floorName, unit: 'tiles/s', higherIsBetter: true, minRatio: 5 },
    ];
  } finally {
    http.close();
    await server.stop();
    await pool.end();
  }
}

async function pass(jobs: Job[], fn: (j: Job) => Promise<void>): Promise<{ p50: number; rate: number }> {
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < jobs.length) {
        const j = jobs[next++]!;
        const t = performance.now();
        await fn(j);
        times.push(performance.now() - t);
      }
    }),
  );
  return { p50: quantile(times, 0.5), rate: jobs.length / ((performance.now() - t0) / 1000) };
}
