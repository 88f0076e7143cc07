import { GeoJsonLayer, ScatterplotLayer } from '@deck.gl/layers';
import { HexagonLayer } from '@deck.gl/aggregation-layers';
import type { Feature, FeatureCollection } from 'geojson';
import type { RGBA } from './colour.ts';
import { FONT_FAMILY } from '../app/font.ts';

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

/**
 * One hue and one shape per layer, and red only for alarms (an overdue or urgent case, a late
 * whistle), so no colour on the map has two meanings:
 *   heat: violet hexagons · new case: cyan dot · alarm: red · whistle: amber ring and label ·
 *   park: green square · renovation: sand ring with a progress disc · service areas: blue outlines ·
 *   clearance operation: magenta ring filling up with the site's stage.
 */
export const WALL_LAYER_COLORS = {
  /** A single violet ramp, dark to light: more weight reads as lighter, never as red. */
  heat: [
    [50, 30, 110, 0],
    [70, 45, 150, 110],
    [100, 70, 190, 140],
    [135, 100, 220, 165],
    [175, 140, 240, 190],
    [215, 190, 255, 215],
  ] as Color[],
  newCase: [90, 220, 255, 255] as Color,
  /** Alarms: overdue and urgent cases, late whistles. */
  alarm: [255, 60, 80, 255] as Color,
  overdue: [255, 60, 80, 255] as Color,
  urgent: [255, 60, 80, 255] as Color,
  parkFill: [60, 200, 110, 110] as Color,
  parkLine: [90, 230, 140, 255] as Color,
  renovation: [214, 184, 128, 255] as Color,
  whistle: [255, 196, 0, 255] as Color,
  whistleLate: [255, 60, 80, 255] as Color,
  /** Clearance-operation sites: magenta, the one hue no other layer uses (not violet heat, not red alarms). */
  operation: [236, 84, 222, 255] as Color,
  focus: [255, 255, 255, 255] as Color,
  label: [220, 232, 250, 235] as Color,
  labelHalo: [6, 11, 22, 230] as Color,
  subdistrictFocus: [90, 200, 255, 255] as Color,
  /**
   * The subdistrict choropleth: one neutral ramp, lighter is more. No hue, so it is read by
   * lightness alone and takes no colour from a symbol drawn over it.
   */
  choropleth: [
    [120, 132, 155, 30],
    [150, 162, 185, 55],
    [180, 190, 210, 80],
    [210, 218, 232, 105],
    [240, 244, 250, 135],
  ] as Color[],
} as const;

/** Below this zoom (the district overview) facilities' service areas and renovation sites are hidden. */
export const DETAIL_MINZOOM = 13.5;

/** Service-area outlines: shades of one blue, told apart in the legend; never red, amber or green. */
const CIRCLE_PALETTE: Color[] = [
  [80, 140, 255, 255],
  [150, 190, 255, 255],
  [40, 95, 200, 255],
  [190, 215, 245, 255],
];
export function circleColor(index: number): Color {
  return CIRCLE_PALETTE[index % CIRCLE_PALETTE.length]!;
}

export const WALL_FONT = FONT_FAMILY;

/**
 * The live case heat from binary [lng, lat, weight] triplets, binned into 120 m hexagons
 * coloured by the summed priority weight. Hexagons rather than a kernel heatmap: a wall PC
 * without a GPU renders them in software many times faster, and they read better from afar.
 */
export const HEAT_HEX_RADIUS_M = 120;
/** Heat opacity at the district overview and from street zoom on: it fades out as you zoom in. */
export const HEAT_OPACITY = { overview: 0.6, street: 0.12, from: 12.5, to: 15.5 } as const;
export function heatOpacity(zoom: number): number {
  const t = Math.max(0, Math.min(1, (zoom - HEAT_OPACITY.from) / (HEAT_OPACITY.to - HEAT_OPACITY.from)));
  return HEAT_OPACITY.overview + (HEAT_OPACITY.street - HEAT_OPACITY.overview) * t;
}

