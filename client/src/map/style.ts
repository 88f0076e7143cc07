import type { StyleSpecification } from 'maplibre-gl';

/** Colours of the dark command-center theme, shared by the map style and deck.gl layers. */
export const COLORS = {
  background: '#0b1220',
  districtFill: [40, 110, 200, 40] as [number, number, number, number],
  districtLine: [90, 200, 255, 255] as [number, number, number, number],
} as const;

/** Xicheng, Beijing: where every view opens before it fits the loaded data. */
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
