import { loginCookie } from '../helpers/auth.ts';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.ts';
import { testDatabaseUrl, testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The coverage model loads at start-up in a worker thread. To see a load in progress without
 * depending on how long it takes, the test holds an exclusive lock on the street table, so the
 * worker's first read waits until the test lets it go.
 */
describe('coverage model loading in a worker thread', () => {
  let pool: pg.Pool;
  let locker: pg.PoolClient;
  let server: TestServer;
  let planner: Record<string, string>;

  beforeAll(async () => {
    pool = testPool();
    locker = await pool.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE walk_edge IN ACCESS EXCLUSIVE MODE');
    const base = loadConfig({ DATABASE_URL: testDatabaseUrl() });
    server = await startTestServer({ coverage: { ...base.coverage, preload: true, loadWaitMs: 300 } });
    planner = { cookie: await loginCookie(server.url, pool, 'planner') };
  });
  afterAll(async () => {
    await locker?.query('ROLLBACK').catch(() => {});
    locker?.release();
    await server?.close();
    await pool?.end();
  });

  it('keeps answering other requests while the model loads', async () => {
    const res = await fetch(`${server.url}/api/health`);
    expect(res.status).toBe(200);
    const cats = await fetch(`${server.url}/api/case-categories`);
    expect(cats.status).toBe(200);
  });

  it('answers a coverage request during the load with a 503, a Retry-After and the load progress, instead of hanging', async () => {
    const res = await fetch(`${server.url}/api/coverage?kind=kindergarten&minutes=15`, { headers: planner });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await res.json();
    expect(body.error).toBe('coverage_loading');
    expect(body.message).toMatch(/loading/);
    // Where the load is depends on how fast the worker started; that it has not finished does not.
    expect(body.details.progress.stage).toMatch(/starting|reading the network/);
    expect(body.details.progress.done).toBe(0);
    expect(body.details.progress.total).toBeGreaterThan(1);
  });

  it('serves coverage once the load can finish, from the model the worker built', async () => {
    await locker.query('COMMIT');
    let res: Response | undefined;
    for (let attempt = 0; attempt < 200; attempt++) {
      res = await fetch(`${server.url}/api/coverage?kind=kindergarten&minutes=15`, { headers: planner });
      if (res.status !== 503) break;
      await res.arrayBuffer();
    }
    expect(res!.status).toBe(200);
    const body = await res!.json();
    // The district's population from the worker's model equals the buildings' sum in SQL.
    const { rows } = await pool.query('SELECT sum(population)::float8 AS p FROM building WHERE population > 0');
    expect(body.district.population).toBe(rows[0].p);
    expect(body.district.population_covered).toBeGreaterThan(0);
  });
});
