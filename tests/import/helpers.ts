import pg from 'pg';
import { migrate } from '../../server/src/db/migrate.ts';
import { ensureExtensions } from '../../server/src/db/provision.ts';
import { scratchDatabase } from '../helpers/db.ts';

/** A migrated, empty database of the test file's own: imports never touch the shared test database. */
export async function scratchCity(label: string): Promise<{ url: string; client: pg.Client; drop: () => Promise<void> }> {
  const d = await scratchDatabase(label);
  const client = new pg.Client({ connectionString: d.url });
  await client.connect();
  await ensureExtensions(client);
  await migrate(client);
  return { url: d.url, client, drop: async () => { await client.end(); await d.drop(); } };
}

/** A hash of every row of the city tables, to prove a failed import changed nothing. */
export async function cityHash(c: pg.Client): Promise<string> {
  const parts: string[] = [];
  for (const t of ['admin_unit', 'walk_node', 'walk_edge', 'building', 'facility', 'pocket_park', 'renovation_project']) {
    const { rows } = await c.query(`SELECT count(*) AS n, md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t.id), '')) AS h FROM ${t} t`);
    parts.push(`${t}:${rows[0].n}:${rows[0].h}`);
  }
  return parts.join('|');
}

export function haversine(a: [number, number], b: [number, number]): number {
  const r = Math.PI / 180, dLat = (b[1] - a[1]) * r, dLng = (b[0] - a[0]) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}
