import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Feature, FeatureCollection, Point } from 'geojson';
import type { Map as MaplibreMap } from 'maplibre-gl';
import type { Layer } from '@deck.gl/core';
import { bbox as turfBbox } from '@turf/turf';
import { MapView } from '../../map/MapView.tsx';
import { FIRST_LABEL_LAYER, wallStyle } from '../../map/style.ts';
import { useMe } from '../auth/auth.tsx';
import { districtOutlineLayer } from '../../map/admin-layers.ts';
import { featureCollectionBounds } from '../../lib/bbox.ts';
import { getJson } from '../../lib/api.ts';
import { ViewHeader } from '../../app/ViewHeader.tsx';
import { useI18n } from '../../app/i18n.tsx';
import { useDistrict } from '../district/use-district.ts';
import { plannerApi, type ChecklistResponse, type ComplaintsResponse, type CoverageResponse, type KindInfo, type Site, type SitingResponse, type ThresholdChoice, type UnitRow, type WhatIfResponse } from './api.ts';
import { candidateLayers, complaintDensityLayer, gainedLayer, gapLayer, gapLegendPx, isochroneLayers, plannedLayers, siteAreaLayer, siteLayers, unitOutlineLayer, PLANNER_COLOURS } from './layers.ts';
import { download, renderReport, toCsv, toGeoJsonBlob } from './export.ts';
import { useCoverageProgress } from './use-coverage-progress.ts';
import { useBasemapLabels } from '../../map/use-basemap-labels.ts';
import { COMPARE_MAX, SitesCard, siteName } from './SitesCard.tsx';
import { ComparePanel } from './ComparePanel.tsx';
import { ComplaintsTable } from './ComplaintsTable.tsx';
import './planner.css';

type Level = 'subdistrict' | 'community';
type Tab = Level | 'checklist' | 'complaints';
/** The gap sizes the legend shows, residents per building. */
const GAP_LEGEND = [100, 500, 1000];
/** Metres per pixel of the map's canvas at its centre (Web Mercator, 512-pixel tiles). */
function mapMetresPerPixel(map: MaplibreMap | null): number | null {
  if (!map) return null;
  const canvas = map.getCanvas();
  const cssPerCanvas = canvas.clientWidth > 0 ? canvas.clientWidth / canvas.width : 1;
  return ((40_075_016.686 * Math.cos((map.getCenter().lat * Math.PI) / 180)) / (512 * 2 ** map.getZoom())) * cssPerCanvas;
}
const rgba = (c: readonly number[]) => `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${(c[3] ?? 255) / 255})`;
type SortKey = 'name' | 'population' | 'population_covered' | 'uncovered' | 'share';

const THRESHOLDS: ThresholdChoice[] = [
  { by: 'minutes', value: 5 },
  { by: 'minutes', value: 10 },
  { by: 'minutes', value: 15 },
  { by: 'metres', value: 300 },
  { by: 'metres', value: 500 },
  { by: 'metres', value: 1000 },
];
const sameThreshold = (a: ThresholdChoice, b: ThresholdChoice) => a.by === b.by && a.value === b.value;
const circleThreshold = (k: KindInfo): ThresholdChoice => ({ by: 'minutes', value: k.circle });

interface Layers {
  coverage: CoverageResponse;
  isochrones: FeatureCollection;
  gaps: FeatureCollection<Point, { building_id: number; population: number; reason: string }>;
}

