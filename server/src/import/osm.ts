/**
 * OpenStreetMap files (XML through fast-xml-parser, PBF through tiny-osmpbf) turned into
 * what the city holds: walkable highways become a noded walking network (ways split at every
 * node they share with another walkable way), closed building ways become footprints, and
 * amenity/shop/leisure tags become facilities of the life-circle kinds.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PbfReader } from 'pbf';
import tinyosmpbf from 'tiny-osmpbf';
import type { EdgeKind } from '../city/layout.ts';
import { toWgs84, type CoordinateSystem, type LngLat } from '../geo/coord-systems.ts';
import { ImportError, lineColumn } from './errors.ts';
import { PARK_KINDS, classifyPark, describeClasses, excludedReason, ringArea } from './parks.ts';

export interface OsmData {
  nodes: Map<number, { at: LngLat; tags: Record<string, string> | null }>;
  ways: { id: number; refs: number[]; tags: Record<string, string> }[];
  relations: number;
}

export function parseOsmXml(text: string): OsmData {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    isArray: (name) => ['node', 'way', 'relation', 'nd', 'tag', 'member'].includes(name),
  });
  if (!text.trim()) throw new ImportError('the file is empty');
  // A file cut short (a download that stopped) has no closing </osm>: say where it ends, since
  // the validator then blames the first unclosed tag, on line 1.
  const trimmed = text.trimEnd();
  if (/<osm\b/.test(text) && !/<\/osm>$/.test(trimmed) && !/<osm\b[^>]*\/>$/.test(trimmed)) {
    const end = lineColumn(text, trimmed.length);
    const last = [...trimmed.matchAll(/<(node|way|relation)\b[^>]*\bid="(-?\d+)"/g)].at(-1);
    throw new ImportError(`the file is cut short: it ends at line ${end.line}, column ${end.column} (byte ${Buffer.byteLength(trimmed)}) without closing </osm>${last ? `, inside or after ${last[1]} ${last[2]}` : ''}`);
  }
  // The parser is lenient about broken markup; the validator is not, and says where.
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new ImportError(`the file is not valid OSM XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  let doc: { osm?: { node?: XmlNode[]; way?: XmlWay[]; relation?: unknown[] } };
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new ImportError(`the file is not valid OSM XML: ${(err as Error).message}`);
  }
  if (!doc.osm) throw new ImportError('the file is not OSM XML: it has no <osm> root');
  const tagsOf = (t?: { k: string; v: string }[]) => (t && t.length ? Object.fromEntries(t.map((x) => [x.k, String(x.v)])) : null);
  const nodes: OsmData['nodes'] = new Map();
  for (const n of doc.osm.node ?? []) nodes.set(Number(n.id), { at: [Number(n.lon), Number(n.lat)], tags: tagsOf(n.tag) });
  const ways = (doc.osm.way ?? []).map((w) => ({ id: Number(w.id), refs: (w.nd ?? []).map((r) => Number(r.ref)), tags: tagsOf(w.tag) ?? {} }));
  return { nodes, ways, relations: (doc.osm.relation ?? []).length };
}
interface XmlNode { id: string; lat: string; lon: string; tag?: { k: string; v: string }[] }
interface XmlWay { id: string; nd?: { ref: string }[]; tag?: { k: string; v: string }[] }

type OsmJsonElement = { type: string; id: number; lat?: number; lon?: number; tags?: Record<string, string>; nodes?: number[] };

/**
 * Walks the PBF's blocks (a 4-byte length, a BlobHeader, then the blob) and says which one a
 * cut-short or foreign file breaks at, before the decoder fails somewhere inside.
 */
