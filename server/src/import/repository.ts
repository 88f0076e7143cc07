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

// ---- batches: staging, diffing by source id, keeping what is replaced, undo ----

/** The tables an import writes rows into, in the order they are written; identifiers only from here. */
export const STAGED_TABLES = ['walk_edge', 'building', 'facility', 'pocket_park', 'renovation_project'] as const;
export type StagedTable = (typeof STAGED_TABLES)[number];
const ARCHIVED = ['admin_unit', 'walk_node', ...STAGED_TABLES] as const;
type ArchivedTable = (typeof ARCHIVED)[number];
const ident = (t: string) => {
  if (!(ARCHIVED as readonly string[]).includes(t)) throw new Error(`not an import table: ${t}`);
  return t;
};

export interface StageRow { tbl: StagedTable | 'walk_node'; sourceId: string; hash: string; wkt: string; attrs: Record<string, unknown> }

/** A temporary table holding the file's rows; it disappears with the transaction. */
export async function createStage(db: Q): Promise<void> {
  await db.query(
    `CREATE TEMP TABLE import_stage (
       ord serial, tbl text NOT NULL, source_id text NOT NULL, source_hash text NOT NULL,
       geom geometry(Geometry, 4326) NOT NULL, attrs jsonb NOT NULL, state text NOT NULL DEFAULT 'new', old_id bigint
     ) ON COMMIT DROP`,
  );
  await db.query(`CREATE INDEX ON import_stage (tbl, source_id)`);
}

export async function stageRows(db: Q, rows: StageRow[]): Promise<void> {
  await db.query(
    `INSERT INTO import_stage (tbl, source_id, source_hash, geom, attrs)
     SELECT tbl, sid, h, ST_GeomFromText(wkt, 4326), a::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(tbl, sid, h, wkt, a, ord) ORDER BY ord`,
    [rows.map((r) => r.tbl), rows.map((r) => r.sourceId), rows.map((r) => r.hash), rows.map((r) => r.wkt), rows.map((r) => JSON.stringify(r.attrs))],
  );
}

export async function createBatch(db: Q, b: { fileName: string; format: string; kind: string; sha256: string }): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO import_batch (file_name, format, kind, file_sha256) VALUES ($1, $2, $3, $4) RETURNING id`,
    [b.fileName, b.format, b.kind, b.sha256],
  );
  return rows[0]!.id;
}

export async function finishBatch(db: Q, id: number, scope: string | null, summary: unknown): Promise<void> {
  await db.query(`UPDATE import_batch SET scope = $2, summary = $3::jsonb WHERE id = $1`, [id, scope, JSON.stringify(summary)]);
}

/** The district's outline (union of the district-level units), or null when none is loaded. */
export async function hasDistrict(db: Q): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM admin_unit WHERE level = 'district' LIMIT 1`);
  return rows.length > 0;
}

/** Staged rows (per table) that do not touch the district's outline. */
export async function stagedOutside(db: Q): Promise<{ tbl: string; n: number; sample: string }[]> {
  const { rows } = await db.query<{ tbl: string; n: number; sample: string }>(
    `WITH d AS (SELECT ST_Union(geom) AS g FROM admin_unit WHERE level = 'district')
     SELECT s.tbl, count(*)::int AS n, min(s.source_id) AS sample
     FROM import_stage s, d WHERE s.tbl <> 'walk_node' AND NOT ST_Intersects(s.geom, d.g)
     GROUP BY s.tbl ORDER BY s.tbl`,
  );
  return rows;
}

/** Leaves out the staged rows that do not touch the district (--clip). */
export async function clipStageToDistrict(db: Q): Promise<number> {
  const r = await db.query(
    `DELETE FROM import_stage s USING (SELECT ST_Union(geom) AS g FROM admin_unit WHERE level = 'district') d
     WHERE s.tbl <> 'walk_node' AND NOT ST_Intersects(s.geom, d.g)`,
  );
  return r.rowCount ?? 0;
}

