import type pg from 'pg';

type Db = pg.Pool | pg.ClientBase;

/** A case as GeoReport v2 describes a service request (before formatting). */
export interface RequestRow {
  id: number;
  status: string;
  status_note: string | null;
  category: string;
  description: string;
  agency: string | null;
  reported_at: Date;
  updated_at: Date;
  close_due_at: Date;
  address: string | null;
  lat: number;
  lng: number;
  media_url: string | null;
}

export interface RequestFilter {
  ids?: number[];
  categories?: string[];
  start?: Date;
  end?: Date;
  /** The case statuses that map to the requested Open311 statuses. */
  statuses?: string[];
  limit: number;
}

const COLUMNS = `c.id::int AS id, c.status, c.status_note, c.category, c.description, d.name_zh AS agency, c.reported_at, c.updated_at,
  c.close_due_at, c.address, ST_Y(c.geom) AS lat, ST_X(c.geom) AS lng, c.media_url`;

/** Service requests matching the GeoReport filters, newest first. */
export async function findRequests(db: Db, f: RequestFilter): Promise<RequestRow[]> {
  const { rows } = await db.query<RequestRow>(
    `SELECT ${COLUMNS} FROM cases c LEFT JOIN department d ON d.id = c.department_id
     WHERE ($1::bigint[] IS NULL OR c.id = ANY($1))
       AND ($2::text[] IS NULL OR c.category = ANY($2))
       AND ($3::timestamptz IS NULL OR c.reported_at >= $3)
       AND ($4::timestamptz IS NULL OR c.reported_at <= $4)
       AND ($5::text[] IS NULL OR c.status = ANY($5))
     ORDER BY c.reported_at DESC, c.id DESC LIMIT $6`,
    [f.ids ?? null, f.categories ?? null, f.start ?? null, f.end ?? null, f.statuses ?? null, f.limit],
  );
  return rows;
}
