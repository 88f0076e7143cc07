import { GeoJsonLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import type { Feature, FeatureCollection, Point } from 'geojson';
import type { Site } from './api.ts';

import { hexToRgba as parseHex, type RGBA } from '../../map/colour.ts';

/** Planner map colours: the kind's own colour for what is covered, red for the gaps. */
export const PLANNER_COLOURS = {
  gap: [255, 77, 94, 200] as RGBA,
  gapLine: [255, 160, 170, 255] as RGBA,
  candidate: [255, 214, 10, 255] as RGBA,
  candidateFill: [255, 214, 10, 60] as RGBA,
  site: [61, 220, 151, 255] as RGBA,
  siteFill: [61, 220, 151, 50] as RGBA,
  unitLine: [141, 162, 192, 90] as RGBA,
  selected: [90, 200, 255, 255] as RGBA,
} as const;

/** A kind's colour with the given alpha; the selection colour where a kind has none. */
function kindColour(hex: string, alpha: number): RGBA {
  return parseHex(hex, alpha) ?? [PLANNER_COLOURS.selected[0], PLANNER_COLOURS.selected[1], PLANNER_COLOURS.selected[2], alpha];
}

export function unitOutlineLayer(units: FeatureCollection, selectedId: number | null) {
  return new GeoJsonLayer({
    id: 'planner-units',
    data: units,
    stroked: true,
    filled: false,
    getLineColor: (f: Feature) => (f.properties?.id === selectedId ? PLANNER_COLOURS.selected : PLANNER_COLOURS.unitLine),
    getLineWidth: (f: Feature) => (f.properties?.id === selectedId ? 3 : 1),
    lineWidthUnits: 'pixels',
    updateTriggers: { getLineColor: selectedId, getLineWidth: selectedId },
  });
}

/** The area the kind reaches (one polygon) and its facilities (points). */
export function isochroneLayers(data: FeatureCollection, colour: string) {
  const polygon = { ...data, features: data.features.filter((f) => f.properties?.role === 'isochrone') };
  const facilities = { ...data, features: data.features.filter((f) => f.properties?.role === 'facility') } as FeatureCollection<Point>;
  return [
    new GeoJsonLayer({
      id: 'planner-isochrone',
      data: polygon,
      stroked: true,
      filled: true,
      getFillColor: kindColour(colour, 70),
      getLineColor: kindColour(colour, 220),
      getLineWidth: 1.5,
      lineWidthUnits: 'pixels',
    }),
    new ScatterplotLayer<Feature<Point>>({
      id: 'planner-facilities',
      data: facilities.features,
      getPosition: (f) => f.geometry.coordinates as [number, number],
      getFillColor: kindColour(colour, 255),
      getLineColor: [11, 18, 32, 255],
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: 1.5,
      radiusUnits: 'pixels',
      getRadius: 5,
    }),
  ];
}

/** Uncovered buildings, sized by the people living in them. */
export function gapLayer(data: FeatureCollection<Point, { population: number }>) {
  return new ScatterplotLayer<Feature<Point, { population: number }>>({
    id: 'planner-gaps',
    data: data.features,
    getPosition: (f) => f.geometry.coordinates as [number, number],
    getRadius: (f) => Math.sqrt(f.properties.population) * 1.6,
    radiusUnits: 'meters',
    radiusMinPixels: 1.2,
    radiusMaxPixels: 10,
    getFillColor: PLANNER_COLOURS.gap,
    opacity: 0.7,
  });
}

/** A placed candidate: its isochrone and its point. */
export function candidateLayers(candidates: FeatureCollection | null, point: [number, number] | null) {
  return [
    candidates &&
      new GeoJsonLayer({
        id: 'planner-candidate-isochrone',
        data: candidates,
        stroked: true,
        filled: true,
        getFillColor: PLANNER_COLOURS.candidateFill,
        getLineColor: PLANNER_COLOURS.candidate,
        getLineWidth: 2,
        lineWidthUnits: 'pixels',
      }),
    point &&
      new ScatterplotLayer<[number, number]>({
        id: 'planner-candidate',
        data: [point],
        getPosition: (p) => p,
        getFillColor: PLANNER_COLOURS.candidate,
        getLineColor: [11, 18, 32, 255],
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
        radiusUnits: 'pixels',
        getRadius: 9,
      }),
  ];
}

/** Proposed sites, numbered by rank. */
export function siteLayers(sites: Site[]) {
  return [
    new ScatterplotLayer<Site>({
      id: 'planner-sites',
      data: sites,
      getPosition: (s) => [s.lon, s.lat],
      getFillColor: PLANNER_COLOURS.site,
      getLineColor: [11, 18, 32, 255],
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: 2,
      radiusUnits: 'pixels',
      getRadius: 11,
    }),
    new TextLayer<Site>({
      id: 'planner-site-ranks',
      data: sites,
      getPosition: (s) => [s.lon, s.lat],
      getText: (s) => String(s.rank),
      getSize: 13,
      getColor: [11, 18, 32, 255],
      fontWeight: 700,
      characterSet: '0123456789',
    }),
  ];
}
