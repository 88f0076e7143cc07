import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Marker, type GeoJSONSource, type Map as MaplibreMap } from 'maplibre-gl';
import type { Feature } from 'geojson';
import type { Layer, LayersList } from '@deck.gl/core';
import { MapView } from '../../map/MapView.tsx';
import { districtName, useDistrictInfo } from '../district/use-district.ts';
import { wallStyle, FIRST_LABEL_LAYER, LABEL_LAYERS, LABEL_SIZES, setLabelLanguage } from '../../map/style.ts';
import {
  circleColor,
  focusAreaLayer,
  heatLayer,
  newCaseLayers,
  overdueLayer,
  pocketParkLayer,
  renovationLayers,
  serviceAreaLayers,
  whistleLayers,
  operationLayers,
  WALL_FONT,
  DETAIL_MINZOOM,
  heatScaleMax,
  choroplethLayer,
} from '../../map/wall-layers.ts';
import { choroplethBreaks, choroplethClass } from './choropleth.ts';
import { featureCollectionBounds } from '../../lib/bbox.ts';
import { useI18n } from '../../app/i18n.tsx';
import { parseWallSettings, layersToUrl, type WallLayerId } from './settings.ts';
import { complaintGapLayer, plannedFacilityLayers, useComplaintGaps } from './planning-layers.ts';
import { useWallLive, type LiveArrival, type WallCase } from './use-wall-live.ts';
import { useWallMapData } from './use-map-data.ts';
import { cacheGet, cachePut } from './cache.ts';
import { getJson } from '../../lib/api.ts';
import { AlarmList, hhmmss, KpiTiles, Panel, Ranking, RedBlackList, Ticker, TopCategories, TrendChart, WhistleBoard } from './panels.tsx';
import { ExportLink } from '../exports/ExportLink.tsx';
import { Legend } from './Legend.tsx';
import { CaseInset } from './CaseInset.tsx';
import { emptyInset, goesToInset, insetAlarming, insetPush, insetTick, tourTarget } from './camera.ts';
import './wall.css';

/** Widths of the legend (bottom left) and the case inset (top right) in em, as wall.css sets them. */
const LEGEND_EM = 16;
const INSET_EM = 19;

/** How long a new case pulses on the map and stays marked on the ticker. */
const PULSE_MS = 60_000;

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

interface BaseTiles {
  tiles: string[];
  version: string;
  label_chars: string;
}

/**
 * The composite basemap's versioned tile URL and the characters its labels use, from
 * /tiles/base.json (the browser's cached copy at once, then the server's).
 */
function useBaseTiles(): BaseTiles | null {
  const [base, setBase] = useState<BaseTiles | null>(null);
  useEffect(() => {
    let alive = true;
    let fresh = false;
    void cacheGet<BaseTiles>('base-tiles').then((b) => alive && !fresh && b && setBase((prev) => prev ?? b));
    getJson<BaseTiles>('/tiles/base.json')
      .then((b) => {
        fresh = true;
        if (!alive) return;
        setBase((prev) => (prev && prev.version === b.version ? prev : b));
        void cachePut('base-tiles', b);
      })
      .catch(() => alive && setBase((prev) => prev ?? { tiles: [`${window.location.origin}/tiles/v/0/base/{z}/{x}/{y}.mvt`], version: '0', label_chars: '' }));
    return () => {
      alive = false;
    };
  }, []);
  return base;
}