export function checkPbfBlocks(buf: Uint8Array): void {
  if (!buf.length) throw new ImportError('the file is empty');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  for (let block = 0; at < buf.length; block++) {
    if (at + 4 > buf.length) throw new ImportError(`the file is cut short: block ${block} at byte ${at} has ${buf.length - at} of the 4 bytes of its header length`);
    const headerLen = view.getUint32(at);
    if (headerLen === 0 || headerLen > 64 * 1024) {
      throw new ImportError(block === 0 ? 'the file is not an OSM PBF: it does not start with a block header' : `block ${block} at byte ${at} has a header length of ${headerLen} bytes, which no OSM PBF has`);
    }
    if (at + 4 + headerLen > buf.length) throw new ImportError(`the file is cut short: block ${block} at byte ${at} declares a ${headerLen}-byte header, but only ${buf.length - at - 4} bytes remain`);
    let type = '', datasize = -1;
    try {
      new PbfReader(buf.subarray(at + 4, at + 4 + headerLen)).readFields((tag, _r, pbf) => {
        if (tag === 1) type = pbf.readString();
        else if (tag === 3) datasize = pbf.readVarint();
      }, null);
    } catch {
      type = '';
    }
    if (block === 0 && type !== 'OSMHeader') throw new ImportError('the file is not an OSM PBF: its first block is not an OSMHeader');
    if (type !== 'OSMHeader' && type !== 'OSMData') throw new ImportError(`block ${block} at byte ${at} is not an OSM block`);
    const end = at + 4 + headerLen + datasize;
    if (datasize < 0 || end > buf.length) throw new ImportError(`the file is cut short: block ${block} (${type}) at byte ${at} declares ${datasize} bytes of data, but only ${buf.length - at - 4 - headerLen} remain`);
    at = end;
  }
}

export function parseOsmPbf(buf: Uint8Array): OsmData {
  checkPbfBlocks(buf);
  let data: { elements: OsmJsonElement[] };
  try {
    data = tinyosmpbf(buf);
  } catch (err) {
    throw new ImportError(`the file is not a valid OSM PBF: ${(err as Error).message}`);
  }
  return fromElements(data.elements);
}

/** Overpass API JSON (`[out:json]`): the same elements tiny-osmpbf returns. */
export function parseOsmJson(doc: { elements?: unknown }): OsmData {
  if (!Array.isArray(doc.elements)) throw new ImportError('the file is not Overpass JSON: it has no "elements" array');
  const bad = (doc.elements as OsmJsonElement[]).findIndex((e) => !e || typeof e.id !== 'number' || (e.type === 'node' && (typeof e.lat !== 'number' || typeof e.lon !== 'number')));
  if (bad >= 0) throw new ImportError(`element ${bad} is not an OSM node, way or relation with an id (and lat/lon for a node)`);
  return fromElements(doc.elements as OsmJsonElement[]);
}

function fromElements(elements: OsmJsonElement[]): OsmData {
  const data = { elements };
  const nodes: OsmData['nodes'] = new Map();
  const ways: OsmData['ways'] = [];
  let relations = 0;
  for (const e of data.elements) {
    if (e.type === 'node') nodes.set(e.id, { at: [e.lon!, e.lat!], tags: e.tags && Object.keys(e.tags).length ? e.tags : null });
    else if (e.type === 'way') ways.push({ id: e.id, refs: e.nodes ?? [], tags: e.tags ?? {} });
    else relations++;
  }
  return { nodes, ways, relations };
}

/** highway=* → walk_edge.kind; motorways and other roads closed to walkers are left out. */
export const HIGHWAY_KIND: Record<string, EdgeKind> = {
  trunk: 'arterial', trunk_link: 'arterial', primary: 'arterial', primary_link: 'arterial',
  secondary: 'secondary', secondary_link: 'secondary', tertiary: 'secondary', tertiary_link: 'secondary',
  residential: 'secondary', unclassified: 'secondary', road: 'secondary',
  living_street: 'hutong', service: 'hutong',
  pedestrian: 'footway', footway: 'footway', steps: 'footway', corridor: 'footway', cycleway: 'footway',
  path: 'path', track: 'path', bridleway: 'path',
};

