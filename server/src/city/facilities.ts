/**
 * Service facilities of every life-circle kind, and old-compound renovation projects.
 * Counts are sized for a district of ~1.1 million people; placement follows population
 * (or floor space for shops) with a few deliberate holes per kind (circles of 500–900 m
 * where a kind is missing), so the coverage analysis finds real gaps to report.
 */
import type { LngLat } from './geometry.ts';
import type { Rng } from './prng.ts';

export interface FacBuilding {
  at: LngLat;
  population: number;
  /** floor area (m²) of commercial buildings, 0 otherwise */
  commercialFloor: number;
  hutong: boolean;
  subdistrict: number;
  community: number;
}

export interface GenFacility {
  kind: string;
  name: string;
  capacity: number | null;
  openedOn: string;
  at: LngLat;
}

export interface KindInfo {
  kind: string;
  name_zh: string;
}

type Weighting = 'people' | 'shops' | 'toilets';
/** kind → [count, weighting, capacity range or null, earliest opening year] */
const SCATTERED: Record<string, [number, Weighting, [number, number] | null, number]> = {
  middle_school: [34, 'people', [600, 2000], 1950],
  primary_school: [62, 'people', [480, 1800], 1950],
  kindergarten: [128, 'people', [90, 360], 1960],
  nursery: [44, 'people', [30, 90], 2005],
  outpatient_clinic: [38, 'people', null, 1985],
  health_station: [68, 'people', null, 1998],
  elderly_home: [24, 'people', [40, 300], 1990],
  elderly_nursing_home: [8, 'people', [80, 400], 2005],
  elderly_day_care: [88, 'people', [15, 60], 2012],
  sports_centre: [6, 'people', null, 1980],
  sports_ground_large: [9, 'people', null, 1985],
  sports_ground_medium: [34, 'people', null, 1995],
  sports_court_small: [92, 'people', null, 2005],
  outdoor_fitness: [230, 'people', null, 2008],
  gym: [52, 'shops', null, 2008],
  community_canteen: [78, 'people', [40, 200], 2015],
  police_station: [11, 'people', null, 1960],
  public_toilet: [430, 'toilets', null, 1985],
  shopping_mall: [17, 'shops', null, 1990],
  market: [56, 'people', null, 1985],
  restaurant: [360, 'shops', null, 1990],
  bank: [158, 'shops', null, 1990],
  telecom_shop: [58, 'shops', null, 2000],
  post_office: [28, 'people', null, 1960],
  supermarket: [160, 'shops', null, 1998],
  pharmacy: [215, 'shops', null, 1995],
  convenience_store: [420, 'shops', null, 2000],
  express_lockers: [340, 'people', null, 2016],
  neighbourhood_park: [18, 'people', null, 1990],
  small_park: [42, 'people', null, 2000],
  library: [60, 'people', null, 2008],
};

/** One per subdistrict, near its office, except in the listed number of subdistricts (a gap). */
const PER_SUBDISTRICT: Record<string, { missing: number; extra: number }> = {
  subdistrict_office: { missing: 0, extra: 0 },
  community_service_center: { missing: 0, extra: 0 },
  judicial_office: { missing: 0, extra: 0 },
  police_station: { missing: 0, extra: 0 },
  culture_center: { missing: 2, extra: 1 },
  health_center: { missing: 2, extra: 3 },
};

/** One per community, except the given share (a gap). */
const PER_COMMUNITY: Record<string, number> = {
  community_service_station: 1,
  party_service_station: 0.97,
  culture_room: 0.86,
};

export interface FacilityInput {
  buildings: FacBuilding[];
  subdistricts: { short_zh: string; at: LngLat }[];
  communities: { name_zh: string; at: LngLat }[];
  kinds: KindInfo[];
  parks: { name_zh: string; at: LngLat }[];
  pocketParks: { name: string; at: LngLat; openedOn: string }[];
  rng: Rng;
}

const metres = (a: LngLat, b: LngLat) => Math.hypot((a[0] - b[0]) * 85500, (a[1] - b[1]) * 111000);
const date = (rng: Rng, y0: number, y1: number) => {
  const y = rng.int(y0, y1), m = rng.int(1, 12), d = rng.int(1, 28);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
};

