import { reach, type Reach, type Source, type WalkGraph } from './graph.ts';
import type { EdgeShapes } from './isochrone.ts';

/**
 * Everything coverage needs, held in memory as arrays: the walking graph, every building with
 * its population, its snap to the network and the units it lies in, and every facility with its
 * snap. Loaded from PostGIS (the system of record) and replaced whole when the data changes.
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
  /** Nearest walk node index, or −1 when none lies within the snapping limit. */
  node: Int32Array;
  /** Metres from the building to that node, walked as part of the budget. */
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
  /** Nearest walk node index, or −1 when none lies within the snapping limit. */
  node: number;
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

/** The sources of a search from facilities: their snapped nodes, the snap already walked. */
export function sourcesOf(facilities: readonly Pick<Facility, 'node' | 'snap'>[]): Source[] {
  return facilities.filter((f) => f.node >= 0).map((f) => ({ node: f.node, offset: f.snap }));
}

/** Distance to the nearest of `facilities` for every node within `budget` metres. */
export function reachFrom(model: CityModel, facilities: readonly Pick<Facility, 'node' | 'snap'>[], budget: number): Reach {
  return reach(model.graph, sourcesOf(facilities), budget);
}

/**
 * Which buildings a reach covers: a building is covered when walking from the nearest facility
 * along the network to the building's node, then from that node to the building, fits the budget.
 */
export function coveredMask(model: CityModel, r: Reach): Uint8Array {
  const { node, snap } = model.buildings;
  const mask = new Uint8Array(node.length);
  for (let i = 0; i < node.length; i++) {
    const v = node[i]!;
    if (v >= 0 && r.dist[v]! + snap[i]! <= r.budget) mask[i] = 1;
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

/** Sums a covered mask for the district and for every unit of `levels`. */
export function summarize(model: CityModel, mask: Uint8Array, levels: readonly BreakdownLevel[]): { district: CoverageFigures; units: UnitCoverage[] } {
  const b = model.buildings;
  const district = figures();
  const byUnit = new Map<number, UnitCoverage>();
  const add = (unitId: number, pop: number, covered: boolean) => {
    if (unitId <= 0) return;
    let u = byUnit.get(unitId);
    if (!u) {
      const info = model.units.get(unitId);
      if (!info) return;
      u = { ...info, ...figures() };
      byUnit.set(unitId, u);
    }
    u.population += pop;
    u.buildings++;
    if (covered) {
      u.population_covered += pop;
      u.buildings_covered++;
    }
  };
  const wantGrid = levels.includes('grid');
  const wantCommunity = levels.includes('community');
  const wantSubdistrict = levels.includes('subdistrict');
  for (let i = 0; i < b.id.length; i++) {
    const pop = b.population[i]!;
    const covered = mask[i] === 1;
    district.population += pop;
    district.buildings++;
    if (covered) {
      district.population_covered += pop;
      district.buildings_covered++;
    }
    if (wantGrid) add(b.grid[i]!, pop, covered);
    if (wantCommunity) add(b.community[i]!, pop, covered);
    if (wantSubdistrict) add(b.subdistrict[i]!, pop, covered);
  }
  // Units without buildings still appear, with zeros, so a table lists every unit.
  for (const info of model.units.values()) {
    if (levels.includes(info.level) && !byUnit.has(info.id)) byUnit.set(info.id, { ...info, ...figures() });
  }
  const units = [...byUnit.values()].map(finish).sort((a, b) => (a.level === b.level ? a.code.localeCompare(b.code) : a.level.localeCompare(b.level)));
  return { district: finish(district), units };
}
