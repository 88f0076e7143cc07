import { reach, type Reach, type Source, type WalkGraph } from './graph.ts';
import type { EdgeShapes } from './isochrone.ts';

/**
 * Everything coverage needs, held in memory as arrays: the walking graph, every building with
 * its population, its snap to the network and the units it lies in, and every facility with its
 * snap. Loaded from PostGIS (the system of record) and replaced whole when the data changes.
 *
 * Buildings and facilities attach to the nearest point of the nearest street (an edge and a
 * fraction along it), not to the nearest node: on long blocks the nearest crossing can be
 * hundreds of metres away while the street runs past the door.
 */
export interface CityModel {
  /** Data version this model was loaded at (see repository.dataVersion). */
  version: number;
  graph: WalkGraph;
  /** Position of each node index (WGS84), for proposed sites. */
  nodeLon: Float64Array;
  nodeLat: Float64Array;
  /** Each edge's polyline (by edge index), oriented from its source node to its target node. */
  shapes: EdgeShapes;
  /** Database edge id → edge index. */
  edgeIndex: Map<number, number>;
  /** 1 where the stored line runs from the target node to the source node. */
  reversed: Uint8Array;
  /** Buildings by edge (CSR): those of edge e are buildingOrder[buildingStart[e]..buildingStart[e+1]-1]. */
  buildingStart: Int32Array;
  buildingOrder: Int32Array;
  buildings: Buildings;
  facilities: Facility[];
  units: Map<number, AdminUnitInfo>;
  /** Node indexes inside the district: where a new facility may be proposed. */
  districtNodes: Uint8Array;
  /** The snapping limit the model was loaded with, metres. */
  snapLimit: number;
}

export interface Buildings {
  id: Int32Array;
  population: Float64Array;
  /** Nearest edge index, or −1 when none lies within the snapping limit. */
  edge: Int32Array;
  /** Where along that edge, as a fraction of its length from its source node. */
  frac: Float64Array;
  /** Metres from the building to that point of the edge, walked as part of the budget. */
  snap: Float64Array;
  grid: Int32Array;
  community: Int32Array;
  subdistrict: Int32Array;
  lon: Float64Array;
  lat: Float64Array;
}

export type FacilitySource = 'facility' | 'pocket_park';

export interface Facility {
  /** `facility.id`, or `pocket_park.id` for source pocket_park. */
  id: number;
  source: FacilitySource;
  kind: string;
  name: string;
  lon: number;
  lat: number;
  /** An adopted site not built yet: left out of coverage unless a request counts planned ones. */
  planned?: boolean;
  /** Nearest edge index, or −1 when none lies within the snapping limit. */
  edge: number;
  frac: number;
  snap: number;
}

/** A point attached to the network: an edge, the fraction along it, and the metres off it. */
export interface Anchor {
  edge: number;
  frac: number;
  snap: number;
}

export interface AdminUnitInfo {
  id: number;
  level: 'subdistrict' | 'community' | 'grid';
  code: string;
  name_zh: string;
  name_en: string;
  parent_id: number | null;
}

/**
 * The starts of a search from anchored points: both ends of each one's edge, with the snap and
 * the stretch of edge to that end already walked.
 */
export function anchorSources(graph: WalkGraph, anchors: readonly Anchor[]): Source[] {
  const out: Source[] = [];
  for (const a of anchors) {
    if (a.edge < 0) continue;
    const len = graph.edgeLen[a.edge]!;
    out.push({ node: graph.edgeSource[a.edge]!, offset: a.snap + a.frac * len });
    out.push({ node: graph.edgeTarget[a.edge]!, offset: a.snap + (1 - a.frac) * len });
  }
  return out;
}

/** A search from anchored points, keeping them by edge for walks that never leave that edge. */
export interface AnchoredReach extends Reach {
  onEdge: Map<number, Anchor[]>;
}

/** Distance to the nearest of `anchors` for every node within `budget` metres. */
export function reachFrom(model: CityModel, anchors: readonly Anchor[], budget: number): AnchoredReach {
  const r = reach(model.graph, anchorSources(model.graph, anchors), budget);
  const onEdge = new Map<number, Anchor[]>();
  for (const a of anchors) {
    if (a.edge < 0) continue;
    const list = onEdge.get(a.edge);
    if (list) list.push(a);
    else onEdge.set(a.edge, [a]);
  }
  return Object.assign(r, { onEdge });
}

/**
 * Walking distance from the nearest source to an anchored point: in through either end of its
 * edge, or straight along the edge from a source on the same edge; plus the snap.
 */
export function anchorDistance(graph: WalkGraph, r: AnchoredReach, a: Anchor): number {
  if (a.edge < 0) return Infinity;
  const len = graph.edgeLen[a.edge]!;
  let d = Math.min(r.dist[graph.edgeSource[a.edge]!]! + a.frac * len, r.dist[graph.edgeTarget[a.edge]!]! + (1 - a.frac) * len);
  const same = r.onEdge.get(a.edge);
  if (same) for (const s of same) d = Math.min(d, s.snap + Math.abs(a.frac - s.frac) * len);
  return d + a.snap;
}

/** Which buildings a reach covers: those whose walking distance from the nearest source fits the budget. */
export function coveredMask(model: CityModel, r: AnchoredReach): Uint8Array {
  const { edge, frac, snap } = model.buildings;
  const mask = new Uint8Array(edge.length);
  const a: Anchor = { edge: -1, frac: 0, snap: 0 };
  for (let i = 0; i < edge.length; i++) {
    a.edge = edge[i]!;
    a.frac = frac[i]!;
    a.snap = snap[i]!;
    if (a.edge >= 0 && anchorDistance(model.graph, r, a) <= r.budget) mask[i] = 1;
  }
  return mask;
}

