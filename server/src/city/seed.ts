import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { planAdmin, type Community, type Subdistrict } from './admin-plan.ts';
import { snapLimitFromEnv } from '../config.ts';
import { placeFacilities, planRenovations, AS_OF, type KindInfo } from './facilities.ts';
import { buildFabric } from './fabric.ts';
import { Shape, toLngLat, type LngLat, type XY } from './geometry.ts';
import { buildLandmarks } from './landmarks.ts';
import { layoutStreets } from './layout.ts';
import { createRng } from './prng.ts';
import * as repo from './repository.ts';
import { DATA_DIR } from './kinds.ts';

export { DATA_DIR };

/** Bump when the generator changes what a seed produces. */
export const GENERATOR_VERSION = 1;
/** Xicheng's resident population is about 1.1 million; each seed varies it by up to ±1%. */
export const TARGET_POPULATION = 1_100_000;
export const POCKET_PARKS = 60;
export const RENOVATION_PROJECTS = 100;
/** People per grid (网格): Xicheng runs on the order of a thousand grids. */
export const PEOPLE_PER_GRID = 850;

export interface SeedOptions {
  seed: number;
  log?: (msg: string) => void;
  /** empty the city tables first (same transaction), for `npm run generate` */
  replace?: boolean;
}

/** True when the database holds no city yet (no district). */
export async function cityIsEmpty(client: pg.ClientBase): Promise<boolean> {
  const { rowCount } = await client.query("SELECT 1 FROM admin_unit WHERE level = 'district' LIMIT 1");
  return !rowCount;
}

const readJson = <T>(...p: string[]): T => JSON.parse(readFileSync(path.join(DATA_DIR, ...p), 'utf8')) as T;

const ringWkt = (ring: XY[]) => ring.map((p) => toLngLat(p).join(' ')).join(', ');
const polygonWkt = (ring: XY[]) => `POLYGON((${ringWkt(ring)}))`;

/**
 * Loads the demo city: the real district outline, subdistrict and community names and
 * codes, and a generated city on them (streets, compounds, buildings, facilities, pocket
 * parks, renovation projects, land cover), all marked synthetic. The same seed gives the
 * same rows. Runs in one transaction, so a failure leaves the database as it was.
 */