export function PlannerView() {
  const { t, lang } = useI18n();
  const district = useDistrict();
  const { socketId, progress, clear: clearProgress } = useCoverageProgress();
  const [kinds, setKinds] = useState<KindInfo[] | null>(null);
  const [kindsDefaults, setKindsDefaults] = useState<{ snap_limit_m: number } | null>(null);
  const [kind, setKind] = useState<string | null>(null);
  const [threshold, setThreshold] = useState<ThresholdChoice>({ by: 'minutes', value: 15 });
  const [data, setData] = useState<Layers | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>('subdistrict');
  const level: Level = tab === 'subdistrict' ? 'subdistrict' : 'community';
  const [checklist, setChecklist] = useState<ChecklistResponse | null>(null);
  const [checklistBusy, setChecklistBusy] = useState(false);
  const [checkSortDesc, setCheckSortDesc] = useState(false);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'share', desc: false });
  const [units, setUnits] = useState<Record<Level, FeatureCollection | null>>({ subdistrict: null, community: null });
  const [selected, setSelected] = useState<number | null>(null);
  const [candidate, setCandidate] = useState<[number, number] | null>(null);
  const [whatIf, setWhatIf] = useState<WhatIfResponse | null>(null);
  const [whatIfError, setWhatIfError] = useState<string | null>(null);
  const [siteCount, setSiteCount] = useState(5);
  const [siting, setSiting] = useState<SitingResponse | null>(null);
  const [sitingBusy, setSitingBusy] = useState(false);
  const [show, setShow] = useState({ isochrone: true, gaps: true, complaints: false });
  const [map, setMap] = useState<MaplibreMap | null>(null);
  /** Planned facilities count in the figures only when the planner says so. */
  const [countPlanned, setCountPlanned] = useState(false);
  /** Bumped after an adoption: the figures and planned facilities are read again. */
  const [reload, setReload] = useState(0);
  const [siteEvals, setSiteEvals] = useState<Map<number, WhatIfResponse>>(new Map());
  const [focusedSite, setFocusedSite] = useState<number | null>(null);
  const [compared, setCompared] = useState<number[]>([]);
  const [adopted, setAdopted] = useState<Map<number, number>>(new Map());
  const [adopting, setAdopting] = useState<number | null>(null);
  const [complaints, setComplaints] = useState<ComplaintsResponse | null>(null);
  const me = useMe();
  const canAdopt = Boolean(me?.permissions.includes('coverage.edit'));
  const mapBox = useRef<HTMLDivElement>(null);
  const name = useCallback((u: { name_zh: string; name_en: string }) => (lang === 'en' ? u.name_en : u.name_zh), [lang]);

  useEffect(() => {
    plannerApi
      .kinds()
      .then((k) => {
        setKinds(k.kinds);
        setKindsDefaults(k.defaults);
        const first = k.kinds.find((x) => x.facilities > 0) ?? k.kinds[0]!;
        setKind(first.kind);
        setThreshold(circleThreshold(first));
      })
      .catch((e: Error) => setError(e.message));
  }, []);

  useEffect(() => {
    if (units[level]) return;
    getJson<FeatureCollection>(`/api/admin-units?level=${level}`)
      .then((fc) => setUnits((u) => ({ ...u, [level]: fc })))
      .catch(() => {});
  }, [level, units]);

  // The checklist covers every required kind at once: fetched when its tab is first opened.
  useEffect(() => {
    if (tab !== 'checklist' || checklist || checklistBusy) return;
    setChecklistBusy(true);
    clearProgress();
    plannerApi
      .checklist(socketId(), `checklist-${Date.now()}`)
      .then(setChecklist)
      .catch((e: Error) => setError(e.message))
      .finally(() => setChecklistBusy(false));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tab, checklist, checklistBusy]);

  // Coverage, isochrones and gaps for the chosen kind and threshold; a newer choice wins.
  useEffect(() => {
    if (!kind) return;
    let alive = true;
    setLoading(true);
    setError(null);
    Promise.all([plannerApi.coverage(kind, threshold, countPlanned), plannerApi.isochrones(kind, threshold, countPlanned), plannerApi.gaps(kind, threshold, countPlanned)])
      .then(([coverage, isochrones, gaps]) => alive && setData({ coverage, isochrones, gaps }))
      .catch((e: Error) => alive && setError(e.message))
      .finally(() => alive && setLoading(false));
    setComplaints(null);
    plannerApi
      .complaints(kind, threshold, countPlanned)
      .then((c) => alive && setComplaints(c))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [kind, threshold, countPlanned, reload]);

  // A new question voids the answers to the old one (an adoption does not: its sites stay).
  useEffect(() => {
    setWhatIf(null);
    setSiting(null);
    setSiteEvals(new Map());
    setFocusedSite(null);
    setCompared([]);
    setAdopted(new Map());
  }, [kind, threshold, countPlanned]);

  // Each suggested site alone against today's coverage: its walking area, the buildings it
  // newly covers and the units that gain, for the map and the compare panel.
  useEffect(() => {
    if (!kind || !siting) return;
    let alive = true;
    void (async () => {
      for (const s of siting.sites) {
        const r = await plannerApi.whatIf(kind, threshold, [{ lon: s.lon, lat: s.lat }], countPlanned).catch(() => null);
        if (!alive) return;
        if (r) setSiteEvals((m) => new Map(m).set(s.rank, r));
      }
    })();
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [siting]);

  // Re-run the what-if for the candidate whenever it, the kind or the threshold changes.
  useEffect(() => {
    if (!kind || !candidate) return;
    let alive = true;
    setWhatIfError(null);
    plannerApi
      .whatIf(kind, threshold, [{ lon: candidate[0], lat: candidate[1] }], countPlanned)
      .then((r) => alive && setWhatIf(r))
      .catch((e: Error) => {
        if (!alive) return;
        setWhatIf(null);
        setWhatIfError(e.message);
      });
    return () => {
      alive = false;
    };
  }, [kind, threshold, candidate, countPlanned]);

  const kindInfo = kinds?.find((k) => k.kind === kind) ?? null;
  const colour = kindInfo?.colour ?? '#5ac8ff';

  const rows = useMemo(() => {
    const list = (data?.coverage.units ?? []).filter((u) => u.level === level);
    const value = (u: UnitRow): number | string =>
      sort.key === 'name' ? u.code : sort.key === 'uncovered' ? u.population - u.population_covered : u[sort.key];
    return [...list].sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      const c = typeof va === 'string' ? va.localeCompare(vb as string) : va - (vb as number);
      return sort.desc ? -c : c;
    });
  }, [data, level, sort]);

  // The project's own vector basemap (streets, water, buildings), so isochrones read against the streets they follow.
  const mapStyle = useMemo(() => wallStyle(), []);
  /** A click anywhere on the map places the candidate there; the server refuses spots off the district or the streets. */
  const onMapLoad = useCallback((m: MaplibreMap) => {
    m.getCanvas().style.cursor = 'crosshair';
    m.on('click', (e) => setCandidate([e.lngLat.lng, e.lngLat.lat]));
    setMap(m);
  }, []);
  const labelsReady = useBasemapLabels(map, units.subdistrict, lang, mapBox);

  /** Moves the camera to a feature's extent (a unit from the table, a site's walking area). */
  const zoomTo = useCallback(
    (f: Feature | FeatureCollection | null | undefined) => {
      if (!map || !f) return;
      const [w, s, e, n] = turfBbox(f);
      map.fitBounds([w, s, e, n], { padding: 70, duration: 500, maxZoom: 15.5 });
    },
    [map],
  );
  /** A table row: select its unit, highlight it and zoom to it; a second click clears the selection and goes back. */
  const selectUnit = (id: number, unitLevel: Level) => {
    if (selected === id) {
      setSelected(null);
      if (bounds && map) map.fitBounds(bounds, { padding: 40, duration: 500 });
      return;
    }
    setSelected(id);
    zoomTo(units[unitLevel]?.features.find((f) => f.properties?.id === id));
  };
  // The community layer is needed by the checklist and complaint tables too.
  useEffect(() => {
    if (units.community || (tab !== 'checklist' && tab !== 'complaints')) return;
    getJson<FeatureCollection>('/api/admin-units?level=community')
      .then((fc) => setUnits((u) => ({ ...u, community: fc })))
      .catch(() => {});
  }, [tab, units.community]);
  const bounds = useMemo(() => (district.data ? featureCollectionBounds(district.data) : null), [district.data]);
  const plannedPoints = useMemo(
    () =>
      (data?.isochrones.features ?? [])
        .filter((f) => f.properties?.role === 'planned' && f.geometry.type === 'Point')
        .map((f) => ({ lon: (f.geometry as Point).coordinates[0]!, lat: (f.geometry as Point).coordinates[1]!, name: String(f.properties?.name ?? '') })),
    [data],
  );
  const siteAreas = useMemo<FeatureCollection>(
    () => ({
      type: 'FeatureCollection',
      features: [...siteEvals.entries()].flatMap(([rank, r]) => r.candidates.features.filter((f) => f.geometry.type !== ('GeometryCollection' as string)).map((f) => ({ ...f, properties: { ...f.properties, rank } }))),
    }),
    [siteEvals],
  );
  // The buildings newly covered: by the focused site, else by every site being compared.
  const gained = useMemo(() => {
    const ranks = focusedSite !== null ? [focusedSite] : compared;
    return ranks.flatMap((r) => siteEvals.get(r)?.gained ?? []);
  }, [focusedSite, compared, siteEvals]);
  const layers = useMemo(() => {
    const list = [];
    if (district.data) list.push(districtOutlineLayer(district.data));
    if (units[level]) list.push(unitOutlineLayer(units[level]!, selected));
    if (complaints && show.complaints && complaints.points.length) list.push(complaintDensityLayer(complaints.points));
    if (data && show.isochrone) list.push(...isochroneLayers(data.isochrones, colour));
    if (siteAreas.features.length) list.push(siteAreaLayer(siteAreas, focusedSite));
    if (data && show.gaps) list.push(gapLayer(data.gaps));
    if (gained.length) list.push(gainedLayer(gained));
    if (plannedPoints.length) list.push(...plannedLayers(plannedPoints));
    list.push(...candidateLayers(whatIf?.candidates ?? null, candidate));
    if (siting) list.push(...siteLayers(siting.sites));
    // Under the basemap's labels, so names stay readable over the data.
    return list.filter(Boolean).map((l) => (l as Layer).clone({ beforeId: FIRST_LABEL_LAYER } as never));
  }, [district.data, units, level, selected, data, show, colour, whatIf, candidate, siting, complaints, siteAreas, focusedSite, gained, plannedPoints]);

  const focusSite = (rank: number) => {
    const next = focusedSite === rank ? null : rank;
    setFocusedSite(next);
    if (next !== null) {
      const area = siteAreas.features.filter((f) => f.properties?.rank === next);
      zoomTo(area.length ? { type: 'FeatureCollection', features: area } : null);
    }
  };
  const toggleCompare = (rank: number) =>
    setCompared((c) => (c.includes(rank) ? c.filter((r) => r !== rank) : c.length >= COMPARE_MAX ? c : [...c, rank]));
  const adopt = async (site: Site) => {
    if (!kind || !kindInfo) return;
    setAdopting(site.rank);
    try {
      const where = siteName(site.place, 'zh-CN', '');
      const planned = await plannerApi.adopt(kind, { lon: site.lon, lat: site.lat, name: `${kindInfo.name_zh}（规划${where ? `·${where}` : ''}）`.slice(0, 100) });
      setAdopted((m) => new Map(m).set(site.rank, planned.id));
      setReload((n) => n + 1);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setAdopting(null);
    }
  };

  const suggest = async () => {
    if (!kind) return;
    setSitingBusy(true);
    clearProgress();
    try {
      setSiting(await plannerApi.siting(kind, threshold, siteCount, socketId(), `siting-${Date.now()}`));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSitingBusy(false);
    }
  };

  const thresholdLabel = (th: ThresholdChoice) => (th.by === 'minutes' ? t('planner.minutes', { n: th.value }) : t('planner.metres', { n: th.value }));
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const int = (x: number) => Math.round(x).toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN');
  const signed = (x: number) => (x > 0 ? '+' : '') + int(x);
  const fileBase = `coverage-${kind}-${threshold.value}${threshold.by === 'minutes' ? 'min' : 'm'}`;
  const tableHeader = [t(level === 'subdistrict' ? 'planner.col.subdistrict' : 'planner.col.community'), t('planner.col.population'), t('planner.col.covered'), t('planner.col.uncovered'), t('planner.col.share')];

  const exportCsv = () =>
    download(
      toCsv(
        [t('planner.col.code'), ...tableHeader.slice(0, 4), t('planner.col.sharePct'), t('planner.col.buildings'), t('planner.col.buildingsCovered')],
        rows.map((u) => [u.code, name(u), u.population, u.population_covered, u.population - u.population_covered, (u.share * 100).toFixed(2), u.buildings, u.buildings_covered]),
      ),
      `${fileBase}-${level}.csv`,
    );
  const exportGeoJson = () => {
    if (!data) return;
    download(
      toGeoJsonBlob({
        type: 'FeatureCollection',
        features: [
          ...data.isochrones.features,
          ...data.gaps.features.map((f) => ({ ...f, properties: { ...f.properties, role: 'gap' } })),
          ...(whatIf?.candidates.features ?? []).map((f) => ({ ...f, properties: { ...f.properties, role: 'candidate' } })),
          ...(siting?.sites ?? []).map((s) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] }, properties: { role: 'proposed_site', ...s } })),
        ],
      }),
      `${fileBase}.geojson`,
    );
  };
  const exportReport = async () => {
    if (!data || !kindInfo) return;
    const blob = await renderReport({
      title: t('planner.report.title', { kind: name(kindInfo), threshold: thresholdLabel(threshold) }),
      subtitle: `${t('planner.report.subtitle', { date: new Date().toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN'), speed: data.coverage.threshold.speed, metres: Math.round(data.coverage.threshold.metres) })} · ${t('planner.report.version', { v: data.coverage.data_version })}`,
      kpis: [
        [t('planner.kpi.share'), pct(data.coverage.district.share)],
        [t('planner.kpi.covered'), int(data.coverage.district.population_covered)],
        [t('planner.kpi.population'), int(data.coverage.district.population)],
        [t('planner.kpi.facilities'), int(data.coverage.facilities)],
        ...(whatIf ? [[t('planner.kpi.candidate'), `${signed(whatIf.delta.population_covered)} · ${pct(whatIf.after.share)}`] as [string, string]] : []),
      ],
      mapCanvas: mapBox.current?.querySelector('canvas.maplibregl-canvas') ?? null,
      header: [tableHeader[0]!, tableHeader[1]!, tableHeader[2]!, tableHeader[4]!],
      rows: rows.map((u) => [name(u), int(u.population), int(u.population_covered), pct(u.share)]),
      metresPerPixel: mapMetresPerPixel(map),
      north: t('planner.report.north'),
      overview:
        map && district.data
          ? {
              rings: district.data.features.flatMap((f) => (f.geometry.type === 'Polygon' ? [f.geometry.coordinates[0]!] : f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates.map((p) => p[0]!) : [])),
              view: map.getBounds().toArray().flat() as [number, number, number, number],
              title: t('planner.report.overview'),
            }
          : null,
      legend: [
        [colour, t('planner.legend.isochrone')],
        ['#ff4d5e', t('planner.legend.gapSized', { sizes: GAP_LEGEND.map((n) => int(n)).join(' / ') })],
        ...(plannedPoints.length ? [['#ffffff', t('planner.legend.planned')] as [string, string]] : []),
        ...(show.complaints && complaints?.categories.length ? [['#be6eeb', t('planner.legend.complaints')] as [string, string]] : []),
        ...(candidate ? [['#ffd60a', t('planner.legend.candidate')] as [string, string]] : []),
        ...(siting ? [['#3ddc97', t('planner.legend.site')] as [string, string]] : []),
      ],
      footer: t('planner.report.footer'),
    });
    download(blob, `${fileBase}-report.png`);
  };

  const sortBy = (key: SortKey) => setSort((s) => (s.key === key ? { key, desc: !s.desc } : { key, desc: key !== 'name' && key !== 'share' }));
  const arrow = (key: SortKey) => (sort.key === key ? (sort.desc ? ' ▼' : ' ▲') : '');
  const byCircle = (c: number) => (kinds ?? []).filter((k) => k.circle === c);
  const unitsDelta = whatIf?.units.filter((u) => u.level === level).sort((a, b) => b.delta - a.delta) ?? [];

  return (
    <div className="view view--planner">
      <ViewHeader titleKey="nav.planner" />
      <div className="planner">
        <div className="planner-map map-frame" ref={mapBox} data-testid="planner-map">
          <MapView layers={layers} fitBounds={bounds} ready={Boolean(district.data && data && !loading && labelsReady)} mapStyle={mapStyle} onMapLoad={onMapLoad} />
          <div className="planner-legend" data-testid="planner-legend">
            <span><i style={{ background: colour }} />{t('planner.legend.isochrone')}</span>
            <span className="gap-sizes">
              {GAP_LEGEND.map((n) => (
                <i key={n} className="dot" style={{ background: rgba(PLANNER_COLOURS.gap), width: 2 * gapLegendPx(n), height: 2 * gapLegendPx(n) }} />
              ))}
              {t('planner.legend.gapSized', { sizes: GAP_LEGEND.map((n) => int(n)).join(' / ') })}
            </span>
            {plannedPoints.length > 0 && <span><i className="planned-mark">+</i>{t('planner.legend.planned')}</span>}
            {show.complaints && complaints && complaints.categories.length > 0 && (
              <span><i style={{ background: `linear-gradient(90deg, ${PLANNER_COLOURS.complaints.map((c) => rgba(c)).join(', ')})`, width: '2.2rem' }} />{t('planner.legend.complaints')}</span>
            )}
            {candidate && <span><i style={{ background: '#ffd60a', borderRadius: '50%' }} />{t('planner.legend.candidate')}</span>}
            {siting && <span><i style={{ background: '#3ddc97', borderRadius: '50%' }} />{t('planner.legend.site')}</span>}
            {gained.length > 0 && <span><i style={{ background: rgba(PLANNER_COLOURS.gained), borderRadius: '50%' }} />{t('planner.legend.gained')}</span>}
          </div>
          {siting && compared.length > 0 && (
            <ComparePanel
              candidates={compared.map((r) => ({ site: siting.sites.find((x) => x.rank === r)!, result: siteEvals.get(r) })).filter((c) => c.site)}
              onClose={() => setCompared([])}
              int={int}
              pct={pct}
            />
          )}
          <div className="planner-hint">{t('planner.hint.click')}</div>
          {loading && <div className="map-status">{t('planner.loading')}</div>}
          {error && <div className="map-status map-status--error">{error}</div>}
        </div>

        <aside className="planner-panel">
          <section className="planner-controls">
            <label>
              <span>{t('planner.kind')}</span>
              <select
                value={kind ?? ''}
                data-testid="planner-kind"
                onChange={(e) => {
                  const k = kinds?.find((x) => x.kind === e.target.value);
                  setKind(e.target.value);
                  setCandidate(null);
                  if (k) setThreshold(circleThreshold(k));
                }}
              >
                {[15, 10, 5].map((c) => (
                  <optgroup key={c} label={t('planner.circle', { n: c })}>
                    {byCircle(c).map((k) => (
                      <option key={k.kind} value={k.kind}>
                        {t('planner.kindOption', { name: name(k), n: k.facilities })}
                      </option>
                    ))}
                  </optgroup>
                ))}
              </select>
            </label>
            <div className="planner-thresholds" role="group" aria-label={t('planner.threshold')}>
              {THRESHOLDS.map((th) => (
                <button
                  type="button"
                  key={`${th.by}${th.value}`}
                  className={sameThreshold(th, threshold) ? 'on' : ''}
                  data-testid={`threshold-${th.by}-${th.value}`}
                  onClick={() => setThreshold(th)}
                >
                  {thresholdLabel(th)}
                </button>
              ))}
            </div>
            <div className="planner-toggles">
              <label><input type="checkbox" checked={show.isochrone} onChange={(e) => setShow((s) => ({ ...s, isochrone: e.target.checked }))} />{t('planner.layer.isochrone')}</label>
              <label><input type="checkbox" checked={show.gaps} onChange={(e) => setShow((s) => ({ ...s, gaps: e.target.checked }))} />{t('planner.layer.gaps')}</label>
              <label><input type="checkbox" checked={show.complaints} data-testid="layer-complaints" onChange={(e) => setShow((s) => ({ ...s, complaints: e.target.checked }))} />{t('planner.layer.complaints')}</label>
              <label title={t('planner.planned.hint')}><input type="checkbox" checked={countPlanned} data-testid="count-planned" onChange={(e) => setCountPlanned(e.target.checked)} />{t('planner.planned.count')}</label>
            </div>
          </section>

          {data && (
            <section className="planner-kpis" data-testid="planner-kpis">
              <div><b data-testid="kpi-share">{pct(data.coverage.district.share)}</b><span>{t('planner.kpi.share')}</span></div>
              <div><b data-testid="kpi-covered">{int(data.coverage.district.population_covered)}</b><span>{t('planner.kpi.covered')}</span></div>
              <div><b>{int(data.coverage.district.population - data.coverage.district.population_covered)}</b><span>{t('planner.kpi.uncovered')}</span></div>
              <div><b>{int(data.coverage.facilities)}</b><span>{t('planner.kpi.facilities')}</span></div>
            </section>
          )}
          {data && data.coverage.planned > 0 && (
            <p className={`planner-planned-note ${data.coverage.planned_counted ? 'counted' : ''}`} data-testid="planned-note" data-planned={data.coverage.planned} data-counted={data.coverage.planned_counted}>
              {t(data.coverage.planned_counted ? 'planner.planned.counted' : 'planner.planned.excluded', { n: data.coverage.planned })}
            </p>
          )}

          <section className="planner-card planner-whatif" data-testid="planner-whatif">
            <h2>{t('planner.whatif.title')}</h2>
            {!candidate && <p className="muted">{t('planner.whatif.empty')}</p>}
            {candidate && (
              <p className="muted small" data-testid="candidate" data-lon={candidate[0]} data-lat={candidate[1]}>
                {t('planner.whatif.at', { lon: candidate[0].toFixed(5), lat: candidate[1].toFixed(5) })}
                {whatIf?.candidates.features[0] ? ` · ${t('planner.whatif.snap', { m: Math.round(whatIf.candidates.features[0].properties.snap_m) })}` : ''}
              </p>
            )}
            {whatIfError && (
              <p className="error" data-testid="whatif-error" title={whatIfError}>
                {/outside the district/.test(whatIfError) ? t('planner.whatif.outside') : /walkable street/.test(whatIfError) ? t('planner.whatif.offNetwork', { m: kindsDefaults?.snap_limit_m ?? 150 }) : whatIfError}
              </p>
            )}
            {candidate && whatIf && (
              <>
                <div className="delta">
                  <b data-testid="whatif-delta" data-value={whatIf.delta.population_covered}>{signed(whatIf.delta.population_covered)}</b>
                  <span>{t('planner.whatif.people')}</span>
                  <b>{(whatIf.delta.share >= 0 ? '+' : '') + (whatIf.delta.share * 100).toFixed(2)}</b>
                  <span>{t('planner.whatif.points')}</span>
                </div>
                <p className="muted">
                  {t('planner.whatif.summary', { before: pct(whatIf.before.share), after: pct(whatIf.after.share), buildings: whatIf.delta.buildings_gained })}
                </p>
                {unitsDelta.length > 0 && (
                  <ul className="delta-units">
                    {unitsDelta.slice(0, 4).map((u) => (
                      <li key={u.id}>{name(u)} <b>{signed(u.delta)}</b> <span className="muted">{pct(u.share_before)} → {pct(u.share_after)}</span></li>
                    ))}
                  </ul>
                )}
              </>
            )}
            {candidate && (
              <button type="button" className="link" onClick={() => { setCandidate(null); setWhatIf(null); setWhatIfError(null); }}>
                {t('planner.whatif.clear')}
              </button>
            )}
          </section>

          <section className="planner-card planner-siting">
            <h2>{t('planner.siting.title')}</h2>
            <div className="row">
              <label>{t('planner.siting.count')} <input type="number" min={1} max={20} value={siteCount} onChange={(e) => setSiteCount(Math.max(1, Math.min(20, Number(e.target.value) || 1)))} /></label>
              <button type="button" className="primary" disabled={sitingBusy || !kind} onClick={suggest} data-testid="suggest-sites">
                {sitingBusy ? t('planner.siting.running') : t('planner.siting.run')}
              </button>
            </div>
            {sitingBusy && (
              <div className="progress" data-testid="siting-progress">
                <div style={{ width: `${progress && progress.total > 0 ? Math.round((100 * progress.done) / progress.total) : 5}%` }} />
              </div>
            )}
            {siting && (
              <SitesCard
                sites={siting.sites}
                evals={siteEvals}
                focused={focusedSite}
                compared={compared}
                adopted={adopted}
                canAdopt={canAdopt}
                adopting={adopting}
                onFocus={focusSite}
                onCompare={toggleCompare}
                onAdopt={adopt}
                int={int}
              />
            )}
            <p className="muted small">{siting ? t('planner.siting.help') : t('planner.siting.method')}</p>
          </section>

          <section className="planner-card planner-table-card">
            <div className="table-head">
              <div className="tabs" role="tablist">
                {(['subdistrict', 'community', 'checklist', 'complaints'] as const).map((l) => (
                  <button type="button" key={l} role="tab" aria-selected={tab === l} data-testid={`tab-${l}`} className={tab === l ? 'on' : ''} onClick={() => { setTab(l); setSelected(null); }}>
                    {t(`planner.level.${l}`)}
                  </button>
                ))}
              </div>
              <div className="exports">
                <button type="button" onClick={exportCsv} disabled={!data} data-testid="export-csv">CSV</button>
                <button type="button" onClick={exportGeoJson} disabled={!data} data-testid="export-geojson">GeoJSON</button>
                <button type="button" onClick={exportReport} disabled={!data} data-testid="export-report">{t('planner.export.report')}</button>
              </div>
            </div>
            {tab === 'complaints' ? (
              <div className="table-scroll">
                <ComplaintsTable
                  data={complaints}
                  categoryNames={(complaints?.category_names ?? []).map((c) => (lang === 'en' ? c.name_en : c.name_zh))}
                  selected={selected}
                  onSelect={(id) => selectUnit(id, 'community')}
                  int={int}
                  pct={pct}
                />
              </div>
            ) : tab === 'checklist' ? (
              <div className="table-scroll">
                {checklistBusy && (
                  <div className="progress" data-testid="checklist-progress">
                    <div style={{ width: `${progress && progress.stage === 'checklist' && progress.total > 0 ? Math.round((100 * progress.done) / progress.total) : 5}%` }} />
                  </div>
                )}
                {checklist && selected !== null && (() => {
                  const c = checklist.communities.find((x) => x.id === selected);
                  if (!c) return null;
                  const missing = c.items.filter((i) => !i.met);
                  return (
                    <p className="muted small checklist-missing">
                      {t('planner.checklist.missing', { name: name(c) })}
                      {missing.map((i) => { const k = kinds?.find((x) => x.kind === i.kind); return `${k ? name(k) : i.kind} ${Math.round(i.share * 100)}%`; }).join('、') || t('planner.checklist.none')}
                    </p>
                  );
                })()}
                {checklist && (
                  <table className="planner-table" data-testid="checklist-table">
                    <thead>
                      <tr>
                        <th>{t('planner.col.community')}</th>
                        <th>{t('planner.col.population')}</th>
                        <th>{t('planner.col.met')}</th>
                        <th onClick={() => setCheckSortDesc((d) => !d)}>{t('planner.col.score')}{checkSortDesc ? ' ▼' : ' ▲'}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...checklist.communities]
                        .sort((a, b) => (checkSortDesc ? b.score - a.score : a.score - b.score))
                        .map((c) => (
                          <tr key={c.id} data-unit-id={c.id} className={selected === c.id ? 'selected' : ''} onClick={() => selectUnit(c.id, 'community')}
                            title={c.items.filter((i) => !i.met).map((i) => { const k = kinds?.find((x) => x.kind === i.kind); return k ? name(k) : i.kind; }).join('、')}>
                            <td>{name(c)}</td>
                            <td>{int(c.population)}</td>
                            <td>{c.met} / {c.items_total}</td>
                            <td data-value={c.score}>
                              <span className="bar"><i style={{ width: `${c.score}%`, background: c.score >= 80 ? 'var(--ok)' : c.score >= 50 ? 'var(--warn)' : 'var(--danger)' }} /></span>
                              {c.score.toFixed(1)}
                            </td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                )}
                <p className="muted small">{t('planner.checklist.rule')}</p>
              </div>
            ) : (
            <div className="table-scroll">
              <table className="planner-table" data-testid="coverage-table">
                <thead>
                  <tr>
                    <th onClick={() => sortBy('name')}>{tableHeader[0]}{arrow('name')}</th>
                    <th onClick={() => sortBy('population')}>{tableHeader[1]}{arrow('population')}</th>
                    <th onClick={() => sortBy('population_covered')}>{tableHeader[2]}{arrow('population_covered')}</th>
                    <th onClick={() => sortBy('uncovered')}>{tableHeader[3]}{arrow('uncovered')}</th>
                    <th onClick={() => sortBy('share')} data-testid="sort-share">{tableHeader[4]}{arrow('share')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((u) => (
                    <tr key={u.id} data-unit-id={u.id} className={selected === u.id ? 'selected' : ''} onClick={() => selectUnit(u.id, level)}>
                      <td>{name(u)}</td>
                      <td data-value={u.population}>{int(u.population)}</td>
                      <td data-value={u.population_covered}>{int(u.population_covered)}</td>
                      <td>{int(u.population - u.population_covered)}</td>
                      <td data-value={u.share}>
                        <span className="bar"><i style={{ width: `${u.share * 100}%`, background: u.share >= 0.8 ? 'var(--ok)' : u.share >= 0.5 ? 'var(--warn)' : 'var(--danger)' }} /></span>
                        {pct(u.share)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            )}
          </section>
        </aside>
      </div>
    </div>
  );
}

