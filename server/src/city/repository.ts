/**
 * SQL of the city: bulk inserts of the generated (or imported) city, administrative
 * partitions cut by Voronoi cells in PostGIS, and the read-only GeoJSON queries. Bulk rows
 * travel as parallel arrays through unnest(), one statement per table.
 */
import type pg from 'pg';

type Q = Pick<pg.ClientBase, 'query'>;

/** Walking speed behind walk_edge.cost_s (m/s): a kind-neutral adult pace. */
export const WALK_SPEED_MPS = 1.2;

/** Every table that makes up the city, children first. */
export const CITY_TABLES = [
  'renovation_project', 'pocket_park', 'facility', 'building', 'compound', 'walk_edge', 'walk_node', 'land_cover',
  'department', 'admin_unit', 'city_meta',
] as const;

/** Empties the city. CASCADE also clears rows of other domains that point at it (cases, dispatches). */
export async function wipeCity(db: Q): Promise<void> {
  await db.query(`TRUNCATE ${CITY_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
}

export async function maxId(db: Q, table: (typeof CITY_TABLES)[number]): Promise<number> {
  const { rows } = await db.query<{ m: string | null }>(`SELECT max(id)::text AS m FROM ${table}`);
  return Number(rows[0]!.m ?? 0);
}

/** Keeps a serial column's sequence ahead of ids that were inserted explicitly. */
export async function syncSequence(db: Q, table: 'compound' | 'walk_edge' | 'building' | 'facility' | 'pocket_park' | 'renovation_project' | 'land_cover' | 'admin_unit'): Promise<void> {
  await db.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT max(id) FROM ${table}), 1))`);
}

export async function insertDistrict(db: Q, d: { code: string; name_zh: string; name_en: string; geojson: string; synthetic: boolean }): Promise<void> {
  await db.query(
    `INSERT INTO admin_unit (level, code, name_zh, name_en, synthetic, geom)
     VALUES ('district', $1, $2, $3, $5, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON($4), 4326)), 3)))`,
    [d.code, d.name_zh, d.name_en, d.geojson, d.synthetic],
  );
}

export interface PartitionSite {
  code: string;
  name_zh: string;
  name_en: string;
  parentCode: string;
  at: [number, number];
}

/**
 * Inserts one administrative level as the Voronoi cells of its sites, grouped by parent,
 * each clipped to its parent: the children of a parent cover it exactly, without overlaps.
 * A parent with a single site gets one child equal to itself.
 */
export async function insertPartition(db: Q, level: 'subdistrict' | 'community' | 'grid', sites: PartitionSite[]): Promise<void> {
  await db.query(
    `WITH site AS (
       SELECT s.code, s.name_zh, s.name_en, p.id AS parent_id, p.geom AS pgeom, s.ord,
              ST_SetSRID(ST_MakePoint(s.lng, s.lat), 4326) AS g,
              count(*) OVER (PARTITION BY p.id) AS n
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[])
              WITH ORDINALITY AS s(code, name_zh, name_en, parent_code, lng, lat, ord)
       JOIN admin_unit p ON p.code = s.parent_code
     ),
     parent AS (
       SELECT parent_id, (array_agg(pgeom))[1] AS pgeom, ST_Collect(g ORDER BY ord) AS pts
       FROM site WHERE n > 1 GROUP BY parent_id
     ),
     cell AS (
       SELECT p.parent_id, d.geom AS cell
       FROM parent p CROSS JOIN LATERAL ST_Dump(ST_VoronoiPolygons(p.pts, 0, ST_Expand(p.pgeom, 0.01))) d
     )
     INSERT INTO admin_unit (level, code, name_zh, name_en, parent_id, synthetic, geom)
     SELECT $7, s.code, s.name_zh, s.name_en, s.parent_id, true,
            CASE WHEN s.n = 1 THEN s.pgeom
                 ELSE ST_Multi(ST_CollectionExtract(ST_Intersection(c.cell, s.pgeom), 3)) END
     FROM site s LEFT JOIN cell c ON c.parent_id = s.parent_id AND ST_Intersects(c.cell, s.g)
     ORDER BY s.ord`,
    [
      sites.map((s) => s.code), sites.map((s) => s.name_zh), sites.map((s) => s.name_en), sites.map((s) => s.parentCode),
      sites.map((s) => s.at[0]), sites.map((s) => s.at[1]), level,
    ],
  );
}

