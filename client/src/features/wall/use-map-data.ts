import { useEffect, useState } from 'react';
import type { Feature, FeatureCollection, Point } from 'geojson';
import { getJson } from '../../lib/api.ts';
import { cacheGet, cachePut } from './cache.ts';
import type { RenovationSite } from '../../map/wall-layers.ts';
import { hexToRgba } from '../../map/colour.ts';
import type { PlannedPoint } from './planning-layers.ts';

/** A facility kind's 15-minute service area: the walking isochrone when coverage serves it, else 1,000 m circles. */
export interface ServiceArea {
  kind: string;
  name_zh: string;
  name_en: string;
  polygons: FeatureCollection | null;
  points: [number, number][];
  /** The kind's colour from the coverage API (the planner uses the same), as RGBA. */
  color: [number, number, number, number] | null;
}

interface CoverageKind {
  kind: string;
  name_zh: string;
  name_en: string;
  circle: number;
  provision: string;
  colour?: string;
}

export interface WallMapData {
  parks: FeatureCollection | null;
  /** Facilities planned but not built: they serve nobody yet, so they draw no service area. */
  planned: PlannedPoint[];
  renovation: RenovationSite[];
  areas: ServiceArea[];
  /** False until the server answered (or failed to) for every layer. */
  loaded: boolean;
}

/** The kinds drawn as service circles: the everyday ones of the 15-minute life circle. */
const CIRCLE_KINDS_MAX = 4;
/** Isochrones are computed on demand; the circles stay until one arrives, or for good after this. */
const ISOCHRONE_TIMEOUT_MS = 60_000;

/**
 * Facilities of the 15-minute circle's required kinds (from the coverage API's list, when it
 * is served), as 1,000 m circles: the fallback until each kind's isochrone arrives.
 */
async function loadCircles(): Promise<{ areas: ServiceArea[]; planned: PlannedPoint[] }> {
  const [facilities, kinds] = await Promise.all([
    getJson<FeatureCollection>('/api/facilities').catch(() => null),
    getJson<{ kinds: CoverageKind[] }>('/api/coverage/kinds').then((r) => r.kinds).catch(() => [] as CoverageKind[]),
  ]);
  const byKind = new Map<string, [number, number][]>();
  const planned: PlannedPoint[] = [];
  for (const f of facilities?.features ?? []) {
    if (f.geometry?.type !== 'Point') continue;
    if (f.properties?.status === 'planned') {
      const [lng, lat] = (f.geometry as Point).coordinates as [number, number];
      planned.push({ lng, lat, name: String(f.properties?.name ?? '') });
      continue;
    }
    const kind = String(f.properties?.kind ?? 'facility');
    if (!byKind.has(kind)) byKind.set(kind, []);
    byKind.get(kind)!.push((f.geometry as Point).coordinates.slice(0, 2) as [number, number]);
  }
  const chosen: CoverageKind[] = kinds.filter((k) => k.circle === 15 && k.provision === 'required' && byKind.has(k.kind));
  const list = chosen.length
    ? chosen
    : [...byKind.keys()].map((kind): CoverageKind => ({ kind, name_zh: kind, name_en: kind, circle: 15, provision: 'required' }));
  const areas = list.slice(0, CIRCLE_KINDS_MAX).map((k) => ({
    kind: k.kind,
    name_zh: k.name_zh,
    name_en: k.name_en,
    polygons: null,
    points: byKind.get(k.kind) ?? [],
    color: hexToRgba(k.colour),
  }));
  return { areas, planned };
}

/** The walking isochrone of a kind from the coverage API, or null when it is not served (in time). */
async function loadIsochrone(kind: string): Promise<FeatureCollection | null> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ISOCHRONE_TIMEOUT_MS);
  try {
    const fc = await getJson<FeatureCollection>(`/api/coverage/isochrones?kind=${encodeURIComponent(kind)}&minutes=15`, { signal: ctl.signal });
    const polygons = fc.features.filter((f) => f.geometry && f.geometry.type !== 'Point');
    return polygons.length ? { type: 'FeatureCollection', features: polygons } : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

function toSites(fc: FeatureCollection | null): RenovationSite[] {
  return (fc?.features ?? [])
    .map((f: Feature) => {
      const g = f.geometry;
      const p = f.properties ?? {};
      let c: number[] | undefined;
      if (g?.type === 'Point') c = g.coordinates;
      else if (g && 'coordinates' in g) {
        const flat = JSON.stringify(g.coordinates).match(/-?\d+\.?\d*/g)?.map(Number) ?? [];
        c = flat.length >= 2 ? [flat[0]!, flat[1]!] : undefined;
      }
      if (!c) return null;
      return { lng: c[0]!, lat: c[1]!, status: String(p.status ?? 'planned'), progress: Number(p.progress ?? 0), name: String(p.name ?? '') };
    })
    .filter((s): s is RenovationSite => s !== null);
}

/** The wall's slow-changing map layers: cached, then refreshed from the server once. */
export function useWallMapData(): WallMapData {
  const [data, setData] = useState<WallMapData>({ parks: null, planned: [], renovation: [], areas: [], loaded: false });
  useEffect(() => {
    let alive = true;
    void cacheGet<WallMapData>('map-data').then((d) => alive && d && setData((prev) => (prev.loaded ? prev : { ...d, planned: d.planned ?? [], loaded: false })));
    void (async () => {
      const [parks, renovation, { areas, planned }] = await Promise.all([
        getJson<FeatureCollection>('/api/pocket-parks').catch(() => null),
        getJson<FeatureCollection>('/api/renovation-projects').catch(() => null),
        loadCircles().catch(() => ({ areas: [] as ServiceArea[], planned: [] as PlannedPoint[] })),
      ]);
      if (!alive) return;
      const next = { parks, planned, renovation: toSites(renovation), areas, loaded: true };
      setData(next);
      void cachePut('map-data', next);
      // Then upgrade the circles to walking isochrones, all at once: each redraw of the map
      // is costly on a wall without a GPU.
      const isochrones = await Promise.all(areas.map((a) => loadIsochrone(a.kind)));
      if (!alive || isochrones.every((p) => p === null)) return;
      const upgraded = { ...next, areas: areas.map((a, i) => ({ ...a, polygons: isochrones[i] ?? null })) };
      setData(upgraded);
      void cachePut('map-data', upgraded);
    })();
    return () => {
      alive = false;
    };
  }, []);
  return data;
}
