import { useEffect, useRef, useState } from 'react';
import { Map as MaplibreMap, type PaddingOptions, type StyleSpecification } from 'maplibre-gl';
import { MapboxOverlay } from '@deck.gl/mapbox';
import type { LayersList } from '@deck.gl/core';
import 'maplibre-gl/dist/maplibre-gl.css';
import { BASE_STYLE, INITIAL_VIEW } from './style.ts';
import { FONT_FAMILY } from '../app/font.ts';

export interface MapViewProps {
  /** deck.gl layers drawn interleaved with the MapLibre layers. */
  layers: LayersList;
  /** [west, south, east, north] to fit once it is known. */
  fitBounds?: [number, number, number, number] | null;
  /** Padding in CSS pixels around `fitBounds` (default 40), or per side. */
  fitPadding?: number | PaddingOptions;
  /** Signals to tests and screenshots that data is drawn: sets data-map-state="ready". */
  ready?: boolean;
  className?: string;
  /** The MapLibre style; read once when the map is created (default: the plain dark background). */
  mapStyle?: StyleSpecification;
  /** Called once the style has loaded, with the map, for views that move the camera themselves. */
  onMapLoad?: (map: MaplibreMap) => void;
  /**
   * The caller animates its layers (new props several times a second); each update redraws
   * the map, so there is no render loop of its own, which would starve a software-rendered wall.
   */
  animate?: boolean;
  /**
   * For maps whose layers change all the time (clocks, pulses): data-map-state turns "ready"
   * once the tiles and the first data are drawn and stays so, instead of waiting for the map
   * to go idle after every change.
   */
  readyOnce?: boolean;
  /**
   * Multisampled edges (default true). A wall that may be drawn in software turns it off:
   * 4× MSAA multiplies the cost of every frame there.
   */
  antialias?: boolean;
  /**
   * Keep the drawn frame for pixel reads (default true). A wall turns it off: the extra copy
   * per frame is costly in software rendering, and screenshots read the composited page anyway.
   */
  preserveDrawingBuffer?: boolean;
  /** ms labels take to fade in and out (MapLibre's default 300); a wall sets 0 so placing labels adds no frames. */
  fadeDuration?: number;
}

/** A MapLibre map with a deck.gl overlay in interleaved mode (deck layers share the map's WebGL context). */
export function MapView({ layers, fitBounds, fitPadding, ready, className, mapStyle, onMapLoad, animate, readyOnce, antialias, preserveDrawingBuffer, fadeDuration }: MapViewProps) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MaplibreMap | null>(null);
  const overlayRef = useRef<MapboxOverlay | null>(null);
  const onLoadRef = useRef(onMapLoad);
  onLoadRef.current = onMapLoad;
  const [loaded, setLoaded] = useState(false);
  const [drawn, setDrawn] = useState(false);

  useEffect(() => {
    const map = new MaplibreMap({
      container: container.current!,
      style: mapStyle ?? BASE_STYLE,
      center: [INITIAL_VIEW.longitude, INITIAL_VIEW.latitude],
      zoom: INITIAL_VIEW.zoom,
      attributionControl: false,
      // CJK text, should any MapLibre layer draw it, comes from the bundled web font, never from a glyph server.
      localIdeographFontFamily: `'${FONT_FAMILY}', sans-serif`,
      // Screenshots and pixel checks read the canvas after the frame.
      canvasContextAttributes: { preserveDrawingBuffer: preserveDrawingBuffer ?? true, antialias: antialias ?? true },
      fadeDuration: fadeDuration ?? 300,
    });
    const overlay = new MapboxOverlay({ interleaved: true, layers: [] });
    map.addControl(overlay);
    // Monitoring and tests read where the camera is from the root element: "lng,lat,zoom".
    const writeView = () => {
      const c = map.getCenter();
      container.current?.setAttribute('data-view', `${c.lng.toFixed(5)},${c.lat.toFixed(5)},${map.getZoom().toFixed(2)}`);
    };
    map.on('moveend', writeView);
    let fired = false;
    map.on('load', () => {
      fired = true;
      writeView();
      setLoaded(true);
      onLoadRef.current?.(map);
    });
    // MapLibre fires 'load' at the end of a frame drawn with the style and every tile loaded. A
    // map that redraws only when something changes can have everything loaded and no frame to
    // say so until the next change (on the wall, the summary's refresh 30 s later): ask for it.
    const nudge = setInterval(() => {
      if (fired) clearInterval(nudge);
      else if (map.isStyleLoaded() && map.areTilesLoaded()) map.triggerRepaint();
    }, 250);
    mapRef.current = map;
    overlayRef.current = overlay;
    return () => {
      clearInterval(nudge);
      map.remove();
      mapRef.current = null;
      overlayRef.current = null;
    };
    // The style is read once: views that need another style mount another map.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    overlayRef.current?.setProps({ layers });
  }, [layers, loaded]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !loaded || !fitBounds) return;
    map.fitBounds(fitBounds, { padding: fitPadding ?? 40, duration: 0 });
    // By value: a new array or padding object with the same numbers must not move the camera.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fitBounds?.join(','), JSON.stringify(fitPadding), loaded]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !loaded || !ready || !(animate || readyOnce)) return;
    // A map redrawn every frame never goes idle: judge by the tiles instead, and stay ready
    // while the animation changes the layers.
    const timer = setInterval(() => {
      if (map.isStyleLoaded() && map.areTilesLoaded()) {
        setDrawn(true);
        clearInterval(timer);
      }
    }, 200);
    return () => clearInterval(timer);
  }, [ready, loaded, animate, readyOnce]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !loaded || !ready || animate || readyOnce) return;
    setDrawn(false);
    const onIdle = () => setDrawn(true);
    map.once('idle', onIdle);
    map.triggerRepaint();
    return () => {
      map.off('idle', onIdle);
    };
  }, [ready, loaded, layers, animate, readyOnce]);

  return <div ref={container} className={className ?? 'map'} data-map-state={drawn ? 'ready' : 'loading'} data-ready={drawn ? '' : undefined} />;
}