/** Departments; a subdistrict office is linked to the unit it serves (by the unit's code). */
export async function insertDepartments(db: Q, rows: { code: string; name_zh: string; name_en: string; kind: string; synthetic: boolean; unitCode?: string | null }[]): Promise<void> {
  await db.query(
    `INSERT INTO department (code, name_zh, name_en, kind, synthetic, admin_unit_id)
     SELECT t.code, t.zh, t.en, t.kind, t.syn, a.id
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[]) WITH ORDINALITY AS t(code, zh, en, kind, syn, unit, ord)
     LEFT JOIN admin_unit a ON a.code = t.unit
     ORDER BY t.ord`,
    [rows.map((r) => r.code), rows.map((r) => r.name_zh), rows.map((r) => r.name_en), rows.map((r) => r.kind), rows.map((r) => r.synthetic), rows.map((r) => r.unitCode ?? null)],
  );
}

/** Land cover is kept to the district: the basemap outside it belongs to other districts. */
export async function insertLandCover(db: Q, rows: { kind: 'water' | 'green'; name: string | null; name_en?: string | null; wkt: string; synthetic: boolean }[]): Promise<void> {
  await db.query(
    `INSERT INTO land_cover (kind, name, name_en, synthetic, geom)
     SELECT * FROM (SELECT t.kind, t.name, t.name_en, t.syn, ST_Multi(ST_CollectionExtract(
              CASE WHEN d.geom IS NULL THEN ST_MakeValid(ST_GeomFromText(wkt, 4326))
                   ELSE ST_Intersection(ST_MakeValid(ST_GeomFromText(wkt, 4326)), d.geom) END, 3)) AS g
     FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[]) WITH ORDINALITY AS t(kind, name, wkt, syn, name_en, ord)
     LEFT JOIN admin_unit d ON d.level = 'district'
     ORDER BY ord) x
     WHERE NOT ST_IsEmpty(g)`,
    [rows.map((r) => r.kind), rows.map((r) => r.name), rows.map((r) => r.wkt), rows.map((r) => r.synthetic), rows.map((r) => r.name_en ?? null)],
  );
}

/** Nodes with explicit ids, then edges as straight lines between them with geodesic lengths. */
export async function insertNetwork(
  db: Q,
  nodes: { id: number; lng: number; lat: number }[],
  edges: { source: number; target: number; kind: string; name: string | null; synthetic: boolean; geomWkt?: string }[],
): Promise<void> {
  await db.query(
    `INSERT INTO walk_node (id, geom)
     SELECT id, ST_SetSRID(ST_MakePoint(lng, lat), 4326) FROM unnest($1::bigint[], $2::float8[], $3::float8[]) AS t(id, lng, lat) ORDER BY id`,
    [nodes.map((n) => n.id), nodes.map((n) => n.lng), nodes.map((n) => n.lat)],
  );
  await db.query(
    `INSERT INTO walk_edge (source, target, length_m, cost_s, kind, name, synthetic, geom)
     SELECT e.source, e.target, ST_Length(x.g::geography), ST_Length(x.g::geography) / $7, e.kind, e.name, e.syn, x.g
     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::boolean[], $6::text[])
            WITH ORDINALITY AS e(source, target, kind, name, syn, wkt, ord)
     CROSS JOIN LATERAL (
       SELECT COALESCE(ST_GeomFromText(e.wkt, 4326), ST_MakeLine(a.geom, b.geom)) AS g
       FROM walk_node a, walk_node b WHERE a.id = e.source AND b.id = e.target
     ) x
     ORDER BY e.ord`,
    [
      edges.map((e) => e.source), edges.map((e) => e.target), edges.map((e) => e.kind), edges.map((e) => e.name),
      edges.map((e) => e.synthetic), edges.map((e) => e.geomWkt ?? null), WALK_SPEED_MPS,
    ],
  );
}

