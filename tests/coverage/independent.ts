import type pg from 'pg';
import { plainDijkstra, type PlainEdge } from './plain-dijkstra.ts';

/**
 * An independent coverage computation for the tests: its own SQL (nearest nodes by KNN, then
 * the geodesic distance), the plain Dijkstra, and a building-by-building population sum. It
 * shares no code with server/src/coverage.
 */
export interface CityExport {
  edges: Array<PlainEdge & { id: number }>;
  buildings: Array<{ id: number; population: number; community: number | null; subdistrict: number | null; node: number | null; snap: number }>;
}

const SNAP_LIMIT = 150;

/** Nearest node within the limit for a set of points given as (lon, lat). */
export async function snapPoints(db: pg.Pool, points: Array<[number, number]>): Promise<Array<{ node: number | null; snap: number }>> {
  if (points.length === 0) return [];
  const { rows } = await db.query<{ i: number; node: string | null; d: number | null }>(
    `SELECT p.i, k.id AS node, k.d
       FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)
       LEFT JOIN LATERAL (
         SELECT n.id, ST_Distance(n.geom::geography, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography) AS d
           FROM (SELECT id, geom FROM walk_node ORDER BY geom <-> ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326) LIMIT 12) n
          ORDER BY d, n.id LIMIT 1
       ) k ON k.d <= ${SNAP_LIMIT}
      ORDER BY p.i`,
    [points.map((p) => p[0]), points.map((p) => p[1])],
  );
  return rows.map((r) => ({ node: r.node === null ? null : Number(r.node), snap: r.d ?? Infinity }));
}

export async function exportCity(db: pg.Pool): Promise<CityExport> {
  const edges = (await db.query<{ id: string; source: string; target: string; length_m: number }>('SELECT id, source, target, length_m FROM walk_edge')).rows.map((r) => ({
    id: Number(r.id),
    source: Number(r.source),
    target: Number(r.target),
    length: r.length_m,
  }));
  const { rows } = await db.query<{ id: number; population: number; community: number | null; subdistrict: number | null; lon: number; lat: number }>(
    `SELECT b.id, b.population, c.id AS community, s.id AS subdistrict, ST_X(b.centroid) AS lon, ST_Y(b.centroid) AS lat
       FROM building b
       LEFT JOIN admin_unit g ON g.id = b.grid_id
       LEFT JOIN admin_unit c ON c.id = g.parent_id AND c.level = 'community'
       LEFT JOIN admin_unit s ON s.id = c.parent_id AND s.level = 'subdistrict'
      ORDER BY b.id`,
  );
  const snaps = await snapPoints(db, rows.map((r) => [r.lon, r.lat]));
  return {
    edges,
    buildings: rows.map((r, i) => ({ id: r.id, population: r.population, community: r.community, subdistrict: r.subdistrict, node: snaps[i]!.node, snap: snaps[i]!.snap })),
  };
}

export async function facilitySnaps(db: pg.Pool, kind: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ lon: number; lat: number }>(
    kind === 'pocket_park'
      ? 'SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat FROM pocket_park'
      : 'SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility WHERE kind = $1',
    kind === 'pocket_park' ? [] : [kind],
  );
  const snaps = await snapPoints(db, rows.map((r) => [r.lon, r.lat]));
  return sourcesFrom(snaps);
}

/** Multi-source starts: each snapped node with the smallest snap walked to it. */
export function sourcesFrom(snaps: Array<{ node: number | null; snap: number }>): Map<number, number> {
  const sources = new Map<number, number>();
  for (const s of snaps) if (s.node !== null && s.snap < (sources.get(s.node) ?? Infinity)) sources.set(s.node, s.snap);
  return sources;
}

export interface Sums {
  population: number;
  covered: number;
  buildingsCovered: number;
  byCommunity: Map<number, { population: number; covered: number }>;
  coveredIds: Set<number>;
}

/** Covered population, building by building. */
export function coverageSums(city: CityExport, sources: Map<number, number>, metres: number): Sums {
  const dist = plainDijkstra(city.edges, sources, metres);
  const sums: Sums = { population: 0, covered: 0, buildingsCovered: 0, byCommunity: new Map(), coveredIds: new Set() };
  for (const b of city.buildings) {
    const covered = b.node !== null && (dist.get(b.node) ?? Infinity) + b.snap <= metres;
    sums.population += b.population;
    if (covered) {
      sums.covered += b.population;
      sums.buildingsCovered++;
      sums.coveredIds.add(b.id);
    }
    if (b.community !== null) {
      const c = sums.byCommunity.get(b.community) ?? { population: 0, covered: 0 };
      c.population += b.population;
      if (covered) c.covered += b.population;
      sums.byCommunity.set(b.community, c);
    }
  }
  return sums;
}
