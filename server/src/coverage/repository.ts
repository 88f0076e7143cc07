import type { Pool, PoolClient } from '../db/pool.ts';
import type { EdgeRow } from './graph.ts';
import type { AdminUnitInfo, FacilitySource } from './model.ts';

type Db = Pool | PoolClient;

export interface DataVersion {
  network: number;
  facilities: number;
}

/** The counters bumped by triggers whenever the network, buildings, units or facilities change. */
export async function dataVersion(db: Db): Promise<DataVersion> {
  const { rows } = await db.query<{ n: string; f: string }>('SELECT network_version AS n, facility_version AS f FROM coverage_data_version');
  const row = rows[0];
  return { network: Number(row?.n ?? 0), facilities: Number(row?.f ?? 0) };
}

export interface NodeRow {
  id: number;
  lon: number;
  lat: number;
  in_district: boolean;
}

/** Every walk node with its position and whether it lies inside the district (a siting candidate). */
export async function loadNodes(db: Db): Promise<NodeRow[]> {
  const { rows } = await db.query<{ id: string; lon: number; lat: number; in_district: boolean }>(
    `SELECT n.id, ST_X(n.geom) AS lon, ST_Y(n.geom) AS lat,
            EXISTS (SELECT 1 FROM admin_unit d WHERE d.level = 'district' AND ST_Intersects(d.geom, n.geom)) AS in_district
       FROM walk_node n ORDER BY n.id`,
  );
  return rows.map((r) => ({ id: Number(r.id), lon: r.lon, lat: r.lat, in_district: r.in_district }));
}

export interface EdgeWithShape extends EdgeRow {
  /** The polyline as stored, [lon, lat] pairs. */
  coordinates: Array<[number, number]>;
}

export async function loadEdges(db: Db): Promise<EdgeWithShape[]> {
  const { rows } = await db.query<{ id: string; source: string; target: string; length: number; shape: string }>(
    'SELECT id, source, target, length_m AS length, ST_AsGeoJSON(geom, 7) AS shape FROM walk_edge ORDER BY id',
  );
  return rows.map((r) => ({
    id: Number(r.id),
    source: Number(r.source),
    target: Number(r.target),
    length: r.length,
    coordinates: (JSON.parse(r.shape) as { coordinates: Array<[number, number]> }).coordinates,
  }));
}

/**
 * The nearest street to a point: the walk edge at the smallest geodesic distance among those
 * within `limit` metres, and where along it (fraction of its length from its first vertex,
 * located in UTM zone 50N so the foot of the perpendicular is a metric one). The bounding-box
 * prefilter is in degrees and uses the edge index; 1° of longitude is at least 85 km at
 * Beijing's latitude, so `limit / 85000` degrees never cuts an edge that is in range.
 */
const NEAREST_EDGE = (point: string, limit: string) => `
  SELECT k.edge_id, k.snap_m, ST_LineLocatePoint(ST_Transform(k.geom, 32650), ST_Transform(${point}, 32650)) AS frac
    FROM (
      SELECT e.id AS edge_id, e.geom, ST_Distance(e.geom::geography, ${point}::geography) AS snap_m
        FROM walk_edge e
       WHERE e.geom && ST_Expand(${point}, ${limit} / 85000.0)
         AND ST_DWithin(e.geom::geography, ${point}::geography, ${limit})
       ORDER BY snap_m, e.id
       LIMIT 1
    ) k`;

/** Where a point meets the network (all null when no street lies within the limit). */
export interface Snap {
  edge_id: number | null;
  /** Fraction along the stored line, from its first vertex. */
  frac: number | null;
  snap_m: number | null;
}

const snapOf = (r: { edge_id: string | null; frac: number | null; snap_m: number | null }): Snap => ({
  edge_id: r.edge_id === null ? null : Number(r.edge_id),
  frac: r.frac,
  snap_m: r.snap_m,
});

export interface BuildingRow {
  id: number;
  population: number;
  grid_id: number | null;
  community_id: number | null;
  subdistrict_id: number | null;
  lon: number;
  lat: number;
  snap: Snap;
}

