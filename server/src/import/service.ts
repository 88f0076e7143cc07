/**
 * `npm run import -- <file>`: loads a city's own data. GeoJSON for facilities, pocket parks,
 * renovation projects and administrative units; OpenStreetMap XML, PBF or Overpass JSON for streets,
 * buildings and POIs. Everything runs in one transaction: a file that fails anywhere leaves
 * the database as it was.
 */
import type pg from 'pg';
import { insertBuildings, insertNetwork, refreshPopulation } from '../city/repository.ts';
import { ADMIN_LEVELS } from '../city/kinds.ts';
import type { LngLat } from '../geo/coord-systems.ts';
import { resolveCrs } from './crs.ts';
import { ImportError, type ImportIssue } from './errors.ts';
import { parseGeoJson, type Geometry, type GeoJsonKind } from './geojson.ts';
import { extractOsm, parseOsmJson, parseOsmPbf, parseOsmXml } from './osm.ts';
import * as repo from './repository.ts';

export const IMPORT_KINDS = ['facilities', 'admin', 'parks', 'renovation', 'osm'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export interface ImportOptions {
  kind?: ImportKind;
  /** wgs84 | gcj02 | bd09; overrides the file's own declaration */
  crs?: string;
  /** delete the generated (synthetic) rows of what the file brings, first */
  replace?: boolean;
  /** import the good features and report the bad ones, instead of refusing the file */
  skipInvalid?: boolean;
  log?: (msg: string) => void;
}

export interface ImportSummary {
  kind: ImportKind;
  crs: string;
  inserted: Record<string, number>;
  replaced: Record<string, number>;
  repaired: ImportIssue[];
  skipped: ImportIssue[];
}

/** A repair is safe when it keeps the shape: polygonal, and the area within 1%. */
const SAFE_AREA_CHANGE = 0.01;
const CHUNK = 5000;

type Format = 'geojson' | 'osm-xml' | 'osm-pbf' | 'osm-json';

export function detectFormat(name: string, bytes: Uint8Array): Format {
  const lower = name.toLowerCase();
  if (lower.endsWith('.pbf')) return 'osm-pbf';
  if (lower.endsWith('.osm') || lower.endsWith('.xml')) return 'osm-xml';
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('utf8').trimStart();
  if (head.startsWith('<')) return 'osm-xml';
  // Overpass JSON and GeoJSON are both JSON objects: Overpass's has "elements".
  if (head.startsWith('{')) return /"elements"\s*:/.test(head) && !/"features"\s*:/.test(head) ? 'osm-json' : 'geojson';
  return 'osm-pbf';
}

const ringWkt = (ring: LngLat[]) => ring.map((p) => `${p[0]} ${p[1]}`).join(', ');
function geometryWkt(g: Geometry): string {
  const c = g.coordinates as never;
  switch (g.type) {
    case 'Point': return `POINT(${(c as number[])[0]} ${(c as number[])[1]})`;
    case 'LineString': return `LINESTRING(${ringWkt(c as LngLat[])})`;
    case 'Polygon': return `POLYGON(${(c as LngLat[][]).map((r) => `(${ringWkt(r)})`).join(', ')})`;
    case 'MultiPolygon': return `MULTIPOLYGON(${(c as LngLat[][][]).map((p) => `(${p.map((r) => `(${ringWkt(r)})`).join(', ')})`).join(', ')})`;
    default: throw new ImportError(`unsupported geometry ${g.type}`);
  }
}

/**
 * Checks polygons in SQL; invalid ones are repaired when safe and reported, otherwise
 * rejected with their index and PostGIS's reason. Returns the WKT to store per item (null = rejected).
 */
async function vetPolygons(
  db: pg.ClientBase,
  items: { index: number; id?: string; geojson: string }[],
  opts: { single: boolean },
  repaired: ImportIssue[],
  rejected: ImportIssue[],
): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0; i < items.length; i += CHUNK) {
    const slice = items.slice(i, i + CHUNK);
    const checks = await repo.checkPolygons(db, slice.map((x) => x.geojson));
    checks.forEach((c, k) => {
      const it = slice[k]!;
      const base = { index: it.index, ...(it.id ? { id: it.id } : {}) };
      if (c.valid) return out.push(c.wkt);
      const change = c.areaAfter > 0 ? Math.abs(c.areaAfter - c.areaBefore) / c.areaAfter : 1;
      if (c.areaAfter <= 0) rejected.push({ ...base, reason: `invalid geometry (${c.reason}) with nothing left after repair` });
      else if (change > SAFE_AREA_CHANGE) rejected.push({ ...base, reason: `invalid geometry (${c.reason}); repairing it would change its area by ${(change * 100).toFixed(0)}%` });
      else if (opts.single && c.parts > 1) rejected.push({ ...base, reason: `invalid geometry (${c.reason}); repairing it splits it into ${c.parts} pieces` });
      else {
        repaired.push({ ...base, reason: `repaired: ${c.reason}` });
        return out.push(c.wkt);
      }
      out.push(null);
    });
  }
  return out;
}

