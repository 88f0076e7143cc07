import type { ExpressionSpecification, Map as MaplibreMap, StyleSpecification } from 'maplibre-gl';
import { FONT_FAMILY } from '../app/font.ts';

/** Colours of the dark command-center theme, shared by the map style and deck.gl layers. */
export const COLORS = {
  background: '#0b1220',
  districtFill: [40, 110, 200, 40] as [number, number, number, number],
  districtLine: [90, 200, 255, 255] as [number, number, number, number],
} as const;

/** Where a view opens before it fits the loaded data (`/api/district`'s extent); the demo city's centre. */
export const INITIAL_VIEW = { longitude: 116.366, latitude: 39.913, zoom: 12.3, pitch: 0, bearing: 0 } as const;

/**
 * The base style: nothing but a dark background. Every other source is the project's own
 * (GeoJSON from the API, vector tiles from /tiles), so the page never asks the internet for
 * tiles, sprites or glyphs.
 */
export const BASE_STYLE: StyleSpecification = {
  version: 8,
  name: 'cityops-dark',
  sources: {},
  layers: [{ id: 'background', type: 'background', paint: { 'background-color': COLORS.background } }],
};

/** The wall's palette: a deep night-blue city with data in warm, saturated colours on top. */
export const WALL_COLORS = {
  background: '#060b16',
  water: '#0c2440',
  green: '#0c2620',
  building: '#16213a',
  buildingEdge: '#1f2f50',
  arterial: '#2f4a78',
  secondary: '#263d63',
  minor: '#1c2c48',
  subdistrictLine: '#3a6fb0',
  districtLine: '#5ac8ff',
  communityLine: '#1d3152',
  contextLine: '#2a3d5e',
  contextRing: '#1a2a45',
  contextLabel: '#5f7396',
  waterLabel: '#6f9fd0',
  greenLabel: '#6fb08c',
  streetLabel: '#8ea3c4',
  communityLabel: '#7f8fae',
  placeLabel: '#e6eefb',
  whistle: '#ffc400',
  alarm: '#ff3c50',
} as const;


/** The id of the lowest label layer: the wall's deck.gl layers are drawn below it. */
export const FIRST_LABEL_LAYER = 'label-water';
/** The page's own web font; MapLibre draws label glyphs with it locally (the style has no `glyphs`). */
export const LABEL_FONT = [FONT_FAMILY];

/**
 * The wall's basemap: the project's own composite vector tiles (`/tiles/v/{version}/base/{z}/{x}/{y}.mvt`) in a
 * dark style, with labels as MapLibre symbol layers, so they never overlap each other. The
 * style has no `glyphs` URL: MapLibre draws each glyph locally with the page's Noto Sans SC
 * (the wall loads the font's subsets for the labels' characters before it shows them).
 * GeoJSON sources `wall-places` and `wall-whistles` are filled by the wall. Tiles are
 * overzoomed past z16, where nothing new appears.
 */