export function placeFacilities({ buildings, subdistricts, communities, kinds, parks, pocketParks, rng }: FacilityInput): GenFacility[] {
  const name = new Map(kinds.map((k) => [k.kind, k.name_zh]));
  const out: GenFacility[] = [];
  const seq = new Map<string, number>();
  const label = (kind: string, prefix: string) => {
    const key = `${kind}|${prefix}`;
    const n = (seq.get(key) ?? 0) + 1;
    seq.set(key, n);
    const kn = name.get(kind) ?? kind;
    return n === 1 ? `${prefix}${kn}` : `${prefix}${kn}（${n}）`;
  };
  const joinCommunity = (community: string, kind: string) => {
    const kn = name.get(kind) ?? kind;
    return community.endsWith('社区') && kn.startsWith('社区') ? community + kn.slice(2) : community + kn;
  };
  const inhabited = buildings.map((b, i) => i).filter((i) => buildings[i]!.population > 0);
  const nearestBuildings = (p: LngLat, pool: number[], n: number) =>
    pool.map((i) => ({ i, d: metres(buildings[i]!.at, p) })).sort((a, b) => a.d - b.d || a.i - b.i).slice(0, n).map((x) => x.i);

  for (const k of kinds.map((x) => x.kind)) {
    const spec = SCATTERED[k];
    if (!spec) continue;
    const [count, weighting, cap, year0] = spec;
    const weight = (b: FacBuilding) =>
      weighting === 'people' ? b.population : weighting === 'shops' ? b.population * 0.4 + b.commercialFloor * 0.03 : b.population * (b.hutong ? 4 : 0.5);
    // Holes: the rarer the kind, the more of the district may miss it.
    const holes = Array.from({ length: count < 60 ? rng.int(2, 3) : count < 200 ? rng.int(1, 2) : 1 }, () => ({
      at: buildings[rng.pick(inhabited)]!.at,
      r: rng.range(500, 900),
    }));
    const pool = buildings.map((_, i) => i).filter((i) => weight(buildings[i]!) > 0 && !holes.some((h) => metres(buildings[i]!.at, h.at) < h.r));
    const cum: number[] = [];
    let total = 0;
    for (const i of pool) cum.push((total += weight(buildings[i]!)));
    const used = new Set<number>();
    for (let n = 0, tries = 0; n < count && tries < count * 20; tries++) {
      const r = rng.next() * total;
      let lo = 0, hi = cum.length - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cum[mid]! < r) lo = mid + 1; else hi = mid; }
      const bi = pool[lo]!;
      if (used.has(bi)) continue;
      used.add(bi);
      const b = buildings[bi]!;
      out.push({ kind: k, name: label(k, subdistricts[b.subdistrict]!.short_zh), capacity: cap ? rng.int(cap[0], cap[1]) : null, openedOn: date(rng, year0, 2025), at: b.at });
      n++;
    }
  }

  for (const [k, spec] of Object.entries(PER_SUBDISTRICT)) {
    const skip = new Set<number>();
    while (skip.size < spec.missing) skip.add(rng.int(0, subdistricts.length - 1));
    subdistricts.forEach((s, si) => {
      if (skip.has(si)) return;
      const mine = inhabited.filter((i) => buildings[i]!.subdistrict === si);
      const near = nearestBuildings(s.at, mine.length ? mine : inhabited, 6);
      out.push({ kind: k, name: label(k, s.short_zh), capacity: null, openedOn: date(rng, 1985, 2020), at: buildings[rng.pick(near)]!.at });
    });
    for (let e = 0; e < spec.extra; e++) {
      const b = buildings[rng.pick(inhabited)]!;
      out.push({ kind: k, name: label(k, subdistricts[b.subdistrict]!.short_zh), capacity: null, openedOn: date(rng, 1995, 2024), at: b.at });
    }
  }

  for (const [k, share] of Object.entries(PER_COMMUNITY)) {
    communities.forEach((c, ci) => {
      if (!rng.chance(share)) return;
      const mine = inhabited.filter((i) => buildings[i]!.community === ci);
      const near = nearestBuildings(c.at, mine.length ? mine : inhabited, 5);
      out.push({ kind: k, name: joinCommunity(c.name_zh, k), capacity: null, openedOn: date(rng, 2000, 2024), at: buildings[rng.pick(near)]!.at });
    });
  }

  for (const p of parks) out.push({ kind: 'park', name: p.name_zh, capacity: null, openedOn: date(rng, 1950, 1990), at: p.at });
  for (const p of pocketParks) out.push({ kind: 'pocket_park', name: p.name, capacity: null, openedOn: p.openedOn, at: p.at });
  return out;
}

