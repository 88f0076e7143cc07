import type { GeoJSONSource, Map as MaplibreMap } from 'maplibre-gl';
import type { FeatureCollection } from 'geojson';
import { WALL_LAYER_COLORS } from '../../map/wall-layers.ts';

/** The panel's own MapLibre sources and layers on the host's map (fixed ids, so mounting twice reuses them). */
const SOURCE = 'operations-panel';
const DRAFT = 'operations-panel-draft';
const hex = (c: readonly number[]) => `#${c.slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('')}`;
/** The wall's operation colour, so a site looks the same on the wall and the commander's map. */
export const OPERATION_HEX = hex(WALL_LAYER_COLORS.operation);
const STATUS_FILL = ['match', ['get', 'status'], 'pending', '#0b1220', 'in_progress', '#7a2d73', OPERATION_HEX] as unknown as string;

const empty: FeatureCollection = { type: 'FeatureCollection', features: [] };

/** Adds the panel's sources and layers once the style is there; returns a function that removes them. */
export function installOperationLayers(map: MaplibreMap): () => void {
  const add = () => {
    if (map.getSource(SOURCE)) return;
    map.addSource(SOURCE, { type: 'geojson', data: empty });
    map.addSource(DRAFT, { type: 'geojson', data: empty });
    map.addLayer({ id: `${SOURCE}-area`, type: 'fill', source: SOURCE, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': OPERATION_HEX, 'fill-opacity': 0.08 } });
    map.addLayer({ id: `${SOURCE}-edge`, type: 'line', source: SOURCE, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'line-color': OPERATION_HEX, 'line-width': 2, 'line-dasharray': [2, 1] } });
    map.addLayer({
      id: `${SOURCE}-site`,
      type: 'circle',
      source: SOURCE,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 6, 'circle-color': STATUS_FILL, 'circle-stroke-width': 2, 'circle-stroke-color': ['match', ['get', 'status'], 'verified', '#ffffff', OPERATION_HEX] as unknown as string },
    });
    map.addLayer({ id: `${DRAFT}-line`, type: 'line', source: DRAFT, paint: { 'line-color': '#ffffff', 'line-width': 2, 'line-dasharray': [1, 1] } });
    map.addLayer({ id: `${DRAFT}-point`, type: 'circle', source: DRAFT, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#ffffff' } });
  };
  if (map.isStyleLoaded()) add();
  else map.once('load', add);
  return () => {
    for (const id of [`${SOURCE}-area`, `${SOURCE}-edge`, `${SOURCE}-site`, `${DRAFT}-line`, `${DRAFT}-point`]) if (map.getLayer(id)) map.removeLayer(id);
    for (const id of [SOURCE, DRAFT]) if (map.getSource(id)) map.removeSource(id);
  };
}

export function showOperation(map: MaplibreMap, data: FeatureCollection): void {
  (map.getSource(SOURCE) as GeoJSONSource | undefined)?.setData(data);
}

/** The area being drawn: its corners and the outline through them. */
export function showDraft(map: MaplibreMap, corners: [number, number][]): void {
  const features: FeatureCollection['features'] = corners.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
  if (corners.length > 1) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [...corners, corners[0]!] } });
  (map.getSource(DRAFT) as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features });
}