/** The file's extent (the box around everything staged) or a named unit's outline, as EWKT. */
export async function scopeGeometry(db: Q, unitCode: string | null): Promise<{ ewkt: string; label: string } | null> {
  if (unitCode) {
    const { rows } = await db.query<{ g: string; name: string; level: string }>(`SELECT ST_AsEWKT(geom) AS g, name_zh AS name, level FROM admin_unit WHERE code = $1`, [unitCode]);
    if (!rows.length) return null;
    return { ewkt: rows[0]!.g, label: `${rows[0]!.level} ${unitCode} (${rows[0]!.name})` };
  }
  const { rows } = await db.query<{ g: string | null; box: string | null }>(
    `SELECT ST_AsEWKT(ST_Envelope(ST_Collect(geom))) AS g, ST_Extent(geom)::text AS box FROM import_stage WHERE tbl <> 'walk_node'`,
  );
  return rows[0]!.g ? { ewkt: rows[0]!.g, label: `the file's extent ${rows[0]!.box}` } : null;
}

/** Moves rows into import_replaced (without generated columns), then deletes them. */
async function archiveAndDelete(db: Q, batch: number, table: ArchivedTable, ids: (number | string)[]): Promise<number> {
  if (!ids.length) return 0;
  const t = ident(table);
  const r = await db.query(
    `WITH d AS (DELETE FROM ${t} t WHERE t.id = ANY($1::bigint[]) RETURNING t.*)
     INSERT INTO import_replaced (batch_id, table_name, row, geom)
     SELECT $2, $3, to_jsonb(d) - 'geom' - 'centroid', d.geom FROM d`,
    [ids, batch, t],
  );
  return r.rowCount ?? 0;
}

export interface TableDiff { added: number; replaced: number; deleted: number; unchanged: number }

/**
 * Compares the staged rows of one table with what is stored, by source id: an equal hash is
 * unchanged, a different one replaces the stored row. With a scope, stored rows inside it that
 * the file does not bring are deleted (facilities only of the kinds the file brings). Replaced
 * and deleted rows are archived under the batch before they go.
 */
export async function diffTable(db: Q, batch: number, table: StagedTable, scopeEwkt: string | null): Promise<TableDiff & { replacedIds: number[]; deletedIds: number[] }> {
  const t = ident(table);
  await db.query(
    `UPDATE import_stage s SET old_id = t.id, state = CASE WHEN t.source_hash = s.source_hash THEN 'unchanged' ELSE 'replaces' END
     FROM ${t} t WHERE s.tbl = $1 AND t.source_id = s.source_id`,
    [t],
  );
  const { rows: [c] } = await db.query<{ added: number; replaced: number; unchanged: number; replaced_ids: number[] }>(
    `SELECT count(*) FILTER (WHERE state = 'new')::int AS added, count(*) FILTER (WHERE state = 'replaces')::int AS replaced,
            count(*) FILTER (WHERE state = 'unchanged')::int AS unchanged,
            COALESCE(array_agg(old_id) FILTER (WHERE state = 'replaces'), '{}') AS replaced_ids
     FROM import_stage WHERE tbl = $1`,
    [t],
  );
  let deletedIds: number[] = [];
  if (scopeEwkt) {
    const { rows } = await db.query<{ id: string }>(
      `SELECT t.id::text FROM ${t} t
       WHERE ST_CoveredBy(t.geom, ST_GeomFromEWKT($2))
         AND NOT EXISTS (SELECT 1 FROM import_stage s WHERE s.tbl = $1 AND s.source_id = t.source_id)
         ${t === 'facility' ? `AND t.kind IN (SELECT DISTINCT attrs->>'kind' FROM import_stage WHERE tbl = 'facility')` : ''}
       ORDER BY t.id`,
      [t, scopeEwkt],
    );
    deletedIds = rows.map((r) => Number(r.id));
  }
  return { added: c!.added, replaced: c!.replaced, unchanged: c!.unchanged, deleted: deletedIds.length, replacedIds: c!.replaced_ids.map(Number), deletedIds };
}

/** Archives and deletes rows; for streets, also the nodes no edge uses any more. */
export async function removeRows(db: Q, batch: number, table: StagedTable, ids: number[]): Promise<void> {
  if (!ids.length) return;
  if (table !== 'walk_edge') {
    await archiveAndDelete(db, batch, table, ids);
    return;
  }
  const { rows } = await db.query<{ n: string }>(`SELECT DISTINCT unnest(ARRAY[source, target])::text AS n FROM walk_edge WHERE id = ANY($1::bigint[])`, [ids]);
  await archiveAndDelete(db, batch, 'walk_edge', ids);
  const { rows: orphans } = await db.query<{ id: string }>(
    `SELECT n.id::text FROM walk_node n WHERE n.id = ANY($1::bigint[])
       AND NOT EXISTS (SELECT 1 FROM walk_edge e WHERE e.source = n.id OR e.target = n.id)`,
    [rows.map((r) => r.n)],
  );
  await archiveAndDelete(db, batch, 'walk_node', orphans.map((o) => o.id));
}

