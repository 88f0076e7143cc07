import { Worker } from 'node:worker_threads';
import type { Pool } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import { badRequest, HttpError, notFound } from '../lib/errors.ts';
import { anchorOf, LOAD_STEPS, loadNetworkModel } from './network-load.ts';
import { reach, reachedEdgeParts, type EdgePart, type Reach } from './graph.ts';
import { isochroneFromParts, pointAlong, type DrawnBuildings } from './isochrone.ts';
import {
  anchorDistance,
  buildingsNear,
  coveredMask,
  reachFrom,
  type AnchoredReach,
  type Anchor,
  summarize,
  type BreakdownLevel,
  type CityModel,
  type CoverageFigures,
  type Facility,
  type FacilitySource,
  type UnitCoverage,
} from './model.ts';
import * as repo from './repository.ts';
import type { Actor } from '../auth/principal.ts';
import { appendEvents } from '../events/repository.ts';
import { observeCoverageLoad } from '../metrics/registry.ts';
import { greedySiting } from './siting.ts';
import { findCategory } from '../cases/categories.ts';
import { COMPLAINT_WINDOW_DAYS, KINDS, POCKET_PARK_KIND, complaintCategoriesOf, kindInfo, parseThreshold, type Threshold } from './standards.ts';

export interface CoverageOptions {
  /** Default walking speed, m/s. */
  walkSpeed: number;
  /**
   * The database the model is loaded from in a worker thread; without it the model is loaded
   * on the event loop (scripts and benchmarks that hold only a pool).
   */
  databaseUrl?: string;
  /**
   * How long a request waits for a model that is loading before it is answered 503 with the
   * load's progress and a Retry-After, milliseconds (default 15,000).
   */
  loadWaitMs?: number;
  /** A building, facility or candidate farther than this from every walk node is off the network, metres. */
  snapLimit: number;
  /** Half-width of the band drawn around walked streets in an isochrone polygon, metres. */
  isochroneBuffer: number;
}

/** Reports the progress of a long computation (the routes push it over the socket). */
export type ProgressFn = (stage: string, done: number, total: number) => void;

export interface ThresholdInput {
  minutes?: number;
  metres?: number;
  speed?: number;
  /** Count planned facilities as if they were open (default false: they serve nobody yet). */
  planned?: boolean;
}

export interface CoverageResult {
  kind: string;
  threshold: Threshold;
  facilities: number;
  /** Planned facilities of the kind; counted in `facilities` and the figures only when asked. */
  planned: number;
  planned_counted: boolean;
  /** The data version the figures were computed at (network and facility counters). */
  data_version: string;
  /** Facilities of the kind farther than the snapping limit from every walk node (left out). */
  facilities_off_network: number;
  district: CoverageFigures;
  units: UnitCoverage[];
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A point a planner places: a new facility, or where an existing one moves to. */
export interface PlacedPoint {
  lon: number;
  lat: number;
  name?: string;
}

export interface WhatIfInput extends ThresholdInput {
  kind: string;
  add?: PlacedPoint[];
  move?: Array<{ id: number; lon: number; lat: number }>;
  remove?: number[];
  save?: boolean;
}

/**
 * Service coverage: reach, coverage, gaps, isochrones, what-if and siting over an in-memory
 * model of the city that is reloaded when the data-version counters in PostGIS move.
 */
export class CoverageService {
  private model: CityModel | null = null;
  private loadedVersion: repo.DataVersion | null = null;
  private loading: Promise<CityModel> | null = null;
  private masks = new Map<string, { mask: Uint8Array; reach: AnchoredReach; summary?: ReturnType<typeof summarize> }>();
  private polygons = new Map<string, GeoJSON.MultiPolygon | null>();

  constructor(
    private readonly db: Pool,
    readonly options: CoverageOptions,
  ) {}

  /** Where a running load is: its step, for the 503 that a request gets when it waits too long. */
  private loadProgress: { stage: string; done: number; total: number; since: number } | null = null;

