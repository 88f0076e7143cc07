import type { StyleSpecification } from 'maplibre-gl';

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
} as const;

/** Vector-tile layers the server serves under /tiles, with the zoom range each holds data for. */
const TILE_SOURCES = { admin: 0, streets: 0, buildings: 13, water: 0, green: 0 } as const;

/**
 * The wall's basemap: the project's own vector tiles (`/tiles/{layer}/{z}/{x}/{y}.mvt`) in a
 * dark style. It has no symbol layers, so it needs no glyphs: map labels are drawn by deck.gl
 * with the bundled Noto Sans SC. Tiles are overzoomed past z16, where nothing new appears.
 */
export function wallStyle(origin: string = window.location.origin): StyleSpecification {
  const sources: StyleSpecification['sources'] = {};
  for (const [id, minzoom] of Object.entries(TILE_SOURCES)) {
    sources[id] = { type: 'vector', tiles: [`${origin}/tiles/${id}/{z}/{x}/{y}.mvt`], minzoom, maxzoom: 16 };
  }
  const c = WALL_COLORS;
  return {
    version: 8,
    name: 'cityops-wall-dark',
    sources,
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': c.background } },
      { id: 'green', type: 'fill', source: 'green', 'source-layer': 'green', paint: { 'fill-color': c.green } },
      { id: 'water', type: 'fill', source: 'water', 'source-layer': 'water', paint: { 'fill-color': c.water } },
      {
        id: 'buildings', type: 'fill', source: 'buildings', 'source-layer': 'buildings', minzoom: 13,
        paint: { 'fill-color': c.building, 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 13, 0.5, 15, 0.9] },
      },
      {
        id: 'streets-minor', type: 'line', source: 'streets', 'source-layer': 'streets',
        filter: ['in', ['get', 'kind'], ['literal', ['hutong', 'path', 'footway']]],
        paint: { 'line-color': c.minor, 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 13, 0.5, 17, 3] },
      },
      {
        id: 'streets-secondary', type: 'line', source: 'streets', 'source-layer': 'streets',
        filter: ['==', ['get', 'kind'], 'secondary'],
        paint: { 'line-color': c.secondary, 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 11, 0.6, 17, 6] },
      },
      {
        id: 'streets-arterial', type: 'line', source: 'streets', 'source-layer': 'streets',
        filter: ['==', ['get', 'kind'], 'arterial'],
        paint: { 'line-color': c.arterial, 'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 10, 1, 17, 12] },
      },
      {
        id: 'admin-community', type: 'line', source: 'admin', 'source-layer': 'admin', minzoom: 13,
        filter: ['==', ['get', 'level'], 'community'],
        paint: { 'line-color': c.communityLine, 'line-width': 1, 'line-dasharray': [2, 2] },
      },
      {
        id: 'admin-subdistrict', type: 'line', source: 'admin', 'source-layer': 'admin',
        filter: ['==', ['get', 'level'], 'subdistrict'],
        paint: { 'line-color': c.subdistrictLine, 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 1.5, 16, 4], 'line-opacity': 0.9 },
      },
      {
        id: 'admin-district', type: 'line', source: 'admin', 'source-layer': 'admin',
        filter: ['==', ['get', 'level'], 'district'],
        paint: { 'line-color': c.districtLine, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2, 16, 6], 'line-blur': 1 },
      },
    ],
  };
}
