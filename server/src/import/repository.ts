/** SQL of the importers: geometry checks and repair, and inserts that take GeoJSON or WKT. */
import type pg from 'pg';

type Q = Pick<pg.ClientBase, 'query'>;

export interface GeometryCheck {
  valid: boolean;
  reason: string;
  /** the geometry as stored: the input when valid, else its ST_MakeValid repair (polygonal part) */
  wkt: string;
  /** planar areas before and after repair; equal for a valid geometry */
  areaBefore: number;
  areaAfter: number;
  parts: number;
}

/**
 * Checks polygons (GeoJSON, WGS84) with ST_IsValid and repairs the invalid ones with
 * ST_MakeValid, keeping the polygonal part. The caller decides whether a repair is safe.
 */
export async function checkPolygons(db: Q, geojson: string[]): Promise<GeometryCheck[]> {
  const { rows } = await db.query<{ valid: boolean; reason: string; wkt: string; a0: number; a1: number; parts: number }>(
    `SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason,
            ST_AsText(CASE WHEN ST_IsValid(g) THEN g WHEN ST_NumGeometries(r) = 1 THEN ST_GeometryN(r, 1) ELSE r END) AS wkt,
            ST_Area(g) AS a0, ST_Area(r) AS a1, ST_NumGeometries(CASE WHEN ST_IsValid(g) THEN ST_Multi(g) ELSE r END) AS parts
     FROM unnest($1::text[]) WITH ORDINALITY AS t(gj, ord)
     CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_GeomFromGeoJSON(t.gj), 4326) AS g) x
     CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_MakeValid(x.g), 3) AS r) y
     ORDER BY t.ord`,
    [geojson],
  );
  return rows.map((r) => ({ valid: r.valid, reason: r.reason, wkt: r.wkt, areaBefore: r.a0, areaAfter: r.a1, parts: r.parts }));
}

/** Planar area (m²) of WKT polygons on the spheroid, for population estimates. */
export async function areasM2(db: Q, wkt: string[]): Promise<number[]> {
  const { rows } = await db.query<{ a: number }>(
    `SELECT ST_Area(ST_GeomFromText(w, 4326)::geography) AS a FROM unnest($1::text[]) WITH ORDINALITY AS t(w, ord) ORDER BY ord`,
    [wkt],
  );
  return rows.map((r) => r.a);
}

/** Facilities from WKT (a polygon stands for the point on its surface). */
export async function insertFacilityRows(db: Q, rows: { kind: string; name: string; capacity: number | null; openedOn: string | null; wkt: string }[]): Promise<number> {
  const r = await db.query(
    `INSERT INTO facility (kind, name, capacity, opened_on, synthetic, geom)
     SELECT kind, name, cap, opened::date, false, ST_PointOnSurface(ST_GeomFromText(wkt, 4326))
     FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[]) WITH ORDINALITY AS t(kind, name, cap, opened, wkt, ord)
     ORDER BY ord`,
    [rows.map((x) => x.kind), rows.map((x) => x.name), rows.map((x) => x.capacity), rows.map((x) => x.openedOn), rows.map((x) => x.wkt)],
  );
  return r.rowCount ?? 0;
}

/** Pocket parks, each also listed as a facility of kind pocket_park so coverage counts it. */
export async function insertParkRows(db: Q, rows: { name: string; openedOn: string | null; wkt: string }[]): Promise<number> {
  const r = await db.query(
    `WITH p AS (
       INSERT INTO pocket_park (name, area_m2, opened_on, synthetic, geom)
       SELECT name, round(ST_Area(g::geography)::numeric, 1), opened::date, false, g
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(name, opened, wkt, ord)
       CROSS JOIN LATERAL (SELECT ST_GeomFromText(t.wkt, 4326) AS g) x
       ORDER BY ord
       RETURNING name, opened_on, geom)
     INSERT INTO facility (kind, name, opened_on, synthetic, geom)
     SELECT 'pocket_park', name, opened_on, false, ST_PointOnSurface(geom) FROM p`,
    [rows.map((x) => x.name), rows.map((x) => x.openedOn), rows.map((x) => x.wkt)],
  );
  return r.rowCount ?? 0;
}

