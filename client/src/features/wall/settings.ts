import { DEFAULT_POLICY } from './camera.ts';
import { DEFAULT_GAP_KIND } from './planning-layers.ts';
import { CHOROPLETH_MEASURES, type ChoroplethMeasure } from './choropleth.ts';

/**
 * A wall is configured by its URL alone (nobody has a keyboard at a video wall):
 *
 *   /wall?lang=en&layers=heat,cases,whistles&tour=0&focus=110102003&window=7d&stale=15
 *
 * - `layers`: the map layers shown, any of LAYER_IDS (default: all but `complaints`, the planner's
 *   communities where complaints are high and coverage low);
 * - `gapkind`: the facility kind of the `complaints` layer (default elderly_day_care);
 * - `tour`: `0` keeps the camera still on the district, `1` (default) visits hotspots and
 *   returns to the district after each (see camera.ts for the policy);
 * - `focus`: a subdistrict (code, id, or Chinese or English name) to frame instead of touring;
 * - `window`: heatmap window `1h`, `today` (default) or `7d`;
 * - `stale`: seconds without a server heartbeat before the stale banner (default 15);
 * - `dwell`: seconds the tour stays at each stop (default 15);
 * - `home`: seconds the tour stays on the district between stops (default 45);
 * - `inset`: seconds each urgent case stays in the case inset (default 15);
 * - `gap`: least seconds between two alarms of the inset (default 180);
 * - `clock=test`: the camera policy's clock only moves when a test advances it
 *   (`window.__wallClock.advance(ms)`), so a test of the cadence never depends on timing;
 * - `choropleth`: `overdue` or `score` fills each subdistrict by its open overdue cases or its
 *   composite score (then the heat is off unless `layers` names it: both would colour the area);
 * - `langswitch=1`: show the language button (a wall normally has nobody to press it);
 * - `lang`: handled by the i18n provider.
 */
export const LAYER_IDS = ['heat', 'cases', 'circles', 'parks', 'renovation', 'whistles', 'operations', 'complaints'] as const;
export type WallLayerId = (typeof LAYER_IDS)[number];
/** Layers a wall shows only when its URL or a toggle asks: the planner's analysis is not live operations. */
const OPT_IN_LAYERS: readonly WallLayerId[] = ['complaints'];
const DEFAULT_LAYERS = LAYER_IDS.filter((l) => !OPT_IN_LAYERS.includes(l));
export const HEAT_WINDOWS = ['1h', 'today', '7d'] as const;
export type HeatWindow = (typeof HEAT_WINDOWS)[number];

export interface WallSettings {
  layers: Set<WallLayerId>;
  tour: boolean;
  focus: string | null;
  window: HeatWindow;
  staleAfterMs: number;
  dwellMs: number;
  homeMs: number;
  insetMs: number;
  interruptGapMs: number;
  testClock: boolean;
  langSwitch: boolean;
  gapKind: string;
  choropleth: ChoroplethMeasure | null;
}

export const DEFAULT_STALE_S = 15;

export function parseWallSettings(search: string): WallSettings {
  const q = new URLSearchParams(search);
  const layerList = q.get('layers');
  const layers = new Set<WallLayerId>(
    layerList === null ? DEFAULT_LAYERS : (layerList.split(',').filter((l) => (LAYER_IDS as readonly string[]).includes(l)) as WallLayerId[]),
  );
  const num = (name: string, fallback: number, min: number, max: number) => {
    const v = Number(q.get(name));
    return q.has(name) && Number.isFinite(v) && v >= min && v <= max ? v : fallback;
  };
  const window = q.get('window');
  const focus = q.get('focus');
  const choropleth = (CHOROPLETH_MEASURES as readonly string[]).includes(q.get('choropleth') ?? '') ? (q.get('choropleth') as ChoroplethMeasure) : null;
  if (choropleth && layerList === null) layers.delete('heat');
  return {
    layers,
    tour: q.get('tour') !== '0' && !focus,
    focus: focus || null,
    window: (HEAT_WINDOWS as readonly string[]).includes(window ?? '') ? (window as HeatWindow) : 'today',
    staleAfterMs: num('stale', DEFAULT_STALE_S, 1, 3600) * 1000,
    dwellMs: num('dwell', DEFAULT_POLICY.dwellMs / 1000, 3, 600) * 1000,
    homeMs: num('home', DEFAULT_POLICY.homeMs / 1000, 3, 3600) * 1000,
    insetMs: num('inset', DEFAULT_POLICY.insetMs / 1000, 3, 600) * 1000,
    interruptGapMs: num('gap', DEFAULT_POLICY.interruptGapMs / 1000, 10, 3600) * 1000,
    testClock: q.get('clock') === 'test',
    langSwitch: q.get('langswitch') === '1',
    gapKind: /^[a-z_]{1,64}$/.test(q.get('gapkind') ?? '') ? q.get('gapkind')! : DEFAULT_GAP_KIND,
    choropleth,
  };
}

/** Writes the layer toggles back into the URL so a reload (or a copied link) keeps them. */
export function layersToUrl(layers: Set<WallLayerId>): void {
  const url = new URL(window.location.href);
  if (layers.size === DEFAULT_LAYERS.length && DEFAULT_LAYERS.every((l) => layers.has(l))) url.searchParams.delete('layers');
  else url.searchParams.set('layers', LAYER_IDS.filter((l) => layers.has(l)).join(','));
  window.history.replaceState(null, '', url);
}