export async function insertCompounds(db: Q, rows: { id: number; name: string; builtYear: number | null; wkt: string; synthetic: boolean }[]): Promise<void> {
  // Clipped to the district: a compound on the edge keeps only its part inside.
  await db.query(
    `INSERT INTO compound (id, name, built_year, synthetic, geom)
     SELECT t.id, t.name, t.y, t.syn,
            ST_Multi(ST_CollectionExtract(ST_Intersection(ST_GeomFromText(t.wkt, 4326), COALESCE(d.geom, ST_GeomFromText(t.wkt, 4326))), 3))
     FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::boolean[]) AS t(id, name, y, wkt, syn)
     LEFT JOIN admin_unit d ON d.level = 'district'
     ORDER BY t.id`,
    [rows.map((r) => r.id), rows.map((r) => r.name), rows.map((r) => r.builtYear), rows.map((r) => r.wkt), rows.map((r) => r.synthetic)],
  );
  await syncSequence(db, 'compound');
}

/**
 * Buildings with the grid they belong to given by code (the generator knows it: the grid of
 * the nearest site, which is the Voronoi cell holding the building). Buildings without one are
 * placed by refreshPopulation.
 */
export async function insertBuildings(
  db: Q,
  rows: { compoundId: number | null; gridCode: string | null; floors: number; households: number; population: number; builtYear: number | null; wkt: string; synthetic: boolean }[],
): Promise<void> {
  await db.query(
    `INSERT INTO building (compound_id, grid_id, floors, households, population, built_year, synthetic, geom)
     SELECT t.c, a.id, t.f, t.h, t.p, t.y, t.syn, ST_GeomFromText(t.wkt, 4326)
     FROM unnest($1::int[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::text[], $8::boolean[])
            WITH ORDINALITY AS t(c, grid, f, h, p, y, wkt, syn, ord)
     LEFT JOIN admin_unit a ON a.code = t.grid AND a.level = 'grid'
     ORDER BY t.ord`,
    [
      rows.map((r) => r.compoundId), rows.map((r) => r.gridCode), rows.map((r) => r.floors), rows.map((r) => r.households),
      rows.map((r) => r.population), rows.map((r) => r.builtYear), rows.map((r) => r.wkt), rows.map((r) => r.synthetic),
    ],
  );
}

/**
 * Sums population up the hierarchy, so every unit's population is the sum of the buildings
 * inside it. With `reassign` (after the grids changed) each building is first put in the grid
 * holding its centroid (lowest id on a shared edge); a building outside every grid goes to
 * the nearest one within about 100 m, and one farther out belongs to none.
 */
