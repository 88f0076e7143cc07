import type { CaseDetail, CaseList, CaseSummary, TransitionInput } from '../../../../server/src/cases/schemas.ts';
import type { WhistleDetail, WhistleInput, WhistleView } from '../../../../server/src/whistles/schemas.ts';
import { getJson } from '../../lib/api.ts';

export type { CaseDetail, CaseSummary, WhistleDetail, WhistleView };

export interface Department {
  id: number;
  code: string;
  name_zh: string;
  name_en: string;
  kind: string;
}

export interface Category {
  code: string;
  name_zh: string;
  name_en: string;
}

const post = <T>(path: string, body: unknown) => getJson<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The commander's REST calls; the server scopes every answer to the commander's subdistrict. */
export const commandApi = {
  /** Open cases, newest first (the queue sorts them itself); the page size is the server's maximum. */
  openCases: () => getJson<CaseList>('/api/cases?open=true&limit=500'),
  caseDetail: (id: number) => getJson<CaseDetail>(`/api/cases/${id}`),
  transition: (id: number, input: TransitionInput) => post<CaseSummary>(`/api/cases/${id}/transitions`, input),
  categories: () => getJson<Category[]>('/api/case-categories'),
  departments: () => getJson<Department[]>('/api/departments'),
  blow: (input: WhistleInput) => post<WhistleView>('/api/whistles', input),
  whistle: (id: number) => getJson<WhistleDetail>(`/api/whistles/${id}`),
  acceptCheckIn: (id: number, department_code: string, note: string) => post<WhistleView>(`/api/whistles/${id}/check-ins/accept`, { department_code, note }),
  close: (id: number, grades: { department_code: string; score: number; note?: string }[]) => post<WhistleView>(`/api/whistles/${id}/close`, { grades }),
};