/** OSM tags → facility kind (data/standards/life-circle-kinds.json). First match wins. */
export const POI_KIND: [key: string, value: string, kind: string][] = [
  ['amenity', 'kindergarten', 'kindergarten'], ['amenity', 'childcare', 'nursery'],
  ['amenity', 'school', 'primary_school'], ['amenity', 'clinic', 'outpatient_clinic'], ['amenity', 'doctors', 'health_station'],
  ['amenity', 'hospital', 'outpatient_clinic'], ['amenity', 'pharmacy', 'pharmacy'], ['amenity', 'bank', 'bank'],
  ['amenity', 'post_office', 'post_office'], ['amenity', 'police', 'police_station'], ['amenity', 'toilets', 'public_toilet'],
  ['amenity', 'restaurant', 'restaurant'], ['amenity', 'fast_food', 'restaurant'], ['amenity', 'food_court', 'restaurant'],
  ['amenity', 'marketplace', 'market'], ['amenity', 'library', 'library'], ['amenity', 'community_centre', 'culture_room'],
  ['amenity', 'arts_centre', 'culture_center'], ['amenity', 'nursing_home', 'elderly_nursing_home'],
  ['amenity', 'parcel_locker', 'express_lockers'], ['amenity', 'townhall', 'subdistrict_office'],
  ['social_facility', 'nursing_home', 'elderly_nursing_home'], ['social_facility', 'assisted_living', 'elderly_home'],
  ['social_facility', 'group_home', 'elderly_home'], ['social_facility', 'day_care', 'elderly_day_care'],
  ['shop', 'supermarket', 'supermarket'], ['shop', 'convenience', 'convenience_store'], ['shop', 'mall', 'shopping_mall'],
  ['shop', 'department_store', 'shopping_mall'], ['shop', 'mobile_phone', 'telecom_shop'], ['shop', 'greengrocer', 'market'],
  ['shop', 'chemist', 'pharmacy'],
  ['leisure', 'park', 'park'], ['leisure', 'garden', 'small_park'], ['leisure', 'playground', 'small_park'],
  ['leisure', 'fitness_centre', 'gym'], ['leisure', 'fitness_station', 'outdoor_fitness'], ['leisure', 'pitch', 'sports_court_small'],
  ['leisure', 'sports_centre', 'sports_centre'], ['leisure', 'stadium', 'sports_ground_large'],
];

/** The facility kind of a tagged element; null for no service kind and for excluded grounds (see poiExclusion). */
export function poiKind(tags: Record<string, string> | null): string | null {
  if (!tags || excludedReason(tags)) return null;
  return mappedKind(tags);
}

/** Why an element that maps to a kind is still not imported (a cemetery, a private ground). */
export function poiExclusion(tags: Record<string, string> | null): string | null {
  return tags && mappedKind(tags) ? excludedReason(tags) : null;
}

function mappedKind(tags: Record<string, string>): string | null {
  for (const [k, v, kind] of POI_KIND) {
    if (tags[k] !== v) continue;
    // A school named as a middle school (中学) is one; OSM has no separate tag for it.
    if (kind === 'primary_school' && /中学|middle|secondary/i.test(tags.name ?? '') ) return 'middle_school';
    return kind;
  }
  return null;
}

const RESIDENTIAL = new Set(['apartments', 'residential', 'house', 'detached', 'semidetached_house', 'terrace', 'dormitory']);
const DEFAULT_LEVELS: Record<string, number> = { apartments: 6, residential: 6, dormitory: 5, house: 2, detached: 2, semidetached_house: 2, terrace: 2 };

export interface OsmEdge { source: number; target: number; kind: EdgeKind; name: string | null; coords: LngLat[]; wayId: number }
export interface OsmBuilding { index: number; wayId: number; ring: LngLat[]; floors: number; residential: boolean; builtYear: number | null }
export interface OsmPoi { index: number; id: string; kind: string; name: string; at: LngLat | null; ring: LngLat[] | null }