export async function refreshPopulation(db: Q, opts: { reassign?: boolean } = {}): Promise<void> {
  if (opts.reassign) {
    await db.query(
      `UPDATE building b SET grid_id = m.gid
       FROM (SELECT b.id AS bid, (SELECT g.id FROM admin_unit g WHERE g.level = 'grid' AND ST_Intersects(g.geom, b.centroid) ORDER BY g.id LIMIT 1) AS gid
             FROM building b) m
       WHERE b.id = m.bid AND b.grid_id IS DISTINCT FROM m.gid`,
    );
  }
  await db.query(
    `UPDATE building b SET grid_id = COALESCE(
       (SELECT g.id FROM admin_unit g WHERE g.level = 'grid' AND ST_Intersects(g.geom, b.centroid) ORDER BY g.id LIMIT 1),
       (SELECT g.id FROM admin_unit g WHERE g.level = 'grid' AND ST_DWithin(g.geom, b.centroid, 0.001) ORDER BY g.geom <-> b.centroid, g.id LIMIT 1))
     WHERE b.grid_id IS NULL`,
  );
  await db.query(
    `UPDATE admin_unit g SET population = COALESCE(s.p, 0)
     FROM admin_unit g2 LEFT JOIN (SELECT grid_id, sum(population)::int AS p FROM building GROUP BY grid_id) s ON s.grid_id = g2.id
     WHERE g.id = g2.id AND g.level = 'grid'`,
  );
  for (const [level, child] of [['community', 'grid'], ['subdistrict', 'community'], ['district', 'subdistrict']] as const) {
    await db.query(
      `UPDATE admin_unit u SET population = COALESCE((SELECT sum(c.population)::int FROM admin_unit c WHERE c.parent_id = u.id AND c.level = $2), 0)
       WHERE u.level = $1`,
      [level, child],
    );
  }
}

export async function insertFacilities(
  db: Q,
  rows: { kind: string; name: string; capacity: number | null; openedOn: string | null; lng: number; lat: number; synthetic: boolean }[],
): Promise<void> {
  await db.query(
    `INSERT INTO facility (kind, name, capacity, opened_on, synthetic, geom)
     SELECT kind, name, cap, opened::date, syn, ST_SetSRID(ST_MakePoint(lng, lat), 4326)
     FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::float8[], $6::float8[], $7::boolean[])
            WITH ORDINALITY AS t(kind, name, cap, opened, lng, lat, syn, ord)
     ORDER BY ord`,
    [
      rows.map((r) => r.kind), rows.map((r) => r.name), rows.map((r) => r.capacity), rows.map((r) => r.openedOn),
      rows.map((r) => r.lng), rows.map((r) => r.lat), rows.map((r) => r.synthetic),
    ],
  );
}

export async function insertPocketParks(db: Q, rows: { name: string; openedOn: string | null; wkt: string; synthetic: boolean }[]): Promise<void> {
  await db.query(
    `INSERT INTO pocket_park (name, area_m2, opened_on, synthetic, geom)
     SELECT name, round(ST_Area(g::geography)::numeric, 1), opened::date, syn, g
     FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) WITH ORDINALITY AS t(name, opened, wkt, syn, ord)
     CROSS JOIN LATERAL (SELECT ST_GeomFromText(t.wkt, 4326) AS g) x
     ORDER BY ord`,
    [rows.map((r) => r.name), rows.map((r) => r.openedOn), rows.map((r) => r.wkt), rows.map((r) => r.synthetic)],
  );
}

export interface RenovationRow {
  compoundId: number | null;
  name: string;
  status: string;
  budget: number;
  spent: number;
  progress: number;
  elevatorsPlanned: number;
  elevatorsDone: number;
  startsOn: string | null;
  endsOn: string | null;
  lng: number;
  lat: number;
  synthetic: boolean;
}

export async function insertRenovations(db: Q, rows: RenovationRow[]): Promise<void> {
  await db.query(
    `INSERT INTO renovation_project (compound_id, name, status, budget_cny, spent_cny, progress, elevators_planned, elevators_done,
                                     starts_on, ends_on, synthetic, geom)
     SELECT c, name, st, b, s, p, ep, ed, so::date, eo::date, syn, ST_SetSRID(ST_MakePoint(lng, lat), 4326)
     FROM unnest($1::int[], $2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::float8[], $7::int[], $8::int[],
                 $9::text[], $10::text[], $11::float8[], $12::float8[], $13::boolean[])
            WITH ORDINALITY AS t(c, name, st, b, s, p, ep, ed, so, eo, lng, lat, syn, ord)
     ORDER BY ord`,
    [
      rows.map((r) => r.compoundId), rows.map((r) => r.name), rows.map((r) => r.status), rows.map((r) => r.budget), rows.map((r) => r.spent),
      rows.map((r) => r.progress), rows.map((r) => r.elevatorsPlanned), rows.map((r) => r.elevatorsDone), rows.map((r) => r.startsOn),
      rows.map((r) => r.endsOn), rows.map((r) => r.lng), rows.map((r) => r.lat), rows.map((r) => r.synthetic),
    ],
  );
}

