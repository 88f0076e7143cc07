import type { FeatureCollection, MultiPolygon, Point } from 'geojson';
import { getJson } from '../../lib/api.ts';
// The server's own types, so the two sides cannot drift apart (type-only: nothing is bundled).
import type { LifeCircleKind } from '../../../../server/src/coverage/standards.ts';
import type { AdminUnitInfo } from '../../../../server/src/coverage/model.ts';

/** Shapes of the coverage API (server/src/coverage/routes.ts). */
export interface KindInfo extends LifeCircleKind {
  facilities: number;
}

export interface KindsResponse {
  kinds: KindInfo[];
  defaults: { speed: number; snap_limit_m: number; isochrone_buffer_m: number };
}

export interface Figures {
  population: number;
  population_covered: number;
  share: number;
  buildings: number;
  buildings_covered: number;
}

export interface UnitRow extends Figures, AdminUnitInfo {}

export interface Threshold {
  metres: number;
  minutes: number | null;
  speed: number;
  key: string;
}

export interface CoverageResponse {
  kind: string;
  threshold: Threshold;
  facilities: number;
  /** Planned facilities of the kind, and whether the figures count them. */
  planned: number;
  planned_counted: boolean;
  data_version: string;
  facilities_off_network: number;
  district: Figures;
  units: UnitRow[];
}

export interface WhatIfResponse {
  before: Figures;
  after: Figures;
  delta: { population_covered: number; share: number; buildings_gained: number; buildings_lost: number };
  units: Array<{ id: number; level: string; name_zh: string; name_en: string; delta: number; share_before: number; share_after: number }>;
  candidates: FeatureCollection<MultiPolygon, { role: string; lon: number; lat: number; snap_m: number }>;
  /** Buildings the change newly covers: [lon, lat, population]. */
  gained: Array<[number, number, number]>;
}

/** Where a site lies, in words. */
export interface SitePlace {
  street: string | null;
  community_id: number | null;
  community_zh: string | null;
  community_en: string | null;
  subdistrict_zh: string | null;
  subdistrict_en: string | null;
}

export interface PlannedFacility {
  id: number;
  kind: string;
  name: string;
  lon: number;
  lat: number;
  status: 'planned';
  place: SitePlace | null;
}

export interface ComplaintCommunity {
  id: number;
  code: string;
  name_zh: string;
  name_en: string;
  parent_id: number | null;
  population: number;
  share: number;
  complaints: number;
  rate: number;
  score: number;
}

export interface ComplaintsResponse {
  kind: string;
  categories: string[];
  category_names: Array<{ code: string; name_zh: string; name_en: string }>;
  reasons: string[];
  window: { since: string; until: string; days: number };
  rule: string;
  district: { complaints: number; population: number; rate: number };
  communities: ComplaintCommunity[];
  points: Array<[number, number]>;
}

export interface Site {
  rank: number;
  node_id: number;
  lon: number;
  lat: number;
  added_population: number;
  added_buildings: number;
  cumulative_population: number;
  share_after: number;
  place: SitePlace;
}

export interface SitingResponse {
  method: string;
  before: Figures;
  sites: Site[];
}

export interface ChecklistCommunity {
  id: number;
  code: string;
  name_zh: string;
  name_en: string;
  parent_id: number | null;
  population: number;
  met: number;
  items_total: number;
  score: number;
  items: Array<{ kind: string; circle: number; metres: number; share: number; met: boolean }>;
}

export interface ChecklistResponse {
  rule: string;
  communities: ChecklistCommunity[];
}

/** A threshold as the planner picks it: minutes of walking or metres of distance. */
export type ThresholdChoice = { by: 'minutes'; value: 5 | 10 | 15 } | { by: 'metres'; value: 300 | 500 | 1000 };

export function thresholdQuery(t: ThresholdChoice): string {
  return t.by === 'minutes' ? `minutes=${t.value}` : `metres=${t.value}`;
}

function thresholdBody(t: ThresholdChoice): { minutes: number } | { metres: number } {
  return t.by === 'minutes' ? { minutes: t.value } : { metres: t.value };
}

const post = <T,>(path: string, body: unknown) =>
  getJson<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The kind, threshold and whether planned facilities count, as a query string. */
const kindQuery = (kind: string, t: ThresholdChoice, planned: boolean) => `kind=${encodeURIComponent(kind)}&${thresholdQuery(t)}${planned ? '&planned=true' : ''}`;

export const plannerApi = {
  kinds: () => getJson<KindsResponse>('/api/coverage/kinds'),
  coverage: (kind: string, t: ThresholdChoice, planned = false) => getJson<CoverageResponse>(`/api/coverage?${kindQuery(kind, t, planned)}`),
  isochrones: (kind: string, t: ThresholdChoice, planned = false) => getJson<FeatureCollection>(`/api/coverage/isochrones?${kindQuery(kind, t, planned)}`),
  gaps: (kind: string, t: ThresholdChoice, planned = false) =>
    getJson<FeatureCollection<Point, { building_id: number; population: number; reason: string }>>(`/api/coverage/gaps?${kindQuery(kind, t, planned)}`),
  whatIf: (kind: string, t: ThresholdChoice, add: Array<{ lon: number; lat: number }>, planned = false) =>
    post<WhatIfResponse>('/api/coverage/what-if', { kind, ...thresholdBody(t), add, ...(planned ? { planned } : {}) }),
  adopt: (kind: string, site: { lon: number; lat: number; name?: string }) => post<PlannedFacility>('/api/coverage/planned', { kind, lon: site.lon, lat: site.lat, ...(site.name ? { name: site.name } : {}) }),
  complaints: (kind: string, t: ThresholdChoice, planned = false) => getJson<ComplaintsResponse>(`/api/coverage/complaints?${kindQuery(kind, t, planned)}`),
  checklist: (progressTo: string | undefined, job: string) =>
    getJson<ChecklistResponse>(`/api/coverage/checklist${progressTo ? `?progress_to=${encodeURIComponent(progressTo)}&job=${encodeURIComponent(job)}` : ''}`),
  siting: (kind: string, t: ThresholdChoice, count: number, progressTo: string | undefined, job: string, planned = false) =>
    post<SitingResponse>('/api/coverage/siting', { kind, ...thresholdBody(t), count, ...(planned ? { planned } : {}), ...(progressTo ? { progress_to: progressTo, job } : {}) }),
};
