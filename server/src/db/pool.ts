import pg from 'pg';

/**
 * Creates the one connection pool a process uses. Geometry and bigint columns come back
 * as strings from `pg`; repositories convert explicitly where they need numbers.
 */
export function createPool(databaseUrl: string, max = 10): pg.Pool {
  // A request waits at most this long for a connection (database down, or every connection
  // busy), then fails with an error the handler answers as 503 + Retry-After instead of hanging.
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'cityops', connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection (database restart) must not crash the process;
  // the pool discards it and the next query opens a fresh connection.
  pool.on('error', () => {});
  return pool;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Runs `fn` inside a transaction, rolling back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
