import { GeoJsonLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import { HexagonLayer } from '@deck.gl/aggregation-layers';
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
  selectedFill: [90, 200, 255, 40] as RGBA,
  /** Buildings a suggested site newly covers: bright green, over the red of the gaps. */
  gained: [170, 255, 120, 255] as RGBA,
  /** Planned facilities: a hollow diamond in white, apart from every kind's filled dot. */
  planned: [255, 255, 255, 255] as RGBA,
  /** Complaint density, low to high: violet, far from the red gaps and the kinds' colours. */
  complaints: [
    [72, 40, 120],
    [110, 56, 170],
    [150, 80, 210],
    [190, 110, 235],
    [225, 150, 250],
    [250, 200, 255],
  ] as Array<[number, number, number]>,
} as const;

/** The hexagons complaints are counted in, metres across the flats' half: a few blocks. */
export const COMPLAINT_HEX_M = 220;

/**
 * A gap's radius on the ground: its area grows with the residents, so twice the people read as
 * twice the ink; metres, so the overview stays a map and a closer look separates the buildings.
 */
export const gapRadiusM = (population: number) => Math.sqrt(population) * 1.3;
/** Pixel bounds of a gap's dot: never invisible, never a blot over its neighbours. */
const GAP_PX = { min: 1.2, max: 9 } as const;
/** A gap's dot in the legend, pixels: the same square-root scale, at a middle zoom. */
export const gapLegendPx = (population: number) => Math.max(2, Math.sqrt(population) * 0.26);

/** A kind's colour with the given alpha; the selection colour where a kind has none. */
function kindColour(hex: string, alpha: number): RGBA {
  return parseHex(hex, alpha) ?? [PLANNER_COLOURS.selected[0], PLANNER_COLOURS.selected[1], PLANNER_COLOURS.selected[2], alpha];
}

export function unitOutlineLayer(units: FeatureCollection, selectedId: number | null) {
  return new GeoJsonLayer({
    id: 'planner-units',
    data: units,
    stroked: true,
    filled: true,
    getFillColor: (f: Feature) => (f.properties?.id === selectedId ? PLANNER_COLOURS.selectedFill : [0, 0, 0, 0]),
    getLineColor: (f: Feature) => (f.properties?.id === selectedId ? PLANNER_COLOURS.selected : PLANNER_COLOURS.unitLine),
    getLineWidth: (f: Feature) => (f.properties?.id === selectedId ? 3 : 1),
    lineWidthUnits: 'pixels',
    updateTriggers: { getLineColor: selectedId, getLineWidth: selectedId, getFillColor: selectedId },
  });
}

/** Planned facilities: hollow white diamonds (drawn as rotated squares' corners would be costly; a ring and a cross read as "not built yet"). */
export function plannedLayers(points: Array<{ lon: number; lat: number; name: string }>) {
  return [
    new ScatterplotLayer<{ lon: number; lat: number }>({
      id: 'planner-planned',
      data: points,
      getPosition: (p) => [p.lon, p.lat],
      filled: true,
      getFillColor: [11, 18, 32, 200],
      stroked: true,
      getLineColor: PLANNER_COLOURS.planned,
      lineWidthUnits: 'pixels',
      getLineWidth: 2,
      radiusUnits: 'pixels',
      getRadius: 8,
    }),
    new TextLayer<{ lon: number; lat: number }>({
      id: 'planner-planned-mark',
      data: points,
      getPosition: (p) => [p.lon, p.lat],
      getText: () => '+',
      getSize: 15,
      getColor: PLANNER_COLOURS.planned,
      fontWeight: 700,
      characterSet: '+',
    }),
  ];
}

/** Each suggested site's walking area; the focused one brighter. */
export function siteAreaLayer(areas: FeatureCollection, focusedRank: number | null) {
  return new GeoJsonLayer({
    id: 'planner-site-areas',
    data: areas,
    stroked: true,
    filled: true,
    getFillColor: (f: Feature) => (f.properties?.rank === focusedRank ? [61, 220, 151, 70] : [61, 220, 151, 22]),
    getLineColor: (f: Feature) => (f.properties?.rank === focusedRank ? PLANNER_COLOURS.site : [61, 220, 151, 140]),
    getLineWidth: (f: Feature) => (f.properties?.rank === focusedRank ? 2.5 : 1),
    lineWidthUnits: 'pixels',
    updateTriggers: { getFillColor: focusedRank, getLineColor: focusedRank, getLineWidth: focusedRank },
  });
}

/** The buildings a site newly covers, sized like the gaps they close. */
export function gainedLayer(points: Array<[number, number, number]>) {
  return new ScatterplotLayer<[number, number, number]>({
    id: 'planner-gained',
    data: points,
    getPosition: (p) => [p[0], p[1]],
    getRadius: (p) => gapRadiusM(p[2]),
    radiusUnits: 'meters',
    radiusMinPixels: GAP_PX.min + 0.8,
    radiusMaxPixels: GAP_PX.max,
    getFillColor: PLANNER_COLOURS.gained,
    stroked: true,
    getLineColor: [11, 18, 32, 255],
    lineWidthUnits: 'pixels',
    getLineWidth: 0.5,
  });
}

/** Related complaints as density: counted in hexagons a few blocks wide. */
export function complaintDensityLayer(points: Array<[number, number]>) {
  return new HexagonLayer<[number, number]>({
    id: 'planner-complaints',
    data: points,
    getPosition: (p: [number, number]) => p,
    radius: COMPLAINT_HEX_M,
    coverage: 0.85,
    extruded: false,
    gpuAggregation: false,
    colorRange: PLANNER_COLOURS.complaints,
    // Light enough that streets, gaps and names read through it.
    opacity: 0.32,
    pickable: false,
  } as never);
}

/** The area the kind reaches (one polygon) and its facilities (points). */
export function isochroneLayers(data: FeatureCollection, colour: string) {
  const polygon = { ...data, features: data.features.filter((f) => f.properties?.role === 'isochrone') };
  // Planned ones have a layer of their own (plannedLayers), whether counted or not.
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
    getRadius: (f) => gapRadiusM(f.properties.population),
    radiusUnits: 'meters',
    radiusMinPixels: GAP_PX.min,
    radiusMaxPixels: GAP_PX.max,
    getFillColor: PLANNER_COLOURS.gap,
    opacity: 0.75,
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
