import type { Pool } from '../db/pool.ts';
import type { SqlSource } from './catalog.ts';

/** A feature as OGC API – Features serves it (GeoJSON with an integer id). */
export interface OgcFeature {
  type: 'Feature';
  id: number;
  geometry: unknown;
  properties: Record<string, unknown>;
}

export type Bbox = [number, number, number, number];

/** An instant or interval; an open end is undefined. */
export interface TimeFilter {
  start?: string;
  end?: string;
}

export interface ItemsQuery {
  bbox?: Bbox;
  datetime?: TimeFilter;
  limit: number;
  offset: number;
}

/** Collects parameter values and hands back their placeholders, so no value is ever spliced into SQL. */
class Params {
  readonly values: unknown[] = [];
  bind = (value: unknown): string => {
    this.values.push(value);
    return `$${this.values.length}`;
  };
}

/** The WHERE clause of a collection: its fixed filter, then bbox and datetime when asked. */
function whereOf(src: SqlSource, p: Params, q: Pick<ItemsQuery, 'bbox' | 'datetime'>): string {
  const parts: string[] = [];
  if (src.where) parts.push(src.where(p.bind));
  if (q.bbox) {
    const env = `ST_MakeEnvelope(${p.bind(q.bbox[0])}, ${p.bind(q.bbox[1])}, ${p.bind(q.bbox[2])}, ${p.bind(q.bbox[3])}, 4326)`;
    parts.push(`${src.geom} && ${env} AND ST_Intersects(${src.geom}, ${env})`);
  }
  if (q.datetime && src.time) {
    const start = src.time.start;
    const end = src.time.end ?? src.time.start;
    // A feature matches when its period overlaps the asked one; an open end on either side is
    // unbounded. A feature with no time never matches a time filter.
    parts.push(`${start} IS NOT NULL`);
    if (q.datetime.end !== undefined) parts.push(`${start} <= ${p.bind(q.datetime.end)}::timestamptz`);
    if (q.datetime.start !== undefined) parts.push(`coalesce(${end}::timestamptz, 'infinity') >= ${p.bind(q.datetime.start)}::timestamptz`);
  }
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

function propertiesOf(src: SqlSource): string {
  return `json_build_object(${Object.entries(src.properties)
    .map(([name, expr]) => `'${name}', ${expr}`)
    .join(', ')})`;
}

/** One page of a collection's features in id order, and how many match in all. */
export async function readItems(db: Pool, src: SqlSource, q: ItemsQuery): Promise<{ features: OgcFeature[]; matched: number }> {
  const p = new Params();
  const where = whereOf(src, p, q);
  const countParams = [...p.values];
  const sql = `SELECT ${src.id}::float8 AS id, ST_AsGeoJSON(${src.geom}, 7)::json AS geometry, ${propertiesOf(src)} AS properties
               FROM ${src.table} ${where} ORDER BY ${src.id} LIMIT ${p.bind(q.limit)} OFFSET ${p.bind(q.offset)}`;
  const [page, count] = await Promise.all([
    db.query<{ id: number; geometry: unknown; properties: Record<string, unknown> }>(sql, p.values),
    db.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${src.table} ${where}`, countParams),
  ]);
  return {
    features: page.rows.map((r) => ({ type: 'Feature', id: r.id, geometry: r.geometry, properties: r.properties })),
    matched: count.rows[0]!.n,
  };
}

export async function readItem(db: Pool, src: SqlSource, id: number): Promise<OgcFeature | null> {
  const p = new Params();
  const where = whereOf(src, p, {});
  const idCond = `${src.id} = ${p.bind(id)}`;
  const { rows } = await db.query<{ id: number; geometry: unknown; properties: Record<string, unknown> }>(
    `SELECT ${src.id}::float8 AS id, ST_AsGeoJSON(${src.geom}, 7)::json AS geometry, ${propertiesOf(src)} AS properties
     FROM ${src.table} ${where ? `${where} AND ${idCond}` : `WHERE ${idCond}`}`,
    p.values,
  );
  const r = rows[0];
  return r ? { type: 'Feature', id: r.id, geometry: r.geometry, properties: r.properties } : null;
}

/** The collection's spatial extent and, where it has times, its temporal extent. */
export async function readExtent(db: Pool, src: SqlSource): Promise<{ bbox: Bbox | null; interval: [string | null, string | null] | null }> {
  const p = new Params();
  const where = whereOf(src, p, {});
  const time = src.time ? `, min(${src.time.start})::timestamptz AS t0, max(${src.time.end ?? src.time.start})::timestamptz AS t1` : '';
  const { rows } = await db.query<{ w: number | null; s: number; e: number; n: number; t0?: Date | null; t1?: Date | null }>(
    `SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n${src.time ? ', t0, t1' : ''}
     FROM (SELECT ST_Extent(${src.geom})::geometry AS b${time} FROM ${src.table} ${where}) x`,
    p.values,
  );
  const r = rows[0]!;
  return {
    bbox: r.w === null ? null : [r.w, r.s, r.e, r.n],
    interval: src.time ? [r.t0 ? r.t0.toISOString() : null, r.t1 ? r.t1.toISOString() : null] : null,
  };
}

/** The facility kinds that have at least one facility. */
export async function readFacilityKinds(db: Pool): Promise<Set<string>> {
  const { rows } = await db.query<{ kind: string }>('SELECT DISTINCT kind FROM facility');
  return new Set(rows.map((r) => r.kind));
}

/** The district's outline box: the extent of collections computed over its buildings. */
export async function readDistrictBbox(db: Pool): Promise<Bbox | null> {
  const { rows } = await db.query<{ w: number | null; s: number; e: number; n: number }>(
    `SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n
     FROM (SELECT ST_Extent(geom)::geometry AS b FROM admin_unit WHERE level = 'district') x`,
  );
  const r = rows[0];
  return r && r.w !== null ? [r.w, r.s, r.e, r.n] : null;
}