export async function importFile(client: pg.ClientBase, file: { name: string; bytes: Uint8Array }, opts: ImportOptions = {}): Promise<ImportSummary> {
  const log = opts.log ?? (() => {});
  const format = detectFormat(file.name, file.bytes);
  if (opts.kind === 'osm' && format === 'geojson') throw new ImportError('--kind osm needs an OpenStreetMap file: .osm (XML), .pbf or Overpass JSON');
  if (opts.kind && opts.kind !== 'osm' && format !== 'geojson') throw new ImportError(`--kind ${opts.kind} needs a GeoJSON file`);
  await client.query('BEGIN');
  try {
    const summary = format === 'geojson' ? await importGeoJson(client, file, opts, log) : await importOsm(client, file, format, opts, log);
    await client.query('COMMIT');
    return summary;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

async function importGeoJson(client: pg.ClientBase, file: { name: string; bytes: Uint8Array }, opts: ImportOptions, log: (m: string) => void): Promise<ImportSummary> {
  const { parsed, skipped } = parseGeoJson(Buffer.from(file.bytes).toString('utf8'), { kind: opts.kind as GeoJsonKind | undefined, crs: opts.crs, skipInvalid: opts.skipInvalid });
  log(`${file.name}: ${parsed.features.length} ${parsed.kind} features, ${parsed.crs} → WGS84`);
  const summary: ImportSummary = { kind: parsed.kind, crs: parsed.crs, inserted: {}, replaced: {}, repaired: [], skipped };
  const rejected: ImportIssue[] = [];
  // Polygons are checked (and repaired where safe) before anything is written.
  const areal = parsed.features.map((f) => f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon');
  const vetted = await vetPolygons(
    client,
    parsed.features.filter((_, i) => areal[i]).map((f) => ({ index: f.index, geojson: JSON.stringify(f.geometry) })),
    { single: parsed.kind === 'parks' },
    summary.repaired,
    rejected,
  );
  let k = 0;
  const wkt = parsed.features.map((f, i) => (areal[i] ? vetted[k++]! : geometryWkt(f.geometry)));
  const keep = <T>(list: T[]) => list.filter((_, i) => wkt[i] !== null);
  const wktKept = keep(wkt) as string[];

  if (parsed.kind === 'admin') {
    if (opts.replace) throw new ImportError('--replace does not apply to admin units: a unit with the same code is updated in place');
    const feats = keep(parsed.features);
    const known = await repo.unitsByCode(client, [...new Set(feats.map((f) => f.parentCode).filter((c): c is string => !!c))]);
    feats.forEach((f) => known.set(f.code, f.level));
    const above = (l: string) => ADMIN_LEVELS[ADMIN_LEVELS.indexOf(l as never) - 1];
    feats.forEach((f) => {
      if (!f.parentCode) return;
      const pl = known.get(f.parentCode);
      if (!pl) rejected.push({ index: f.index, reason: `parent_code "${f.parentCode}" is neither in the database nor in the file` });
      else if (pl !== above(f.level)) rejected.push({ index: f.index, reason: `a ${f.level}'s parent must be a ${above(f.level)}, but "${f.parentCode}" is a ${pl}` });
    });
    rejectOrSkip(rejected, summary, opts, parsed.features.length);
    const bad = new Set(rejected.map((r) => r.index));
    let n = 0;
    for (const level of ADMIN_LEVELS) {
      const rows = feats.map((f, i) => ({ f, w: wktKept[i]! })).filter(({ f }) => f.level === level && !bad.has(f.index));
      if (!rows.length) continue;
      n += await repo.upsertAdminRows(client, level, rows.map(({ f, w }) => ({ code: f.code, name_zh: f.name_zh, name_en: f.name_en, parentCode: f.parentCode, wkt: w })));
      log(`  ${level}: ${rows.length}`);
    }
    summary.inserted.admin_unit = n;
    await refreshPopulation(client, { reassign: true });
    return summary;
  }

  rejectOrSkip(rejected, summary, opts, parsed.features.length);
  const bad = new Set(rejected.map((r) => r.index));
  const rows = parsed.features.map((f, i) => ({ f, w: wkt[i] })).filter(({ f, w }) => w !== null && !bad.has(f.index)) as { f: (typeof parsed.features)[number]; w: string }[];
  if (parsed.kind === 'facilities') {
    if (opts.replace) summary.replaced.facility = await repo.deleteSynthetic(client, 'facilities');
    summary.inserted.facility = await chunked(rows, log, 'facilities', (c) =>
      repo.insertFacilityRows(client, c.map(({ f, w }) => { const x = f as Extract<typeof parsed, { kind: 'facilities' }>['features'][number]; return { kind: x.kind, name: x.name, capacity: x.capacity, openedOn: x.openedOn, wkt: w }; })));
  } else if (parsed.kind === 'parks') {
    if (opts.replace) summary.replaced.pocket_park = await repo.deleteSynthetic(client, 'pocket_parks');
    summary.inserted.pocket_park = await chunked(rows, log, 'pocket parks', (c) =>
      repo.insertParkRows(client, c.map(({ f, w }) => { const x = f as Extract<typeof parsed, { kind: 'parks' }>['features'][number]; return { name: x.name, openedOn: x.openedOn, wkt: w }; })));
  } else {
    if (opts.replace) summary.replaced.renovation_project = await repo.deleteSynthetic(client, 'renovation');
    summary.inserted.renovation_project = await chunked(rows, log, 'renovation projects', (c) =>
      repo.insertRenovationRows(client, c.map(({ f, w }) => { const x = f as Extract<typeof parsed, { kind: 'renovation' }>['features'][number]; return { ...x, wkt: w }; })));
  }
  return summary;
}

function parseJson(text: string): { elements?: unknown } {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ImportError(`the file is not valid JSON: ${(err as Error).message}`);
  }
}

function rejectOrSkip(rejected: ImportIssue[], summary: ImportSummary, opts: ImportOptions, total: number): void {
  if (!rejected.length) return;
  if (!opts.skipInvalid) throw new ImportError(`${rejected.length} of ${total} features cannot be imported; nothing was written`, rejected);
  summary.skipped.push(...rejected);
}

async function chunked<T>(rows: T[], log: (m: string) => void, what: string, insert: (chunk: T[]) => Promise<number>): Promise<number> {
  let n = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    n += await insert(rows.slice(i, i + CHUNK));
    if (rows.length > CHUNK) log(`  ${what}: ${Math.min(i + CHUNK, rows.length)}/${rows.length}`);
  }
  if (rows.length <= CHUNK) log(`  ${what}: ${n}`);
  return n;
}

async function importOsm(client: pg.ClientBase, file: { name: string; bytes: Uint8Array }, format: Format, opts: ImportOptions, log: (m: string) => void): Promise<ImportSummary> {
  const crs = resolveCrs(opts.crs, undefined);
  const text = () => Buffer.from(file.bytes).toString('utf8');
  const data = format === 'osm-pbf' ? parseOsmPbf(file.bytes) : format === 'osm-json' ? parseOsmJson(parseJson(text())) : parseOsmXml(text());
  const x = extractOsm(data, crs);
  log(`${file.name}: ${data.nodes.size} nodes, ${data.ways.length} ways → ${x.edges.length} street segments, ${x.buildings.length} buildings, ${x.pois.length} POIs`);
  const summary: ImportSummary = { kind: 'osm', crs, inserted: {}, replaced: {}, repaired: [...x.clipped], skipped: [...x.skipped] };
  if (x.relations) log(`  ${x.relations} relations are not imported (multipolygon buildings and routes)`);

  const rejected: ImportIssue[] = [];
  const bWkt = await vetPolygons(client, x.buildings.map((b) => ({ index: b.index, id: `way ${b.wayId}`, geojson: JSON.stringify({ type: 'Polygon', coordinates: [b.ring] }) })), { single: true }, summary.repaired, rejected);
  const poiRings = x.pois.filter((p) => p.ring);
  const pWkt = await vetPolygons(client, poiRings.map((p) => ({ index: p.index, id: p.id, geojson: JSON.stringify({ type: 'Polygon', coordinates: [p.ring] }) })), { single: false }, summary.repaired, rejected);
  rejectOrSkip(rejected, summary, opts, data.nodes.size + data.ways.length);

  if (x.edges.length) {
    if (opts.replace) summary.replaced.walk_edge = await repo.deleteSynthetic(client, 'streets');
    const base = await repo.maxWalkNodeId(client);
    const ids = new Map<number, number>();
    for (const e of x.edges) for (const n of [e.source, e.target]) if (!ids.has(n)) ids.set(n, base + ids.size + 1);
    const nodes = [...ids.entries()].map(([osm, id]) => ({ id, lng: x.nodes.get(osm)![0], lat: x.nodes.get(osm)![1] }));
    await insertNetwork(client, nodes, x.edges.map((e) => ({
      source: ids.get(e.source)!, target: ids.get(e.target)!, kind: e.kind, name: e.name, synthetic: false, geomWkt: `LINESTRING(${ringWkt(e.coords)})`,
    })));
    summary.inserted.walk_node = nodes.length;
    summary.inserted.walk_edge = x.edges.length;
    log(`  streets: ${x.edges.length} segments, ${nodes.length} nodes`);
  }

  const buildings = x.buildings.map((b, i) => ({ b, w: bWkt[i] })).filter((r): r is { b: (typeof x.buildings)[number]; w: string } => r.w !== null);
  if (buildings.length) {
    if (opts.replace) summary.replaced.building = await repo.deleteSynthetic(client, 'buildings');
    // OSM has no residents: estimate 33 m² of floor per person in residential buildings.
    summary.inserted.building = await chunked(buildings, log, 'buildings', async (chunk) => {
      const areas = await repo.areasM2(client, chunk.map((r) => r.w));
      const rows = chunk.map(({ b, w }, i) => {
        const population = b.residential ? Math.round((areas[i]! * b.floors) / 33) : 0;
        return { compoundId: null, gridCode: null, floors: b.floors, households: Math.round(population / 2.6), population, builtYear: b.builtYear, wkt: w, synthetic: false };
      });
      await insertBuildings(client, rows);
      return rows.length;
    });
    await refreshPopulation(client);
  }

  let r = 0;
  const pois = x.pois.map((p) => ({ p, w: p.ring ? pWkt[r++]! : `POINT(${p.at![0]} ${p.at![1]})` })).filter((q): q is { p: (typeof x.pois)[number]; w: string } => q.w !== null);
  if (pois.length) {
    if (opts.replace) summary.replaced.facility = await repo.deleteSynthetic(client, 'facilities');
    summary.inserted.facility = await chunked(pois, log, 'facilities', (c) => repo.insertFacilityRows(client, c.map(({ p, w }) => ({ kind: p.kind, name: p.name, capacity: null, openedOn: null, wkt: w }))));
  }
  return summary;
}
