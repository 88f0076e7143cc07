import type { ImportResult, OperationDetail, OperationSummary, SiteChange, SiteView } from '../../../../server/src/operations/schemas.ts';
import { getJson } from '../../lib/api.ts';

export type { ImportResult, OperationDetail, OperationSummary, SiteChange, SiteView };
export type SiteTransition = 'start' | 'clear' | 'verify' | 'send_back';

/** POSTs JSON and answers the parsed body; throws with the server's own message on 4xx/5xx. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return getJson<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export const listOperations = (status: 'open' | 'closed' = 'open') => getJson<{ operations: OperationSummary[] }>(`/api/operations?status=${status}`).then((r) => r.operations);
export const getOperation = (id: number) => getJson<OperationDetail>(`/api/operations/${id}`);
export const listDepartments = () => getJson<{ id: number; code: string; name_zh: string; name_en: string; kind: string }[]>('/api/departments');
export const createOperation = (body: { title: string; area: { type: 'Polygon'; coordinates: [number, number][][] }; department_codes: string[]; sites?: { lng: number; lat: number; label: string }[] }) =>
  postJson<OperationDetail>('/api/operations', body);
export const addSite = (id: number, site: { lng: number; lat: number; label: string }) => postJson<SiteChange>(`/api/operations/${id}/sites`, site);
export const importSites = (id: number, file: { csv?: string; geojson?: unknown }, dryRun: boolean) => postJson<ImportResult>(`/api/operations/${id}/sites/import`, { ...file, dry_run: dryRun });
export const transitionSite = (id: number, siteId: number, action: SiteTransition, note?: string) =>
  postJson<SiteChange>(`/api/operations/${id}/sites/${siteId}/transitions`, { action, ...(note ? { note } : {}) });
export const uploadPhotos = (id: number, siteId: number, stage: 'before' | 'after', photos: string[]) => postJson<SiteChange>(`/api/operations/${id}/sites/${siteId}/photos`, { stage, photos });
export const closeOperation = (id: number, note?: string) => postJson<OperationSummary>(`/api/operations/${id}/close`, note ? { note } : {});
/** A site as a responder's list shows it: the site and its operation's title. */
export type ResponderSiteView = SiteView & { operation_title: string };
export const listMySites = () => getJson<{ sites: ResponderSiteView[] }>('/api/operations/sites').then((r) => r.sites);

/** A file as the import route takes it: CSV text, or a parsed GeoJSON document. */
export async function readImportFile(file: File): Promise<{ csv?: string; geojson?: unknown }> {
  const text = await file.text();
  return /\.(geo)?json$/i.test(file.name) ? { geojson: JSON.parse(text) } : { csv: text };
}

/** Site statuses in workflow order, for lists and colours. */
export const SITE_STATUS_ORDER = ['pending', 'in_progress', 'cleared', 'verified'] as const;