export function wallStyle(tiles?: string, origin: string = window.location.origin): StyleSpecification {
  // One composite tile per z/x/y holds every layer. The wall passes the versioned tile URL it
  // read from /tiles/base.json (with the label characters); other views let MapLibre read it.
  const sources: StyleSpecification['sources'] = {
    base: tiles ? { type: 'vector', tiles: [tiles], minzoom: 0, maxzoom: 16 } : { type: 'vector', url: `${origin}/tiles/base.json` },
  };
  const c = WALL_COLORS;
  return {
    version: 8,
    name: 'cityops-wall-dark',
    sources: {
      ...sources,
      'wall-places': { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      context: { type: 'geojson', data: `${origin}/tiles/context.geojson` },
      'wall-whistles': { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': c.background } },
      // Context beyond the district, muted: neighbouring districts and the ring roads (approximate).
      {
        id: 'context-ring', type: 'line', source: 'context', filter: ['==', ['get', 'kind'], 'ring_road'],
        paint: { 'line-color': c.contextRing, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2, 15, 6] },
      },
      {
        id: 'context-district', type: 'line', source: 'context', filter: ['==', ['get', 'kind'], 'district'],
        paint: { 'line-color': c.contextLine, 'line-width': 1.5, 'line-dasharray': [4, 3] },
      },
      { id: 'green', type: 'fill', source: 'base', 'source-layer': 'green', paint: { 'fill-color': c.green } },
      { id: 'water', type: 'fill', source: 'base', 'source-layer': 'water', paint: { 'fill-color': c.water } },
      {
        id: 'buildings', type: 'fill', source: 'base', 'source-layer': 'buildings', minzoom: 13,
        paint: { 'fill-color': c.building, 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 13, 0.5, 15, 0.9] },
      },
      {
        id: 'streets-minor', type: 'line', source: 'base', 'source-layer': 'streets',
        filter: ['in', ['get', 'kind'], ['literal', ['hutong', 'path', 'footway']]],
        paint: { 'line-color': c.minor, 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 13, 0.5, 17, 3] },
      },
      {
        id: 'streets-secondary', type: 'line', source: 'base', 'source-layer': 'streets',
        filter: ['==', ['get', 'kind'], 'secondary'],
        paint: { 'line-color': c.secondary, 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 11, 0.6, 17, 6] },
      },
      {
        id: 'streets-arterial', type: 'line', source: 'base', 'source-layer': 'streets',
        filter: ['==', ['get', 'kind'], 'arterial'],
        paint: { 'line-color': c.arterial, 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 10, 1, 17, 12] },
      },
      {
        id: 'admin-community', type: 'line', source: 'base', 'source-layer': 'admin', minzoom: 13,
        filter: ['==', ['get', 'level'], 'community'],
        paint: { 'line-color': c.communityLine, 'line-width': 1, 'line-dasharray': [2, 2] },
      },
      {
        id: 'admin-subdistrict', type: 'line', source: 'base', 'source-layer': 'admin',
        filter: ['==', ['get', 'level'], 'subdistrict'],
        paint: { 'line-color': c.subdistrictLine, 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 1.5, 16, 4], 'line-opacity': 0.9 },
      },
      {
        id: 'admin-district', type: 'line', source: 'base', 'source-layer': 'admin',
        filter: ['==', ['get', 'level'], 'district'],
        paint: { 'line-color': c.districtLine, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2, 16, 6], 'line-blur': 1 },
      },
      ...labelLayers(),
    ],
  };
}

const HALO = 'rgba(6, 11, 22, 0.9)';
const hidden = { visibility: 'none' as const };

/**
 * Label layers, lowest priority first (MapLibre places the topmost layer's labels first and
 * drops or moves the others that would collide). They start hidden: the wall shows them once
 * the font's subsets for their characters have loaded, so no glyph is drawn in a fallback font.
 */
