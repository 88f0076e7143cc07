import { useEffect, useRef, useState } from 'react';
import { Map as MaplibreMap } from 'maplibre-gl';
import { MapboxOverlay } from '@deck.gl/mapbox';
import type { LayersList } from '@deck.gl/core';
import 'maplibre-gl/dist/maplibre-gl.css';
import { BASE_STYLE, INITIAL_VIEW } from './style.ts';

export interface MapViewProps {
  /** deck.gl layers drawn interleaved with the MapLibre layers. */
  layers: LayersList;
  /** [west, south, east, north] to fit once it is known. */
  fitBounds?: [number, number, number, number] | null;
  /** Signals to tests and screenshots that data is drawn: sets data-map-state="ready". */
  ready?: boolean;
  className?: string;
}

/** A MapLibre map with a deck.gl overlay in interleaved mode (deck layers share the map's WebGL context). */
export function MapView({ layers, fitBounds, ready, className }: MapViewProps) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MaplibreMap | null>(null);
  const overlayRef = useRef<MapboxOverlay | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [drawn, setDrawn] = useState(false);

  useEffect(() => {
    const map = new MaplibreMap({
      container: container.current!,
      style: BASE_STYLE,
      center: [INITIAL_VIEW.longitude, INITIAL_VIEW.latitude],
      zoom: INITIAL_VIEW.zoom,
      attributionControl: false,
      // Screenshots and pixel checks read the canvas after the frame.
      canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
    });
    const overlay = new MapboxOverlay({ interleaved: true, layers: [] });
    map.addControl(overlay);
    map.on('load', () => setLoaded(true));
    mapRef.current = map;
    overlayRef.current = overlay;
    return () => {
      map.remove();
      mapRef.current = null;
      overlayRef.current = null;
    };
  }, []);

  useEffect(() => {
    overlayRef.current?.setProps({ layers });
  }, [layers, loaded]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !loaded || !fitBounds) return;
    map.fitBounds(fitBounds, { padding: 40, duration: 0 });
  }, [fitBounds, loaded]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !loaded || !ready) return;
    setDrawn(false);
    const onIdle = () => setDrawn(true);
    map.once('idle', onIdle);
    map.triggerRepaint();
    return () => {
      map.off('idle', onIdle);
    };
  }, [ready, loaded, layers]);

  return <div ref={container} className={className ?? 'map'} data-map-state={drawn ? 'ready' : 'loading'} />;
}
