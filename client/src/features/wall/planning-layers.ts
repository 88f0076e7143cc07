import { useEffect, useState } from 'react';
import { GeoJsonLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import type { Feature, FeatureCollection } from 'geojson';
import { getJson } from '../../lib/api.ts';

/**
 * The planner's two messages on the wall: facilities planned but not built (a hollow white
 * ring with a plus, apart from every kind's filled colour), and the communities where a kind's
 * related complaints are high and its coverage low (violet, by the planner's score).
 */
export const PLANNING_COLORS = {
  planned: [255, 255, 255, 255] as [number, number, number, number],
  plannedFill: [6, 11, 22, 220] as [number, number, number, number],
  complaintGap: [190, 110, 235] as [number, number, number],
} as const;

/** The kind whose complaint gaps the wall shows unless the URL names another (`gapkind=`): the first with related complaints. */
export const DEFAULT_GAP_KIND = 'elderly_day_care';
/** Communities at or above this score are drawn: at least the district's complaint rate with everyone uncovered, or more. */
export const GAP_SCORE_MIN = 1;

export interface PlannedPoint {
  lng: number;
  lat: number;
  name: string;
}

export function plannedFacilityLayers(points: PlannedPoint[], scale: number) {
  return [
    new ScatterplotLayer<PlannedPoint>({
      id: 'wall-planned',
      data: points,
      getPosition: (p) => [p.lng, p.lat],
      getFillColor: PLANNING_COLORS.plannedFill,
      getLineColor: PLANNING_COLORS.planned,
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: 2.5 * scale,
      radiusUnits: 'pixels',
      getRadius: 11 * scale,
    }),
    new TextLayer<PlannedPoint>({
      id: 'wall-planned-mark',
      data: points,
      getPosition: (p) => [p.lng, p.lat],
      getText: () => '+',
      getSize: 20 * scale,
      getColor: PLANNING_COLORS.planned,
      fontWeight: 700,
      characterSet: '+',
    }),
  ];
}

/** Communities ranked high by the planner's complaints-beside-coverage score, filled by it. */
export function complaintGapLayer(communities: FeatureCollection, scale: number) {
  const [r, g, b] = PLANNING_COLORS.complaintGap;
  return new GeoJsonLayer({
    id: 'wall-complaint-gaps',
    data: communities,
    stroked: true,
    filled: true,
    getFillColor: (f: Feature) => [r, g, b, Math.min(170, 60 + 30 * Number(f.properties?.score ?? 0))],
    getLineColor: [r, g, b, 255],
    getLineWidth: 1.5 * scale,
    lineWidthUnits: 'pixels',
  });
}

/**
 * The communities to draw for the complaint-gap layer: fetched only while the layer is on,
 * then kept. Each carries its score.
 */
export function useComplaintGaps(on: boolean, kind: string): FeatureCollection | null {
  const [data, setData] = useState<FeatureCollection | null>(null);
  useEffect(() => {
    if (!on || data) return;
    let alive = true;
    Promise.all([
      getJson<{ communities: Array<{ id: number; score: number }> }>(`/api/coverage/complaints?kind=${encodeURIComponent(kind)}&minutes=5`),
      getJson<FeatureCollection>('/api/admin-units?level=community'),
    ])
      .then(([ranked, units]) => {
        if (!alive) return;
        const score = new Map(ranked.communities.filter((c) => c.score >= GAP_SCORE_MIN).map((c) => [c.id, c.score]));
        setData({
          type: 'FeatureCollection',
          features: units.features.filter((f) => score.has(f.properties?.id)).map((f) => ({ ...f, properties: { ...f.properties, score: score.get(f.properties?.id) } })),
        });
      })
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [on, kind, data]);
  return data;
}