export async function insertRenovationRows(
  db: Q,
  rows: { name: string; status: string; budget: number; spent: number; progress: number; elevatorsPlanned: number; elevatorsDone: number; startsOn: string | null; endsOn: string | null; wkt: string }[],
): Promise<number> {
  // The compound is the one the project's point falls in, where there is one.
  const r = await db.query(
    `INSERT INTO renovation_project (compound_id, name, status, budget_cny, spent_cny, progress, elevators_planned, elevators_done, starts_on, ends_on, synthetic, geom)
     SELECT (SELECT c.id FROM compound c WHERE ST_Intersects(c.geom, p) ORDER BY c.id LIMIT 1),
            name, st, b, s, pr, ep, ed, so::date, eo::date, false, p
     FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::float8[], $6::int[], $7::int[], $8::text[], $9::text[], $10::text[])
            WITH ORDINALITY AS t(name, st, b, s, pr, ep, ed, so, eo, wkt, ord)
     CROSS JOIN LATERAL (SELECT ST_PointOnSurface(ST_GeomFromText(t.wkt, 4326)) AS p) x
     ORDER BY ord`,
    [
      rows.map((x) => x.name), rows.map((x) => x.status), rows.map((x) => x.budget), rows.map((x) => x.spent), rows.map((x) => x.progress),
      rows.map((x) => x.elevatorsPlanned), rows.map((x) => x.elevatorsDone), rows.map((x) => x.startsOn), rows.map((x) => x.endsOn), rows.map((x) => x.wkt),
    ],
  );
  return r.rowCount ?? 0;
}

/** Levels and ids of existing units by code. */
export async function unitsByCode(db: Q, codes: string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ code: string; level: string }>(`SELECT code, level FROM admin_unit WHERE code = ANY($1::text[])`, [codes]);
  return new Map(rows.map((r) => [r.code, r.level]));
}

/** Inserts or updates (by code) administrative units of one level; imported units are not synthetic. */
export async function upsertAdminRows(db: Q, level: string, rows: { code: string; name_zh: string; name_en: string; parentCode: string | null; wkt: string }[]): Promise<number> {
  const r = await db.query(
    `INSERT INTO admin_unit (level, code, name_zh, name_en, parent_id, synthetic, geom)
     SELECT $6, t.code, t.zh, t.en, p.id, false, ST_Multi(ST_GeomFromText(t.wkt, 4326))
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(code, zh, en, parent, wkt, ord)
     LEFT JOIN admin_unit p ON p.code = t.parent
     ORDER BY t.ord
     ON CONFLICT (code) DO UPDATE SET level = EXCLUDED.level, name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en,
       parent_id = EXCLUDED.parent_id, synthetic = false, geom = EXCLUDED.geom`,
    [rows.map((x) => x.code), rows.map((x) => x.name_zh), rows.map((x) => x.name_en), rows.map((x) => x.parentCode), rows.map((x) => x.wkt), level],
  );
  return r.rowCount ?? 0;
}

export async function maxWalkNodeId(db: Q): Promise<number> {
  const { rows } = await db.query<{ m: string | null }>(`SELECT max(id)::text AS m FROM walk_node`);
  return Number(rows[0]!.m ?? 0);
}

/** Deletes the generated rows an import replaces; other domains' references may refuse it (and roll back). */
export async function deleteSynthetic(db: Q, what: 'facilities' | 'pocket_parks' | 'renovation' | 'streets' | 'buildings'): Promise<number> {
  switch (what) {
    case 'facilities':
      return (await db.query(`DELETE FROM facility WHERE synthetic AND kind <> 'pocket_park'`)).rowCount ?? 0;
    case 'pocket_parks': {
      await db.query(`DELETE FROM facility WHERE synthetic AND kind = 'pocket_park'`);
      return (await db.query(`DELETE FROM pocket_park WHERE synthetic`)).rowCount ?? 0;
    }
    case 'renovation':
      return (await db.query(`DELETE FROM renovation_project WHERE synthetic`)).rowCount ?? 0;
    case 'streets': {
      const n = (await db.query(`DELETE FROM walk_edge WHERE synthetic`)).rowCount ?? 0;
      await db.query(`DELETE FROM walk_node n WHERE NOT EXISTS (SELECT 1 FROM walk_edge e WHERE e.source = n.id OR e.target = n.id)`);
      return n;
    }
    case 'buildings':
      return (await db.query(`DELETE FROM building WHERE synthetic`)).rowCount ?? 0;
  }
}
