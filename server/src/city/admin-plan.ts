/**
 * Where the administrative units go. Subdistricts are the Voronoi cells of their real
 * anchor points clipped to the district; communities and grids are the Voronoi cells of
 * sites placed by population-weighted k-means on the buildings, so units hold similar
 * numbers of people, as real communities do. The polygons themselves are cut in PostGIS
 * (see repository.ts); here only the sites are chosen. Distances are planar in degrees,
 * the space ST_VoronoiPolygons works in, so "nearest site" here is "inside its cell" there.
 */
import type { LngLat } from './geometry.ts';
import type { Rng } from './prng.ts';

export interface SiteRow {
  code: string;
  name_zh: string;
  name_en: string;
  parentCode: string;
  at: LngLat;
}

export interface Subdistrict {
  code: string;
  name_zh: string;
  short_zh: string;
  name_en: string;
  anchor: { lng: number; lat: number };
}
export interface Community {
  code: string;
  name_zh: string;
  subdistrict_code: string;
}

export interface PlanBuilding {
  at: LngLat;
  population: number;
}

export interface AdminPlan {
  subdistricts: SiteRow[];
  communities: SiteRow[];
  grids: SiteRow[];
  /** per building: index into subdistricts / communities */
  buildingSubdistrict: Int32Array;
  buildingCommunity: Int32Array;
  buildingGrid: Int32Array;
}

const d2 = (a: LngLat, b: LngLat) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2;

function nearest(p: LngLat, sites: readonly LngLat[], among?: readonly number[]): number {
  let best = -1, bd = Infinity;
  const idx = among ?? sites.map((_, i) => i);
  for (const i of idx) {
    const d = d2(p, sites[i]!);
    if (d < bd) { bd = d; best = i; }
  }
  return best;
}

/** k sites at buildings (so each lies inside its parent), spread by weighted k-means. */
function kmeansSites(points: LngLat[], weights: number[], k: number, rng: Rng): LngLat[] {
  if (k >= points.length) return points.slice(0, k);
  const centres: LngLat[] = [];
  const total = weights.reduce((s, w) => s + w, 0);
  const weightedPick = () => {
    let r = rng.next() * total;
    for (let i = 0; i < points.length; i++) if ((r -= weights[i]!) <= 0) return points[i]!;
    return points[points.length - 1]!;
  };
  centres.push(weightedPick());
  while (centres.length < k) {
    let best: LngLat = points[0]!, bd = -1;
    for (let t = 0; t < 10; t++) {
      const c = weightedPick();
      const d = Math.min(...centres.map((q) => d2(c, q)));
      if (d > bd) { bd = d; best = c; }
    }
    centres.push(best);
  }
  const assign = new Int32Array(points.length);
  for (let iter = 0; iter < 8; iter++) {
    points.forEach((p, i) => { assign[i] = nearest(p, centres); });
    const sx = new Float64Array(k), sy = new Float64Array(k), sw = new Float64Array(k);
    points.forEach((p, i) => {
      const c = assign[i]!, w = weights[i]! + 1e-9;
      sx[c] = sx[c]! + p[0] * w; sy[c] = sy[c]! + p[1] * w; sw[c] = sw[c]! + w;
    });
    for (let c = 0; c < k; c++) if (sw[c]! > 0) centres[c] = [sx[c]! / sw[c]!, sy[c]! / sw[c]!];
  }
  // Snap each centre to a distinct building so the site is inside the parent polygon.
  const used = new Set<number>();
  return centres.map((c) => {
    let best = -1, bd = Infinity;
    points.forEach((p, i) => {
      if (used.has(i)) return;
      const d = d2(p, c);
      if (d < bd) { bd = d; best = i; }
    });
    used.add(best);
    return points[best]!;
  });
}

/** North to south in bands, west to east within a band: codes then read like a map. */
function readingOrder(sites: LngLat[], band: number): number[] {
  return sites
    .map((s, i) => ({ i, row: Math.floor(-s[1] / band), x: s[0] }))
    .sort((a, b) => a.row - b.row || a.x - b.x || a.i - b.i)
    .map((s) => s.i);
}

export function planAdmin(subs: Subdistrict[], comms: Community[], buildings: PlanBuilding[], rng: Rng, peoplePerGrid: number): AdminPlan {
  const subSites: LngLat[] = subs.map((s) => [s.anchor.lng, s.anchor.lat]);
  const buildingSubdistrict = new Int32Array(buildings.length);
  buildings.forEach((b, i) => { buildingSubdistrict[i] = nearest(b.at, subSites); });

  const communities: SiteRow[] = [];
  const commSites: LngLat[] = [];
  const commOfSub: number[][] = subs.map(() => []);
  subs.forEach((s, si) => {
    const mine = comms.filter((c) => c.subdistrict_code === s.code);
    const idx = buildings.map((_, i) => i).filter((i) => buildingSubdistrict[i] === si && buildings[i]!.population > 0);
    const pts = idx.map((i) => buildings[i]!.at);
    if (pts.length < mine.length) throw new Error(`subdistrict ${s.code} has ${pts.length} inhabited buildings for ${mine.length} communities`);
    const sites = kmeansSites(pts, idx.map((i) => buildings[i]!.population), mine.length, rng);
    readingOrder(sites, 0.004).forEach((siteIdx, k) => {
      const c = mine[k]!;
      commOfSub[si]!.push(communities.length);
      communities.push({ code: c.code, name_zh: c.name_zh, name_en: `${s.name_en} community ${c.code.slice(-3)}`, parentCode: s.code, at: sites[siteIdx]! });
      commSites.push(sites[siteIdx]!);
    });
  });

  const buildingCommunity = new Int32Array(buildings.length);
  buildings.forEach((b, i) => { buildingCommunity[i] = nearest(b.at, commSites, commOfSub[buildingSubdistrict[i]!]); });

  const grids: SiteRow[] = [];
  const gridsOf: number[][] = communities.map(() => []);
  const byCommunity: number[][] = communities.map(() => []);
  buildings.forEach((b, i) => { if (b.population > 0) byCommunity[buildingCommunity[i]!]!.push(i); });
  communities.forEach((c, ci) => {
    const idx = byCommunity[ci]!;
    const pop = idx.reduce((s, i) => s + buildings[i]!.population, 0);
    let k = Math.max(2, Math.min(9, Math.round(pop / peoplePerGrid)));
    k = Math.min(k, idx.length);
    const pts = idx.map((i) => buildings[i]!.at);
    // A community with a single inhabited building (or none) is one grid: its site is the community's.
    const sites = k >= 2 ? kmeansSites(pts, idx.map((i) => buildings[i]!.population), k, rng) : [c.at];
    readingOrder(sites, 0.0015).forEach((siteIdx, n) => {
      const no = String(n + 1).padStart(2, '0');
      gridsOf[ci]!.push(grids.length);
      grids.push({ code: `${c.code}${no}`, name_zh: `${c.name_zh}第${n + 1}网格`, name_en: `${c.name_en} grid ${no}`, parentCode: c.code, at: sites[siteIdx]! });
    });
  });
  const gridSites = grids.map((g) => g.at);
  const buildingGrid = new Int32Array(buildings.length);
  buildings.forEach((b, i) => { buildingGrid[i] = nearest(b.at, gridSites, gridsOf[buildingCommunity[i]!]); });
  return { buildingGrid, subdistricts: subs.map((s) => ({ code: s.code, name_zh: s.name_zh, name_en: s.name_en, parentCode: '', at: [s.anchor.lng, s.anchor.lat] })), communities, grids, buildingSubdistrict, buildingCommunity };
}