/** Every building with its population, units and snap to the nearest walk node within `snapLimit` metres. */
export async function loadBuildings(db: Db, snapLimit: number): Promise<BuildingRow[]> {
  const { rows } = await db.query<{
    id: number; population: number; grid_id: number | null; community_id: number | null; subdistrict_id: number | null;
    lon: number; lat: number; edge_id: string | null; frac: number | null; snap_m: number | null;
  }>(
    `SELECT b.id, b.population, g.id AS grid_id, c.id AS community_id, s.id AS subdistrict_id,
            ST_X(b.centroid) AS lon, ST_Y(b.centroid) AS lat, nn.edge_id, nn.frac, nn.snap_m
       FROM building b
       LEFT JOIN admin_unit g ON g.id = b.grid_id AND g.level = 'grid'
       LEFT JOIN admin_unit c ON c.id = g.parent_id AND c.level = 'community'
       LEFT JOIN admin_unit s ON s.id = c.parent_id AND s.level = 'subdistrict'
       LEFT JOIN LATERAL (${NEAREST_EDGE('b.centroid', '$1::float8')}) nn ON true
      ORDER BY b.id`,
    [snapLimit],
  );
  return rows.map(({ edge_id, frac, snap_m, ...r }) => ({ ...r, snap: snapOf({ edge_id, frac, snap_m }) }));
}

export interface FacilityRow {
  id: number;
  source: FacilitySource;
  kind: string;
  name: string;
  lon: number;
  lat: number;
  /** `planned` for an adopted site not yet built; pocket parks are always open. */
  status: 'open' | 'planned';
  snap: Snap;
}

/**
 * Every facility, and every pocket park not already listed as a facility (as kind `pocket_park`,
 * placed at a point on its surface), with its snap to the nearest walk node within `snapLimit` metres.
 */
export async function loadFacilities(db: Db, snapLimit: number): Promise<FacilityRow[]> {
  const { rows } = await db.query<Omit<FacilityRow, 'snap'> & { edge_id: string | null; frac: number | null; snap_m: number | null }>(
    `WITH f AS (
       SELECT id, 'facility' AS source, kind, name, status, geom FROM facility
       UNION ALL
       SELECT p.id, 'pocket_park', 'pocket_park', p.name, 'open', ST_PointOnSurface(p.geom) FROM pocket_park p
        -- A park already listed as a facility of kind pocket_park (within ~50 m) counts once.
        WHERE NOT EXISTS (SELECT 1 FROM facility f WHERE f.kind = 'pocket_park' AND f.status = 'open' AND ST_DWithin(f.geom, p.geom, 0.0005))
     )
     SELECT f.id, f.source, f.kind, f.name, f.status, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat, nn.edge_id, nn.frac, nn.snap_m
       FROM f LEFT JOIN LATERAL (${NEAREST_EDGE('f.geom', '$1::float8')}) nn ON true
      ORDER BY f.source, f.id`,
    [snapLimit],
  );
  return rows.map(({ edge_id, frac, snap_m, ...r }) => ({ ...r, snap: snapOf({ edge_id, frac, snap_m }) }));
}

export async function loadUnits(db: Db): Promise<AdminUnitInfo[]> {
  const { rows } = await db.query<AdminUnitInfo>(
    `SELECT id, level, code, name_zh, name_en, parent_id FROM admin_unit WHERE level IN ('subdistrict', 'community', 'grid') ORDER BY code`,
  );
  return rows;
}

export interface PointSnap extends Snap {
  in_district: boolean;
}

/** Snaps a candidate point to the nearest street within `snapLimit` metres, and says whether it lies in the district. */
export async function snapPoint(db: Db, lon: number, lat: number, snapLimit: number): Promise<PointSnap> {
  const { rows } = await db.query<{ edge_id: string | null; frac: number | null; snap_m: number | null; in_district: boolean }>(
    `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326) AS geom)
     SELECT nn.edge_id, nn.frac, nn.snap_m,
            EXISTS (SELECT 1 FROM admin_unit d, p WHERE d.level = 'district' AND ST_Intersects(d.geom, p.geom)) AS in_district
       FROM p LEFT JOIN LATERAL (${NEAREST_EDGE('p.geom', '$3::float8')}) nn ON true`,
    [lon, lat, snapLimit],
  );
  const r = rows[0]!;
  return { ...snapOf(r), in_district: r.in_district };
}

/**
 * Snaps several candidate points and reads the data version in one round trip: a what-if
 * needs both, and on a busy database each round trip costs more than the search itself.
 */
