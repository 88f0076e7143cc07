import { useMemo } from 'react';
import { MapView } from '../../map/MapView.tsx';
import { districtOutlineLayer } from '../../map/admin-layers.ts';
import { featureCollectionBounds } from '../../lib/bbox.ts';
import { useI18n } from '../../app/i18n.tsx';
import { useDistrict } from './use-district.ts';

/** The district map every view starts from: outline from PostGIS, fitted to the screen. */
export function DistrictMap() {
  const { t } = useI18n();
  const { data, error } = useDistrict();
  const layers = useMemo(() => (data ? [districtOutlineLayer(data)] : []), [data]);
  const bounds = useMemo(() => (data ? featureCollectionBounds(data) : null), [data]);
  return (
    <div className="map-frame">
      <MapView layers={layers} fitBounds={bounds} ready={Boolean(data)} />
      {!data && !error && <div className="map-status">{t('map.loading')}</div>}
      {error && <div className="map-status map-status--error">{t('map.error', { message: error })}</div>}
    </div>
  );
}