  /**
   * The model at the database's current data version, reloading only the part that changed.
   * While a load runs, a request waits up to `loadWaitMs`, then gets a 503 (`ModelLoadingError`)
   * with the load's progress: it never hangs on a load that takes long.
   */
  async current(): Promise<CityModel> {
    const pending = this.atVersion(await repo.dataVersion(this.db));
    if (!this.loading) return pending;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.loadingError()), this.options.loadWaitMs ?? 15_000);
    });
    try {
      return await Promise.race([pending, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts loading the model now (at server start), so the first request finds it ready. */
  async preload(): Promise<void> {
    await this.atVersion(await repo.dataVersion(this.db));
  }

  /** Whether a load is running, and its progress. */
  get loadStatus(): { loading: boolean; stage: string | null; done: number; total: number } {
    const p = this.loadProgress;
    return { loading: this.loading !== null, stage: p?.stage ?? null, done: p?.done ?? 0, total: p?.total ?? LOAD_STEPS };
  }

  private loadingError(): ModelLoadingError {
    const p = this.loadProgress ?? { stage: 'starting', done: 0, total: LOAD_STEPS, since: Date.now() };
    return new ModelLoadingError(p.stage, p.done, p.total, Math.round((Date.now() - p.since) / 1000));
  }

  /** The model at a data version just read from the database. */
  private async atVersion(version: repo.DataVersion): Promise<CityModel> {
    const loaded = this.loadedVersion;
    if (this.model && loaded && loaded.network === version.network && loaded.facilities === version.facilities) return this.model;
    // One load at a time: concurrent requests share it.
    if (!this.loading) {
      this.loadProgress = { stage: 'starting', done: 0, total: LOAD_STEPS, since: Date.now() };
      this.loading = this.load(version).finally(() => {
        this.loading = null;
        this.loadProgress = null;
      });
    }
    return this.loading;
  }

  private async load(version: repo.DataVersion): Promise<CityModel> {
    const started = performance.now();
    const limit = this.options.snapLimit;
    let model = this.model;
    const networkChanged = !model || !this.loadedVersion || this.loadedVersion.network !== version.network;
    if (!model || !this.loadedVersion || this.loadedVersion.network !== version.network) {
      model = await this.loadNetwork(version);
    }
    if (this.loadProgress) this.loadProgress = { ...this.loadProgress, stage: 'reading the facilities', done: LOAD_STEPS - 1 };
    const facilities = await repo.loadFacilities(this.db, limit);
    const m = model;
    model = {
      ...m,
      facilities: facilities.map((f) => ({ id: f.id, source: f.source, kind: f.kind, name: f.name, lon: f.lon, lat: f.lat, planned: f.status === 'planned', ...anchorOf(m.edgeIndex, m.reversed, f.snap) })),
    };
    this.masks.clear();
    // Polygons are keyed by what they are drawn from (node, snap, budget), so only a network change voids them.
    if (this.loadedVersion?.network !== version.network) this.polygons.clear();
    this.model = model;
    this.loadedVersion = version;
    observeCoverageLoad(networkChanged ? 'network' : 'facilities', (performance.now() - started) / 1000);
    return model;
  }

  /**
   * The network part of the model, loaded in a worker thread when the database URL is known:
   * reading and snapping take seconds of SQL, and building the arrays seconds of CPU that would
   * otherwise stall every other request of this process.
   */
  private loadNetwork(version: repo.DataVersion): Promise<CityModel> {
    const onProgress = (stage: string, done: number, total: number) => {
      if (this.loadProgress) this.loadProgress = { ...this.loadProgress, stage, done, total };
    };
    const url = this.options.databaseUrl;
    if (!url) return loadNetworkModel(this.db, version.network, this.options.snapLimit, onProgress);
    return new Promise<CityModel>((resolve, reject) => {
      const file = new URL(`./model-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
      const workerData = { databaseUrl: url, version: version.network, snapLimit: this.options.snapLimit };
      // Source files run through tsx: the worker registers the same loader before importing its file.
      const worker = file.pathname.endsWith('.ts')
        ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); })`, {
            eval: true,
            workerData,
          })
        : new Worker(file, { workerData });
      let settled = false;
      worker.on('message', (m: { type: string; stage?: string; done?: number; total?: number; model?: CityModel; message?: string }) => {
        if (m.type === 'progress') onProgress(m.stage!, m.done!, m.total!);
        else if (m.type === 'done') {
          settled = true;
          resolve(m.model!);
        } else if (m.type === 'error') {
          settled = true;
          reject(new Error(`loading the coverage model failed: ${m.message}`));
        }
      });
      worker.on('error', (err) => {
        if (!settled) reject(err);
        settled = true;
      });
      worker.on('exit', (code) => {
        if (!settled) reject(new Error(`the coverage model worker exited with ${code} before it finished`));
        settled = true;
      });
    });
  }

  threshold(input: ThresholdInput): Threshold {
    return parseThreshold(input, this.options.walkSpeed);
  }

  /** A kind's facilities: the open ones, and the planned ones too when asked. */
  facilitiesOf(model: CityModel, kind: string, withPlanned = false): Facility[] {
    return model.facilities.filter((f) => f.kind === kind && (withPlanned || !f.planned));
  }

  /** The data version of the loaded model, as the figures carry it. */
  get dataVersion(): string {
    const v = this.loadedVersion;
    return v ? `${v.network}.${v.facilities}` : '0.0';
  }

  /** The covered mask of a kind at a threshold, cached for the current data version. */
  private kindMask(model: CityModel, kind: string, t: Threshold, withPlanned = false): { mask: Uint8Array; reach: AnchoredReach; summary?: ReturnType<typeof summarize> } {
    const key = `${kind}|${t.metres}|${withPlanned ? 'planned' : 'open'}`;
    let hit = this.masks.get(key);
    if (!hit) {
      const reach = reachFrom(model, this.facilitiesOf(model, kind, withPlanned), t.metres);
      hit = { mask: coveredMask(model, reach), reach };
      // Thresholds are free numbers: bound the cache so varied requests cannot grow it without end.
      if (this.masks.size >= 300) this.masks.clear();
      this.masks.set(key, hit);
    }
    return hit;
  }

  async coverage(kind: string, input: ThresholdInput, levels: readonly BreakdownLevel[] = ['subdistrict', 'community']): Promise<CoverageResult> {
    kindInfo(kind);
    const t = this.threshold(input);
    const model = await this.current();
    const withPlanned = input.planned === true;
    const facilities = this.facilitiesOf(model, kind, withPlanned);
    const { mask } = this.kindMask(model, kind, t, withPlanned);
    const { district, units } = summarize(model, mask, levels);
    return {
      kind,
      threshold: t,
      facilities: facilities.length,
      planned: model.facilities.filter((f) => f.kind === kind && f.planned).length,
      planned_counted: withPlanned,
      data_version: this.dataVersion,
      facilities_off_network: facilities.filter((f) => f.edge < 0).length,
      district,
      units,
    };
  }

  /** Buildings a kind does not reach within the threshold, as GeoJSON points weighted by population. */
  async gaps(kind: string, input: ThresholdInput): Promise<GeoJSON.FeatureCollection<GeoJSON.Point>> {
    kindInfo(kind);
    const t = this.threshold(input);
    const model = await this.current();
    const { mask } = this.kindMask(model, kind, t, input.planned === true);
    const b = model.buildings;
    const features: GeoJSON.Feature<GeoJSON.Point>[] = [];
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] || b.population[i] === 0) continue;
      features.push({
        type: 'Feature',
        id: b.id[i]!,
        geometry: { type: 'Point', coordinates: [round6(b.lon[i]!), round6(b.lat[i]!)] },
        properties: {
          building_id: b.id[i]!,
          population: b.population[i]!,
          community_id: b.community[i]! || null,
          subdistrict_id: b.subdistrict[i]! || null,
          // Off the network: no street within the snapping limit, so no facility can reach it on foot.
          reason: b.edge[i]! < 0 ? 'off_network' : 'beyond_threshold',
        },
      });
    }
    return { type: 'FeatureCollection', features };
  }

  /** The polygon of one search, cached by what it depends on. */
  private polygonOf(model: CityModel, key: string, r: AnchoredReach): GeoJSON.MultiPolygon | null {
    const fullKey = `${model.version}|${key}|${r.budget}`;
    let hit = this.polygons.get(fullKey);
    if (hit === undefined) {
      const parts: EdgePart[] = reachedEdgeParts(model.graph, r);
      // The stretch walked from a source along its own edge, in both directions.
      for (const [edge, anchors] of r.onEdge) {
        const len = model.graph.edgeLen[edge]!;
        for (const a of anchors) {
          const left = r.budget - a.snap;
          if (left < 0) continue;
          const w = len > 0 ? left / len : 1;
          parts.push({ edge, from: Math.max(0, a.frac - w), to: Math.min(1, a.frac + w) });
        }
      }
      hit = isochroneFromParts(model.shapes, parts, this.options.isochroneBuffer, (2 * model.snapLimit) ** 2, drawnBuildings(model, coveredMask(model, r)));
      if (this.polygons.size >= 500) this.polygons.clear();
      this.polygons.set(fullKey, hit);
    }
    return hit;
  }

  /** One facility's isochrone: the nodes it reaches and the polygon around the walked streets. */
  async facilityIsochrone(source: FacilitySource, id: number, input: ThresholdInput): Promise<GeoJSON.Feature> {
    const t = this.threshold(input);
    const model = await this.current();
    const f = model.facilities.find((x) => x.source === source && x.id === id);
    if (!f) throw notFound(`${source === 'facility' ? 'facility' : 'pocket park'} ${id} does not exist`);
    if (f.edge < 0) throw badRequest(`${source} ${id} is farther than ${model.snapLimit} m from every street, so it has no walking isochrone`, { field: 'id' });
    const r = reachFrom(model, [f], t.metres);
    const geometry = this.polygonOf(model, anchorKey([f]), r);
    return {
      type: 'Feature',
      geometry: geometry ?? { type: 'GeometryCollection', geometries: [] },
      properties: { source, id, kind: f.kind, name: f.name, threshold: t.key, metres: t.metres, nodes_reached: r.settled.length },
    };
  }

  /**
   * The area a kind covers: one search from all its facilities at once, one polygon. Each
   * facility's own isochrone is `facilityIsochrone`; their union is this.
   */
  async kindIsochrones(kind: string, input: ThresholdInput): Promise<GeoJSON.FeatureCollection> {
    kindInfo(kind);
    const t = this.threshold(input);
    const model = await this.current();
    const withPlanned = input.planned === true;
    const facilities = this.facilitiesOf(model, kind, withPlanned).filter((f) => f.edge >= 0);
    const { reach } = this.kindMask(model, kind, t, withPlanned);
    const key = anchorKey(facilities);
    const geometry = facilities.length ? this.polygonOf(model, key, reach) : null;
    const features: GeoJSON.Feature[] = [];
    if (geometry) features.push({ type: 'Feature', geometry, properties: { role: 'isochrone', kind, threshold: t.key, metres: t.metres } });
    // Planned facilities are always listed (the map marks them apart), whether counted or not.
    for (const f of this.facilitiesOf(model, kind, true)) {
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [round6(f.lon), round6(f.lat)] },
        properties: { role: f.planned ? 'planned' : 'facility', kind, source: f.source, id: f.id, name: f.name, on_network: f.edge >= 0 },
      });
    }
    return { type: 'FeatureCollection', features };
  }

  /** A snapped placed point as an anchor, refusing one outside the district or off the network with the reason. */
  private checkPlaced(model: CityModel, p: PlacedPoint, s: repo.PointSnap, field: string): Anchor {
    if (!s.in_district) throw badRequest(`${field} (${p.lon}, ${p.lat}) lies outside the district; place it inside the district outline`, { field });
    const a = anchorOf(model.edgeIndex, model.reversed, s);
    if (a.edge < 0) throw badRequest(`${field} (${p.lon}, ${p.lat}) is more than ${model.snapLimit} m from any walkable street; place it nearer a street`, { field });
    return a;
  }

  /**
   * What-if: the coverage of a kind with facilities added, moved or removed, against the
   * coverage as it is. Nothing is written unless `save` is set.
   */
  async whatIf(input: WhatIfInput, actor: Actor) {
    const info = kindInfo(input.kind);
    const t = this.threshold(input);
    // Snap every placed point and read the data version in one round trip.
    const placedPoints = [...(input.move ?? []), ...(input.add ?? [])];
    const { version, snaps } = await repo.snapPointsWithVersion(this.db, placedPoints, this.options.snapLimit);
    const model = await this.atVersion(version);
    const moveSnaps = snaps.slice(0, input.move?.length ?? 0);
    const addSnaps = snaps.slice(input.move?.length ?? 0);
    const withPlanned = input.planned === true;
    const existing = this.facilitiesOf(model, input.kind, withPlanned);
    // Ids name facility rows; a pocket park known only from its own table is named by its park id.
    const byId = new Map<number, Facility>();
    for (const f of existing) if (f.source === 'pocket_park') byId.set(f.id, f);
    for (const f of existing) if (f.source === 'facility') byId.set(f.id, f);
    const removed = new Set<Facility>();
    (input.remove ?? []).forEach((id, i) => {
      const f = byId.get(id);
      if (!f) throw badRequest(`remove[${i}]: there is no ${info.name_en.toLowerCase()} with id ${id}`, { field: `remove.${i}` });
      removed.add(f);
    });
    const moved = new Map<Facility, Anchor & { lon: number; lat: number }>();
    for (const [i, m] of (input.move ?? []).entries()) {
      const f = byId.get(m.id);
      if (!f) throw badRequest(`move[${i}]: there is no ${info.name_en.toLowerCase()} with id ${m.id}`, { field: `move.${i}.id` });
      if (removed.has(f)) throw badRequest(`move[${i}]: ${m.id} is also being removed`, { field: `move.${i}.id` });
      moved.set(f, { ...this.checkPlaced(model, m, moveSnaps[i]!, `move.${i}`), lon: m.lon, lat: m.lat });
    }
    const added: Array<Anchor & { lon: number; lat: number; name: string }> = [];
    for (const [i, p] of (input.add ?? []).entries()) {
      added.push({ ...this.checkPlaced(model, p, addSnaps[i]!, `add.${i}`), lon: p.lon, lat: p.lat, name: p.name ?? `${info.name_zh}（规划）` });
    }
    const after = [...existing.filter((f) => !removed.has(f)).map((f) => (moved.has(f) ? { ...f, ...moved.get(f)! } : f)), ...added];
    const before = this.kindMask(model, input.kind, t, withPlanned);
    // Adding only: the nearest facility afterwards is the nearer of today's nearest and the new
    // ones, so a search from the new ones alone suffices. Moving or removing needs a full search.
    const addOnly = removed.size === 0 && moved.size === 0;
    const afterReach = addOnly ? reachFrom(model, added, t.metres) : reachFrom(model, after, t.metres);
    const levels: BreakdownLevel[] = ['subdistrict', 'community', 'grid'];
    // Today's figures are the same for every what-if on this kind and threshold: keep them.
    const s0 = (before.summary ??= summarize(model, before.mask, levels));
    // Only buildings within the budget of a changed facility can change; sum the change over them.
    const changed: Anchor[] = [...added, ...moved.values(), ...moved.keys(), ...removed];
    const b = model.buildings;
    const unitChange = new Map<number, number>();
    let deltaPopulation = 0;
    let gained = 0;
    let lost = 0;
    /** The buildings the change newly covers, so the planner can highlight them. */
    const gainedPoints: Array<[number, number, number]> = [];
    const a: Anchor = { edge: -1, frac: 0, snap: 0 };
    for (const i of buildingsNear(model, changed, t.metres)) {
      a.edge = b.edge[i]!;
      a.frac = b.frac[i]!;
      a.snap = b.snap[i]!;
      const now = anchorDistance(model.graph, afterReach, a) <= t.metres || (addOnly && before.mask[i] === 1);
      const was = before.mask[i] === 1;
      if (now === was) continue;
      const d = now ? b.population[i]! : -b.population[i]!;
      deltaPopulation += d;
      if (now) {
        gained++;
        gainedPoints.push([round6(b.lon[i]!), round6(b.lat[i]!), b.population[i]!]);
      } else lost++;
      for (const u of [b.subdistrict[i]!, b.community[i]!, b.grid[i]!]) if (u > 0) unitChange.set(u, (unitChange.get(u) ?? 0) + d);
    }
    const afterDistrict = {
      ...s0.district,
      population_covered: s0.district.population_covered + deltaPopulation,
      share: s0.district.population > 0 ? (s0.district.population_covered + deltaPopulation) / s0.district.population : 0,
      buildings_covered: s0.district.buildings_covered + gained - lost,
    };
    const unitDelta = s0.units
      .filter((u) => unitChange.get(u.id))
      .map((u) => {
        const delta = unitChange.get(u.id)!;
        const after = u.population_covered + delta;
        return { ...pickUnit(u), population_covered_before: u.population_covered, population_covered_after: after, delta, share_before: u.share, share_after: u.population > 0 ? after / u.population : 0 };
      });
    // The isochrone of each placed point, so the planner sees what it reaches.
    const placed = [...added.map((a) => ({ ...a, role: 'added' })), ...[...moved.entries()].map(([f, m]) => ({ ...m, id: f.id, role: 'moved' }))];
    const candidates = await Promise.all(
      placed.map(async (p) => {
        const r = reachFrom(model, [p], t.metres);
        const geometry = this.polygonOf(model, anchorKey([p]), r);
        return {
          type: 'Feature' as const,
          geometry: geometry ?? { type: 'GeometryCollection' as const, geometries: [] },
          properties: { role: p.role, lon: p.lon, lat: p.lat, edge_id: model.graph.edgeIds[p.edge]!, snap_m: round2(p.snap), ...('id' in p ? { id: p.id } : {}) },
        };
      }),
    );
    let saved: { added: number[]; moved: number[]; removed: number[] } | null = null;
    if (input.save) saved = await this.save(input.kind, added, [...moved.entries()], [...removed], actor);
    return {
      kind: input.kind,
      threshold: t,
      before: s0.district,
      after: afterDistrict,
      delta: {
        population_covered: deltaPopulation,
        share: afterDistrict.share - s0.district.share,
        buildings_gained: gained,
        buildings_lost: lost,
      },
      units: unitDelta,
      candidates: { type: 'FeatureCollection' as const, features: candidates },
      gained: gainedPoints,
      saved,
    };
  }

  private async save(kind: string, added: Array<{ lon: number; lat: number; name: string }>, moved: Array<[Facility, { lon: number; lat: number }]>, removed: Facility[], actor: Actor) {
    return withTransaction(this.db, async (client) => {
      const out = { added: [] as number[], moved: [] as number[], removed: [] as number[] };
      for (const a of added) {
        // A new pocket park gets its outline too (a 30 m square) so the parks layer shows it.
        if (kind === POCKET_PARK_KIND) await repo.insertPocketPark(client, a.name, a.lon, a.lat, 30);
        out.added.push(await repo.insertFacility(client, kind, a.name, a.lon, a.lat));
      }
      for (const [f, m] of moved) if (await repo.moveFacility(client, f.source, f.id, m.lon, m.lat)) out.moved.push(f.id);
      for (const f of removed) if (await repo.deleteFacility(client, f.source, f.id)) out.removed.push(f.id);
      // Facility edits are audited like every other change; they go to no screen.
      await appendEvents(client, [{ ...actor, type: 'facility.changed', subject: `facilities:${kind}`, payload: { kind, ...out, rooms: [] } }]);
      return out;
    });
  }

  /**
   * Proposes `count` new sites for a kind by greedy maximum coverage over the walk nodes inside
   * the district. The work yields to the event loop regularly and reports its progress.
   */
  async siting(kind: string, input: ThresholdInput & { count: number }, progress?: ProgressFn) {
    kindInfo(kind);
    const t = this.threshold(input);
    const model = await this.current();
    const { mask } = this.kindMask(model, kind, t, input.planned === true);
    const base = summarize(model, mask, []).district;
    const sites = await greedySiting({
      graph: model.graph,
      buildingEdge: model.buildings.edge,
      buildingFrac: model.buildings.frac,
      buildingSnap: model.buildings.snap,
      buildingPopulation: model.buildings.population,
      covered: mask,
      candidates: model.districtNodes,
      budget: t.metres,
      count: input.count,
      progress: async (done, total) => {
        progress?.('siting', done, total);
        await yieldToEventLoop();
      },
    });
    progress?.('siting', 1, 1);
    const points = sites.map((x) => ({ lon: round6(model.nodeLon[x.node]!), lat: round6(model.nodeLat[x.node]!) }));
    const places = await repo.siteContexts(this.db, points);
    return {
      kind,
      threshold: t,
      method: 'greedy maximum coverage over walk nodes inside the district',
      before: base,
      sites: sites.map((s, i) => ({
        rank: i + 1,
        node_id: model.graph.nodeIds[s.node]!,
        ...points[i]!,
        // Named the way a planner says where it is: the street, in which community.
        place: places[i]!,
        added_population: s.added_population,
        added_buildings: s.added_buildings,
        cumulative_population: s.cumulative_population,
        share_after: base.population > 0 ? (base.population_covered + s.cumulative_population) / base.population : 0,
      })),
    };
  }

  /**
   * The life-circle checklist: for each community and each kind the standard requires, the
   * share of its residents within the kind's standard walking distance (GB 50180-2018 3.0.4),
   * met when at least half of them are. The score is the mean share over those kinds, 0–100.
   */
  async checklist(communityId?: number, progress?: ProgressFn) {
    const model = await this.current();
    const kinds = KINDS.filter((k) => k.provision === 'required');
    const perKind: Array<{ kind: string; circle: number; metres: number; units: Map<number, UnitCoverage> }> = [];
    for (const [i, k] of kinds.entries()) {
      const t = this.threshold({ metres: k.walk_distance_m });
      const { mask } = this.kindMask(model, k.kind, t);
      const { units } = summarize(model, mask, ['community']);
      perKind.push({ kind: k.kind, circle: k.circle, metres: k.walk_distance_m, units: new Map(units.map((u) => [u.id, u])) });
      progress?.('checklist', i + 1, kinds.length);
      if (i % 4 === 3) await yieldToEventLoop();
    }
    const communities = [...model.units.values()].filter((u) => u.level === 'community' && (communityId === undefined || u.id === communityId));
    if (communityId !== undefined && communities.length === 0) throw notFound(`community ${communityId} does not exist`);
    return {
      rule: 'an item is met when at least half of the community lives within its walking distance; score = mean share × 100',
      communities: communities.map((c) => {
        const items = perKind.map((k) => {
          const u = k.units.get(c.id);
          const share = u?.share ?? 0;
          return { kind: k.kind, circle: k.circle, metres: k.metres, share, met: (u?.population ?? 0) > 0 && share >= 0.5 };
        });
        const population = perKind[0]?.units.get(c.id)?.population ?? 0;
        return {
          ...pickUnit(c),
          population,
          met: items.filter((i) => i.met).length,
          items_total: items.length,
          score: items.length ? Math.round((1000 * items.reduce((s, i) => s + i.share, 0)) / items.length) / 10 : 0,
          items,
        };
      }),
    };
  }

  /**
   * Adopts a site as a planned facility of a kind: stored with status planned (so coverage
   * leaves it out until a request counts planned ones) and audited with the principal as actor.
   */
  async adopt(input: { kind: string; lon: number; lat: number; name?: string }, actor: Actor) {
    const info = kindInfo(input.kind);
    const { version, snaps } = await repo.snapPointsWithVersion(this.db, [input], this.options.snapLimit);
    const model = await this.atVersion(version);
    this.checkPlaced(model, input, snaps[0]!, 'site');
    const [place] = await repo.siteContexts(this.db, [input]);
    const where = place?.street ?? place?.community_zh ?? null;
    const name = input.name ?? `${info.name_zh}（规划${where ? `·${where}` : ''}）`;
    const id = await withTransaction(this.db, async (client) => {
      const id = await repo.insertFacility(client, input.kind, name, input.lon, input.lat, 'planned');
      await appendEvents(client, [{ ...actor, type: 'facility.planned', subject: `facility:${id}`, payload: { kind: input.kind, name, lon: input.lon, lat: input.lat, status: 'planned', rooms: [] } }]);
      return id;
    });
    return { id, kind: input.kind, name, lon: input.lon, lat: input.lat, status: 'planned' as const, place: place ?? null };
  }

  /** Planned facilities, with who adopted each and when. */
  async planned(kind?: string) {
    if (kind !== undefined) kindInfo(kind);
    return { facilities: await repo.plannedFacilities(this.db, kind) };
  }

  /**
   * Complaints beside coverage: for a kind, the related complaint categories' cases in the
   * window per community, beside the community's coverage, ranked by where complaints are high
   * and coverage low.
   *
   * rate = related complaints per 1,000 residents in the window; district_rate the same over
   * the district; score = (rate / district_rate) × (1 − share): a community with twice the
   * district's complaint rate and half its residents uncovered scores 1; one fully covered, or
   * without complaints, scores 0. Communities without residents have no rate and are left out.
   */
  async complaints(kind: string, input: ThresholdInput & { until?: Date }) {
    kindInfo(kind);
    const t = this.threshold(input);
    const model = await this.current();
    const { mask } = this.kindMask(model, kind, t, input.planned === true);
    const { units } = summarize(model, mask, ['community']);
    const { categories, reasons } = complaintCategoriesOf(kind);
    const until = input.until ?? new Date();
    const since = new Date(until.getTime() - COMPLAINT_WINDOW_DAYS * 86_400_000);
    const [counts, points] = await Promise.all([repo.complaintsByCommunity(this.db, categories, since, until), repo.complaintPoints(this.db, categories, since, until)]);
    const byCommunity = new Map(counts.map((c) => [c.community_id, c.complaints]));
    const inhabited = units.filter((u) => u.population > 0);
    const totalComplaints = inhabited.reduce((s, u) => s + (byCommunity.get(u.id) ?? 0), 0);
    const totalPopulation = inhabited.reduce((s, u) => s + u.population, 0);
    const districtRate = totalPopulation > 0 ? (1000 * totalComplaints) / totalPopulation : 0;
    const communities = inhabited
      .map((u) => {
        const complaints = byCommunity.get(u.id) ?? 0;
        const rate = (1000 * complaints) / u.population;
        const score = districtRate > 0 ? (rate / districtRate) * (1 - u.share) : 0;
        return { ...pickUnit(u), population: u.population, share: u.share, complaints, rate, score };
      })
      .sort((a, b) => b.score - a.score || b.complaints - a.complaints || a.id - b.id);
    return {
      kind,
      threshold: t,
      categories,
      category_names: categories.map((c) => ({ code: c, name_zh: findCategory(c)?.name_zh ?? c, name_en: findCategory(c)?.name_en ?? c })),
      reasons,
      window: { since: since.toISOString(), until: until.toISOString(), days: COMPLAINT_WINDOW_DAYS },
      rule: 'rate = related complaints per 1,000 residents in the window; score = (rate / district rate) × (1 − coverage share); ranked by score',
      district: { complaints: totalComplaints, population: totalPopulation, rate: districtRate },
      communities,
      points,
    };
  }

  /** Distances from one walk node, by node id: the raw search, comparable with pgr_drivingDistance. */
  async reachFromNode(nodeId: number, input: ThresholdInput): Promise<{ node: number; threshold: Threshold; nodes: Record<string, number> }> {
    const t = this.threshold(input);
    const model = await this.current();
    const idx = model.graph.indexOf.get(nodeId);
    if (idx === undefined) throw notFound(`walk node ${nodeId} does not exist`);
    const r = reach(model.graph, [{ node: idx, offset: 0 }], t.metres);
    const nodes: Record<string, number> = {};
    for (const v of r.settled) nodes[model.graph.nodeIds[v]!] = r.dist[v]!;
    return { node: nodeId, threshold: t, nodes };
  }

  /** A reach from raw node ids, for the benchmark and the comparison with pgRouting. */
  async reachFromNodes(nodeIds: number[], metres: number): Promise<Reach> {
    const model = await this.current();
    return reach(
      model.graph,
      nodeIds.map((id) => ({ node: model.graph.indexOf.get(id) ?? -1, offset: 0 })).filter((s) => s.node >= 0),
      metres,
    );
  }
}

