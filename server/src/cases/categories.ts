import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The stages an SLA is given for, in loop order; each is the time allowed after the previous one. */
export const SLA_STAGES = ['register', 'dispatch', 'respond', 'handle', 'verify'] as const;
export type SlaStage = (typeof SLA_STAGES)[number];

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** One entry of data/case-categories.json. */
export interface CaseCategory {
  code: string;
  name_zh: string;
  name_en: string;
  description_zh: string;
  description_en: string;
  group: string;
  /** Code of the department (data/departments.json) cases of this category are routed to. */
  department: string;
  /** Open311 GeoReport v2 service_code. */
  service_code: string;
  priority: Priority;
  sla_hours: Record<SlaStage, number>;
  /** Where the demo stream places such complaints. */
  hotspot: 'old_compound' | 'street' | 'any';
  /** Relative frequency in the demo stream. */
  weight: number;
}

export const CATEGORIES_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/case-categories.json');

let cache: { list: CaseCategory[]; byCode: Map<string, CaseCategory>; byServiceCode: Map<string, CaseCategory> } | undefined;

function load() {
  if (!cache) {
    const list = (JSON.parse(readFileSync(CATEGORIES_FILE, 'utf8')) as { categories: CaseCategory[] }).categories;
    cache = { list, byCode: new Map(list.map((c) => [c.code, c])), byServiceCode: new Map(list.map((c) => [c.service_code, c])) };
  }
  return cache;
}

export function listCategories(): CaseCategory[] {
  return load().list;
}
export function findCategory(code: string): CaseCategory | undefined {
  return load().byCode.get(code);
}
export function findCategoryByServiceCode(serviceCode: string): CaseCategory | undefined {
  return load().byServiceCode.get(serviceCode);
}

/** Due times per stage: the report time plus the SLA hours of every stage up to and including it. */
export function dueTimes(category: CaseCategory, reportedAt: Date): Record<'register' | 'dispatch' | 'accept' | 'handle' | 'close', Date> {
  const h = category.sla_hours;
  const at = (hours: number) => new Date(reportedAt.getTime() + hours * 3_600_000);
  const register = h.register;
  const dispatch = register + h.dispatch;
  const accept = dispatch + h.respond;
  const handle = accept + h.handle;
  const close = handle + h.verify;
  return { register: at(register), dispatch: at(dispatch), accept: at(accept), handle: at(handle), close: at(close) };
}
