import { useEffect, useMemo, useState, type RefObject } from 'react';
import type { FeatureCollection } from 'geojson';
import type { GeoJSONSource, Map as MaplibreMap } from 'maplibre-gl';
import { pointOnFeature } from '@turf/turf';
import { getJson } from '../lib/api.ts';
import { FONT_FAMILY } from '../app/font.ts';
import { setLabelLanguage } from './style.ts';

/** The label layers of the shared basemap style the working views show: places first, then streets. */
const VIEW_LABELS = ['label-water', 'label-green', 'label-streets', 'label-community', 'label-subdistrict'] as const;
/** Communities are named from this zoom (the wall waits longer: it is read from afar). */
const COMMUNITY_LABEL_MINZOOM = 13.2;
/** The label layers whose rendered names tests and monitoring count (`data-labels`). */
const COUNTED_LABELS = { subdistrict: 'label-subdistrict', community: 'label-community', street: 'label-streets' } as const;

/**
 * Subdistrict, community and street names on a working view's map (the planner, the
 * commander; the wall sizes and times its own): the basemap's own MapLibre
 * symbol layers (so labels never collide), in the page's language, shown once the web font's
 * subsets for their characters are loaded (a glyph drawn before would stay in a fallback).
 * Subdistrict names go on a point inside each subdistrict.
 */
export function useBasemapLabels(map: MaplibreMap | null, subdistricts: FeatureCollection | null, lang: string, countsOn?: RefObject<HTMLElement | null>): boolean {
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
    Promise.all([400, 700].map((w) => document.fonts.load(`${w} 16px "${FONT_FAMILY}"`, text)))
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
    for (const id of VIEW_LABELS) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', fontReady ? 'visible' : 'none');
    if (map.getLayer('label-community')) map.setLayerZoomRange('label-community', COMMUNITY_LABEL_MINZOOM, 24);
    setLabelLanguage(map, lang);
  }, [map, fontReady, lang]);

  // How many names each label layer shows once the map settles, for tests and monitoring:
  // `data-labels="subdistrict:15 community:0 street:9"` on the map's frame.
  useEffect(() => {
    if (!map || !countsOn) return;
    const onIdle = () => {
      const counts = Object.entries(COUNTED_LABELS).map(([k, id]) => `${k}:${map.getLayer(id) && map.getLayoutProperty(id, 'visibility') === 'visible' ? map.queryRenderedFeatures({ layers: [id] }).length : 0}`);
      countsOn.current?.setAttribute('data-labels', counts.join(' '));
    };
    map.on('idle', onIdle);
    // The map may have settled before this ran; a later change makes it settle again.
    if (map.loaded()) onIdle();
    return () => {
      map.off('idle', onIdle);
    };
  }, [map, countsOn]);

  return fontReady;
}