export interface OsmExtract {
  nodes: Map<number, LngLat>;
  edges: OsmEdge[];
  buildings: OsmBuilding[];
  pois: OsmPoi[];
  /** ways and nodes that were left out, and why (missing nodes, too few points) */
  skipped: { index: number; id: string; reason: string }[];
  /** ways kept in part because some of their nodes are not in the file */
  clipped: { index: number; id: string; reason: string }[];
  relations: number;
}

/**
 * Extracts streets, buildings and POIs. Element indexes count nodes first, then ways, in
 * file order, so a reported index points at one element of the file.
 */
export function extractOsm(data: OsmData, crs: CoordinateSystem): OsmExtract {
  const conv = (p: LngLat): LngLat => (crs === 'WGS84' ? p : toWgs84(p[0], p[1], crs));
  const skipped: OsmExtract['skipped'] = [];
  const nodeList = [...data.nodes.entries()];
  const wayIndex = (i: number) => nodeList.length + i;

  // Extracts cut at a bounding box keep ways whose nodes lie partly outside it: a street keeps
  // each run of consecutive nodes that is in the file.
  const clipped: OsmExtract['clipped'] = [];
  const walkable = data.ways.map((w, i) => ({ w, i })).filter(({ w }) => w.tags.highway && HIGHWAY_KIND[w.tags.highway] && w.tags.access !== 'no' && w.tags.foot !== 'no');
  const runs: { w: OsmData['ways'][number]; refs: number[] }[] = [];
  for (const { w, i } of walkable) {
    const missing = w.refs.filter((r) => !data.nodes.has(r)).length;
    let run: number[] = [];
    const parts: number[][] = [];
    for (const r of [...w.refs, NaN]) {
      if (data.nodes.has(r)) run.push(r);
      else { if (new Set(run).size >= 2) parts.push(run); run = []; }
    }
    if (!parts.length) { skipped.push({ index: wayIndex(i), id: `way ${w.id}`, reason: missing ? `none of its stretches has two nodes in the file (${missing} missing)` : 'has fewer than two distinct nodes' }); continue; }
    if (missing) clipped.push({ index: wayIndex(i), id: `way ${w.id}`, reason: `clipped to the ${parts.length} stretch(es) whose nodes are in the file (${missing} nodes missing)` });
    for (const refs of parts) runs.push({ w, refs });
  }
  // A node is a junction when two walkable ways use it, or one way passes it twice.
  const uses = new Map<number, number>();
  for (const { refs } of runs) {
    const n = refs.length;
    // Ends always split; a closed way is also split halfway so it does not become a self-loop.
    const closedWay = refs[0] === refs[n - 1];
    refs.forEach((r, k) => uses.set(r, (uses.get(r) ?? 0) + (k === 0 || k === n - 1 || (closedWay && k === n >> 1) ? 2 : 1)));
  }
  const edges: OsmEdge[] = [];
  const nodes = new Map<number, LngLat>();
  for (const { w, refs: wr } of runs) {
    const kind = HIGHWAY_KIND[w.tags.highway!]!;
    let start = 0;
    for (let k = 1; k < wr.length; k++) {
      const r = wr[k]!;
      if (k === wr.length - 1 || (uses.get(r) ?? 0) > 1) {
        const refs = wr.slice(start, k + 1);
        // Drop repeated consecutive nodes; a segment must still go somewhere.
        const coords = refs.filter((x, i) => i === 0 || x !== refs[i - 1]).map((x) => conv(data.nodes.get(x)!.at));
        if (coords.length >= 2 && refs[0] !== r) {
          for (const x of [refs[0]!, r]) nodes.set(x, conv(data.nodes.get(x)!.at));
          edges.push({ source: refs[0]!, target: r, kind, name: w.tags.name ?? null, coords, wayId: w.id });
        }
        start = k;
      }
    }
  }

  const buildings: OsmBuilding[] = [];
  const pois: OsmPoi[] = [];
  data.ways.forEach((w, i) => {
    const closed = w.refs.length >= 4 && w.refs[0] === w.refs[w.refs.length - 1];
    const missing = w.refs.find((r) => !data.nodes.has(r));
    const isBuilding = w.tags.building && w.tags.building !== 'no';
    const kind = poiKind(w.tags);
    if (!isBuilding && !kind) return;
    if (missing !== undefined) {
      const present = w.refs.filter((r) => data.nodes.has(r)).map((r) => conv(data.nodes.get(r)!.at));
      if (isBuilding) skipped.push({ index: wayIndex(i), id: `way ${w.id}`, reason: `building outline refers to node ${missing}, which is not in the file` });
      if (kind && present.length) {
        // A POI only needs a point: the mean of the nodes that are in the file.
        const at: LngLat = [present.reduce((s, p) => s + p[0], 0) / present.length, present.reduce((s, p) => s + p[1], 0) / present.length];
        pois.push({ index: wayIndex(i), id: `way ${w.id}`, kind, name: w.tags['name:zh'] ?? w.tags.name ?? kind, at, ring: null });
        clipped.push({ index: wayIndex(i), id: `way ${w.id}`, reason: `placed at the mean of its ${present.length} nodes in the file` });
      } else if (kind) skipped.push({ index: wayIndex(i), id: `way ${w.id}`, reason: 'none of its nodes is in the file' });
      return;
    }
    const ring = w.refs.map((r) => conv(data.nodes.get(r)!.at));
    if (isBuilding) {
      if (!closed) skipped.push({ index: wayIndex(i), id: `way ${w.id}`, reason: 'is tagged building but is not a closed ring of at least 4 nodes' });
      else {
        const type = w.tags.building!;
        const levels = Number.parseInt(w.tags['building:levels'] ?? '', 10);
        const year = Number.parseInt((w.tags.start_date ?? '').slice(0, 4), 10);
        buildings.push({
          index: wayIndex(i), wayId: w.id, ring, residential: RESIDENTIAL.has(type),
          floors: Number.isFinite(levels) && levels > 0 ? levels : DEFAULT_LEVELS[type] ?? 1,
          builtYear: Number.isFinite(year) && year > 1000 ? year : null,
        });
      }
    }
    if (kind) pois.push({ index: wayIndex(i), id: `way ${w.id}`, kind, name: w.tags['name:zh'] ?? w.tags.name ?? kind, at: closed ? null : ring[0]!, ring: closed ? ring : null });
  });
  nodeList.forEach(([id, n], i) => {
    const kind = poiKind(n.tags);
    if (kind) pois.push({ index: i, id: `node ${id}`, kind, name: n.tags!['name:zh'] ?? n.tags!.name ?? kind, at: conv(n.at), ring: null });
  });
  // Cemeteries and private grounds are reported, not imported.
  data.ways.forEach((w, i) => { const why = poiExclusion(w.tags); if (why) skipped.push({ index: wayIndex(i), id: `way ${w.id}`, reason: why }); });
  nodeList.forEach(([id, n], i) => { const why = poiExclusion(n.tags); if (why) skipped.push({ index: i, id: `node ${id}`, reason: why }); });
  // Parks take their kind from their area; one without an outline cannot be classed.
  const kept: OsmPoi[] = [];
  for (const p of pois) {
    if (!PARK_KINDS.has(p.kind)) { kept.push(p); continue; }
    if (!p.ring) { skipped.push({ index: p.index, id: p.id, reason: 'is a park without a complete outline, so its area (and class) is unknown' }); continue; }
    const a = ringArea([p.ring as [number, number][]]);
    const cls = classifyPark(a);
    if (!cls) { skipped.push({ index: p.index, id: p.id, reason: `is a green space of ${Math.round(a)} m², smaller than any park class (${describeClasses()})` }); continue; }
    kept.push({ ...p, kind: cls, name: p.name === p.kind ? cls : p.name });
  }
  pois.length = 0;
  pois.push(...kept);
  return { nodes, edges, buildings, pois, skipped, clipped, relations: data.relations };
}