export async function seedDemoCity(client: pg.ClientBase, opts: SeedOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const step = (msg: string) => log(`${msg} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const rng = createRng(opts.seed >>> 0);

  const outline = readJson<{ features: { properties: { code: string; name_zh: string; name_en: string }; geometry: { type: string; coordinates: LngLat[][] } }[] }>('admin', 'xicheng-district.geojson').features[0]!;
  const subs = readJson<{ subdistricts: Subdistrict[] }>('admin', 'xicheng-subdistricts.json').subdistricts;
  const comms = readJson<{ communities: Community[] }>('admin', 'xicheng-communities.json').communities;
  const kinds = readJson<{ kinds: KindInfo[] }>('standards', 'life-circle-kinds.json').kinds;
  const departments = readJson<{ departments: { code: string; name_zh: string; name_en: string; kind: string; synthetic: boolean; subdistrict_code?: string }[] }>('departments.json').departments;

  // 1. Everything that does not need the database.
  const district = Shape.fromLngLat(outline.geometry.coordinates);
  const landmarks = buildLandmarks();
  const { network, blocks } = layoutStreets({ district, landmarks, rng: rng.fork('streets') });
  const targetPopulation = Math.round(TARGET_POPULATION * (1 + rng.fork('population').range(-0.01, 0.01)));
  const fabric = buildFabric({ blocks, district, landmarks, rng: rng.fork('fabric'), pocketParks: POCKET_PARKS, targetPopulation });
  const bAt = fabric.buildings.map((b) => toLngLat(b.centre));
  const plan = planAdmin(subs, comms, fabric.buildings.map((b, i) => ({ at: bAt[i]!, population: b.population })), rng.fork('admin'), PEOPLE_PER_GRID);
  step(`laid out ${network.edges.length} street segments, ${fabric.buildings.length} buildings, ${plan.grids.length} grids`);

  const prng = rng.fork('parks');
  const parkDate = () => `${prng.int(2017, 2025)}-${String(prng.int(1, 12)).padStart(2, '0')}-${String(prng.int(1, 28)).padStart(2, '0')}`;
  const pocketParks = fabric.pocketParks.map((p, i) => {
    const at = toLngLat(p.centre);
    const sub = subs[nearestIndex(at, plan.subdistricts.map((s) => s.at))]!;
    return { ...p, at, name: `${sub.short_zh}口袋公园${i + 1}号`, openedOn: parkDate() };
  });

  const facilities = placeFacilities({
    buildings: fabric.buildings.map((b, i) => ({
      at: bAt[i]!, population: b.population, hutong: b.hutong,
      commercialFloor: b.commercial ? (b.ring[2]![0] - b.ring[0]![0]) * (b.ring[2]![1] - b.ring[0]![1]) * b.floors : 0,
      subdistrict: plan.buildingSubdistrict[i]!, community: plan.buildingCommunity[i]!,
    })),
    subdistricts: subs.map((s) => ({ short_zh: s.short_zh, at: [s.anchor.lng, s.anchor.lat] as LngLat })),
    communities: plan.communities.map((c) => ({ name_zh: c.name_zh, at: c.at })),
    kinds,
    parks: landmarks.parks.map((p) => ({ name_zh: p.name_zh!, at: toLngLat([(p.shape.minX + p.shape.maxX) / 2, (p.shape.minY + p.shape.maxY) / 2]) })),
    pocketParks,
    rng: rng.fork('facilities'),
  });

  // Compounds without a building left (all cut by the district edge or water) are dropped.
  const liveCompounds = fabric.compounds.map((c, i) => ({ c, i })).filter(({ c }) => c.buildings.length > 0);

  await client.query('BEGIN');
  try {
    // Bulk statements over unnest() look expensive to the planner, which then spends longer
    // JIT-compiling them than running them.
    await client.query('SET LOCAL jit = off');
    if (opts.replace) await repo.wipeCity(client);
    await repo.insertDistrict(client, { code: outline.properties.code, name_zh: outline.properties.name_zh, name_en: outline.properties.name_en, geojson: JSON.stringify(outline.geometry), synthetic: false });
    await repo.insertPartition(client, 'subdistrict', plan.subdistricts.map((s) => ({ ...s, parentCode: outline.properties.code })));
    await repo.insertPartition(client, 'community', plan.communities);
    step('cut subdistricts and communities');
    await repo.insertPartition(client, 'grid', plan.grids);
    step('cut grids');

    await repo.insertDepartments(client, departments.map((d) => ({ code: d.code, name_zh: d.name_zh, name_en: d.name_en, kind: d.kind, synthetic: d.synthetic, unitCode: d.subdistrict_code ?? null })));
    const rectWkt = (s: Shape) => polygonWkt(s.rings[0]!);
    await repo.insertLandCover(client, [
      ...landmarks.water.map((a) => ({ kind: 'water' as const, name: a.name_zh, name_en: a.name_en, wkt: rectWkt(a.shape), synthetic: true })),
      ...landmarks.parks.map((a) => ({ kind: 'green' as const, name: a.name_zh, name_en: a.name_en, wkt: rectWkt(a.shape), synthetic: true })),
      ...landmarks.closed.map((a) => ({ kind: 'green' as const, name: a.name_zh, name_en: a.name_en, wkt: rectWkt(a.shape), synthetic: true })),
      ...fabric.openSpaces.map((r) => ({ kind: 'green' as const, name: null, wkt: polygonWkt([[r[0], r[1]], [r[2], r[1]], [r[2], r[3]], [r[0], r[3]], [r[0], r[1]]]), synthetic: true })),
    ]);

    const nodeBase = Number((await client.query<{ m: string | null }>('SELECT max(id)::text AS m FROM walk_node')).rows[0]!.m ?? 0);
    await repo.insertNetwork(
      client,
      network.nodes.map((p, i) => { const [lng, lat] = toLngLat(p); return { id: nodeBase + i + 1, lng, lat }; }),
      network.edges.map((e) => ({ source: nodeBase + e.a + 1, target: nodeBase + e.b + 1, kind: e.kind, name: e.name, synthetic: true })),
    );
    step('inserted the walking network');

    const compoundBase = await repo.maxId(client, 'compound');
    const compoundId = new Map(liveCompounds.map(({ i }, k) => [i, compoundBase + k + 1]));
    await repo.insertCompounds(client, liveCompounds.map(({ c, i }) => ({ id: compoundId.get(i)!, name: c.name, builtYear: c.builtYear, wkt: polygonWkt(c.ring), synthetic: true })));
    await repo.insertBuildings(client, fabric.buildings.map((b, i) => ({
      compoundId: b.compound === null ? null : compoundId.get(b.compound)!, gridCode: plan.grids[plan.buildingGrid[i]!]!.code, floors: b.floors, households: b.households, population: b.population,
      builtYear: b.builtYear, wkt: polygonWkt(b.ring), synthetic: true,
    })));
    await repo.refreshPopulation(client);
    step('inserted compounds and buildings');

    await repo.insertFacilities(client, facilities.map((f) => ({ kind: f.kind, name: f.name, capacity: f.capacity, openedOn: f.openedOn, lng: f.at[0], lat: f.at[1], synthetic: true })));
    await repo.insertPocketParks(client, pocketParks.map((p) => ({ name: p.name, openedOn: p.openedOn, wkt: polygonWkt(p.ring), synthetic: true })));
    const gated = await repo.gateFacilities(client, snapLimitFromEnv());
    step(`put ${gated} facilities that lay beyond the snap limit at their gates on the network`);
    const renovations = planRenovations(
      liveCompounds.filter(({ c }) => !c.hutong).map(({ c, i }) => {
        const bs = c.buildings.map((k) => fabric.buildings[k]!);
        const mean: XY = [bs.reduce((s, b) => s + b.centre[0], 0) / bs.length, bs.reduce((s, b) => s + b.centre[1], 0) / bs.length];
        return { index: i, name: c.name, builtYear: c.builtYear, households: c.households, lowRiseBuildings: bs.filter((b) => b.floors <= 6).length, at: toLngLat(mean) };
      }),
      RENOVATION_PROJECTS,
      rng.fork('renovation'),
    );
    await repo.insertRenovations(client, renovations.map((r) => ({
      compoundId: compoundId.get(r.compound) ?? null, name: r.name, status: r.status, budget: r.budget, spent: r.spent, progress: r.progress,
      elevatorsPlanned: r.elevatorsPlanned, elevatorsDone: r.elevatorsDone, startsOn: r.startsOn, endsOn: r.endsOn, lng: r.at[0], lat: r.at[1], synthetic: true,
    })));
    await repo.setMeta(client, 'seed', opts.seed);
    await repo.setMeta(client, 'generator', { version: GENERATOR_VERSION, synthetic: true, as_of: AS_OF, target_population: targetPopulation });
    await client.query('COMMIT');
    step(`generated the demo city (seed ${opts.seed}): ${facilities.length} facilities, ${pocketParks.length} pocket parks, ${renovations.length} renovation projects`);
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

function nearestIndex(p: LngLat, sites: LngLat[]): number {
  let best = 0, bd = Infinity;
  sites.forEach((s, i) => {
    const d = (s[0] - p[0]) ** 2 + (s[1] - p[1]) ** 2;
    if (d < bd) { bd = d; best = i; }
  });
  return best;
}


