import type { Pool } from '../db/pool.ts';

export async function readDatabaseInfo(db: Pool): Promise<{ name: string; postgres: string; postgis: string; pgrouting: string }> {
  const { rows } = await db.query<{ name: string; postgres: string; postgis: string; pgrouting: string }>(
    `SELECT current_database() AS name,
            current_setting('server_version') AS postgres,
            postgis_lib_version() AS postgis,
            (SELECT extversion FROM pg_extension WHERE extname = 'pgrouting') AS pgrouting`,
  );
  return rows[0]!;
}