/** Inserts the staged rows of a table that are new or replace a stored one. */
export async function insertStaged(db: Q, batch: number, table: StagedTable, walkSpeedMps: number): Promise<number> {
  const live = `FROM import_stage s WHERE s.tbl = $1 AND s.state <> 'unchanged'`;
  switch (table) {
    case 'facility':
      return (await db.query(
        `INSERT INTO facility (kind, name, capacity, opened_on, synthetic, geom, source_id, source_hash, import_batch_id)
         SELECT s.attrs->>'kind', s.attrs->>'name', (s.attrs->>'capacity')::int, (s.attrs->>'opened_on')::date, false,
                ST_PointOnSurface(s.geom), s.source_id, s.source_hash, $2 ${live} ORDER BY s.ord`,
        [table, batch],
      )).rowCount ?? 0;
    case 'pocket_park':
      return (await db.query(
        `INSERT INTO pocket_park (name, area_m2, opened_on, synthetic, geom, source_id, source_hash, import_batch_id)
         SELECT s.attrs->>'name', round(ST_Area(s.geom::geography)::numeric, 1), (s.attrs->>'opened_on')::date, false,
                s.geom, s.source_id, s.source_hash, $2 ${live} ORDER BY s.ord`,
        [table, batch],
      )).rowCount ?? 0;
    case 'renovation_project':
      // The compound is the one the project's point falls in, where there is one.
      return (await db.query(
        `INSERT INTO renovation_project (compound_id, name, status, budget_cny, spent_cny, progress, elevators_planned, elevators_done,
                                         starts_on, ends_on, synthetic, geom, source_id, source_hash, import_batch_id)
         SELECT (SELECT c.id FROM compound c WHERE ST_Intersects(c.geom, p) ORDER BY c.id LIMIT 1),
                a->>'name', a->>'status', (a->>'budget')::numeric, (a->>'spent')::numeric, (a->>'progress')::float8,
                (a->>'elevatorsPlanned')::int, (a->>'elevatorsDone')::int, (a->>'startsOn')::date, (a->>'endsOn')::date,
                false, p, s.source_id, s.source_hash, $2
         FROM import_stage s CROSS JOIN LATERAL (SELECT s.attrs AS a, ST_PointOnSurface(s.geom) AS p) x
         WHERE s.tbl = $1 AND s.state <> 'unchanged' ORDER BY s.ord`,
        [table, batch],
      )).rowCount ?? 0;
    case 'building':
      // OSM has no residents: 33 m² of floor per person in residential buildings.
      return (await db.query(
        `INSERT INTO building (floors, households, population, built_year, synthetic, geom, source_id, source_hash, import_batch_id)
         SELECT f, round(p / 2.6)::int, p, (s.attrs->>'builtYear')::int, false, s.geom, s.source_id, s.source_hash, $2
         FROM import_stage s
         CROSS JOIN LATERAL (SELECT (s.attrs->>'floors')::int AS f) a
         CROSS JOIN LATERAL (SELECT CASE WHEN (s.attrs->>'residential')::boolean THEN round(ST_Area(s.geom::geography) * f / 33)::int ELSE 0 END AS p) b
         WHERE s.tbl = $1 AND s.state <> 'unchanged' ORDER BY s.ord`,
        [table, batch],
      )).rowCount ?? 0;
    case 'walk_edge': {
      // Nodes are shared by source id: an OSM node already in the network is reused, so a second
      // extract that overlaps the first joins it.
      await db.query(
        `WITH need AS (
           SELECT DISTINCT ON (n.source_id) n.source_id, n.geom, n.ord FROM import_stage n
           WHERE n.tbl = 'walk_node'
             AND EXISTS (SELECT 1 FROM import_stage e WHERE e.tbl = 'walk_edge' AND e.state <> 'unchanged'
                         AND n.source_id IN (e.attrs->>'source', e.attrs->>'target'))
             AND NOT EXISTS (SELECT 1 FROM walk_node w WHERE w.source_id = n.source_id)
           ORDER BY n.source_id, n.ord)
         INSERT INTO walk_node (id, geom, source_id, import_batch_id)
         SELECT (SELECT COALESCE(max(id), 0) FROM walk_node) + row_number() OVER (ORDER BY ord), geom, source_id, $1 FROM need`,
        [batch],
      );
      return (await db.query(
        `INSERT INTO walk_edge (source, target, length_m, cost_s, kind, name, synthetic, geom, source_id, source_hash, import_batch_id)
         SELECT a.id, b.id, ST_Length(s.geom::geography), ST_Length(s.geom::geography) / $3, s.attrs->>'kind', s.attrs->>'name', false,
                s.geom, s.source_id, s.source_hash, $2
         FROM import_stage s
         JOIN walk_node a ON a.source_id = s.attrs->>'source'
         JOIN walk_node b ON b.source_id = s.attrs->>'target'
         WHERE s.tbl = $1 AND s.state <> 'unchanged' ORDER BY s.ord`,
        [table, batch, walkSpeedMps],
      )).rowCount ?? 0;
    }
  }
}

