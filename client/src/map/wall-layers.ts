import { GeoJsonLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import { HexagonLayer } from '@deck.gl/aggregation-layers';
import type { Feature, FeatureCollection } from 'geojson';
import type { RGBA } from './colour.ts';

/**
 * deck.gl layer factories of the wall, each with a fixed id. Colours are module constants so
 * the legend shows exactly what the map draws.
 */
export type { RGBA };
type Color = RGBA;
/** The colour with another alpha. */
export function alpha(c: RGBA, a: number): RGBA {
  return [c[0], c[1], c[2], a];
}

export const WALL_LAYER_COLORS = {
  heat: [
    [35, 12, 70, 0],
    [90, 20, 120, 150],
    [170, 30, 110, 190],
    [235, 70, 60, 215],
    [255, 150, 40, 235],
    [255, 230, 120, 250],
  ] as Color[],
  newCase: [90, 220, 255, 255] as Color,
  overdue: [255, 60, 80, 255] as Color,
  urgent: [255, 90, 60, 255] as Color,
  parkFill: [60, 210, 120, 110] as Color,
  parkLine: [90, 240, 150, 255] as Color,
  whistle: [255, 196, 0, 255] as Color,
  whistleLate: [255, 70, 90, 255] as Color,
  focus: [255, 255, 255, 255] as Color,
  label: [220, 232, 250, 235] as Color,
  labelHalo: [6, 11, 22, 230] as Color,
  subdistrictFocus: [90, 200, 255, 255] as Color,
} as const;

/** Renovation statuses in loop order, each with its colour. */
export const RENOVATION_COLORS: Record<string, Color> = {
  planned: [140, 150, 175, 255],
  approved: [90, 160, 255, 255],
  under_construction: [255, 170, 40, 255],
  completed: [70, 220, 140, 255],
};

/** Facility kinds get distinct hues for their service circles; unknown kinds fall back to grey-blue. */
const CIRCLE_PALETTE: Color[] = [
  [90, 200, 255, 255],
  [180, 140, 255, 255],
  [70, 220, 170, 255],
  [255, 200, 90, 255],
  [255, 120, 180, 255],
  [130, 230, 90, 255],
  [120, 170, 255, 255],
  [255, 150, 110, 255],
];
export function circleColor(index: number): Color {
  return CIRCLE_PALETTE[index % CIRCLE_PALETTE.length]!;
}

export const WALL_FONT = 'Noto Sans SC';

/**
 * The live case heat from binary [lng, lat, weight] triplets, binned into 120 m hexagons
 * coloured by the summed priority weight. Hexagons rather than a kernel heatmap: a wall PC
 * without a GPU renders them in software many times faster, and they read better from afar.
 */
export const HEAT_HEX_RADIUS_M = 120;
export function heatLayer(points: Float32Array, _scale: number) {
  const n = points.length / 3;
  return new HexagonLayer({
    id: 'wall-heat',
    data: { length: n, attributes: { getPosition: { value: points, size: 2, stride: 12, offset: 0 } } },
    radius: HEAT_HEX_RADIUS_M,
    coverage: 0.92,
    extruded: false,
    gpuAggregation: false,
    colorRange: WALL_LAYER_COLORS.heat.slice(1),
    colorScaleType: 'quantile',
    colorAggregation: 'SUM',
    getColorWeight: (_: unknown, { index }: { index: number }) => points[index * 3 + 2]!,
    opacity: 0.78,
    pickable: false,
  } as never);
}

export interface CasePoint {
  id: number;
  lng: number;
  lat: number;
  priority: string;
}

/** Overdue open cases: a red dot in a red ring, drawn still so they read as a standing problem. */
export function overdueLayer(cases: CasePoint[], scale: number) {
  return new ScatterplotLayer<CasePoint>({
    id: 'wall-overdue',
    data: cases,
    getPosition: (c) => [c.lng, c.lat],
    getRadius: (c) => (c.priority === 'urgent' || c.priority === 'high' ? 7 : 5) * scale,
    radiusUnits: 'pixels',
    stroked: true,
    filled: true,
    getFillColor: [255, 60, 80, 200],
    getLineColor: [255, 200, 205, 255],
    lineWidthUnits: 'pixels',
    getLineWidth: 1.5 * scale,
  });
}

/** New cases: a ring that grows and fades every 1.6 s for as long as the case is new. */
export function newCaseLayers(cases: (CasePoint & { at: number })[], now: number, scale: number) {
  const phase = (now % 1600) / 1600;
  return [
    new ScatterplotLayer<CasePoint & { at: number }>({
      id: 'wall-new-pulse',
      data: cases,
      getPosition: (c) => [c.lng, c.lat],
      getRadius: (6 + 26 * phase) * scale,
      radiusUnits: 'pixels',
      stroked: true,
      filled: false,
      getLineColor: (c) => alpha(c.priority === 'urgent' || c.priority === 'high' ? WALL_LAYER_COLORS.urgent : WALL_LAYER_COLORS.newCase, Math.round(255 * (1 - phase))),
      lineWidthUnits: 'pixels',
      getLineWidth: 3 * scale,
      updateTriggers: { getRadius: phase, getLineColor: phase },
    }),
    new ScatterplotLayer<CasePoint & { at: number }>({
      id: 'wall-new',
      data: cases,
      getPosition: (c) => [c.lng, c.lat],
      getRadius: 6 * scale,
      radiusUnits: 'pixels',
      getFillColor: (c) => (c.priority === 'urgent' || c.priority === 'high' ? WALL_LAYER_COLORS.urgent : WALL_LAYER_COLORS.newCase),
      stroked: true,
      getLineColor: [255, 255, 255, 255],
      lineWidthUnits: 'pixels',
      getLineWidth: 1.5 * scale,
    }),
  ];
}

/** The case the tour has flown to: a large white ring. */
export function focusLayer(c: CasePoint | null, now: number, scale: number) {
  const phase = (now % 1200) / 1200;
  return new ScatterplotLayer<CasePoint>({
    id: 'wall-focus',
    data: c ? [c] : [],
    getPosition: (d) => [d.lng, d.lat],
    getRadius: (22 + 10 * Math.sin(phase * Math.PI * 2)) * scale,
    radiusUnits: 'pixels',
    stroked: true,
    filled: false,
    getLineColor: WALL_LAYER_COLORS.focus,
    lineWidthUnits: 'pixels',
    getLineWidth: 4 * scale,
    updateTriggers: { getRadius: phase },
  });
}

/** 15-minute service circles: isochrone polygons, or 1,000 m circles around facilities. */
export function serviceAreaLayers(areas: { kind: string; color: Color; polygons: FeatureCollection | null; points: [number, number][] }[], scale: number) {
  return areas.flatMap((a) => [
    new GeoJsonLayer({
      id: `wall-circles-poly-${a.kind}`,
      data: a.polygons ?? { type: 'FeatureCollection', features: [] },
      // Outlines only: four kinds' areas overlap almost everywhere, and fills would muddy the heat.
      filled: false,
      stroked: true,
      getLineColor: alpha(a.color, 110),
      getLineWidth: 1.2 * scale,
      lineWidthUnits: 'pixels',
      pointType: 'circle',
      getPointRadius: 0,
    }),
    new ScatterplotLayer<[number, number]>({
      id: `wall-circles-${a.kind}`,
      data: a.polygons ? [] : a.points,
      getPosition: (p) => p,
      getRadius: 1000,
      radiusUnits: 'meters',
      stroked: true,
      filled: false,
      getLineColor: alpha(a.color, 120),
      lineWidthUnits: 'pixels',
      getLineWidth: 1.2 * scale,
    }),
  ]);
}

export function pocketParkLayer(parks: FeatureCollection, scale: number) {
  return new GeoJsonLayer({
    id: 'wall-parks',
    data: parks,
    filled: true,
    stroked: true,
    getFillColor: WALL_LAYER_COLORS.parkFill,
    getLineColor: WALL_LAYER_COLORS.parkLine,
    getLineWidth: 1.5 * scale,
    lineWidthUnits: 'pixels',
    pointType: 'circle',
    getPointRadius: 5 * scale,
    pointRadiusUnits: 'pixels',
  });
}

export interface RenovationSite {
  lng: number;
  lat: number;
  status: string;
  progress: number;
  name: string;
}

/** Renovation sites: a ring in the status colour, filled in proportion to progress. */
export function renovationLayers(sites: RenovationSite[], scale: number) {
  return [
    new ScatterplotLayer<RenovationSite>({
      id: 'wall-renovation-ring',
      data: sites,
      getPosition: (s) => [s.lng, s.lat],
      getRadius: 9 * scale,
      radiusUnits: 'pixels',
      stroked: true,
      filled: true,
      getFillColor: [8, 14, 28, 220],
      getLineColor: (s) => RENOVATION_COLORS[s.status] ?? RENOVATION_COLORS.planned!,
      lineWidthUnits: 'pixels',
      getLineWidth: 2.5 * scale,
    }),
    new ScatterplotLayer<RenovationSite>({
      id: 'wall-renovation-progress',
      data: sites,
      getPosition: (s) => [s.lng, s.lat],
      getRadius: (s) => Math.max(1, 7 * Math.sqrt(Math.max(0, Math.min(1, s.progress)))) * scale,
      radiusUnits: 'pixels',
      getFillColor: (s) => RENOVATION_COLORS[s.status] ?? RENOVATION_COLORS.planned!,
    }),
  ];
}

export interface WhistleMark {
  id: number;
  lng: number;
  lat: number;
  radius_m: number;
  label: string;
  late: boolean;
}

/** Active whistles: the geofence, and the countdown to the check-in deadline as a label. */
export function whistleLayers(whistles: WhistleMark[], now: number, scale: number) {
  const phase = (now % 2000) / 2000;
  return [
    new ScatterplotLayer<WhistleMark>({
      id: 'wall-whistle-fence',
      data: whistles,
      getPosition: (w) => [w.lng, w.lat],
      getRadius: (w) => w.radius_m,
      radiusUnits: 'meters',
      radiusMinPixels: 14 * scale,
      stroked: true,
      filled: true,
      getFillColor: (w) => alpha(w.late ? WALL_LAYER_COLORS.whistleLate : WALL_LAYER_COLORS.whistle, 40 + Math.round(40 * Math.sin(phase * Math.PI * 2) ** 2)),
      getLineColor: (w) => (w.late ? WALL_LAYER_COLORS.whistleLate : WALL_LAYER_COLORS.whistle),
      lineWidthUnits: 'pixels',
      getLineWidth: 3 * scale,
      updateTriggers: { getFillColor: phase },
    }),
    new TextLayer<WhistleMark>({
      id: 'wall-whistle-label',
      data: whistles,
      getPosition: (w) => [w.lng, w.lat],
      getText: (w) => w.label,
      getSize: 15 * scale,
      getColor: (w) => (w.late ? WALL_LAYER_COLORS.whistleLate : WALL_LAYER_COLORS.whistle),
      getPixelOffset: [0, -26 * scale],
      fontFamily: WALL_FONT,
      fontWeight: 700,
      characterSet: 'auto',
      outlineWidth: 4,
      outlineColor: WALL_LAYER_COLORS.labelHalo,
      fontSettings: { sdf: true, fontSize: 64, buffer: 6 },
      updateTriggers: { getText: Math.floor(now / 1000) },
    }),
  ];
}

export interface Label {
  lng: number;
  lat: number;
  text: string;
}

/** Subdistrict names, drawn by deck.gl with the bundled CJK font (the basemap has no glyphs). */
export function subdistrictLabelLayer(labels: Label[], scale: number) {
  return new TextLayer<Label>({
    id: 'wall-subdistrict-labels',
    data: labels,
    getPosition: (l) => [l.lng, l.lat],
    getText: (l) => l.text,
    getSize: 16 * scale,
    getColor: WALL_LAYER_COLORS.label,
    fontFamily: WALL_FONT,
    fontWeight: 700,
    characterSet: 'auto',
    outlineWidth: 5,
    outlineColor: WALL_LAYER_COLORS.labelHalo,
    fontSettings: { sdf: true, fontSize: 64, buffer: 6 },
  });
}

/** The outline of the subdistrict the tour (or the URL) is showing. */
export function focusAreaLayer(feature: Feature | null, scale: number) {
  return new GeoJsonLayer({
    id: 'wall-focus-area',
    data: feature ? { type: 'FeatureCollection', features: [feature] } : { type: 'FeatureCollection', features: [] },
    filled: true,
    stroked: true,
    getFillColor: [90, 200, 255, 18],
    getLineColor: WALL_LAYER_COLORS.subdistrictFocus,
    getLineWidth: 3 * scale,
    lineWidthUnits: 'pixels',
  });
}
