import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Marker, type Map as MaplibreMap } from 'maplibre-gl';
import type { Feature } from 'geojson';
import type { LayersList } from '@deck.gl/core';
import { MapView } from '../../map/MapView.tsx';
import { wallStyle, INITIAL_VIEW } from '../../map/style.ts';
import {
  circleColor,
  focusAreaLayer,
  heatLayer,
  newCaseLayers,
  overdueLayer,
  pocketParkLayer,
  renovationLayers,
  serviceAreaLayers,
  subdistrictLabelLayer,
  whistleLayers,
  WALL_FONT,
} from '../../map/wall-layers.ts';
import { featureCollectionBounds } from '../../lib/bbox.ts';
import { useI18n } from '../../app/i18n.tsx';
import { parseWallSettings, layersToUrl, type WallLayerId } from './settings.ts';
import { useWallLive, type LiveArrival, type WallCase } from './use-wall-live.ts';
import { useWallMapData } from './use-map-data.ts';
import { ExportLink } from '../exports/ExportLink.tsx';
import { hhmmss, KpiTiles, Panel, Ranking, RedBlackList, Ticker, TopCategories, TrendChart, WhistleBoard } from './panels.tsx';
import { Legend } from './Legend.tsx';
import './wall.css';

/** How long a new case pulses, and how long the tour stays on an interrupting case. */
const PULSE_MS = 60_000;
const INTERRUPT_MS = 12_000;

/** The wall's text scale relative to a 1080p layout: deck.gl sizes follow the CSS rem. */
function useScale(): number {
  const [scale, setScale] = useState(1);
  useEffect(() => {
    const measure = () => setScale(parseFloat(getComputedStyle(document.querySelector('.wall') ?? document.body).fontSize) / 14 || 1);
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, []);
  return scale;
}

/**
 * Labels wait until the bundled font's unicode-range subsets holding their characters are
 * loaded: deck.gl rasterises each glyph once into its atlas, so a glyph drawn before its
 * subset arrived would stay blank. Returns whether `text` is covered.
 */
function useFontReady(text: string): boolean {
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    Promise.all([document.fonts.load(`700 32px "${WALL_FONT}"`, text), document.fonts.load(`400 32px "${WALL_FONT}"`, text)])
      .catch(() => {})
      .finally(() => alive && setLoadedFor(text));
    return () => {
      alive = false;
    };
  }, [text]);
  return loadedFor === text;
}

/** Keeps one pulsing HTML marker per new case and a ring on the focused case. */
function usePulseMarkers(map: MaplibreMap | null, pulsing: (WallCase & { at: number })[], focus: WallCase | null): void {
  const markers = useRef(new Map<string, Marker>());
  useEffect(() => {
    if (!map) return;
    const wanted = new Map<string, { c: WallCase; cls: string }>();
    for (const c of pulsing) wanted.set(`new:${c.id}`, { c, cls: `wall-pulse ${c.priority === 'urgent' || c.priority === 'high' ? 'wall-pulse--urgent' : ''}` });
    if (focus) wanted.set(`focus:${focus.id}`, { c: focus, cls: 'wall-focus-ring' });
    for (const [key, m] of markers.current) {
      if (!wanted.has(key)) {
        m.remove();
        markers.current.delete(key);
      }
    }
    for (const [key, { c, cls }] of wanted) {
      if (markers.current.has(key)) continue;
      const el = document.createElement('div');
      el.className = cls;
      el.dataset.caseId = String(c.id);
      markers.current.set(key, new Marker({ element: el }).setLngLat([c.lng, c.lat]).addTo(map));
    }
  }, [map, pulsing, focus]);
  useEffect(
    () => () => {
      for (const m of markers.current.values()) m.remove();
      markers.current.clear();
    },
    [],
  );
}

function isInterrupting(a: LiveArrival): boolean {
  return a.kind === 'overdue' || a.kase.priority === 'urgent' || a.kase.priority === 'high';
}

