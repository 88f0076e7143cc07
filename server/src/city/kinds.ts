import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data');

/** Facility kinds are the life-circle kinds of data/standards (importers map to them too). */
export const FACILITY_KINDS: readonly string[] = (
  JSON.parse(readFileSync(path.join(DATA_DIR, 'standards', 'life-circle-kinds.json'), 'utf8')) as { kinds: { kind: string }[] }
).kinds.map((k) => k.kind);

export const RENOVATION_STATUSES = ['planned', 'approved', 'under_construction', 'completed'] as const;
export type RenovationStatus = (typeof RENOVATION_STATUSES)[number];

export const ADMIN_LEVELS = ['district', 'subdistrict', 'community', 'grid'] as const;
export type AdminLevel = (typeof ADMIN_LEVELS)[number];
