import { ADMIN_LEVELS, FACILITY_KINDS } from '../city/kinds.ts';
import { KINDS } from '../coverage/standards.ts';

/**
 * The OGC API – Features collections: one entry per collection, each saying who may read it
 * and where its features come from. Routes, the collection list and the API document are all
 * driven from this one catalog, so a new collection is one entry here.
 *
 * SQL comes only from these entries (identifiers and expressions written here), never from
 * a request; request values (bbox, datetime, paging) are bound as parameters by the repository.
 * No collection selects personal data: the reporter's `contact` of a case never leaves the
 * database through this interface, and neither do free texts a reporter wrote.
 */
export interface SqlSource {
  type: 'sql';
  /** A table name (from this file, never from a request). */
  table: string;
  /** A fixed filter; `bind` binds a constant of this file as a parameter. */
  where?: (bind: (value: unknown) => string) => string;
  /** Integer feature id column. */
  id: string;
  geom: string;
  /** Property name → SQL expression over the table (json_build_object keeps numbers numbers). */
  properties: Record<string, string>;
  /** Temporal extent of a feature: start and (optional) end expression, for `datetime`. */
  time?: { start: string; end?: string };
}

/** Features computed in the server (the coverage model), filtered in memory. */
export interface ComputedSource {
  type: 'coverage-gaps';
  /** The life-circle kind whose unreached buildings are the features. */
  kind: string;
  /** The standard's walking distance for the kind, metres. */
  metres: number;
}

export interface Collection {
  id: string;
  title: string;
  description: string;
  /** The permission a caller needs to list and read the collection (`public` for everyone). */
  permission: 'public' | 'cases.read';
  geometryType: 'Point' | 'Polygon' | 'MultiPolygon';
  /** Property name → JSON type, for the API document and GIS clients that want a schema. */
  fields: Record<string, 'integer' | 'number' | 'string' | 'boolean'>;
  source: SqlSource | ComputedSource;
  /** Facility collections and coverage gaps exist only for kinds with at least one facility. */
  facilityKind?: string;
}

const LEVEL_TITLES: Record<(typeof ADMIN_LEVELS)[number], string> = {
  district: 'District (区)',
  subdistrict: 'Subdistricts (街道)',
  community: 'Communities (社区)',
  grid: 'Grids (网格)',
};

const adminUnits: Collection[] = ADMIN_LEVELS.map((level) => ({
  id: `admin-units-${level}`,
  title: LEVEL_TITLES[level],
  description: `Administrative units of level ${level}, with their NBS codes where they exist.`,
  permission: 'public',
  geometryType: 'MultiPolygon',
  fields: { level: 'string', code: 'string', name_zh: 'string', name_en: 'string', parent_id: 'integer' },
  source: {
    type: 'sql',
    table: 'admin_unit',
    where: (bind) => `level = ${bind(level)}`,
    id: 'id',
    geom: 'geom',
    properties: { level: 'level', code: 'code', name_zh: 'name_zh', name_en: 'name_en', parent_id: 'parent_id' },
  },
}));

const kindNames = new Map(KINDS.map((k) => [k.kind, k]));

const facilities: Collection[] = FACILITY_KINDS.map((kind) => ({
  id: `facilities-${kind.replaceAll('_', '-')}`,
  title: `Facilities: ${kindNames.get(kind)?.name_en ?? kind} (${kindNames.get(kind)?.name_zh ?? kind})`,
  description: `Service facilities of the life-circle kind ${kind} (GB 50180-2018).`,
  permission: 'public',
  geometryType: 'Point',
  fields: { kind: 'string', name: 'string', capacity: 'integer', opened_on: 'string', synthetic: 'boolean' },
  facilityKind: kind,
  source: {
    type: 'sql',
    table: 'facility',
    where: (bind) => `kind = ${bind(kind)}`,
    id: 'id',
    geom: 'geom',
    properties: { kind: 'kind', name: 'name', capacity: 'capacity', opened_on: 'opened_on::text', synthetic: 'synthetic' },
    time: { start: 'opened_on' },
  },
}));

