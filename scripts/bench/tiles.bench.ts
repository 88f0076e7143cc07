// Vector tiles through a fresh server process on the demo city, beside the bare ST_AsMVT SQL
// run through `pg` for the same tiles. The tile URLs come from the TileJSON documents
// (`/tiles/<layer>.json` for every basemap layer, or the comma-separated paths in
// BENCH_TILEJSON), so versioned or composite URLs are measured as a screen would fetch them.
// Every tile of zooms 12–15 over the district, 4 requests at a time: first pass cold (the
// server just started), second pass warm. The floor runs the tile's SQL (`readTile`, once per
// vector layer the TileJSON names) with 4 connections.
import pg from 'pg';
import { TILE_LAYER_IDS, type TileLayerId } from '../../server/src/tiles/layers.ts';
import { readTile } from '../../server/src/tiles/repository.ts';
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
  layers: TileLayerId[];
  z: number;
  x: number;
  y: number;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const server = await startServerProcess(ctx.databaseUrl);
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: CONCURRENCY });
  try {
    const docs = (process.env.BENCH_TILEJSON ?? TILE_LAYER_IDS.map((l) => `/tiles/${l}.json`).join(',')).split(',').filter(Boolean);
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
            jobs.push({ url: `${server.url}${u.pathname}${u.search}`, layers, z, x, y });
          }
        }
      }
    }
    ctx.log(`tiles: ${jobs.length} tiles from ${docs.length} TileJSON documents, ${CONCURRENCY} at a time …`);
    const fetchTile = async (j: Job) => {
      const res = await fetch(j.url);
      if (res.status !== 200 && res.status !== 204) throw new Error(`${j.url} answered ${res.status}`);
      await res.arrayBuffer();
    };
    const cold = await pass(jobs, fetchTile);
    const warm = await pass(jobs, fetchTile);
    const sql = async (j: Job) => {
      for (const layer of j.layers) await readTile(pool, layer, j.z, j.x, j.y);
    };
    await pass(jobs.slice(0, 20), sql); // the floor's connections and plans warm
    const floor = await pass(jobs, sql);
    const floorName = `the same ST_AsMVT SQL through pg (${CONCURRENCY} connections)`;
    return [
      { name: `tiles cold p50, ${jobs.length} tiles z12–15, ${CONCURRENCY} at a time`, value: cold.p50, floor: floor.p50, floorName, minRatio: 1 / 1.3 },
      { name: 'tiles cold throughput', value: cold.rate, floor: floor.rate, floorName, unit: 'tiles/s', higherIsBetter: true },
      { name: 'tiles warm p50', value: warm.p50, floor: floor.p50, floorName },
      { name: 'tiles warm throughput', value: warm.rate, floor: floor.rate, floorName, unit: 'tiles/s', higherIsBetter: true, minRatio: 5 },
    ];
  } finally {
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
