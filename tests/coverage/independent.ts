import type pg from 'pg';
import { plainDijkstra, type PlainEdge } from './plain-dijkstra.ts';

/**
 * An independent coverage computation for the tests: its own SQL (nearest nodes by KNN, then
 * the geodesic distance), the plain Dijkstra, and a building-by-building population sum. It
 * shares no code with server/src/coverage.
 */
export interface Edge extends PlainEdge {
  id: number;
}

/** Where a point meets the network: an edge id, the fraction from its source node, the metres off it. */
export interface Attach {
  edge: number | null;
  frac: number;
  snap: number;
}

export interface CityExport {
  edges: Edge[];
  edgeById: Map<number, Edge>;
  buildings: Array<{ id: number; population: number; grid: number | null; community: number | null; subdistrict: number | null } & Attach>;
}

const SNAP_LIMIT = 150;

/**
 * The nearest street within the limit for points given as (lon, lat): the twelve nearest edges
 * by the index's planar distance, the nearest of them by geodesic distance; the fraction is
 * located in UTM 50N and turned around when the line is stored from its target to its source.
 */
export async function snapPoints(db: pg.Pool, points: Array<[number, number]>): Promise<Attach[]> {
  if (points.length === 0) return [];
  const { rows } = await db.query<{ i: number; edge: string | null; frac: number | null; d: number | null }>(
    `WITH p AS (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i))
     SELECT p.i, k.id AS edge, k.d,
            CASE WHEN ST_Distance(ST_StartPoint(k.geom), s.geom) <= ST_Distance(ST_EndPoint(k.geom), s.geom)
                 THEN ST_LineLocatePoint(ST_Transform(k.geom, 32650), ST_Transform(p.g, 32650))
                 ELSE 1 - ST_LineLocatePoint(ST_Transform(k.geom, 32650), ST_Transform(p.g, 32650)) END AS frac
       FROM p
       LEFT JOIN LATERAL (
         SELECT n.id, n.geom, n.source, ST_Distance(n.geom::geography, p.g::geography) AS d
           FROM (SELECT id, geom, source FROM walk_edge ORDER BY geom <-> p.g LIMIT 12) n
          ORDER BY d, n.id LIMIT 1
       ) k ON k.d <= ${SNAP_LIMIT}
       LEFT JOIN walk_node s ON s.id = k.source
      ORDER BY p.i`,
    [points.map((p) => p[0]), points.map((p) => p[1])],
  );
  return rows.map((r) => ({ edge: r.edge === null ? null : Number(r.edge), frac: r.frac ?? 0, snap: r.d ?? Infinity }));
}

export async function exportCity(db: pg.Pool): Promise<CityExport> {
  const edges = (await db.query<{ id: string; source: string; target: string; length_m: number }>('SELECT id, source, target, length_m FROM walk_edge')).rows.map((r) => ({
    id: Number(r.id),
    source: Number(r.source),
    target: Number(r.target),
    length: r.length_m,
  }));
  const { rows } = await db.query<{ id: number; population: number; grid: number | null; community: number | null; subdistrict: number | null; lon: number; lat: number }>(
    `SELECT b.id, b.population, g.id AS grid, c.id AS community, s.id AS subdistrict, ST_X(b.centroid) AS lon, ST_Y(b.centroid) AS lat
       FROM building b
       LEFT JOIN admin_unit g ON g.id = b.grid_id
       LEFT JOIN admin_unit c ON c.id = g.parent_id AND c.level = 'community'
       LEFT JOIN admin_unit s ON s.id = c.parent_id AND s.level = 'subdistrict'
      ORDER BY b.id`,
  );
  const snaps = await snapPoints(db, rows.map((r) => [r.lon, r.lat]));
  return {
    edges,
    edgeById: new Map(edges.map((e) => [e.id, e])),
    buildings: rows.map((r, i) => ({ id: r.id, population: r.population, grid: r.grid, community: r.community, subdistrict: r.subdistrict, ...snaps[i]! })),
  };
}

/** Where the facilities of a kind (or the pocket parks) meet the network. */
export async function facilityAttachments(db: pg.Pool, kind: string): Promise<Attach[]> {
  const { rows } = await db.query<{ lon: number; lat: number }>("SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility WHERE kind = $1 AND status = 'open'", [kind]);
  return snapPoints(db, rows.map((r) => [r.lon, r.lat]));
}

/** Search starts for facilities on streets: both ends of each one's street, with the way there walked. */
export function startsOf(city: CityExport, facilities: Attach[]): Map<number, number> {
  const sources = new Map<number, number>();
  const start = (node: number, d: number) => {
    if (d < (sources.get(node) ?? Infinity)) sources.set(node, d);
  };
  for (const f of facilities) {
    if (f.edge === null) continue;
    const e = city.edgeById.get(f.edge)!;
    start(e.source, f.snap + f.frac * e.length);
    start(e.target, f.snap + (1 - f.frac) * e.length);
  }
  return sources;
}

export interface Sums {
  population: number;
  covered: number;
  buildingsCovered: number;
  byCommunity: Map<number, { population: number; covered: number }>;
  byGrid: Map<number, { population: number; covered: number }>;
  coveredIds: Set<number>;
}

/** Covered population, building by building: in through either end of its street, or along the street from a facility on it. */
export function coverageSums(city: CityExport, facilities: Attach[], metres: number): Sums {
  const dist = plainDijkstra(city.edges, startsOf(city, facilities), metres);
  const sums: Sums = { population: 0, covered: 0, buildingsCovered: 0, byCommunity: new Map(), byGrid: new Map(), coveredIds: new Set() };
  for (const b of city.buildings) {
    let covered = false;
    if (b.edge !== null) {
      const e = city.edgeById.get(b.edge)!;
      let walk = Math.min((dist.get(e.source) ?? Infinity) + b.frac * e.length, (dist.get(e.target) ?? Infinity) + (1 - b.frac) * e.length);
      for (const f of facilities) if (f.edge === b.edge) walk = Math.min(walk, f.snap + Math.abs(b.frac - f.frac) * e.length);
      covered = walk + b.snap <= metres;
    }
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
    if (b.grid !== null) {
      const g = sums.byGrid.get(b.grid) ?? { population: 0, covered: 0 };
      g.population += b.population;
      if (covered) g.covered += b.population;
      sums.byGrid.set(b.grid, g);
    }
  }
  return sums;
}