/** Population and buildings covered within one unit (or the district). */
export interface CoverageFigures {
  population: number;
  population_covered: number;
  /** population_covered / population, 0 when nobody lives there. */
  share: number;
  buildings: number;
  buildings_covered: number;
}

export interface UnitCoverage extends CoverageFigures {
  id: number;
  level: 'subdistrict' | 'community' | 'grid';
  code: string;
  name_zh: string;
  name_en: string;
  parent_id: number | null;
}

function figures(): CoverageFigures {
  return { population: 0, population_covered: 0, share: 0, buildings: 0, buildings_covered: 0 };
}

function finish<T extends CoverageFigures>(f: T): T {
  f.share = f.population > 0 ? f.population_covered / f.population : 0;
  return f;
}

export type BreakdownLevel = 'subdistrict' | 'community' | 'grid';

/** Units sorted by level and code, and the largest unit id, computed once per model. */
const unitOrder = new WeakMap<CityModel, { sorted: AdminUnitInfo[]; maxId: number }>();
function unitsOf(model: CityModel): { sorted: AdminUnitInfo[]; maxId: number } {
  let hit = unitOrder.get(model);
  if (!hit) {
    const sorted = [...model.units.values()].sort((a, b) => (a.level < b.level ? -1 : a.level > b.level ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    hit = { sorted, maxId: sorted.reduce((m, u) => Math.max(m, u.id), 0) };
    unitOrder.set(model, hit);
  }
  return hit;
}

/**
 * Sums a covered mask for the district and for every unit of `levels` (units without buildings
 * included, with zeros, so a table lists every unit). Sums go into arrays indexed by unit id:
 * this runs on every what-if, over every building.
 */
export function summarize(model: CityModel, mask: Uint8Array, levels: readonly BreakdownLevel[]): { district: CoverageFigures; units: UnitCoverage[] } {
  const b = model.buildings;
  const { sorted, maxId } = unitsOf(model);
  const pop = new Float64Array(maxId + 1);
  const popCovered = new Float64Array(maxId + 1);
  const count = new Int32Array(maxId + 1);
  const countCovered = new Int32Array(maxId + 1);
  const district = figures();
  const columns = (['grid', 'community', 'subdistrict'] as const).filter((l) => levels.includes(l)).map((l) => b[l]);
  for (let i = 0; i < b.id.length; i++) {
    const p = b.population[i]!;
    const covered = mask[i] === 1;
    district.population += p;
    district.buildings++;
    if (covered) {
      district.population_covered += p;
      district.buildings_covered++;
    }
    for (const column of columns) {
      const u = column[i]!;
      if (u <= 0 || u > maxId) continue;
      pop[u] = pop[u]! + p;
      count[u] = count[u]! + 1;
      if (covered) {
        popCovered[u] = popCovered[u]! + p;
        countCovered[u] = countCovered[u]! + 1;
      }
    }
  }
  const units: UnitCoverage[] = [];
  for (const info of sorted) {
    if (!levels.includes(info.level)) continue;
    const population = pop[info.id]!;
    units.push({
      id: info.id,
      level: info.level,
      code: info.code,
      name_zh: info.name_zh,
      name_en: info.name_en,
      parent_id: info.parent_id,
      population,
      population_covered: popCovered[info.id]!,
      share: population > 0 ? popCovered[info.id]! / population : 0,
      buildings: count[info.id]!,
      buildings_covered: countCovered[info.id]!,
    });
  }
  return { district: finish(district), units };
}

/** Groups building indexes by their edge, for what-ifs that only look near what changed. */
export function buildingsByEdge(edgeCount: number, buildingEdge: Int32Array): { buildingStart: Int32Array; buildingOrder: Int32Array } {
  const buildingStart = new Int32Array(edgeCount + 1);
  for (const e of buildingEdge) if (e >= 0) buildingStart[e + 1] = buildingStart[e + 1]! + 1;
  for (let e = 0; e < edgeCount; e++) buildingStart[e + 1] = buildingStart[e + 1]! + buildingStart[e]!;
  const fill = buildingStart.slice(0, edgeCount);
  const buildingOrder = new Int32Array(buildingStart[edgeCount]!);
  buildingEdge.forEach((e, i) => {
    if (e >= 0) buildingOrder[fill[e]!++] = i;
  });
  return { buildingStart, buildingOrder };
}

/**
 * The buildings whose coverage a change of `changed` facilities can alter: those on the edges
 * that the changed facilities reach within the budget. Elsewhere the nearest facility within
 * the budget is the same before and after, so nothing else needs looking at.
 */
export function buildingsNear(model: CityModel, changed: readonly Anchor[], budget: number): Int32Array {
  const r = reachFrom(model, changed, budget);
  const { graph, buildingStart, buildingOrder } = model;
  const seen = new Uint8Array(graph.edgeIds.length);
  const out: number[] = [];
  const take = (e: number) => {
    if (seen[e]) return;
    seen[e] = 1;
    for (let p = buildingStart[e]!; p < buildingStart[e + 1]!; p++) out.push(buildingOrder[p]!);
  };
  for (const e of r.onEdge.keys()) take(e);
  for (const v of r.settled) for (let p = graph.offsets[v]!; p < graph.offsets[v + 1]!; p++) take(graph.adjEdge[p]!);
  return Int32Array.from(out);
}