/**
 * The heat scale's top: the 95th percentile of the summed weights of hexagon-sized cells
 * (squares of the same area), rounded up to a readable number. Hexagons above it take the
 * lightest colour; the legend prints 0, half and this value, in weighted cases per hexagon.
 */
export function heatScaleMax(points: Float32Array): number {
  const n = points.length / 3;
  if (!n) return 2;
  const side = HEAT_HEX_RADIUS_M * Math.sqrt((3 * Math.sqrt(3)) / 2);
  const dy = side / 111_320;
  const dx = side / (111_320 * Math.cos((points[1]! * Math.PI) / 180));
  const cells = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = Math.floor(points[i * 3]! / dx) * 100_003 + Math.floor(points[i * 3 + 1]! / dy);
    cells.set(key, (cells.get(key) ?? 0) + points[i * 3 + 2]!);
  }
  const sums = [...cells.values()].sort((a, b) => a - b);
  const p95 = sums[Math.floor(sums.length * 0.95)] ?? 1;
  const mag = 10 ** Math.floor(Math.log10(Math.max(1, p95)));
  return Math.max(2, [1, 2, 2.5, 5, 10].find((m) => m * mag >= p95)! * mag);
}

/** The heat's colours: one array for every layer made, so deck.gl never sees a new colour range. */
const HEAT_COLOR_RANGE = WALL_LAYER_COLORS.heat.slice(1);

/**
 * The binary data and weight accessor of one set of heat points, made once per array: deck.gl
 * compares `data` by reference, and a new object would make the layer bin every point again
 * (seconds on a wall without a GPU), each time the wall's other layers change.
 */
const heatInputs = new WeakMap<Float32Array, { data: unknown; getColorWeight: (_: unknown, o: { index: number }) => number }>();
function heatInputsOf(points: Float32Array) {
  let hit = heatInputs.get(points);
  if (!hit) {
    hit = {
      data: { length: points.length / 3, attributes: { getPosition: { value: points, size: 2, stride: 12, offset: 0 } } },
      getColorWeight: (_: unknown, { index }: { index: number }) => points[index * 3 + 2]!,
    };
    heatInputs.set(points, hit);
  }
  return hit;
}

