import { useEffect, useMemo, useRef, useState } from 'react';
import type { Map as MaplibreMap, MapMouseEvent } from 'maplibre-gl';
import type { FeatureCollection } from 'geojson';
import { MapView } from '../../map/MapView.tsx';
import { wallStyle } from '../../map/style.ts';
import { caseLayers, subdistrictLayer, whistleSiteLayers, type CommandCasePoint, type CommandWhistleMark } from '../../map/command-layers.ts';
import { featureCollectionBounds } from '../../lib/bbox.ts';
import { useI18n } from '../../app/i18n.tsx';
import { useBasemapLabels } from '../../map/use-basemap-labels.ts';

/** A click within this many pixels of a case picks the case; elsewhere it picks a point for a whistle. */
const PICK_PX = 10;

/** The commander's map: the project's own basemap, the subdistrict, its cases and whistle sites. */
export function CommandMap({
  subdistricts,
  ownSubdistrict,
  cases,
  whistles,
  selectedCaseId,
  draft,
  onPickCase,
  onPickPoint,
  onMap,
  ready,
}: {
  subdistricts: FeatureCollection | null;
  ownSubdistrict: number | null;
  cases: CommandCasePoint[];
  whistles: CommandWhistleMark[];
  selectedCaseId: number | null;
  draft: { lng: number; lat: number } | null;
  onPickCase: (id: number) => void;
  onPickPoint: (lng: number, lat: number) => void;
  /** Hands the loaded MapLibre map to the view (the operations panel draws on it). */
  onMap?: (map: MaplibreMap) => void;
  ready: boolean;
}) {
  const { t, lang } = useI18n();
  const style = useMemo(() => wallStyle(), []);
  const mapRef = useRef<MaplibreMap | null>(null);
  const [loadedMap, setLoadedMap] = useState<MaplibreMap | null>(null);
  // Street, community and subdistrict names: a commander sends people to places by name.
  const frame = useRef<HTMLDivElement | null>(null);
  useBasemapLabels(loadedMap, subdistricts, lang, frame);
  const casesRef = useRef(cases);
  casesRef.current = cases;
  const handlers = useRef({ onPickCase, onPickPoint });
  handlers.current = { onPickCase, onPickPoint };

  const layers = useMemo(
    () => [...(subdistricts ? [subdistrictLayer(subdistricts, ownSubdistrict)] : []), ...whistleSiteLayers(whistles, draft), ...caseLayers(cases, selectedCaseId)],
    [subdistricts, ownSubdistrict, whistles, draft, cases, selectedCaseId],
  );
  // The commander's subdistrict fills the map; the district when it has none (an admin).
  const bounds = useMemo(() => {
    if (!subdistricts) return null;
    const own = subdistricts.features.filter((f) => Number(f.properties?.id) === ownSubdistrict);
    return featureCollectionBounds(own.length ? { type: 'FeatureCollection', features: own } : subdistricts);
  }, [subdistricts, ownSubdistrict]);

  const onMapLoad = (map: MaplibreMap) => {
    mapRef.current = map;
    setLoadedMap(map);
    onMap?.(map);
    map.getCanvas().style.cursor = 'crosshair';
    map.on('click', (e: MapMouseEvent) => {
      let best: { id: number; d: number } | null = null;
      for (const c of casesRef.current) {
        const p = map.project([c.lng, c.lat]);
        const d = Math.hypot(p.x - e.point.x, p.y - e.point.y);
        if (d <= PICK_PX && (!best || d < best.d)) best = { id: c.id, d };
      }
      if (best) handlers.current.onPickCase(best.id);
      else handlers.current.onPickPoint(e.lngLat.lng, e.lngLat.lat);
    });
  };

  // The selected case comes into view when it is off screen.
  useEffect(() => {
    const map = mapRef.current;
    const c = cases.find((x) => x.id === selectedCaseId);
    if (!map || !c) return;
    if (!map.getBounds().contains([c.lng, c.lat])) map.easeTo({ center: [c.lng, c.lat], duration: 400 });
    // Only a new selection moves the camera.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedCaseId]);

  return (
    <div className="map-frame cmd-map" data-testid="command-map" ref={frame}>
      <MapView layers={layers} mapStyle={style} fitBounds={bounds} fitPadding={30} ready={ready} readyOnce onMapLoad={onMapLoad} />
      <div className="cmd-map__hint">{t('command.map.hint')}</div>
      <div className="cmd-map__legend">
        <span><i className="dot dot--overdue" />{t('command.map.overdue')}</span>
        <span><i className="dot dot--urgent" />{t('command.map.urgent')}</span>
        <span><i className="dot dot--open" />{t('command.map.open')}</span>
        <span><i className="dot dot--whistle" />{t('command.map.whistle')}</span>
      </div>
    </div>
  );
}
