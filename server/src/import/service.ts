/**
 * `npm run import -- <file>`: loads a city's own data. GeoJSON for facilities, parks,
 * renovation projects and administrative units; OpenStreetMap XML, PBF or Overpass JSON for
 * streets, buildings and POIs.
 *
 * An import cannot lose data:
 * - it runs in one transaction (a file that fails anywhere leaves the database as it was), and
 *   `dryRun` runs it all and rolls back, reporting per table what would be added, replaced
 *   and deleted;
 * - every row carries a stable source id and a hash of its content, so the same file imported
 *   twice changes nothing, and a changed feature replaces its earlier version only;
 * - `replace` deletes only rows inside the file's extent (or a named unit), of the tables the
 *   file brings (and of the facility kinds it brings), and more than `maxDelete` of them need `yes`;
 * - every replaced or deleted row is kept under the import's batch, so `undoLatest` puts it back;
 * - rows that lie outside the district are refused unless `allowOutside` (or `clip`).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import { refreshPopulation, WALK_SPEED_MPS } from '../city/repository.ts';
import { ADMIN_LEVELS } from '../city/kinds.ts';
import type { LngLat } from '../geo/coord-systems.ts';
import { resolveCrs } from './crs.ts';
import { ImportError, type ImportIssue } from './errors.ts';
import { parseGeoJson, parseJsonDocument, type Geometry, type GeoJsonKind, type ParsedGeoJson } from './geojson.ts';
import { extractOsm, parseOsmJson, parseOsmPbf, parseOsmXml } from './osm.ts';
import { classifyPark, describeClasses } from './parks.ts';
import * as repo from './repository.ts';

export const IMPORT_KINDS = ['facilities', 'admin', 'parks', 'renovation', 'osm'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** How many rows `replace` may delete before it asks for `yes`. */
export const DEFAULT_MAX_DELETE = 100;
/** A new street end this close to a node of the network (metres) joins it there. */
export const DEFAULT_JOIN_TOLERANCE_M = 1;

export interface ImportOptions {
  kind?: ImportKind;
  /** wgs84 | gcj02 | bd09; overrides the file's own declaration */
  crs?: string;
  /** delete the stored rows inside the file's extent that the file does not bring (of its tables) */
  replace?: boolean;
  /** like replace, but inside this administrative unit (by code) instead of the file's extent */
  replaceIn?: string;
  /** run everything, report, and roll back */
  dryRun?: boolean;
  /** go ahead although replace deletes more than maxDelete rows */
  yes?: boolean;
  maxDelete?: number;
  /** import rows that lie outside the district */
  allowOutside?: boolean;
  /** import only the rows that touch the district, leaving the others out */
  clip?: boolean;
  /** import the good features and report the bad ones, instead of refusing the file */
  skipInvalid?: boolean;
  joinToleranceM?: number;
  log?: (msg: string) => void;
}

/** Per table: rows added, replaced (a newer version of the same source id), deleted (by replace), unchanged. */
export type TableCounts = repo.TableDiff;

export interface ImportSummary {
  file: string;
  format: string;
  kind: ImportKind;
  crs: string;
  /** the batch to undo; null on a dry run */
  batch: number | null;
  dryRun: boolean;
  tables: Record<string, TableCounts>;
  /** rows written per table (added + replaced) */
  inserted: Record<string, number>;
  /** where replace deleted rows */
  scope: string | null;
  /** rows left out because they lie outside the district (clip) */
  outside: number;
  /** streets: ends joined to the network, and pieces that stay apart from it (largest first) */
  streets?: { joined: number; detached: { edges: number; length_m: number }[] };
  repaired: ImportIssue[];
  skipped: ImportIssue[];
}

/** A repair is safe when it keeps the shape: polygonal, and the area within 1%. */
const SAFE_AREA_CHANGE = 0.01;
const CHUNK = 5000;

export type Format = 'geojson' | 'osm-xml' | 'osm-pbf' | 'osm-json';
export const FORMAT_LABEL: Record<Format, string> = { geojson: 'GeoJSON', 'osm-xml': 'OSM XML', 'osm-pbf': 'OSM PBF', 'osm-json': 'Overpass JSON' };