/** Inhabited buildings in projected metres, with the point where each meets its street; once per model. */
const projectedBuildings = new WeakMap<CityModel, { index: number[]; x: number[]; y: number[]; streetX: number[]; streetY: number[] }>();

/** The inhabited buildings an isochrone polygon must classify as `mask` does. */
function drawnBuildings(model: CityModel, mask: Uint8Array): DrawnBuildings {
  let p = projectedBuildings.get(model);
  if (!p) {
    const { projection } = model.shapes;
    const b = model.buildings;
    p = { index: [], x: [], y: [], streetX: [], streetY: [] };
    for (let i = 0; i < b.id.length; i++) {
      if (!(b.population[i]! > 0)) continue;
      const x = (b.lon[i]! - projection.lon0) * projection.kx;
      const y = (b.lat[i]! - projection.lat0) * projection.ky;
      const [sx, sy] = b.edge[i]! >= 0 ? pointAlong(model.shapes, b.edge[i]!, b.frac[i]!) : [x, y];
      p.index.push(i);
      p.x.push(x);
      p.y.push(y);
      p.streetX.push(sx);
      p.streetY.push(sy);
    }
    projectedBuildings.set(model, p);
  }
  return { x: p.x, y: p.y, streetX: p.streetX, streetY: p.streetY, covered: p.index.map((i) => mask[i] === 1) };
}

/** What an isochrone polygon depends on besides the network and the budget. */
function anchorKey(anchors: readonly Anchor[]): string {
  return anchors.map((a) => `${a.edge}:${a.frac}:${a.snap}`).join(',');
}

function pickUnit(u: { id: number; level: string; code: string; name_zh: string; name_en: string; parent_id: number | null }) {
  return { id: u.id, level: u.level, code: u.code, name_zh: u.name_zh, name_en: u.name_en, parent_id: u.parent_id };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * A coverage request that waited for the model longer than the service's `loadWaitMs`: a 503
 * saying how far the load is; the routes add a Retry-After.
 */
export class ModelLoadingError extends HttpError {
  readonly retryAfterS = 5;
  constructor(stage: string, done: number, total: number, elapsedS: number) {
    super(503, 'coverage_loading', `the coverage model is loading (${stage}, step ${done + 1} of ${total}, ${elapsedS} s so far); try again in a few seconds`, {
      progress: { stage, done, total, elapsed_s: elapsedS },
    });
  }
}
