import { useEffect, useMemo, useState } from 'react';
import type { FeatureCollection } from 'geojson';
import type { GeoJSONSource, Map as MaplibreMap } from 'maplibre-gl';
import { pointOnFeature } from '@turf/turf';
import { getJson } from '../../lib/api.ts';

/** The label layers of the shared basemap style the planner shows: places first, then streets. */
const PLANNER_LABELS = ['label-water', 'label-green', 'label-streets', 'label-community', 'label-subdistrict'] as const;
/** Communities are named from this zoom (the wall waits longer: it is read from afar). */
const COMMUNITY_LABEL_MINZOOM = 13.2;
const FONT = 'Noto Sans SC';

/**
 * Subdistrict, community and street names on the planner's map: the basemap's own MapLibre
 * symbol layers (so labels never collide), in the page's language, shown once the web font's
 * subsets for their characters are loaded (a glyph drawn before would stay in a fallback).
 * Subdistrict names go on a point inside each subdistrict.
 */
export function usePlannerLabels(map: MaplibreMap | null, subdistricts: FeatureCollection | null, lang: string): boolean {
  const [chars, setChars] = useState<string | null>(null);
  const [fontReady, setFontReady] = useState(false);

  useEffect(() => {
    getJson<{ label_chars: string }>('/tiles/base.json')
      .then((b) => setChars(b.label_chars ?? ''))
      .catch(() => setChars(''));
  }, []);

  const places = useMemo<FeatureCollection | null>(() => {
    if (!subdistricts) return null;
    return {
      type: 'FeatureCollection',
      features: subdistricts.features.map((f) => ({
        type: 'Feature',
        properties: { name: lang === 'en' ? f.properties?.name_en : f.properties?.name_zh },
        geometry: pointOnFeature(f).geometry,
      })),
    };
  }, [subdistricts, lang]);

  useEffect(() => {
    if (chars === null || !places) return;
    let alive = true;
    const text = chars + places.features.map((f) => String(f.properties?.name ?? '')).join('');
    Promise.all([400, 700].map((w) => document.fonts.load(`${w} 16px "${FONT}"`, text)))
      .catch(() => [])
      .finally(() => alive && setFontReady(true));
    return () => {
      alive = false;
    };
  }, [chars, places]);

  useEffect(() => {
    if (!map || !places) return;
    (map.getSource('wall-places') as GeoJSONSource | undefined)?.setData(places);
  }, [map, places]);

  useEffect(() => {
    if (!map) return;
    for (const id of PLANNER_LABELS) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', fontReady ? 'visible' : 'none');
    if (map.getLayer('label-community')) {
      map.setLayerZoomRange('label-community', COMMUNITY_LABEL_MINZOOM, 24);
      map.setLayoutProperty('label-community', 'text-field', ['get', lang === 'en' ? 'name_en' : 'name_zh']);
    }
  }, [map, fontReady, lang]);

  return fontReady;
}