export async function setMeta(db: Q, key: string, value: unknown): Promise<void> {
  await db.query(
    `INSERT INTO city_meta (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [key, JSON.stringify(value)],
  );
}

// ---- read side: GeoJSON and the summary, built in SQL so large layers never round-trip as rows

type Db = Pick<pg.Pool, 'query'>;

const collection = (featureSql: string, from: string) => `
  SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(${featureSql} ORDER BY t.id), '[]'::json))::text AS fc
  FROM ${from}`;

export async function facilitiesGeoJson(db: Db, kind?: string): Promise<string> {
  const { rows } = await db.query<{ fc: string }>(
    collection(
      `json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 7)::json,
         'properties', json_build_object('id', t.id, 'kind', t.kind, 'name', t.name, 'capacity', t.capacity,
                                         'opened_on', t.opened_on, 'synthetic', t.synthetic, 'status', t.status))`,
      `facility t WHERE ($1::text IS NULL OR t.kind = $1)`,
    ),
    [kind ?? null],
  );
  return rows[0]!.fc;
}

export async function pocketParksGeoJson(db: Db): Promise<string> {
  const { rows } = await db.query<{ fc: string }>(
    collection(
      `json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 7)::json,
         'properties', json_build_object('id', t.id, 'name', t.name, 'area_m2', t.area_m2, 'opened_on', t.opened_on, 'synthetic', t.synthetic))`,
      `pocket_park t`,
    ),
  );
  return rows[0]!.fc;
}

export async function renovationsGeoJson(db: Db, status?: string): Promise<string> {
  const { rows } = await db.query<{ fc: string }>(
    collection(
      `json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 7)::json,
         'properties', json_build_object('id', t.id, 'name', t.name, 'status', t.status, 'compound_id', t.compound_id,
           'compound_name', c.name, 'compound_built_year', c.built_year,
           'budget_cny', t.budget_cny::float8, 'spent_cny', t.spent_cny::float8, 'progress', t.progress,
           'elevators_planned', t.elevators_planned, 'elevators_done', t.elevators_done,
           'starts_on', t.starts_on, 'ends_on', t.ends_on, 'synthetic', t.synthetic))`,
      `renovation_project t LEFT JOIN compound c ON c.id = t.compound_id WHERE ($1::text IS NULL OR t.status = $1)`,
    ),
    [status ?? null],
  );
  return rows[0]!.fc;
}

export interface CitySummary {
  seed: number | null;
  generator: unknown;
  admin_units: Record<string, number>;
  population: { district: number | null; buildings: number; households: number };
  counts: Record<string, number>;
  facilities_by_kind: Record<string, number>;
  renovation_by_status: Record<string, number>;
  walk_network: { nodes: number; edges: number; length_km: number; by_kind: Record<string, number> };
  /** per table: how many rows are synthetic (generated) out of all */
  synthetic: Record<string, { synthetic: number; total: number }>;
}

export async function citySummary(db: Db): Promise<CitySummary> {
  const { rows } = await db.query<{ s: CitySummary }>(`
    SELECT json_build_object(
      'seed', (SELECT value FROM city_meta WHERE key = 'seed'),
      'generator', (SELECT value FROM city_meta WHERE key = 'generator'),
      'admin_units', (SELECT COALESCE(json_object_agg(level, n), '{}'::json) FROM (SELECT level, count(*) n FROM admin_unit GROUP BY level) x),
      'population', json_build_object(
        'district', (SELECT sum(population) FROM admin_unit WHERE level = 'district'),
        'buildings', (SELECT COALESCE(sum(population), 0) FROM building),
        'households', (SELECT COALESCE(sum(households), 0) FROM building)),
      'counts', json_build_object(
        'departments', (SELECT count(*) FROM department), 'compounds', (SELECT count(*) FROM compound),
        'buildings', (SELECT count(*) FROM building), 'facilities', (SELECT count(*) FROM facility),
        'pocket_parks', (SELECT count(*) FROM pocket_park), 'renovation_projects', (SELECT count(*) FROM renovation_project),
        'land_cover', (SELECT count(*) FROM land_cover)),
      'facilities_by_kind', (SELECT COALESCE(json_object_agg(kind, n), '{}'::json) FROM (SELECT kind, count(*) n FROM facility GROUP BY kind ORDER BY kind) x),
      'renovation_by_status', (SELECT COALESCE(json_object_agg(status, n), '{}'::json) FROM (SELECT status, count(*) n FROM renovation_project GROUP BY status ORDER BY status) x),
      'walk_network', json_build_object(
        'nodes', (SELECT count(*) FROM walk_node), 'edges', (SELECT count(*) FROM walk_edge),
        'length_km', (SELECT COALESCE(round((sum(length_m) / 1000)::numeric, 1), 0) FROM walk_edge),
        'by_kind', (SELECT COALESCE(json_object_agg(kind, n), '{}'::json) FROM (SELECT kind, count(*) n FROM walk_edge GROUP BY kind ORDER BY kind) x)),
      'synthetic', json_build_object(
        'admin_unit', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM admin_unit),
        'department', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM department),
        'compound', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM compound),
        'building', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM building),
        'walk_edge', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM walk_edge),
        'facility', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM facility),
        'pocket_park', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM pocket_park),
        'renovation_project', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM renovation_project),
        'land_cover', (SELECT json_build_object('synthetic', count(*) FILTER (WHERE synthetic), 'total', count(*)) FROM land_cover))
    ) AS s`);
  return rows[0]!.s;
}

/**
 * Puts every facility that lies farther than `limitM` from any walkable street at its gate, so
 * no generated facility counts as present while reaching nobody. A site inside a park or other
 * green area (北海公园's point lies deep in the park) gets its gate on the area's boundary,
 * nearest the street; any other site moves to its street front. Distances are geodesic.
 * Returns the facilities moved.
 */
export async function gateFacilities(client: pg.ClientBase, limitM: number): Promise<number> {
  const { rowCount } = await client.query(
    `WITH far AS (
       SELECT f.id, f.geom, s.street
       FROM facility f
       CROSS JOIN LATERAL (
         SELECT ST_ClosestPoint(e.geom, f.geom) AS street, ST_Distance(e.geom::geography, f.geom::geography) AS d
         FROM (SELECT geom FROM walk_edge ORDER BY geom <-> f.geom LIMIT 16) e ORDER BY 2 LIMIT 1
       ) s
       WHERE s.d > $1
     ),
     gate AS (
       SELECT far.id, far.street,
              (SELECT ST_ClosestPoint(ST_Boundary(a.geom), far.street) FROM (
                 SELECT geom FROM land_cover WHERE kind = 'green' AND ST_Covers(geom, far.geom)
                 UNION ALL SELECT geom FROM pocket_park WHERE ST_Covers(geom, far.geom)) a
               ORDER BY ST_Area(a.geom) LIMIT 1) AS boundary
       FROM far
     )
     UPDATE facility f
        SET geom = CASE WHEN g.boundary IS NOT NULL AND ST_Distance(g.boundary::geography, g.street::geography) <= $1 * 0.5
                        THEN g.boundary ELSE g.street END
       FROM gate g WHERE f.id = g.id`,
    [limitM],
  );
  return rowCount ?? 0;
}
