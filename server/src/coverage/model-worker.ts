// Loads the network part of the coverage model in a worker thread (see CoverageService), so
// the seconds of reading, snapping and array building never block the server's event loop.
// Posts `{type: 'progress', stage, done, total}` while it works, then `{type: 'done', model}`
// or `{type: 'error', message}`.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { loadNetworkModel } from './network-load.ts';

const { databaseUrl, version, snapLimit } = workerData as { databaseUrl: string; version: number; snapLimit: number };
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, application_name: 'cityops-coverage-load' });
pool.on('error', () => {});
try {
  const model = await loadNetworkModel(pool, version, snapLimit, (stage, done, total) => parentPort!.postMessage({ type: 'progress', stage, done, total }));
  parentPort!.postMessage({ type: 'done', model });
} catch (err) {
  parentPort!.postMessage({ type: 'error', message: (err as Error).message });
} finally {
  await pool.end();
}