/** Keeps one pulsing HTML marker per new case and a ring on the focused case. */
function usePulseMarkers(map: MaplibreMap | null, pulsing: (WallCase & { at: number })[], focus: WallCase | null): void {
  const markers = useRef(new Map<string, Marker>());
  useEffect(() => {
    if (!map) return;
    const wanted = new Map<string, { c: WallCase; cls: string }>();
    for (const c of pulsing) wanted.set(`new:${c.id}`, { c, cls: `wall-pulse ${c.priority === 'urgent' ? 'wall-pulse--urgent' : ''}` });
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

/**
 * The camera policy's clock in ms: real time since the page opened, ticking each second, or,
 * with `clock=test`, a clock that only moves when a test calls `window.__wallClock.advance(ms)`.
 */
function usePolicyClock(test: boolean): number {
  const [now, setNow] = useState(0);
  useEffect(() => {
    if (test) {
      let t = 0;
      const w = window as unknown as { __wallClock?: { now: () => number; advance: (ms: number) => number } };
      w.__wallClock = { now: () => t, advance: (ms) => { t += ms; setNow(t); return t; } };
      return () => { delete w.__wallClock; };
    }
    const start = performance.now();
    const timer = setInterval(() => setNow(performance.now() - start), 1000);
    return () => clearInterval(timer);
  }, [test]);
  return now;
}

/** "12月2日 星期三" or "Wed 2 Dec", in Beijing time. */
function dateWithWeekday(d: Date, lang: string): string {
  return lang === 'en'
    ? d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'Asia/Shanghai' })
    : d.toLocaleDateString('zh-CN', { weekday: 'long', month: 'long', day: 'numeric', timeZone: 'Asia/Shanghai' });
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
  const [stop, setStop] = useState<{ id: number } | null>(null);
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
  // Alarms: open cases past their due time and whistles past their check-in deadline.
  const alarms = (summary?.kpis.overdue ?? 0) + (summary?.whistles.filter((w) => new Date(w.deadline_at).getTime() < now).length ?? 0);
  const asOf = live.connected && !stale ? new Date(live.lastBeat) : summary ? new Date(summary.as_of) : null;

  const subFeatures = useMemo(() => new Map((live.subdistricts?.features ?? []).map((f) => [Number(f.properties?.id ?? f.id), f])), [live.subdistricts]);
  const district = useDistrictInfo();
  const districtBounds = useMemo(
    () => (live.subdistricts && live.subdistricts.features.length ? featureCollectionBounds(live.subdistricts) : (district?.bbox ?? null)),
    [live.subdistricts, district],
  );

  // The focused subdistrict from the URL: by code, id, or name in either language.
  const focusSub = useMemo(() => {
    if (!settings.focus || !summary) return null;
    const f = settings.focus.toLowerCase();
    return summary.subdistricts.find((s) => s.code === settings.focus || String(s.id) === settings.focus || s.name_zh === settings.focus || s.name_en.toLowerCase() === f) ?? null;
  }, [settings.focus, summary]);
  const focusId = focusSub?.id ?? null;

  useEffect(() => {
    if (!map || focusId === null) return;
    const f = subFeatures.get(focusId);
    const b = f ? featureCollectionBounds({ type: 'FeatureCollection', features: [f] }) : null;
    if (b) map.fitBounds(b, { padding: 80 * scale, duration: 1500 });
    setStop({ id: focusId });
    // Framed once per subdistrict: a refreshed summary must not move the camera again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [map, focusId, subFeatures.size]);

  // Home: the district, fitted to the space the legend (left) and the case inset (right) leave.
  const homePadding = useMemo(() => ({ top: 20 * scale, bottom: 20 * scale, left: (LEGEND_EM + 2.4) * 14 * scale, right: (INSET_EM + 2.4) * 14 * scale }), [scale]);

  // The tour (camera.ts): home, a hotspot, home, the next hotspot … on the policy clock.
  const policy = useMemo(
    () => ({ tour: settings.tour, homeMs: settings.homeMs, dwellMs: settings.dwellMs, insetMs: settings.insetMs, interruptGapMs: settings.interruptGapMs }),
    [settings],
  );
  const policyNow = usePolicyClock(settings.testClock);
  const hotspots = useMemo(() => {
    if (!summary) return [];
    return [...summary.subdistricts].sort((a, b) => b.overdue * 3 + b.cases - (a.overdue * 3 + a.cases)).filter((s) => s.cases > 0).slice(0, 5);
  }, [summary]);
  const tourStart = useRef<number | null>(null);
  if (tourStart.current === null && map && districtBounds && hotspots.length) tourStart.current = policyNow;
  const target = tourTarget(tourStart.current === null ? -1 : policyNow - tourStart.current, hotspots.length, policy);
  const stopOf = useRef(new Map<number, number>());
  if (target.kind === 'stop' && !stopOf.current.has(target.segment)) stopOf.current.set(target.segment, hotspots[target.turn % hotspots.length]!.id);
  const targetKey = target.kind === 'home' ? 'home' : `stop:${stopOf.current.get(target.segment)}:${target.segment}`;
  const applied = useRef('home');
  useEffect(() => {
    if (!map || !settings.tour || targetKey === applied.current) return;
    applied.current = targetKey;
    // On the test clock the camera jumps: time there is the test's, not the animation's.
    const ms = (d: number) => (settings.testClock ? 0 : d);
    if (target.kind === 'home') {
      if (districtBounds) map.fitBounds(districtBounds, { padding: homePadding, duration: ms(2500) });
      setStop(null);
    } else {
      const id = stopOf.current.get(target.segment)!;
      const f = subFeatures.get(id);
      const b = f ? featureCollectionBounds({ type: 'FeatureCollection', features: [f] }) : null;
      const s = summary?.subdistricts.find((x) => x.id === id);
      if (b) map.fitBounds(b, { padding: homePadding, duration: ms(3000), maxZoom: 15 });
      else if (s) map.flyTo({ center: [s.lng, s.lat], zoom: 14.3, duration: ms(3000) });
      setStop({ id });
    }
    // Only a new target moves the camera.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [map, targetKey]);

  // Urgent cases go to the inset, in arrival order; the main map stays where it is.
  const [inset, setInset] = useState(() => emptyInset<WallCase>());
  const handled = useRef(new WeakSet<LiveArrival>());
  const policyNowRef = useRef(policyNow);
  policyNowRef.current = policyNow;
  useEffect(() => {
    const fresh = live.arrivals.filter((a) => !handled.current.has(a));
    if (!fresh.length) return;
    for (const a of fresh) handled.current.add(a);
    const urgent = fresh.filter((a) => a.kind === 'new' && goesToInset(a.kase));
    if (urgent.length) setInset((st) => insetTick(urgent.reduce((acc, a) => insetPush(acc, a.kase, policyNowRef.current), st), policyNowRef.current, policy));
  }, [live.arrivals, policy]);
  useEffect(() => {
    setInset((st) => insetTick(st, policyNow, policy));
  }, [policyNow, policy]);
  const alarming = insetAlarming(inset, policyNow);

  const baseTiles = useBaseTiles();
  // The font's subsets for every label character (the basemap's names and the wall's own) load
  // before any label shows, so no glyph is ever drawn in a fallback font.
  const labelSample = useMemo(
    () => `${baseTiles?.label_chars ?? ''}${(summary?.subdistricts ?? []).map((s) => s.name_zh + s.name_en).join('')}${t('wall.whistle')}${t('wall.minutesLeft')}${t('wall.minutesLate')}0123456789:- `,
    [summary, t, baseTiles?.label_chars],
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
  usePulseMarkers(map, pulsing, inset.current?.kase ?? null);
  const clock = 0;
  const minuteClock = Math.floor(now / 60_000) * 60_000;

  // The zoom, in half steps: the heat fades as it grows, details appear past DETAIL_MINZOOM.
  const [zoom, setZoom] = useState(12);
  useEffect(() => {
    if (!map) return;
    const onZoom = () => setZoom(Math.round(map.getZoom() * 2) / 2);
    onZoom();
    map.on('zoomend', onZoom);
    return () => void map.off('zoomend', onZoom);
  }, [map]);
  // Zooms are for a 1080p map: a 4K map shows the same overview one zoom level higher.
  const zoom1080 = zoom - Math.log2(scale);
  const detail = zoom1080 >= DETAIL_MINZOOM;
  const heatMax = useMemo(() => (live.heat ? heatScaleMax(live.heat.points) : 2), [live.heat]);

  const whistleMarks = useMemo(
    () =>
      (summary?.whistles ?? []).map((w) => {
        // Whole minutes on the map (it redraws once a minute for them); the board shows seconds.
        const left = new Date(w.deadline_at).getTime() - minuteClock;
        return { id: w.id, lng: w.lng, lat: w.lat, radius_m: w.radius_m, label: `${t('wall.whistle')} ${left < 0 ? t('wall.minutesLate', { m: Math.ceil(-left / 60_000) }) : t('wall.minutesLeft', { m: Math.ceil(left / 60_000) })}`, late: left < 0 };
      }),
    [summary?.whistles, minuteClock, t],
  );

  // Open clearance operations: every site with its stage, and the totals the legend prints.
  const operationSites = useMemo(() => (summary?.operations ?? []).flatMap((o) => o.sites), [summary?.operations]);
  const operationTotals = useMemo(
    () => ({
      operations: summary?.operations?.length ?? 0,
      sites: (summary?.operations ?? []).reduce((n, o) => n + o.progress.total, 0),
      verified: (summary?.operations ?? []).reduce((n, o) => n + o.progress.verified, 0),
    }),
    [summary?.operations],
  );

  const complaintGaps = useComplaintGaps(layers.has('complaints'), settings.gapKind);
  // The optional subdistrict choropleth (choropleth.ts): classes from the summary's figures.
  const choropleth = useMemo(() => {
    const measure = settings.choropleth;
    if (!measure || !summary?.subdistricts.length) return null;
    const value = new Map(summary.subdistricts.map((s) => [s.id, measure === 'overdue' ? s.overdue : s.score]));
    const breaks = choroplethBreaks([...value.values()], measure);
    return { measure, breaks, value, days: summary.score_period_days ?? 30, version: [...value].join(';') };
  }, [settings.choropleth, summary]);

  // Only layers with something to draw: each deck.gl layer costs its shaders' compilation at
  // start and a pass over the frame on every redraw, which a software-rendered wall feels.
  const deckLayers = useMemo<LayersList>(() => {
    const out: LayersList = [];
    if (choropleth && live.subdistricts) {
      const { value, breaks } = choropleth;
      out.push(choroplethLayer(live.subdistricts.features, (id) => (value.has(id) ? choroplethClass(value.get(id)!, breaks) : null), choropleth.version));
    }
    if (layers.has('circles') && detail) out.push(...serviceAreaLayers(mapData.areas.map((a, i) => ({ ...a, color: circleColor(i) })), scale));
    if (layers.has('complaints') && complaintGaps) out.push(complaintGapLayer(complaintGaps, scale));
    if (layers.has('parks') && mapData.parks?.features.length) out.push(pocketParkLayer(mapData.parks, scale));
    if (layers.has('heat') && live.heat && live.heat.points.length) out.push(heatLayer(live.heat.points, scale, { zoom: zoom1080, max: heatMax }));
    const focusFeature = stop?.id ? ((subFeatures.get(stop.id) as Feature | undefined) ?? null) : null;
    if (focusFeature) out.push(focusAreaLayer(focusFeature, scale));
    if (layers.has('renovation') && detail && mapData.renovation.length) out.push(...renovationLayers(mapData.renovation, scale));
    if (layers.has('cases') && summary) {
      if (summary.overdue.length) out.push(overdueLayer(summary.overdue, scale));
      if (pulsing.length) out.push(...newCaseLayers(pulsing, clock, scale).slice(1));
    }
    if (layers.has('operations') && operationSites.length) out.push(...operationLayers(operationSites, scale));
    if (layers.has('circles') && mapData.planned.length) out.push(...plannedFacilityLayers(mapData.planned, scale));
    if (layers.has('whistles') && whistleMarks.length) out.push(...whistleLayers(whistleMarks, clock, scale));
    // Under the map's labels, so names stay readable over the data.
    return out.map((l) => (l ? (l as Layer).clone({ beforeId: FIRST_LABEL_LAYER } as never) : l));
  }, [layers, mapData, live.heat, heatMax, zoom1080, detail, summary, pulsing, clock, stop, subFeatures, whistleMarks, operationSites, scale, complaintGaps, choropleth, live.subdistricts]);

  // Labels are MapLibre symbol layers (collision-free): their data, size and visibility.
  useEffect(() => {
    if (!map || !summary) return;
    const places = map.getSource('wall-places') as GeoJSONSource | undefined;
    places?.setData({ type: 'FeatureCollection', features: summary.subdistricts.map((s) => ({ type: 'Feature', properties: { name: lang === 'en' ? s.name_en : s.name_zh }, geometry: { type: 'Point', coordinates: [s.lng, s.lat] } })) });
  }, [map, summary?.subdistricts, lang]);
  useEffect(() => {
    if (!map) return;
    const src = map.getSource('wall-whistles') as GeoJSONSource | undefined;
    src?.setData({ type: 'FeatureCollection', features: whistleMarks.map((w) => ({ type: 'Feature', properties: { label: w.label, late: w.late }, geometry: { type: 'Point', coordinates: [w.lng, w.lat] } })) });
  }, [map, whistleMarks]);
  useEffect(() => {
    if (!map) return;
    for (const id of LABEL_LAYERS) {
      if (!map.getLayer(id)) continue;
      map.setLayoutProperty(id, 'text-size', LABEL_SIZES[id] * scale);
      const on = fontReady && (id !== 'label-whistle' || layers.has('whistles'));
      map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
    setLabelLanguage(map, lang);
  }, [map, scale, fontReady, layers, lang]);

  // The map is created once the tile URL is known (the style is read once).
  const style = useMemo(() => (baseTiles ? wallStyle(baseTiles.tiles[0]) : null), [baseTiles?.tiles[0]]);
  const stopSub = stop ? summary?.subdistricts.find((x) => x.id === stop.id) ?? null : null;
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
    `operations:${summary ? operationSites.length : 'loading'}`,
].join(' ');

  return (
    <div className={`wall ${stale ? 'wall--stale' : ''}`} data-testid="wall">
      <header className="wall-header">
        <div className="wall-header__brand">
          <span className="wall-header__logo" aria-hidden>◆</span>
          <h1>{t('district.wallTitle', { name: districtName(district, lang) })}</h1>
          <span className="wall-header__tag">{t('app.tagline')}</span>
        </div>
        <div className="wall-header__status" data-testid="wall-status">
          <span className={`pill ${live.connected && !stale ? 'pill--live' : 'pill--off'}`} data-testid="wall-connection">
            {t(live.connected && !stale ? 'wall.live' : 'wall.offline')}
          </span>
          <span className={`wall-alarms ${alarms > 0 ? 'is-on' : ''}`} data-testid="wall-alarms" data-count={alarms}>
            {t('wall.alarms', { n: alarms })}
          </span>
          <span className="wall-asof" data-testid="wall-asof">
            {t('wall.asOf', { time: asOf ? hhmmss(asOf) : '--:--:--' })}
            {live.fromCache && <em> · {t('wall.cached')}</em>}
          </span>
          <span className="wall-date" data-testid="wall-date">{dateWithWeekday(new Date(now), lang)}</span>
          <span className="wall-clock">{hhmmss(new Date(now))}</span>
          {settings.langSwitch && <button type="button" className="wall-lang" onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}>{t('lang.switch')}</button>}
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
        <div
          className="wall-map"
          data-layers={layerState}
          data-new-cases={[...newIds].join(',')}
          data-camera={settings.tour ? targetKey.replace(/:\d+$/, '') : focusId !== null ? `focus:${focusId}` : 'home'}
          data-inset-shown={inset.shown.join(',')}
          data-testid="wall-map"
        >
          {style && <MapView
            layers={deckLayers}
            mapStyle={style}
            onMapLoad={setMap}
            fitBounds={settings.focus ? null : districtBounds}
            fitPadding={homePadding}
            ready={Boolean(summary) && live.heat !== null && mapData.loaded}
            readyOnce
            antialias={false}
            preserveDrawingBuffer={false}
            fadeDuration={0}
          />}
          {summary && !summary.cases_available && <div className="wall-map__note">{t('wall.casesUnavailable')}</div>}
          {stopSub && (
            <div className="wall-caption" data-testid="wall-caption">
              {settings.tour ? t('wall.tour.hotspot', { name: lang === 'en' ? stopSub.name_en : stopSub.name_zh, n: stopSub.overdue }) : lang === 'en' ? stopSub.name_en : stopSub.name_zh}
            </div>
          )}
          {inset.current && (
            <CaseInset kase={inset.current.kase} alarm={alarming} queued={inset.queue.length} summary={summary} subdistricts={live.subdistricts} />
          )}
          <Legend layers={layers} onToggle={toggle} areas={mapData.areas} window={settings.window} heatMax={heatMax} detail={detail} operations={operationTotals} planned={mapData.planned.length} choropleth={choropleth} />
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
        <div className="wall-col wall-col--alarms">
          <Panel title={t('wall.alarmsCol.title')} note={t('wall.alarmsCol.note', { n: summary?.kpis.overdue ?? 0 })} className="wall-panel--alarms">
            <AlarmList summary={summary} now={minuteClock} />
          </Panel>
        </div>
      </main>
    </div>
  );
}