const pocketParks: Collection = {
  id: 'pocket-parks',
  title: 'Pocket parks (口袋公园)',
  description: 'Pocket parks with their area and opening date.',
  permission: 'public',
  geometryType: 'Polygon',
  fields: { name: 'string', area_m2: 'number', opened_on: 'string', synthetic: 'boolean' },
  source: {
    type: 'sql',
    table: 'pocket_park',
    id: 'id',
    geom: 'geom',
    properties: { name: 'name', area_m2: 'area_m2', opened_on: 'opened_on::text', synthetic: 'synthetic' },
    time: { start: 'opened_on' },
  },
};

const renovation: Collection = {
  id: 'renovation-projects',
  title: 'Old-compound renovation projects (老旧小区改造)',
  description: 'Renovation projects with status, budget, spending, progress and elevators; `datetime` matches their start–end period.',
  permission: 'public',
  geometryType: 'Point',
  fields: {
    name: 'string',
    compound_id: 'integer',
    status: 'string',
    budget_cny: 'number',
    spent_cny: 'number',
    progress: 'number',
    elevators_planned: 'integer',
    elevators_done: 'integer',
    starts_on: 'string',
    ends_on: 'string',
    synthetic: 'boolean',
  },
  source: {
    type: 'sql',
    table: 'renovation_project',
    id: 'id',
    geom: 'geom',
    properties: {
      name: 'name',
      compound_id: 'compound_id',
      status: 'status',
      budget_cny: 'budget_cny::float8',
      spent_cny: 'spent_cny::float8',
      progress: 'progress',
      elevators_planned: 'elevators_planned',
      elevators_done: 'elevators_done',
      starts_on: 'starts_on::text',
      ends_on: 'ends_on::text',
      synthetic: 'synthetic',
    },
    time: { start: 'starts_on', end: 'ends_on' },
  },
};

const coverageGaps: Collection[] = KINDS.map((k) => ({
  id: `coverage-gaps-${k.kind.replaceAll('_', '-')}`,
  title: `Coverage gaps: ${k.name_en} (${k.name_zh})`,
  description: `Inhabited buildings farther than ${k.walk_distance_m} m on foot (the ${k.circle}-minute life circle of GB 50180-2018) from every ${k.kind} facility, with their population.`,
  permission: 'public',
  geometryType: 'Point',
  fields: { building_id: 'integer', population: 'number', community_id: 'integer', subdistrict_id: 'integer', reason: 'string', kind: 'string', threshold_m: 'number' },
  facilityKind: k.kind,
  source: { type: 'coverage-gaps', kind: k.kind, metres: k.walk_distance_m },
}));

/**
 * Cases without anything that identifies or quotes the reporter: no contact, description,
 * address, media or external id; the place is the case's point.
 */
const cases: Collection = {
  id: 'cases',
  title: 'Cases (案件)',
  description: 'City-management cases: category, status, priority, source, admin units, department and stage times. `datetime` matches the report time.',
  permission: 'cases.read',
  geometryType: 'Point',
  fields: {
    source: 'string',
    category: 'string',
    status: 'string',
    priority: 'string',
    subdistrict_id: 'integer',
    community_id: 'integer',
    grid_id: 'integer',
    department_id: 'integer',
    reported_at: 'string',
    due_at: 'string',
    closed_at: 'string',
    overdue: 'boolean',
    satisfaction: 'integer',
  },
  source: {
    type: 'sql',
    table: 'cases',
    id: 'id',
    geom: 'geom',
    properties: {
      source: 'source',
      category: 'category',
      status: 'status',
      priority: 'priority',
      subdistrict_id: 'subdistrict_id',
      community_id: 'community_id',
      grid_id: 'grid_id',
      department_id: 'department_id',
      reported_at: 'reported_at',
      due_at: 'case_current_due(status, register_due_at, dispatch_due_at, accept_due_at, handle_due_at, close_due_at)',
      closed_at: 'closed_at',
      overdue: 'coalesce(case_current_due(status, register_due_at, dispatch_due_at, accept_due_at, handle_due_at, close_due_at) < now(), false)',
      satisfaction: 'satisfaction',
    },
    time: { start: 'reported_at' },
  },
};

/**
 * Operations sites are not offered: the database has no operations table yet (whistles are
 * summonses to a place, not sites), so there is nothing to serve until one exists.
 */
export const COLLECTIONS: readonly Collection[] = [...adminUnits, ...facilities, pocketParks, renovation, ...coverageGaps, cases];

const BY_ID = new Map(COLLECTIONS.map((c) => [c.id, c]));

export function collectionById(id: string): Collection | undefined {
  return BY_ID.get(id);
}