export async function snapPointsWithVersion(db: Db, points: Array<{ lon: number; lat: number }>, snapLimit: number): Promise<{ version: DataVersion; snaps: PointSnap[] }> {
  const { rows } = await db.query<{ n: string; f: string; snaps: Array<{ edge_id: string | null; frac: number | null; snap_m: number | null; in_district: boolean }> }>(
    `SELECT v.network_version AS n, v.facility_version AS f,
            COALESCE((SELECT json_agg(json_build_object('edge_id', nn.edge_id, 'frac', nn.frac, 'snap_m', nn.snap_m,
                        'in_district', EXISTS (SELECT 1 FROM admin_unit d WHERE d.level = 'district' AND ST_Intersects(d.geom, p.geom))) ORDER BY p.i)
                 FROM (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i)) p
                 LEFT JOIN LATERAL (${NEAREST_EDGE('p.geom', '$3::float8')}) nn ON true), '[]'::json) AS snaps
       FROM coverage_data_version v`,
    [points.map((p) => p.lon), points.map((p) => p.lat), snapLimit],
  );
  const r = rows[0]!;
  return { version: { network: Number(r.n), facilities: Number(r.f) }, snaps: r.snaps.map((x) => ({ ...snapOf({ edge_id: x.edge_id === null ? null : String(x.edge_id), frac: x.frac, snap_m: x.snap_m }), in_district: x.in_district })) };
}

/**
 * The isochrone polygon around walked edge parts: each part cut out of its edge, buffered by
 * `bufferM` metres in UTM zone 50N (metric, Beijing) and dissolved into one (multi)polygon.
 * Buffering the reached streets, not hulling the reached nodes, keeps unreachable blocks out.
 */
export async function isochronePolygon(db: Db, edgeIds: number[], from: number[], to: number[], bufferM: number): Promise<string | null> {
  if (edgeIds.length === 0) return null;
  const { rows } = await db.query<{ geom: string | null }>(
    `WITH parts AS (
       SELECT ST_Transform(ST_LineSubstring(e.geom, p.f, p.t), 32650) AS g
         FROM unnest($1::bigint[], $2::float8[], $3::float8[]) AS p(id, f, t)
         JOIN walk_edge e ON e.id = p.id
     )
     SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_Collect(g), $4::float8, 'quad_segs=2'), 4326), 6) AS geom FROM parts`,
    [edgeIds, from, to, bufferM],
  );
  return rows[0]?.geom ?? null;
}

/** Node positions for a few node ids (proposed sites). */
export async function nodePositions(db: Db, ids: number[]): Promise<Map<number, [number, number]>> {
  const { rows } = await db.query<{ id: string; lon: number; lat: number }>(
    'SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM walk_node WHERE id = ANY($1::bigint[])',
    [ids],
  );
  return new Map(rows.map((r) => [Number(r.id), [r.lon, r.lat]]));
}