/** The operations-center wall: designed for 3840×2160, right at 1920×1080 and 7680×2160. */
export function WallView() {
  const { t, lang, setLang } = useI18n();
  const settings = useMemo(() => parseWallSettings(window.location.search), []);
  const [layers, setLayers] = useState<Set<WallLayerId>>(settings.layers);
  const live = useWallLive(settings.window);
  const mapData = useWallMapData();
  const scale = useScale();
  const [now, setNow] = useState(Date.now());
  const [map, setMap] = useState<MaplibreMap | null>(null);
  const [stop, setStop] = useState<{ id: number | null; caption: string } | null>(null);
  const [focusCase, setFocusCase] = useState<(WallCase & { reason: 'new' | 'overdue' }) | null>(null);
  const summary = live.summary;

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const toggle = useCallback((id: WallLayerId) => {
    setLayers((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      layersToUrl(next);
      return next;
    });
  }, []);

  const stale = now - live.lastBeat > settings.staleAfterMs;
  const asOf = live.connected && !stale ? new Date(live.lastBeat) : summary ? new Date(summary.as_of) : null;

  const subFeatures = useMemo(() => new Map((live.subdistricts?.features ?? []).map((f) => [Number(f.properties?.id ?? f.id), f])), [live.subdistricts]);
  const districtBounds = useMemo(() => (live.subdistricts && live.subdistricts.features.length ? featureCollectionBounds(live.subdistricts) : null), [live.subdistricts]);

  // The focused subdistrict from the URL: by code, id, or name in either language.
  const focusSub = useMemo(() => {
    if (!settings.focus || !summary) return null;
    const f = settings.focus.toLowerCase();
    return summary.subdistricts.find((s) => s.code === settings.focus || String(s.id) === settings.focus || s.name_zh === settings.focus || s.name_en.toLowerCase() === f) ?? null;
  }, [settings.focus, summary]);

  useEffect(() => {
    if (!map || !focusSub) return;
    const f = subFeatures.get(focusSub.id);
    const b = f ? featureCollectionBounds({ type: 'FeatureCollection', features: [f] }) : null;
    if (b) map.fitBounds(b, { padding: 80 * scale, duration: 1500 });
    else map.flyTo({ center: [focusSub.lng, focusSub.lat], zoom: 14 });
    setStop({ id: focusSub.id, caption: lang === 'en' ? focusSub.name_en : focusSub.name_zh });
  }, [map, focusSub, subFeatures, scale, lang]);

  // The tour: the district, then the hottest subdistricts in turn; a new urgent or newly
  // overdue case interrupts it, is flown to and ringed, then the cycle resumes.
  const tourIndex = useRef(0);
  const interruptUntil = useRef(0);
  const handledArrival = useRef(0);
  const hotspots = useMemo(() => {
    if (!summary) return [];
    return [...summary.subdistricts].sort((a, b) => b.overdue * 3 + b.cases - (a.overdue * 3 + a.cases)).filter((s) => s.cases > 0).slice(0, 5);
  }, [summary]);

  useEffect(() => {
    if (!map || !settings.tour) return;
    const step = () => {
      if (Date.now() < interruptUntil.current) return;
      setFocusCase(null);
      const stops = hotspots.length + 1;
      const i = tourIndex.current++ % stops;
      if (i === 0) {
        if (districtBounds) map.fitBounds(districtBounds, { padding: 60 * scale, duration: 3000 });
        else map.flyTo({ center: [INITIAL_VIEW.longitude, INITIAL_VIEW.latitude], zoom: INITIAL_VIEW.zoom, duration: 3000 });
        setStop(null);
      } else {
        const s = hotspots[i - 1]!;
        map.flyTo({ center: [s.lng, s.lat], zoom: 14.3, duration: 3500, essential: true });
        setStop({ id: s.id, caption: t('wall.tour.hotspot', { name: lang === 'en' ? s.name_en : s.name_zh, n: s.overdue }) });
      }
    };
    step();
    const timer = setInterval(step, settings.dwellMs);
    return () => clearInterval(timer);
  }, [map, settings.tour, settings.dwellMs, hotspots, districtBounds, scale, lang, t]);

  useEffect(() => {
    const next = live.arrivals.filter((a) => a.at > handledArrival.current && isInterrupting(a)).at(-1);
    if (!next) return;
    handledArrival.current = next.at;
    setFocusCase({ ...next.kase, reason: next.kind });
    interruptUntil.current = Date.now() + INTERRUPT_MS;
    if (map && settings.tour) map.flyTo({ center: [next.kase.lng, next.kase.lat], zoom: 15.5, duration: 2500, essential: true });
    const timer = setTimeout(() => setFocusCase(null), INTERRUPT_MS);
    return () => clearTimeout(timer);
  }, [live.arrivals, map, settings.tour]);

  const labelSample = useMemo(
    () => `${(summary?.subdistricts ?? []).map((s) => s.name_zh + s.name_en).join('')}${t('wall.whistle')}${t('wall.minutesLeft')}${t('wall.minutesLate')}0123456789:- `,
    [summary, t],
  );
  const fontReady = useFontReady(labelSample);

  // Recomputed only when the set of pulsing cases changes, so the map is not redrawn every second.
  const pulsingKey = live.arrivals.filter((a) => a.kind === 'new' && now - a.at < PULSE_MS).map((a) => `${a.kase.id}@${a.at}`).join(',');
  const pulsing = useMemo(
    () => live.arrivals.filter((a) => a.kind === 'new' && pulsingKey.includes(`${a.kase.id}@${a.at}`)).map((a) => ({ ...a.kase, at: a.at })),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [pulsingKey],
  );
  // Pulses and the focus ring are HTML markers animated by CSS on the compositor: redrawing
  // the WebGL map several times a second would starve a software-rendered wall.
  usePulseMarkers(map, pulsing, focusCase);
  const clock = 0;
  const minuteClock = Math.floor(now / 60_000) * 60_000;

  const deckLayers = useMemo<LayersList>(() => {
    const out: LayersList = [];
    if (layers.has('circles')) out.push(...serviceAreaLayers(mapData.areas.map((a, i) => ({ ...a, color: a.color ?? circleColor(i) })), scale));
    if (layers.has('parks') && mapData.parks) out.push(pocketParkLayer(mapData.parks, scale));
    if (layers.has('heat') && live.heat && live.heat.points.length) out.push(heatLayer(live.heat.points, scale));
    out.push(focusAreaLayer(stop?.id ? (subFeatures.get(stop.id) as Feature | undefined) ?? null : null, scale));
    if (layers.has('renovation')) out.push(...renovationLayers(mapData.renovation, scale));
    if (layers.has('cases') && summary) {
      out.push(overdueLayer(summary.overdue, scale));
      out.push(...newCaseLayers(pulsing, clock, scale).slice(1));
    }
    if (layers.has('whistles') && summary && fontReady) {
      const marks = summary.whistles.map((w) => {
        // Whole minutes on the map (it redraws once a minute for them); the board shows seconds.
        const left = new Date(w.deadline_at).getTime() - minuteClock;
        return { id: w.id, lng: w.lng, lat: w.lat, radius_m: w.radius_m, label: `${t('wall.whistle')} ${left < 0 ? t('wall.minutesLate', { m: Math.ceil(-left / 60_000) }) : t('wall.minutesLeft', { m: Math.ceil(left / 60_000) })}`, late: left < 0 };
      });
      out.push(...whistleLayers(marks, clock, scale));
    }
    if (fontReady && summary) out.push(subdistrictLabelLayer(summary.subdistricts.map((s) => ({ lng: s.lng, lat: s.lat, text: lang === 'en' ? s.name_en : s.name_zh })), scale));
    return out;
  }, [layers, mapData, live.heat, summary, pulsing, clock, minuteClock, focusCase, stop, subFeatures, fontReady, lang, scale, t]);

  const style = useMemo(() => wallStyle(), []);
  const newIds = useMemo(() => new Set(pulsing.map((c) => c.id)), [pulsing]);
  const latest = summary?.latest ?? [];
  // Each layer's point count, or "loading" until its data arrived: tests and screenshots wait on it.
  const layerState = [
    `heat:${live.heat ? live.heat.points.length / 3 : 'loading'}`,
    `overdue:${summary?.overdue.length ?? 'loading'}`,
    `parks:${mapData.loaded ? mapData.parks?.features.length ?? 0 : 'loading'}`,
    `renovation:${mapData.loaded ? mapData.renovation.length : 'loading'}`,
    `circles:${mapData.loaded ? mapData.areas.length : 'loading'}`,
    `whistles:${summary?.whistles.length ?? 'loading'}`,
].join(' ');

  return (
    <div className={`wall ${stale ? 'wall--stale' : ''}`} data-testid="wall">
      <header className="wall-header">
        <div className="wall-header__brand">
          <span className="wall-header__logo" aria-hidden>◆</span>
          <h1>{t('wall.title')}</h1>
          <span className="wall-header__tag">{t('app.tagline')}</span>
        </div>
        <div className="wall-header__status">
          <span className={`pill ${live.connected && !stale ? 'pill--live' : 'pill--off'}`} data-testid="wall-connection">
            {t(live.connected && !stale ? 'wall.live' : 'wall.offline')}
          </span>
          <span className="wall-asof" data-testid="wall-asof">
            {t('wall.asOf', { time: asOf ? hhmmss(asOf) : '--:--:--' })}
            {live.fromCache && <em> · {t('wall.cached')}</em>}
          </span>
          <span className="wall-clock">{hhmmss(new Date(now))}</span>
          <button type="button" className="wall-lang" onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}>{t('lang.switch')}</button>
        </div>
      </header>
      {stale && (
        <div className="wall-stale" role="alert" data-testid="wall-stale">
          <strong>{t('wall.stale.title')}</strong>
          <span>{t('wall.stale.body', { s: Math.round((now - live.lastBeat) / 1000), time: asOf ? hhmmss(asOf) : '--:--:--' })}</span>
        </div>
      )}
      <main className="wall-grid">
        <div className="wall-col wall-col--left">
          <Panel title={t('wall.panel.kpis')} className="wall-panel--kpis">
            <KpiTiles summary={summary} />
          </Panel>
          <Panel title={t('wall.panel.ranking')} note={t('wall.panel.rankingNote', { days: summary?.score_period_days ?? 30 })} className="wall-panel--ranking">
            <Ranking summary={summary} focusId={stop?.id ?? null} />
            <ExportLink href={`/api/kpis/export.xlsx?window=30d`} labelKey="exports.kpisXlsx" testId="export-kpis-xlsx" />
          </Panel>
          <Panel title={t('wall.panel.categories')} note={t('wall.panel.categoriesNote')} className="wall-panel--cats">
            <TopCategories summary={summary} />
          </Panel>
        </div>
        <div className="wall-map" data-layers={layerState} data-new-cases={[...newIds].join(',')} data-testid="wall-map">
          <MapView
            layers={deckLayers}
            mapStyle={style}
            onMapLoad={setMap}
            fitBounds={settings.focus ? null : districtBounds}
            fitPadding={60 * scale}
            ready={Boolean(summary) && live.heat !== null}
            readyOnce
            antialias={false}
          />
          {summary && !summary.cases_available && <div className="wall-map__note">{t('wall.casesUnavailable')}</div>}
          {stop && !focusCase && <div className="wall-caption" data-testid="wall-caption">{stop.caption}</div>}
          {focusCase && (
            <div className={`wall-callout wall-callout--${focusCase.reason}`} data-testid="wall-callout">
              <strong>{t(focusCase.reason === 'overdue' ? 'wall.callout.overdue' : 'wall.callout.new')}</strong>
              <span>{(lang === 'en' ? focusCase.category_name_en : focusCase.category_name_zh) ?? focusCase.category}</span>
              <span>{t(`wall.priority.${focusCase.priority}`)} · #{focusCase.id}</span>
            </div>
          )}
          <Legend layers={layers} onToggle={toggle} areas={mapData.areas} window={settings.window} />
        </div>
        <div className="wall-col wall-col--right">
          <Panel title={t('wall.panel.trend')} className="wall-panel--trend">
            <TrendChart summary={summary} />
          </Panel>
          <Panel title={t('wall.panel.redblack')} note={t('wall.panel.rankingNote', { days: summary?.score_period_days ?? 30 })} className="wall-panel--rb">
            <RedBlackList summary={summary} />
          </Panel>
          <Panel title={t('wall.panel.ticker')} className="wall-panel--ticker">
            <Ticker cases={latest} summary={summary} newIds={newIds} />
          </Panel>
          <Panel title={t('wall.panel.whistles')} className="wall-panel--whistles">
            <WhistleBoard summary={summary} now={now} />
          </Panel>
        </div>
      </main>
    </div>
  );
}
