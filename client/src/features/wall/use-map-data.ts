import { useEffect, useState } from 'react';
import type { Feature, FeatureCollection, Point } from 'geojson';
import { getJson } from '../../lib/api.ts';
import { cacheGet, cachePut } from './cache.ts';
import type { RenovationSite } from '../../map/wall-layers.ts';

/** A facility kind's 15-minute service area: the walking isochrone when coverage serves it, else 1,000 m circles. */
export interface ServiceArea {
  kind: string;
  name_zh: string;
  name_en: string;
  polygons: FeatureCollection | null;
  points: [number, number][];
}

export interface WallMapData {
  parks: FeatureCollection | null;
  renovation: RenovationSite[];
  areas: ServiceArea[];
}

/** The kinds drawn as service circles: the everyday ones of the 15-minute life circle. */
const CIRCLE_KINDS_MAX = 4;

async function loadAreas(): Promise<ServiceArea[]> {
  const facilities = await getJson<FeatureCollection>('/api/facilities').catch(() => null);
  const byKind = new Map<string, [number, number][]>();
  const names = new Map<string, { zh: string; en: string }>();
  for (const f of facilities?.features ?? []) {
    if (f.geometry?.type !== 'Point') continue;
    const p = f.properties ?? {};
    const kind = String(p.kind ?? 'facility');
    if (!byKind.has(kind)) byKind.set(kind, []);
    byKind.get(kind)!.push((f.geometry as Point).coordinates.slice(0, 2) as [number, number]);
    if (p.kind_name_zh || p.kind_zh) names.set(kind, { zh: String(p.kind_name_zh ?? p.kind_zh), en: String(p.kind_name_en ?? p.kind_en ?? kind) });
  }
  const kinds = [...byKind.entries()].sort((a, b) => a[1].length - b[1].length).slice(0, CIRCLE_KINDS_MAX);
  return Promise.all(
    kinds.map(async ([kind, points]) => {
      const polygons = await getJson<FeatureCollection>(`/api/coverage/isochrones?kind=${encodeURIComponent(kind)}&minutes=15`)
        .then((fc) => ({ ...fc, features: fc.features.filter((f) => f.geometry && f.geometry.type !== 'Point') }))
        .catch(() => null);
      const n = names.get(kind);
      return { kind, name_zh: n?.zh ?? kind, name_en: n?.en ?? kind, polygons: polygons && polygons.features.length ? polygons : null, points };
    }),
  );
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
  const [data, setData] = useState<WallMapData>({ parks: null, renovation: [], areas: [] });
  useEffect(() => {
    let alive = true;
    void cacheGet<WallMapData>('map-data').then((d) => alive && d && setData((prev) => (prev.parks ? prev : d)));
    void (async () => {
      const [parks, renovation, areas] = await Promise.all([
        getJson<FeatureCollection>('/api/pocket-parks').catch(() => null),
        getJson<FeatureCollection>('/api/renovation-projects').catch(() => null),
        loadAreas().catch(() => []),
      ]);
      if (!alive) return;
      const next = { parks, renovation: toSites(renovation), areas };
      setData(next);
      void cachePut('map-data', next);
    })();
    return () => {
      alive = false;
    };
  }, []);
  return data;
}