export interface RenovationCompound {
  index: number;
  name: string;
  builtYear: number;
  households: number;
  lowRiseBuildings: number;
  at: LngLat;
}

export interface GenRenovation {
  compound: number;
  name: string;
  status: 'planned' | 'approved' | 'under_construction' | 'completed';
  budget: number;
  spent: number;
  progress: number;
  elevatorsPlanned: number;
  elevatorsDone: number;
  startsOn: string;
  endsOn: string;
  at: LngLat;
}

/** The date the generated projects are "as of": completed ones ended before it, planned ones start after it. */
export const AS_OF = '2026-01-01';

const addMonths = (iso: string, months: number) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
};

export function planRenovations(candidates: RenovationCompound[], count: number, rng: Rng): GenRenovation[] {
  const pool = candidates.filter((c) => c.builtYear < 2000 && c.households > 0);
  const chosen: RenovationCompound[] = [];
  const taken = new Set<number>();
  while (chosen.length < Math.min(count, pool.length)) {
    const i = rng.int(0, pool.length - 1);
    if (taken.has(i)) continue;
    taken.add(i);
    chosen.push(pool[i]!);
  }
  chosen.sort((a, b) => a.index - b.index);
  return chosen.map((c) => {
    const u = rng.next();
    const status = u < 0.3 ? 'completed' : u < 0.6 ? 'under_construction' : u < 0.8 ? 'approved' : 'planned';
    const elevatorsPlanned = c.lowRiseBuildings ? rng.int(0, Math.min(24, c.lowRiseBuildings * 3)) : 0;
    const budget = Math.round((c.households * rng.range(15000, 40000) + elevatorsPlanned * 600000) / 1000) * 1000;
    let startsOn: string, months: number, progress = 0, spent = 0, elevatorsDone = 0;
    if (status === 'completed') {
      startsOn = date(rng, 2019, 2023);
      months = rng.int(8, 24);
      progress = 1;
      spent = budget * rng.range(0.88, 1);
      elevatorsDone = elevatorsPlanned;
    } else if (status === 'under_construction') {
      startsOn = addMonths('2023-06-01', rng.int(0, 29));
      months = rng.int(18, 36);
      progress = Math.round(rng.range(0.1, 0.9) * 100) / 100;
      spent = Math.min(budget, budget * progress * rng.range(0.85, 1.1));
      elevatorsDone = Math.floor(elevatorsPlanned * progress);
    } else if (status === 'approved') {
      startsOn = addMonths('2026-02-01', rng.int(0, 8));
      months = rng.int(12, 24);
      spent = budget * rng.range(0, 0.04);
    } else {
      startsOn = addMonths('2026-04-01', rng.int(0, 14));
      months = rng.int(12, 30);
    }
    let endsOn = addMonths(startsOn, months);
    // A completed project has ended by the as-of date; an unfinished one has not.
    if (status === 'completed' && endsOn >= AS_OF) endsOn = '2025-12-15';
    if (status === 'under_construction' && endsOn <= AS_OF) endsOn = addMonths(AS_OF, rng.int(2, 12));
    return {
      compound: c.index, name: `${c.name}老旧小区综合整治`, status, budget, spent: Math.round(spent * 100) / 100, progress,
      elevatorsPlanned, elevatorsDone, startsOn, endsOn, at: c.at,
    };
  });
}