export function heatLayer(points: Float32Array, _scale: number, opts: { zoom?: number; max?: number } = {}) {
  const max = opts.max ?? heatScaleMax(points);
  const { data, getColorWeight } = heatInputsOf(points);
  return new HexagonLayer({
    id: 'wall-heat',
    data,
    radius: HEAT_HEX_RADIUS_M,
    coverage: 0.9,
    extruded: false,
    gpuAggregation: false,
    colorRange: HEAT_COLOR_RANGE,
    colorScaleType: 'quantize',
    colorDomain: [0, max],
    colorAggregation: 'SUM',
    getColorWeight,
    opacity: heatOpacity(opts.zoom ?? HEAT_OPACITY.from),
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
    getFillColor: alpha(WALL_LAYER_COLORS.alarm, 210),
    getLineColor: [255, 220, 225, 255],
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
      getLineColor: (c) => alpha(c.priority === 'urgent' ? WALL_LAYER_COLORS.urgent : WALL_LAYER_COLORS.newCase, Math.round(255 * (1 - phase))),
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
      getFillColor: (c) => (c.priority === 'urgent' ? WALL_LAYER_COLORS.urgent : WALL_LAYER_COLORS.newCase),
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

/**
 * 15-minute service circles: isochrone polygons, or 1,000 m circles around facilities. One layer
 * per kind, whichever of the two it draws, so no empty layer costs a pass over the frame.
 */
export function serviceAreaLayers(areas: { kind: string; color: Color; polygons: FeatureCollection | null; points: [number, number][] }[], scale: number) {
  return areas.map((a) =>
    a.polygons
      ? new GeoJsonLayer({
          id: `wall-circles-poly-${a.kind}`,
          data: a.polygons,
          // Outlines only: four kinds' areas overlap almost everywhere, and fills would muddy the heat.
          filled: false,
          stroked: true,
          getLineColor: alpha(a.color, 110),
          getLineWidth: 1.2 * scale,
          lineWidthUnits: 'pixels',
          pointType: 'circle',
          getPointRadius: 0,
        })
      : new ScatterplotLayer<[number, number]>({
          id: `wall-circles-${a.kind}`,
          data: a.points,
          getPosition: (p) => p,
          getRadius: 1000,
          radiusUnits: 'meters',
          stroked: true,
          filled: false,
          getLineColor: alpha(a.color, 120),
          lineWidthUnits: 'pixels',
          getLineWidth: 1.2 * scale,
        }),
  );
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

/** Renovation sites: a sand ring, its inner disc sized by progress (full when completed). */
export function renovationLayers(sites: RenovationSite[], scale: number) {
  return [
    new ScatterplotLayer<RenovationSite>({
      id: 'wall-renovation-ring',
      data: sites,
      getPosition: (s) => [s.lng, s.lat],
      getRadius: 8 * scale,
      radiusUnits: 'pixels',
      stroked: true,
      filled: true,
      getFillColor: [8, 14, 28, 220],
      getLineColor: WALL_LAYER_COLORS.renovation,
      lineWidthUnits: 'pixels',
      getLineWidth: 2 * scale,
    }),
    new ScatterplotLayer<RenovationSite>({
      id: 'wall-renovation-progress',
      data: sites,
      getPosition: (s) => [s.lng, s.lat],
      getRadius: (s) => Math.max(1, 6.5 * Math.sqrt(Math.max(0, Math.min(1, s.status === 'completed' ? 1 : s.progress)))) * scale,
      radiusUnits: 'pixels',
      getFillColor: WALL_LAYER_COLORS.renovation,
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

/** Active whistles: the geofence (the countdown label is a MapLibre symbol layer, see style.ts). */
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
  ];
}

/** Subdistricts filled by the class of their figure (choropleth.ts), under every symbol. */
export function choroplethLayer(features: Feature[], classOf: (id: number) => number | null, version: string) {
  return new GeoJsonLayer({
    id: 'wall-choropleth',
    data: { type: 'FeatureCollection', features },
    filled: true,
    stroked: false,
    getFillColor: (f: Feature) => {
      const k = classOf(Number(f.properties?.id ?? f.id));
      return k === null ? [0, 0, 0, 0] : WALL_LAYER_COLORS.choropleth[k]!;
    },
    updateTriggers: { getFillColor: version },
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

export interface OperationSiteMark {
  id: number;
  lng: number;
  lat: number;
  status: 'pending' | 'in_progress' | 'cleared' | 'verified';
}

/** How full a site's mark is by stage: a ring to do, a dot under way, a disc once cleared (verified adds a white edge). */
const OPERATION_FILL: Record<OperationSiteMark['status'], number> = { pending: 0, in_progress: 0.45, cleared: 1, verified: 1 };

/** Clearance-operation sites: a magenta ring whose inner disc grows with the stage; verified sites get a white edge. */
export function operationLayers(sites: OperationSiteMark[], scale: number) {
  return [
    new ScatterplotLayer<OperationSiteMark>({
      id: 'wall-operation-ring',
      data: sites,
      getPosition: (s) => [s.lng, s.lat],
      getRadius: 6.5 * scale,
      radiusUnits: 'pixels',
      stroked: true,
      filled: true,
      getFillColor: [8, 14, 28, 220],
      getLineColor: (s) => (s.status === 'verified' ? [255, 255, 255, 255] : WALL_LAYER_COLORS.operation),
      lineWidthUnits: 'pixels',
      getLineWidth: 2 * scale,
    }),
    new ScatterplotLayer<OperationSiteMark>({
      id: 'wall-operation-stage',
      data: sites.filter((s) => OPERATION_FILL[s.status] > 0),
      getPosition: (s) => [s.lng, s.lat],
      getRadius: (s) => 5 * OPERATION_FILL[s.status] * scale,
      radiusUnits: 'pixels',
      getFillColor: WALL_LAYER_COLORS.operation,
    }),
  ];
}
