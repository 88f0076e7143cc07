import type { Pool } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import { isDemoCity } from '../whistles/repository.ts';
import { hasAnyOperation, insertOperation, insertSites } from './repository.ts';
import type { SiteStatus } from './workflow.ts';

/** Demo operations: typical 专项整治 of a subdistrict, labelled synthetic, with sites at every stage. */
const DEMO = [
  { title: '背街小巷环境整治', site: '堆物点', departments: 3, statuses: { verified: 5, cleared: 2, in_progress: 3, pending: 2 } },
  { title: '占道经营专项整治', site: '摊点', departments: 2, statuses: { verified: 1, cleared: 2, in_progress: 2, pending: 3 } },
] as const;

/** Half the side of the square each demo area is cut from, in degrees (about 450 m east–west in Beijing). */
const HALF_SIDE_DEG = 0.004;

/**
 * Opens a couple of synthetic operations once per demo database (when none was ever
 * recorded), so the wall's operations layer and the commander's list are not empty. Each
 * area is a square around a point of a subdistrict, cut to the subdistrict; the sites are
 * spread over it deterministically.
 */
export async function ensureDemoOperations(db: Pool): Promise<number> {
  if (!(await isDemoCity(db)) || (await hasAnyOperation(db))) return 0;
  return withTransaction(db, async (client) => {
    // Another process may be seeding them at the same moment.
    if ((await client.query('SELECT pg_try_advisory_xact_lock(4211132) AS ok')).rows[0].ok !== true) return 0;
    if ((await client.query('SELECT 1 FROM operation LIMIT 1')).rowCount) return 0;
    const places = await client.query<{ id: number; name_zh: string; area: string }>(
      `SELECT u.id, u.name_zh,
              (SELECT ST_AsGeoJSON(d.geom) FROM ST_Dump(ST_Intersection(u.geom, ST_Expand(ST_PointOnSurface(u.geom), $1))) d
               WHERE ST_GeometryType(d.geom) = 'ST_Polygon' ORDER BY ST_Area(d.geom) DESC LIMIT 1) AS area
       FROM admin_unit u WHERE u.level = 'subdistrict' ORDER BY u.code LIMIT 6`,
      [HALF_SIDE_DEG],
    );
    const deps = (await client.query<{ id: number }>(`SELECT id FROM department WHERE kind <> 'subdistrict' ORDER BY code`)).rows.map((r) => r.id);
    const usable = places.rows.filter((p) => p.area);
    if (!usable.length || !deps.length) return 0;
    let made = 0;
    for (const [i, d] of DEMO.entries()) {
      const place = usable[(i * 2 + 1) % usable.length]!;
      const id = await insertOperation(client, {
        subdistrict_id: place.id,
        title: `${place.name_zh} · ${d.title}`,
        note: null,
        area: place.area,
        created_by: 'demo',
        synthetic: true,
        department_ids: [...new Set(Array.from({ length: d.departments }, (_, k) => deps[(i * 3 + k * 2) % deps.length]!))],
        created_at: new Date(Date.now() - (i + 2) * 86_400_000),
      });
      const statuses = Object.entries(d.statuses).flatMap(([s, n]) => Array<SiteStatus>(n).fill(s as SiteStatus));
      const points = await client.query<{ lng: number; lat: number }>(
        `SELECT ST_X(p.geom) AS lng, ST_Y(p.geom) AS lat FROM ST_Dump(ST_GeneratePoints((SELECT area FROM operation WHERE id = $1), $2, $3)) p ORDER BY p.path`,
        [id, statuses.length, 11 + i],
      );
      await insertSites(
        client,
        id,
        points.rows.map((p, k) => ({ ...p, label: `${d.site} ${k + 1}` })),
        'demo',
        { status: statuses },
      );
      made++;
    }
    return made;
  });
}