/**
 * Joins the batch's street ends to the network where they touch it: a new node within
 * `toleranceM` of a node the batch did not add becomes that node.
 */
export async function joinTouchingNodes(db: Q, batch: number, toleranceM: number): Promise<number> {
  const { rows } = await db.query<{ nid: string; oid: string }>(
    `SELECT n.id::text AS nid, o.id::text AS oid FROM walk_node n
     CROSS JOIN LATERAL (
       SELECT o.id FROM walk_node o
       WHERE o.import_batch_id IS DISTINCT FROM $1 AND ST_DWithin(o.geom, n.geom, $2 / 80000.0)
         AND ST_DWithin(o.geom::geography, n.geom::geography, $2)
       ORDER BY o.geom <-> n.geom LIMIT 1) o
     WHERE n.import_batch_id = $1`,
    [batch, toleranceM],
  );
  if (!rows.length) return 0;
  const nids = rows.map((r) => r.nid), oids = rows.map((r) => r.oid);
  for (const end of ['source', 'target']) {
    await db.query(
      `UPDATE walk_edge e SET ${end} = m.oid FROM unnest($1::bigint[], $2::bigint[]) AS m(nid, oid) WHERE e.${end} = m.nid AND e.import_batch_id = $3`,
      [nids, oids, batch],
    );
  }
  await db.query(`DELETE FROM walk_node WHERE id = ANY($1::bigint[])`, [nids]);
  return rows.length;
}

/**
 * Pieces of the network that the batch's streets form apart from the main network (the
 * connected piece with the most length): each with its edges and metres, largest first.
 */
export async function detachedPieces(db: Q, batch: number): Promise<{ edges: number; length_m: number }[]> {
  const { rows } = await db.query<{ edges: number; length_m: number; batch_edges: number; main: boolean }>(
    `WITH c AS (SELECT node, component FROM pgr_connectedComponents('SELECT id, source, target, 1 AS cost, 1 AS reverse_cost FROM walk_edge')),
     per AS (
       SELECT c.component, count(*)::int AS edges, sum(e.length_m) AS length_m, count(*) FILTER (WHERE e.import_batch_id = $1)::int AS batch_edges
       FROM walk_edge e JOIN c ON c.node = e.source GROUP BY c.component)
     SELECT edges, round(length_m::numeric, 1)::float8 AS length_m, batch_edges,
            length_m = max(length_m) OVER () AS main
     FROM per ORDER BY length_m DESC`,
    [batch],
  );
  let mainSeen = false;
  return rows.filter((r) => {
    if (r.main && !mainSeen) { mainSeen = true; return false; }
    return r.batch_edges > 0;
  }).map((r) => ({ edges: r.edges, length_m: r.length_m }));
}

/** Archives the admin units a file updates in place (by code), before the upsert. */
export async function archiveAdminByCode(db: Q, batch: number, codes: string[]): Promise<number> {
  const r = await db.query(
    `INSERT INTO import_replaced (batch_id, table_name, row, geom)
     SELECT $2, 'admin_unit', to_jsonb(a) - 'geom', a.geom FROM admin_unit a WHERE a.code = ANY($1::text[])`,
    [codes, batch],
  );
  return r.rowCount ?? 0;
}

export async function markAdminBatch(db: Q, batch: number, codes: string[]): Promise<void> {
  await db.query(`UPDATE admin_unit SET import_batch_id = $2 WHERE code = ANY($1::text[])`, [codes, batch]);
}

export interface BatchRow { id: number; file_name: string; kind: string; imported_at: string; summary: unknown }