/**
 * The format, from the extension first (.geojson/.json, .osm/.xml, .pbf); only a file with
 * another extension is told by its content.
 */
export function detectFormat(name: string, bytes: Uint8Array): Format {
  const ext = path.extname(name).toLowerCase();
  const head = () => Buffer.from(bytes.subarray(0, 4096)).toString('utf8').trimStart();
  // Overpass JSON and GeoJSON are both JSON objects: Overpass's has "elements".
  const jsonKind = (): Format => (/"elements"\s*:/.test(head()) && !/"features"\s*:/.test(head()) ? 'osm-json' : 'geojson');
  if (ext === '.pbf') return 'osm-pbf';
  if (ext === '.osm' || ext === '.xml') return 'osm-xml';
  if (ext === '.geojson') return 'geojson';
  if (ext === '.json') return jsonKind();
  const h = head();
  if (h.startsWith('<')) return 'osm-xml';
  if (h.startsWith('{')) return jsonKind();
  if (bytes.length >= 16 && Buffer.from(bytes.subarray(0, 64)).includes('OSMHeader')) return 'osm-pbf';
  throw new ImportError(`cannot tell the format of ${name}: name it .geojson (GeoJSON), .osm (OSM XML) or .pbf (OSM PBF)`);
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

const sha = (s: string | Uint8Array, alg = 'sha1') => createHash(alg).update(s).digest('hex');

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

function rejectOrSkip(rejected: ImportIssue[], summary: { skipped: ImportIssue[] }, opts: ImportOptions, total: number): void {
  if (!rejected.length) return;
  if (!opts.skipInvalid) throw new ImportError(`${rejected.length} of ${total} features cannot be imported; nothing was written`, rejected);
  summary.skipped.push(...rejected);
}

/** What a parsed file brings: rows per table, each with its source id and content hash. */
interface Staged { rows: repo.StageRow[]; kind: ImportKind; crs: string; repaired: ImportIssue[]; skipped: ImportIssue[]; admin?: AdminRows }
type AdminRows = { features: Extract<ParsedGeoJson, { kind: 'admin' }>['features']; wkt: string[] };

function stageRow(tbl: repo.StageRow['tbl'], sourceId: string, wkt: string, attrs: Record<string, unknown>): repo.StageRow {
  return { tbl, sourceId, wkt, attrs, hash: tbl === 'walk_node' ? '' : sha(JSON.stringify([wkt, attrs])) };
}

/** Source ids must be unique per table in a file; a repeated one is refused with both positions. */
function checkUniqueIds(rows: (repo.StageRow & { index: number })[], rejected: ImportIssue[]): void {
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (r.tbl === 'walk_node') continue;
    const key = `${r.tbl}\u0000${r.sourceId}`;
    const first = seen.get(key);
    if (first !== undefined && first !== r.index) rejected.push({ index: r.index, reason: `has the same id (${r.sourceId}) as feature ${first}` });
    else seen.set(key, r.index);
  }
}

