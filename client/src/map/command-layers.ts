import { GeoJsonLayer, ScatterplotLayer } from '@deck.gl/layers';
import type { FeatureCollection } from 'geojson';
import { alpha, WALL_LAYER_COLORS, type RGBA } from './wall-layers.ts';

/**
 * deck.gl layers of the commander's map, each with a fixed id. The wall's colours keep their
 * meaning here: red is an alarm (overdue, late), amber a whistle, cyan the selection.
 */
export const COMMAND_COLORS = {
  caseOpen: [120, 170, 230, 230] as RGBA,
  caseUrgent: [255, 140, 60, 255] as RGBA,
  overdue: WALL_LAYER_COLORS.overdue,
  selected: WALL_LAYER_COLORS.newCase,
  whistle: WALL_LAYER_COLORS.whistle,
  whistleLate: WALL_LAYER_COLORS.whistleLate,
  draft: [255, 255, 255, 255] as RGBA,
} as const;

export interface CommandCasePoint {
  id: number;
  lng: number;
  lat: number;
  overdue: boolean;
  urgent: boolean;
}

/** The subdistricts: the commander's own bright, the others faint for orientation. */
export function subdistrictLayer(data: FeatureCollection, ownId: number | null) {
  return new GeoJsonLayer({
    id: 'command-subdistricts',
    data,
    stroked: true,
    filled: true,
    getFillColor: (f) => (Number(f.properties?.id) === ownId ? [90, 200, 255, 22] : [0, 0, 0, 0]),
    getLineColor: (f) => (Number(f.properties?.id) === ownId ? [90, 200, 255, 255] : [58, 111, 176, 160]),
    getLineWidth: (f) => (Number(f.properties?.id) === ownId ? 3 : 1),
    lineWidthUnits: 'pixels',
    updateTriggers: { getFillColor: ownId, getLineColor: ownId, getLineWidth: ownId },
  });
}

/** The queue's cases: overdue red, urgent orange, the rest blue; the selected one ringed. */
export function caseLayers(cases: CommandCasePoint[], selectedId: number | null) {
  const selected = cases.filter((c) => c.id === selectedId);
  return [
    new ScatterplotLayer<CommandCasePoint>({
      id: 'command-cases',
      data: cases,
      getPosition: (c) => [c.lng, c.lat],
      getRadius: 5,
      radiusUnits: 'pixels',
      getFillColor: (c) => (c.overdue ? COMMAND_COLORS.overdue : c.urgent ? COMMAND_COLORS.caseUrgent : COMMAND_COLORS.caseOpen),
      stroked: true,
      getLineColor: [6, 11, 22, 255],
      lineWidthUnits: 'pixels',
      getLineWidth: 1,
    }),
    new ScatterplotLayer<CommandCasePoint>({
      id: 'command-case-selected',
      data: selected,
      getPosition: (c) => [c.lng, c.lat],
      getRadius: 11,
      radiusUnits: 'pixels',
      filled: false,
      stroked: true,
      getLineColor: COMMAND_COLORS.selected,
      lineWidthUnits: 'pixels',
      getLineWidth: 3,
    }),
  ];
}

export interface CommandWhistleMark {
  id: number;
  lng: number;
  lat: number;
  radius_m: number;
  late: boolean;
  selected: boolean;
}

/** Whistle sites: the geofence at its real radius (never smaller than a few pixels), amber, red once late. */
export function whistleSiteLayers(whistles: CommandWhistleMark[], draft: { lng: number; lat: number } | null) {
  return [
    new ScatterplotLayer<CommandWhistleMark>({
      id: 'command-whistles',
      data: whistles,
      getPosition: (w) => [w.lng, w.lat],
      getRadius: (w) => w.radius_m,
      radiusUnits: 'meters',
      radiusMinPixels: 9,
      stroked: true,
      getFillColor: (w) => alpha(w.late ? COMMAND_COLORS.whistleLate : COMMAND_COLORS.whistle, w.selected ? 90 : 50),
      getLineColor: (w) => (w.late ? COMMAND_COLORS.whistleLate : COMMAND_COLORS.whistle),
      lineWidthUnits: 'pixels',
      getLineWidth: (w) => (w.selected ? 4 : 2),
      updateTriggers: { getFillColor: whistles.map((w) => `${w.late}${w.selected}`).join(), getLineWidth: whistles.map((w) => w.selected).join() },
    }),
    new ScatterplotLayer<{ lng: number; lat: number }>({
      id: 'command-whistle-draft',
      data: draft ? [draft] : [],
      getPosition: (d) => [d.lng, d.lat],
      getRadius: 8,
      radiusUnits: 'pixels',
      filled: true,
      stroked: true,
      getFillColor: alpha(COMMAND_COLORS.whistle, 200),
      getLineColor: COMMAND_COLORS.draft,
      lineWidthUnits: 'pixels',
      getLineWidth: 2,
    }),
  ];
}
