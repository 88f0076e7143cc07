// Case intake under load, through a server process of its own on a scratch demo city:
// `/api/cases/batch` (batches of 500, 4 in flight), single `POST /api/cases` at concurrency 16,
// and Open311 `POST /open311/v2/requests.json` at concurrency 16, each beside the floor: the
// same number of rows stored by one set-based INSERT … SELECT with the same placement
// (`case_assign`) straight in SQL, with no HTTP, validation, idempotency look-up or event log.
// BENCH_INTAKE_S sets the batch run's length (default 60 s), BENCH_INTAKE_SINGLE_S the
// single and Open311 runs' (default 20 s).
import pg from 'pg';
import { httpClient } from './lib/http.ts';
import { districtPoints, scratchCity, startServerProcess } from './lib/scratch.ts';
import type { BenchContext, BenchResult } from './types.ts';

const BATCH = 500;
const FLOOR_ROWS = 10_000;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const batchSeconds = Number(process.env.BENCH_INTAKE_S ?? 60);
  const singleSeconds = Number(process.env.BENCH_INTAKE_SINGLE_S ?? 20);
  const city = await scratchCity(ctx.databaseUrl, 'intake', ctx.log);
  const pool = new pg.Pool({ connectionString: city.url, max: 2 });
  pool.on('error', () => {});
  const server = await startServerProcess(city.url);
  const http = httpClient(server.url);
  const post = async (apiKey: string, path: string, body: unknown): Promise<unknown> => {
    const res = await http.post(path, JSON.stringify(body), { 'content-type': 'application/json', 'x-api-key': apiKey });
    if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
    return JSON.parse(res.text);
  };
  try {
    const points = await districtPoints(pool, 20_000);
    const categories = ((await (await fetch(`${server.url}/api/case-categories`)).json()) as { code: string }[]).map((c) => c.code);
    let n = 0;
    const nextCase = () => {
      const i = n++;
      const p = points[i % points.length]!;
      return { source: 'sensor', external_id: `bench-${i}`, category: categories[i % categories.length]!, description: '基准测试', lng: p.lng, lat: p.lat };
    };

    // Warm-up: compile the routes' validators and the statements' plans.
    await post(city.apiKey, '/api/cases/batch', { cases: Array.from({ length: 50 }, nextCase) });
    await Promise.all(Array.from({ length: 16 }, () => post(city.apiKey, '/api/cases', nextCase())));

    ctx.log(`intake: batches of ${BATCH}, 4 in flight, for ${batchSeconds} s …`);
    const batchRate = await sustained(batchSeconds, 4, async () => {
      const res = await post(city.apiKey, '/api/cases/batch', { cases: Array.from({ length: BATCH }, nextCase) });
      return (res as { results: unknown[] }).results.length;
    });

    await settle(pool);
    ctx.log(`intake: single POSTs at concurrency 16 for ${singleSeconds} s …`);
    const singleRate = await sustained(singleSeconds, 16, async () => {
      await post(city.apiKey, '/api/cases', nextCase());
      return 1;
    });

    const services = (await (await fetch(`${server.url}/open311/v2/services.json`)).json()) as { service_code: string }[];
    await settle(pool);
    ctx.log(`intake: Open311 POSTs at concurrency 16 for ${singleSeconds} s …`);
    const open311Rate = await sustained(singleSeconds, 16, async () => {
      const c = nextCase();
      const form = new URLSearchParams({ service_code: services[n % services.length]!.service_code, lat: String(c.lat), long: String(c.lng), description: c.description });
      form.set('api_key', city.apiKey);
      const res = await http.post('/open311/v2/requests.json', form.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
      if (res.status !== 201 && res.status !== 200) throw new Error(`Open311 POST answered ${res.status}: ${res.text}`);
      return 1;
    });

    ctx.log(`intake: floor, ${FLOOR_ROWS} rows in one INSERT … SELECT with case_assign, 3 runs …`);
    const floorRates: number[] = [];
    for (let run = 0; run < 3; run++) floorRates.push(await floorInsert(pool, points.slice(0, FLOOR_ROWS), `floor${run}`));
    floorRates.sort((a, b) => a - b);
    const floor = floorRates[1]!;
    const floorName = `one INSERT … SELECT of ${FLOOR_ROWS.toLocaleString('en-US')} rows with case_assign placement, in SQL (median of 3)`;
    return [
      { name: `intake, /api/cases/batch of ${BATCH}, 4 in flight, ${batchSeconds} s sustained`, value: batchRate, floor, floorName, target: 2000, unit: 'cases/s', higherIsBetter: true },
      { name: `intake, single POST /api/cases at concurrency 16, ${singleSeconds} s`, value: singleRate, floor, floorName, target: 500, unit: 'cases/s', higherIsBetter: true },
      { name: `intake, Open311 POST (form) at concurrency 16, ${singleSeconds} s`, value: open311Rate, floor, floorName, unit: 'cases/s', higherIsBetter: true },
    ];
  } finally {
    http.close();
    await server.stop();
    await pool.end();
    await city.drop();
  }
}

/**
 * Each run starts from a vacuumed database, so it does not pay for the dead tuples and
 * statistics the run before it left (a 60 s batch run leaves about 120,000 new cases and events
 * for autovacuum); each run still pays for whatever it leaves itself.
 */
async function settle(pool: pg.Pool): Promise<void> {
  await pool.query('VACUUM ANALYZE cases, event');
}

/** Runs `workers` loops of `step` for `seconds`; returns the cases stored per second. */
async function sustained(seconds: number, workers: number, step: () => Promise<number>): Promise<number> {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        // Read the step's count before adding: `done += await step()` would add to a stale `done`.
        const stored = await step();
        done += stored;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/** The floor: the rows placed and inserted by one statement, rolled back; returns rows per second. */
async function floorInsert(pool: pg.Pool, points: { lng: number; lat: number }[], tag: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN; SET LOCAL jit = off');
    const t0 = performance.now();
    await client.query(
      `INSERT INTO cases (source, external_id, category, description, geom, priority, status, out_of_area, subdistrict_id, community_id, grid_id, building_id,
                          department_id, reported_at, register_due_at, dispatch_due_at, accept_due_at, handle_due_at, close_due_at)
       SELECT 'sensor', $3 || t.i, 'street_vending', '基准测试', p.g, 'normal', 'reported', a.out_of_area, a.subdistrict_id, a.community_id, a.grid_id, a.building_id,
              NULL, now(), now() + interval '1 h', now() + interval '2 h', now() + interval '4 h', now() + interval '28 h', now() + interval '52 h'
       FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(lng, lat, i)
       CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(t.lng, t.lat), 4326) AS g) p
       CROSS JOIN LATERAL case_assign(p.g) a`,
      [points.map((p) => p.lng), points.map((p) => p.lat), `${tag}-`],
    );
    const seconds = (performance.now() - t0) / 1000;
    await client.query('ROLLBACK');
    return points.length / seconds;
  } finally {
    client.release();
  }
}