export async function latestBatch(db: Q): Promise<BatchRow | null> {
  const { rows } = await db.query<BatchRow>(
    `SELECT id, file_name, kind, imported_at::text, summary FROM import_batch WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1`,
  );
  return rows[0] ?? null;
}

async function columnsOf(db: Q, table: ArchivedTable): Promise<string[]> {
  const { rows } = await db.query<{ c: string }>(
    `SELECT quote_ident(column_name) AS c FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' AND column_name <> 'geom'
     ORDER BY ordinal_position`,
    [ident(table)],
  );
  return rows.map((r) => r.c);
}

/**
 * Undoes one batch: deletes the rows it added and puts back, with their ids, the rows it
 * replaced or deleted; admin units it updated get their old values back.
 */
export async function undoBatch(db: Q, batch: number): Promise<Record<string, { removed: number; restored: number }>> {
  const out: Record<string, { removed: number; restored: number }> = {};
  for (const t of STAGED_TABLES) {
    out[t] = { removed: (await db.query(`DELETE FROM ${ident(t)} WHERE import_batch_id = $1`, [batch])).rowCount ?? 0, restored: 0 };
  }
  out.walk_node = { removed: (await db.query(`DELETE FROM walk_node WHERE import_batch_id = $1`, [batch])).rowCount ?? 0, restored: 0 };
  // Admin units: the ones the batch created go (their children with them); updated ones get their old values.
  out.admin_unit = {
    removed: (await db.query(
      `DELETE FROM admin_unit a WHERE a.import_batch_id = $1
         AND NOT EXISTS (SELECT 1 FROM import_replaced r WHERE r.batch_id = $1 AND r.table_name = 'admin_unit' AND (r.row->>'id')::int = a.id)`,
      [batch],
    )).rowCount ?? 0,
    restored: 0,
  };
  const adminCols = (await columnsOf(db, 'admin_unit')).filter((c) => c !== 'id');
  out.admin_unit.restored = (await db.query(
    `UPDATE admin_unit a SET (${adminCols.join(', ')}, geom) = (SELECT ${adminCols.map((c) => `p.${c}`).join(', ')}, r.geom)
     FROM import_replaced r CROSS JOIN LATERAL jsonb_populate_record(NULL::admin_unit, r.row) p
     WHERE r.batch_id = $1 AND r.table_name = 'admin_unit' AND a.id = p.id`,
    [batch],
  )).rowCount ?? 0;
  for (const t of ['walk_node', ...STAGED_TABLES] as const) {
    const cols = await columnsOf(db, t);
    const n = (await db.query(
      `INSERT INTO ${ident(t)} (${cols.join(', ')}, geom)
       SELECT ${cols.map((c) => `p.${c}`).join(', ')}, r.geom
       FROM import_replaced r CROSS JOIN LATERAL jsonb_populate_record(NULL::${ident(t)}, r.row) p
       WHERE r.batch_id = $1 AND r.table_name = $2`,
      [batch, t],
    )).rowCount ?? 0;
    out[t]!.restored = n;
  }
  await db.query(`UPDATE import_batch SET undone_at = now() WHERE id = $1`, [batch]);
  return out;
}

/** Codes of the units whose stored names, parent and outline equal the file's (re-importing them changes nothing). */
export async function unchangedAdmin(db: Q, rows: { code: string; name_zh: string; name_en: string; parentCode: string | null; wkt: string }[]): Promise<Set<string>> {
  const { rows: same } = await db.query<{ code: string }>(
    `SELECT a.code FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(code, zh, en, parent, wkt)
     JOIN admin_unit a ON a.code = t.code
     LEFT JOIN admin_unit p ON p.id = a.parent_id
     WHERE a.name_zh = t.zh AND a.name_en = t.en AND p.code IS NOT DISTINCT FROM t.parent
       AND ST_AsBinary(a.geom) = ST_AsBinary(ST_Multi(ST_GeomFromText(t.wkt, 4326)))`,
    [rows.map((x) => x.code), rows.map((x) => x.name_zh), rows.map((x) => x.name_en), rows.map((x) => x.parentCode), rows.map((x) => x.wkt)],
  );
  return new Set(same.map((r) => r.code));
}

/** Forgets every import (after the city tables were emptied, there is nothing left to undo to). */
export async function forgetImports(db: Q): Promise<void> {
  await db.query(`TRUNCATE import_replaced, import_batch RESTART IDENTITY CASCADE`);
}