export async function insertFacility(db: Db, kind: string, name: string, lon: number, lat: number, status: 'open' | 'planned' = 'open'): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO facility (kind, name, geom, status) VALUES ($1, $2, ST_SetSRID(ST_MakePoint($3::float8, $4::float8), 4326), $5) RETURNING id`,
    [kind, name, lon, lat, status],
  );
  return rows[0]!.id;
}

/** A new pocket park as a small square of `side` metres around the chosen point. */
export async function insertPocketPark(db: Db, name: string, lon: number, lat: number, side: number): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `WITH sq AS (
       SELECT ST_Transform(ST_Expand(ST_Transform(ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326), 32650), $4::float8 / 2), 4326) AS geom
     )
     INSERT INTO pocket_park (name, area_m2, geom) SELECT $1, $4::float8 * $4::float8, geom FROM sq RETURNING id`,
    [name, lon, lat, side],
  );
  return rows[0]!.id;
}

export async function moveFacility(db: Db, source: FacilitySource, id: number, lon: number, lat: number): Promise<boolean> {
  const sql =
    source === 'facility'
      ? 'UPDATE facility SET geom = ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326) WHERE id = $1'
      : `UPDATE pocket_park SET geom = ST_Translate(geom, $2::float8 - ST_X(ST_PointOnSurface(geom)), $3::float8 - ST_Y(ST_PointOnSurface(geom))) WHERE id = $1`;
  const { rowCount } = await db.query(sql, [id, lon, lat]);
  return Boolean(rowCount);
}

export async function deleteFacility(db: Db, source: FacilitySource, id: number): Promise<boolean> {
  const sql = source === 'facility' ? 'DELETE FROM facility WHERE id = $1' : 'DELETE FROM pocket_park WHERE id = $1';
  const { rowCount } = await db.query(sql, [id]);
  return Boolean(rowCount);
}

/** pgRouting's answer to the same question, the floor the benchmark compares against. */
export async function drivingDistance(db: Db, startIds: number[], distance: number): Promise<Map<number, number>> {
  const { rows } = await db.query<{ node: string; agg_cost: number }>(
    `SELECT node, agg_cost FROM pgr_drivingDistance(
       'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM walk_edge',
       $1::bigint[], $2::float8, directed => false, equicost => true)`,
    [startIds, distance],
  );
  return new Map(rows.map((r) => [Number(r.node), r.agg_cost]));
}

/** Where a proposed site lies, in words: the nearest named street and the community and subdistrict around it. */
export interface SiteContext {
  street: string | null;
  community_id: number | null;
  community_zh: string | null;
  community_en: string | null;
  subdistrict_zh: string | null;
  subdistrict_en: string | null;
}

/**
 * Names for points: the nearest named street within 300 m (a site on an unnamed lane is named
 * by the street a visitor would look for) and the community and subdistrict that contain it.
 */
export async function siteContexts(db: Db, points: Array<{ lon: number; lat: number }>): Promise<SiteContext[]> {
  if (points.length === 0) return [];
  const { rows } = await db.query<SiteContext & { i: string }>(
    `WITH p AS (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i))
     SELECT p.i, st.name AS street, c.id AS community_id, c.name_zh AS community_zh, c.name_en AS community_en,
            s.name_zh AS subdistrict_zh, s.name_en AS subdistrict_en
       FROM p
       LEFT JOIN LATERAL (
         SELECT e.name FROM walk_edge e
          WHERE e.name IS NOT NULL AND e.name <> '' AND ST_DWithin(e.geom::geography, p.g::geography, 300)
          ORDER BY e.geom <-> p.g LIMIT 1
       ) st ON true
       LEFT JOIN admin_unit c ON c.level = 'community' AND ST_Intersects(c.geom, p.g)
       LEFT JOIN admin_unit s ON s.id = c.parent_id
      ORDER BY p.i`,
    [points.map((p) => p.lon), points.map((p) => p.lat)],
  );
  // A point on a community border would appear twice: keep the first row per point.
  const byIndex = new Map<number, SiteContext>();
  for (const { i, ...r } of rows) if (!byIndex.has(Number(i))) byIndex.set(Number(i), r);
  return points.map((_, k) => byIndex.get(k + 1) ?? { street: null, community_id: null, community_zh: null, community_en: null, subdistrict_zh: null, subdistrict_en: null });
}

export interface PlannedFacilityRow {
  id: number;
  kind: string;
  name: string;
  lon: number;
  lat: number;
  /** When it was adopted and by whom, from the event log. */
  planned_at: string | null;
  planned_by: string | null;
}

/** Planned facilities (of one kind, or all), with who adopted each and when from the event log. */
export async function plannedFacilities(db: Db, kind?: string): Promise<PlannedFacilityRow[]> {
  const { rows } = await db.query<PlannedFacilityRow>(
    `SELECT f.id, f.kind, f.name, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat, ev.at AS planned_at, ev.actor AS planned_by
       FROM facility f
       LEFT JOIN LATERAL (
         SELECT e.at, e.actor FROM event e WHERE e.type = 'facility.planned' AND e.subject = 'facility:' || f.id ORDER BY e.seq DESC LIMIT 1
       ) ev ON true
      WHERE f.status = 'planned' AND ($1::text IS NULL OR f.kind = $1)
      ORDER BY f.id`,
    [kind ?? null],
  );
  return rows;
}

export interface CommunityComplaints {
  community_id: number;
  complaints: number;
}

/**
 * Cases of the given categories reported in the window, per community (the case's own
 * community, assigned at intake by point in polygon).
 */
export async function complaintsByCommunity(db: Db, categories: readonly string[], since: Date, until: Date): Promise<CommunityComplaints[]> {
  if (categories.length === 0) return [];
  const { rows } = await db.query<{ community_id: number; complaints: string }>(
    `SELECT community_id, count(*) AS complaints FROM cases
      WHERE category = ANY($1::text[]) AND reported_at >= $2 AND reported_at < $3 AND community_id IS NOT NULL
      GROUP BY community_id`,
    [categories, since, until],
  );
  return rows.map((r) => ({ community_id: r.community_id, complaints: Number(r.complaints) }));
}

/** The places of those cases, for a density layer. */
export async function complaintPoints(db: Db, categories: readonly string[], since: Date, until: Date): Promise<Array<[number, number]>> {
  if (categories.length === 0) return [];
  const { rows } = await db.query<{ lon: number; lat: number }>(
    `SELECT round(ST_X(geom)::numeric, 6)::float8 AS lon, round(ST_Y(geom)::numeric, 6)::float8 AS lat FROM cases
      WHERE category = ANY($1::text[]) AND reported_at >= $2 AND reported_at < $3 AND geom IS NOT NULL
      ORDER BY id`,
    [categories, since, until],
  );
  return rows.map((r) => [r.lon, r.lat]);
}