function labelLayers(): StyleSpecification['layers'] {
  const c = WALL_COLORS;
  return [
    {
      id: 'label-water', type: 'symbol', source: 'base', 'source-layer': 'water', minzoom: 12,
      filter: ['has', 'name'],
      layout: { ...hidden, 'text-field': ['get', 'name'], 'text-font': LABEL_FONT, 'text-size': 13, 'text-max-width': 6, 'text-padding': 6 },
      paint: { 'text-color': c.waterLabel, 'text-halo-color': HALO, 'text-halo-width': 1.5 },
    },
    {
      id: 'label-green', type: 'symbol', source: 'base', 'source-layer': 'green', minzoom: 13,
      filter: ['has', 'name'],
      layout: { ...hidden, 'text-field': ['get', 'name'], 'text-font': LABEL_FONT, 'text-size': 12, 'text-max-width': 6, 'text-padding': 6 },
      paint: { 'text-color': c.greenLabel, 'text-halo-color': HALO, 'text-halo-width': 1.5 },
    },
    {
      id: 'label-streets', type: 'symbol', source: 'base', 'source-layer': 'streets', minzoom: 13,
      filter: ['all', ['has', 'name'], ['in', ['get', 'kind'], ['literal', ['arterial', 'secondary']]]],
      layout: {
        ...hidden, 'symbol-placement': 'line', 'text-field': ['get', 'name'], 'text-font': LABEL_FONT, 'text-size': 12,
        'symbol-spacing': 400, 'text-padding': 4, 'text-rotation-alignment': 'map', 'text-pitch-alignment': 'viewport',
      },
      paint: { 'text-color': c.streetLabel, 'text-halo-color': HALO, 'text-halo-width': 1.5 },
    },
    {
      id: 'label-community', type: 'symbol', source: 'base', 'source-layer': 'admin', minzoom: 14,
      filter: ['==', ['get', 'level'], 'community'],
      layout: { ...hidden, 'text-field': ['get', 'name_zh'], 'text-font': LABEL_FONT, 'text-size': 12, 'text-padding': 8 },
      paint: { 'text-color': c.communityLabel, 'text-halo-color': HALO, 'text-halo-width': 1.5 },
    },
    {
      id: 'label-ring', type: 'symbol', source: 'context', filter: ['==', ['get', 'kind'], 'ring_road'],
      layout: { ...hidden, 'symbol-placement': 'line', 'text-field': ['get', 'name_zh'], 'text-font': LABEL_FONT, 'text-size': 12, 'symbol-spacing': 500 },
      paint: { 'text-color': c.contextLabel, 'text-halo-color': HALO, 'text-halo-width': 1.5 },
    },
    {
      id: 'label-context', type: 'symbol', source: 'context', filter: ['==', ['get', 'kind'], 'district_label'],
      layout: { ...hidden, 'text-field': ['get', 'name_zh'], 'text-font': LABEL_FONT, 'text-size': 16, 'text-letter-spacing': 0.3 },
      paint: { 'text-color': c.contextLabel, 'text-halo-color': HALO, 'text-halo-width': 2 },
    },
    {
      id: 'label-subdistrict', type: 'symbol', source: 'wall-places',
      // Every subdistrict keeps its name at the overview: a name that would collide with a
      // neighbour's moves to a free side of its anchor instead of disappearing.
      layout: {
        ...hidden, 'text-field': ['get', 'name'], 'text-font': LABEL_FONT, 'text-size': 16, 'text-padding': 2, 'text-max-width': 8,
        'text-variable-anchor': ['center', 'top', 'bottom', 'left', 'right'], 'text-radial-offset': 0.8,
      },
      paint: { 'text-color': c.placeLabel, 'text-halo-color': HALO, 'text-halo-width': 2 },
    },
    {
      // Whistle countdowns move to whichever side of their fence is free, never onto a name.
      id: 'label-whistle', type: 'symbol', source: 'wall-whistles',
      layout: {
        ...hidden, 'text-field': ['get', 'label'], 'text-font': LABEL_FONT, 'text-size': 15,
        'text-variable-anchor': ['bottom', 'top', 'left', 'right'], 'text-radial-offset': 1.4, 'text-padding': 4,
      },
      paint: { 'text-color': ['case', ['get', 'late'], c.alarm, c.whistle], 'text-halo-color': HALO, 'text-halo-width': 2 },
    },
  ];
}

/** Every label layer's id, to show them and to scale their text. */
export const LABEL_LAYERS = ['label-water', 'label-green', 'label-streets', 'label-community', 'label-ring', 'label-context', 'label-subdistrict', 'label-whistle'] as const;
/**
 * Names the labels in the page's language. Admin units, ring roads and context districts have
 * both names; water and parks have an English one where the city gives it (areas loaded before
 * English names existed keep their Chinese one). Street names are Chinese only.
 */
export function setLabelLanguage(map: Pick<MaplibreMap, 'getLayer' | 'setLayoutProperty'>, lang: string): void {
  const en = lang === 'en';
  const fields: Record<string, ExpressionSpecification> = {
    'label-community': ['get', en ? 'name_en' : 'name_zh'],
    'label-ring': ['get', en ? 'name_en' : 'name_zh'],
    'label-context': ['get', en ? 'name_en' : 'name_zh'],
    'label-water': en ? ['coalesce', ['get', 'name_en'], ['get', 'name']] : ['get', 'name'],
    'label-green': en ? ['coalesce', ['get', 'name_en'], ['get', 'name']] : ['get', 'name'],
  };
  for (const [id, field] of Object.entries(fields)) if (map.getLayer(id)) map.setLayoutProperty(id, 'text-field', field);
}

/** Their text size at 1080p, in CSS pixels (multiplied by the wall's scale). */
export const LABEL_SIZES: Record<(typeof LABEL_LAYERS)[number], number> = {
  'label-water': 13, 'label-green': 12, 'label-streets': 12, 'label-community': 12, 'label-ring': 12, 'label-context': 16, 'label-subdistrict': 16, 'label-whistle': 15,
};
