import { GeoJsonLayer } from '@deck.gl/layers';
import type { FeatureCollection } from 'geojson';
import { COLORS } from './style.ts';

/** The district outline: a faint fill and a bright edge, always below the data layers. */
export function districtOutlineLayer(data: FeatureCollection) {
  return new GeoJsonLayer({
    id: 'district-outline',
    data,
    stroked: true,
    filled: true,
    getFillColor: COLORS.districtFill,
    getLineColor: COLORS.districtLine,
    getLineWidth: 3,
    lineWidthUnits: 'pixels',
  });
}