async function stageGeoJson(db: pg.ClientBase, file: { name: string; bytes: Uint8Array }, opts: ImportOptions, log: (m: string) => void): Promise<Staged> {
  const { parsed, skipped } = parseGeoJson(Buffer.from(file.bytes).toString('utf8'), { kind: opts.kind as GeoJsonKind | undefined, crs: opts.crs, skipInvalid: opts.skipInvalid });
  log(`${file.name}: ${parsed.features.length} ${parsed.kind} features, ${parsed.crs} → WGS84`);
  const out: Staged = { rows: [], kind: parsed.kind, crs: parsed.crs, repaired: [], skipped };
  const rejected: ImportIssue[] = [];
  // Polygons are checked (and repaired where safe) before anything is written.
  const areal = parsed.features.map((f) => f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon');
  const vetted = await vetPolygons(
    db,
    parsed.features.filter((_, i) => areal[i]).map((f) => ({ index: f.index, geojson: JSON.stringify(f.geometry) })),
    { single: parsed.kind === 'parks' },
    out.repaired,
    rejected,
  );
  let k = 0;
  const wkt = parsed.features.map((f, i) => (areal[i] ? vetted[k++]! : geometryWkt(f.geometry)));
  if (parsed.kind === 'admin') {
    rejectOrSkip(rejected, out, opts, parsed.features.length);
    const keep = parsed.features.map((f, i) => ({ f, w: wkt[i] })).filter((x): x is { f: (typeof parsed.features)[number]; w: string } => x.w !== null);
    out.admin = { features: keep.map((x) => x.f), wkt: keep.map((x) => x.w) };
    return out;
  }
  // A feature without an id of its own is known by its content.
  const key = (f: { sourceKey?: string | null; geometry: Geometry }, props: unknown, prefix: string) =>
    f.sourceKey ? (/^(node|way|relation)\/\d+$/.test(f.sourceKey) ? `osm:${f.sourceKey}` : `${prefix}:${f.sourceKey}`) : `sha1:${sha(JSON.stringify([f.geometry, props]))}`;
  // Parks are classed by the area of their checked outline.
  const parkKind = new Map<number, string>();
  if (parsed.kind === 'parks') {
    const live = parsed.features.map((f, i) => ({ f, w: wkt[i] })).filter((x): x is { f: (typeof parsed.features)[number]; w: string } => !!x.w);
    const areas = await repo.areasM2(db, live.map((x) => x.w));
    live.forEach(({ f }, i) => {
      const cls = classifyPark(areas[i]!);
      if (cls) parkKind.set(f.index, cls);
      else rejected.push({ index: f.index, reason: `is a green space of ${Math.round(areas[i]!)} m², smaller than any park class (${describeClasses()})` });
    });
  }
  const rows: (repo.StageRow & { index: number })[] = [];
  parsed.features.forEach((f, i) => {
    const w = wkt[i];
    if (!w) return;
    if (parsed.kind === 'facilities') {
      const x = f as Extract<ParsedGeoJson, { kind: 'facilities' }>['features'][number];
      const attrs = { kind: x.kind, name: x.name, capacity: x.capacity, opened_on: x.openedOn };
      rows.push({ ...stageRow('facility', key(x, attrs, `facility:${x.kind}`), w, attrs), index: x.index });
    } else if (parsed.kind === 'parks') {
      const x = f as Extract<ParsedGeoJson, { kind: 'parks' }>['features'][number];
      const sid = key(x, { name: x.name }, 'park');
      const kind = parkKind.get(x.index);
      if (!kind) return;
      // A pocket park is drawn from its outline (pocket_park) and counted as a facility; a larger
      // park is a facility of its class.
      if (kind === 'pocket_park') rows.push({ ...stageRow('pocket_park', sid, w, { name: x.name, opened_on: x.openedOn }), index: x.index });
      rows.push({ ...stageRow('facility', `park:${sid}`, w, { kind, name: x.name, capacity: null, opened_on: x.openedOn }), index: x.index });
    } else {
      const x = f as Extract<ParsedGeoJson, { kind: 'renovation' }>['features'][number];
      const { index: _i, sourceKey: _k, geometry: _g, ...attrs } = x;
      rows.push({ ...stageRow('renovation_project', key(x, attrs, 'renovation'), w, attrs), index: x.index });
    }
  });
  checkUniqueIds(rows, rejected);
  rejectOrSkip(rejected, out, opts, parsed.features.length);
  const bad = new Set(rejected.map((r) => r.index));
  out.rows = rows.filter((r) => !bad.has(r.index));
  return out;
}

async function stageOsm(db: pg.ClientBase, file: { name: string; bytes: Uint8Array }, format: Format, opts: ImportOptions, log: (m: string) => void): Promise<Staged> {
  const crs = resolveCrs(opts.crs, undefined);
  const text = () => Buffer.from(file.bytes).toString('utf8');
  const data = format === 'osm-pbf' ? parseOsmPbf(file.bytes) : format === 'osm-json' ? parseOsmJson(parseJsonDocument(text()) as { elements?: unknown }) : parseOsmXml(text());
  const x = extractOsm(data, crs);
  log(`${file.name}: ${data.nodes.size} nodes, ${data.ways.length} ways → ${x.edges.length} street segments, ${x.buildings.length} buildings, ${x.pois.length} POIs`);
  if (x.relations) log(`  ${x.relations} relations are not imported (multipolygon buildings and routes)`);
  const out: Staged = { rows: [], kind: 'osm', crs, repaired: [...x.clipped], skipped: [...x.skipped] };
  const rejected: ImportIssue[] = [];
  const bWkt = await vetPolygons(db, x.buildings.map((b) => ({ index: b.index, id: `way ${b.wayId}`, geojson: JSON.stringify({ type: 'Polygon', coordinates: [b.ring] }) })), { single: true }, out.repaired, rejected);
  const poiRings = x.pois.filter((p) => p.ring);
  const pWkt = await vetPolygons(db, poiRings.map((p) => ({ index: p.index, id: p.id, geojson: JSON.stringify({ type: 'Polygon', coordinates: [p.ring] }) })), { single: false }, out.repaired, rejected);
  rejectOrSkip(rejected, out, opts, data.nodes.size + data.ways.length);

  const nodeSid = (n: number) => `osm:node/${n}`;
  for (const [id, at] of x.nodes) out.rows.push(stageRow('walk_node', nodeSid(id), `POINT(${at[0]} ${at[1]})`, {}));
  // A way is split into segments at junctions: a segment is known by its way and end nodes.
  const used = new Map<string, number>();
  for (const e of x.edges) {
    const base = `osm:way/${e.wayId}/${e.source}-${e.target}`;
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    out.rows.push(stageRow('walk_edge', n ? `${base}#${n}` : base, `LINESTRING(${ringWkt(e.coords)})`, { source: nodeSid(e.source), target: nodeSid(e.target), kind: e.kind, name: e.name }));
  }
  x.buildings.forEach((b, i) => {
    if (bWkt[i]) out.rows.push(stageRow('building', `osm:way/${b.wayId}`, bWkt[i]!, { floors: b.floors, residential: b.residential, builtYear: b.builtYear }));
  });
  let r = 0;
  for (const p of x.pois) {
    const w = p.ring ? pWkt[r++]! : `POINT(${p.at![0]} ${p.at![1]})`;
    if (w) out.rows.push(stageRow('facility', `osm:${p.id.replace(' ', '/')}`, w, { kind: p.kind, name: p.name, capacity: null, opened_on: null }));
  }
  return out;
}

const emptyCounts = (): TableCounts => ({ added: 0, replaced: 0, deleted: 0, unchanged: 0 });

/** Imports one file as one batch (see the module comment for what makes it safe). */
export async function importFile(client: pg.ClientBase, file: { name: string; bytes: Uint8Array }, opts: ImportOptions = {}): Promise<ImportSummary> {
  const log = opts.log ?? (() => {});
  let format: Format;
  try {
    format = detectFormat(file.name, file.bytes);
  } catch (err) {
    throw err instanceof ImportError ? err : new ImportError(String(err));
  }
  const about = `${file.name} (${FORMAT_LABEL[format]}): `;
  if (opts.kind === 'osm' && format === 'geojson') throw new ImportError(`${about}--kind osm needs an OpenStreetMap file: .osm (XML), .pbf or Overpass JSON`);
  if (opts.kind && opts.kind !== 'osm' && format !== 'geojson') throw new ImportError(`${about}--kind ${opts.kind} needs a GeoJSON file`);
  if (opts.replace && opts.replaceIn) throw new ImportError('give either --replace (the file\'s extent) or --replace-in <unit code>, not both');
  if (!file.bytes.length) throw new ImportError(`${about}the file is empty (0 bytes)`);
  await client.query('BEGIN');
  try {
    const staged = format === 'geojson' ? await stageGeoJson(client, file, opts, log) : await stageOsm(client, file, format, opts, log);
    const batch = await repo.createBatch(client, { fileName: file.name, format, kind: staged.kind, sha256: sha(file.bytes, 'sha256') });
    const summary: ImportSummary = {
      file: file.name, format, kind: staged.kind, crs: staged.crs, batch: opts.dryRun ? null : batch, dryRun: !!opts.dryRun,
      tables: {}, inserted: {}, scope: null, outside: 0, repaired: staged.repaired, skipped: staged.skipped,
    };
    if (staged.admin) await importAdmin(client, batch, staged.admin, opts, summary, log);
    else await applyStaged(client, batch, staged, opts, summary, log);
    await repo.finishBatch(client, batch, summary.scope, { tables: summary.tables, streets: summary.streets ?? null });
    await client.query(opts.dryRun ? 'ROLLBACK' : 'COMMIT');
    return summary;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err instanceof ImportError ? err.about(about) : err;
  }
}

async function applyStaged(client: pg.ClientBase, batch: number, staged: Staged, opts: ImportOptions, summary: ImportSummary, log: (m: string) => void): Promise<void> {
  await repo.createStage(client);
  const rows = staged.rows;
  for (let i = 0; i < rows.length; i += CHUNK) {
    await repo.stageRows(client, rows.slice(i, i + CHUNK));
    if (rows.length > CHUNK) log(`  read ${Math.min(i + CHUNK, rows.length)}/${rows.length} rows`);
  }
  const tables = repo.STAGED_TABLES.filter((t) => rows.some((r) => r.tbl === t));
  if (!tables.length) throw new ImportError('the file holds nothing to import (no streets, buildings, facilities, parks or projects)');

  // Rows outside the district are refused unless asked for.
  if (!opts.allowOutside && (await repo.hasDistrict(client))) {
    const outside = await repo.stagedOutside(client);
    const n = outside.reduce((s, o) => s + o.n, 0);
    if (n && opts.clip) {
      summary.outside = await repo.clipStageToDistrict(client);
      log(`  left out ${summary.outside} rows outside the district`);
    } else if (n) {
      throw new ImportError(
        `${n} of ${rows.filter((r) => r.tbl !== 'walk_node').length} rows lie outside the district (${outside.map((o) => `${o.tbl} ${o.n}, e.g. ${o.sample}`).join('; ')}); ` +
          'import only the part inside with --clip, or all of it with --allow-outside',
      );
    }
  }

  let scope: { ewkt: string; label: string } | null = null;
  if (opts.replace || opts.replaceIn) {
    scope = await repo.scopeGeometry(client, opts.replaceIn ?? null);
    if (!scope && opts.replaceIn) throw new ImportError(`--replace-in ${opts.replaceIn}: there is no administrative unit with that code`);
    summary.scope = scope?.label ?? null;
  }
  const diffs = new Map<repo.StagedTable, Awaited<ReturnType<typeof repo.diffTable>>>();
  for (const t of tables) diffs.set(t, await repo.diffTable(client, batch, t, scope?.ewkt ?? null));
  const deleting = [...diffs.values()].reduce((s, d) => s + d.deleted, 0);
  const max = opts.maxDelete ?? DEFAULT_MAX_DELETE;
  if (deleting > max && !opts.yes && !opts.dryRun) {
    throw new ImportError(
      `--replace would delete ${deleting} rows inside ${scope!.label} (${[...diffs].filter(([, d]) => d.deleted).map(([t, d]) => `${t} ${d.deleted}`).join(', ')}), ` +
        `more than ${max}; see them with --dry-run, and add --yes to go ahead (--undo puts them back)`,
    );
  }
  for (const [t, d] of diffs) {
    await repo.removeRows(client, batch, t, [...d.replacedIds, ...d.deletedIds]);
    summary.tables[t] = { added: d.added, replaced: d.replaced, deleted: d.deleted, unchanged: d.unchanged };
  }
  for (const t of tables) {
    const n = await repo.insertStaged(client, batch, t, WALK_SPEED_MPS);
    summary.inserted[t] = n;
    log(`  ${t}: ${fmt(summary.tables[t]!)}`);
  }
  if (summary.inserted.walk_edge) {
    const joined = await repo.joinTouchingNodes(client, batch, opts.joinToleranceM ?? DEFAULT_JOIN_TOLERANCE_M);
    const detached = await repo.detachedPieces(client, batch);
    summary.streets = { joined, detached };
    if (joined) log(`  joined ${joined} street ends to the network where they touch it`);
    if (detached.length) {
      const m = detached.reduce((s, d) => s + d.length_m, 0), e = detached.reduce((s, d) => s + d.edges, 0);
      log(`  warning: ${detached.length} piece(s) of the imported streets do not join the network: ${e} segments, ${(m / 1000).toFixed(2)} km (largest ${detached[0]!.edges} segments, ${Math.round(detached[0]!.length_m)} m)`);
    }
  }
  if (tables.includes('building')) await refreshPopulation(client);
}

const fmt = (c: TableCounts) => `${c.added} added, ${c.replaced} replaced, ${c.deleted} deleted, ${c.unchanged} unchanged`;

async function importAdmin(client: pg.ClientBase, batch: number, admin: AdminRows, opts: ImportOptions, summary: ImportSummary, log: (m: string) => void): Promise<void> {
  if (opts.replace || opts.replaceIn) throw new ImportError('--replace does not apply to admin units: a unit with the same code is updated in place (and --undo restores it)');
  const feats = admin.features;
  const rejected: ImportIssue[] = [];
  const known = await repo.unitsByCode(client, [...new Set(feats.map((f) => f.parentCode).filter((c): c is string => !!c))]);
  feats.forEach((f) => known.set(f.code, f.level));
  const above = (l: string) => ADMIN_LEVELS[ADMIN_LEVELS.indexOf(l as never) - 1];
  feats.forEach((f) => {
    if (!f.parentCode) return;
    const pl = known.get(f.parentCode);
    if (!pl) rejected.push({ index: f.index, reason: `parent_code "${f.parentCode}" is neither in the database nor in the file` });
    else if (pl !== above(f.level)) rejected.push({ index: f.index, reason: `a ${f.level}'s parent must be a ${above(f.level)}, but "${f.parentCode}" is a ${pl}` });
  });
  rejectOrSkip(rejected, summary, opts, feats.length);
  const bad = new Set(rejected.map((r) => r.index));
  const rows = feats.map((f, i) => ({ f, w: admin.wkt[i]! })).filter(({ f }) => !bad.has(f.index));
  const same = await repo.unchangedAdmin(client, rows.map(({ f, w }) => ({ code: f.code, name_zh: f.name_zh, name_en: f.name_en, parentCode: f.parentCode, wkt: w })));
  const todo = rows.filter(({ f }) => !same.has(f.code));
  const existing = await repo.unitsByCode(client, todo.map(({ f }) => f.code));
  const counts = emptyCounts();
  counts.unchanged = rows.length - todo.length;
  counts.replaced = await repo.archiveAdminByCode(client, batch, todo.map(({ f }) => f.code).filter((c) => existing.has(c)));
  counts.added = todo.length - counts.replaced;
  let n = 0;
  for (const level of ADMIN_LEVELS) {
    const lv = todo.filter(({ f }) => f.level === level);
    if (!lv.length) continue;
    n += await repo.upsertAdminRows(client, level, lv.map(({ f, w }) => ({ code: f.code, name_zh: f.name_zh, name_en: f.name_en, parentCode: f.parentCode, wkt: w })));
    log(`  ${level}: ${lv.length}`);
  }
  await repo.markAdminBatch(client, batch, todo.map(({ f }) => f.code));
  summary.tables.admin_unit = counts;
  summary.inserted.admin_unit = n;
  if (n) await refreshPopulation(client, { reassign: true });
}

export interface UndoSummary {
  batch: number;
  file: string;
  imported_at: string;
  dryRun: boolean;
  tables: Record<string, { removed: number; restored: number }>;
}

/** Undoes the latest import that is not undone yet: its rows go, the rows it replaced come back. */
export async function undoLatest(client: pg.ClientBase, opts: { dryRun?: boolean } = {}): Promise<UndoSummary> {
  await client.query('BEGIN');
  try {
    const b = await repo.latestBatch(client);
    if (!b) throw new ImportError('there is no import to undo');
    const tables = await repo.undoBatch(client, b.id);
    await refreshPopulation(client, { reassign: true });
    await client.query(opts.dryRun ? 'ROLLBACK' : 'COMMIT');
    return { batch: b.id, file: b.file_name, imported_at: b.imported_at, dryRun: !!opts.dryRun, tables };
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}
