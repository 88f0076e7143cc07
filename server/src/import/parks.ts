/**
 * Parks are classed by area against the standards (data/standards/life-circle-kinds.json):
 * GB 50180-2018 4.0.4 sets the least area of a 15-, 10- and 5-minute residential park, and the
 * pocket-park programme its own floor. Grounds that are not public parks (cemeteries, private
 * or customers-only grounds) are never counted as one.
 */
import { area } from '@turf/turf';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from '../city/kinds.ts';

const kinds = (JSON.parse(readFileSync(path.join(DATA_DIR, 'standards', 'life-circle-kinds.json'), 'utf8')) as {
  kinds: { kind: string; min_area_m2?: number }[];
}).kinds;
const minArea = (kind: string): number => {
  const k = kinds.find((x) => x.kind === kind);
  if (!k?.min_area_m2) throw new Error(`data/standards/life-circle-kinds.json gives no min_area_m2 for ${kind}`);
  return k.min_area_m2;
};

/** Park kinds from the largest to the smallest, with the least area of each. */
export const PARK_CLASSES: { kind: string; minAreaM2: number }[] = ['park', 'neighbourhood_park', 'small_park', 'pocket_park']
  .map((kind) => ({ kind, minAreaM2: minArea(kind) }))
  .sort((a, b) => b.minAreaM2 - a.minAreaM2);
export const PARK_KINDS = new Set(PARK_CLASSES.map((c) => c.kind));

/** The park kind a green space of this area counts as, or null when it is too small to be one. */
export function classifyPark(areaM2: number): string | null {
  return PARK_CLASSES.find((c) => areaM2 >= c.minAreaM2)?.kind ?? null;
}

/** Geodesic area (m²) of a WGS84 polygon given by its rings. */
export function ringArea(rings: [number, number][][]): number {
  return area({ type: 'Polygon', coordinates: rings });
}

/** Why these tags do not describe a public service, or null when they do. */
export function excludedReason(tags: Record<string, unknown> | null | undefined): string | null {
  if (!tags) return null;
  if (tags.landuse === 'cemetery' || tags.amenity === 'grave_yard' || tags.cemetery !== undefined) return 'is a cemetery, not a park or service';
  const access = String(tags.access ?? '');
  if (['private', 'no', 'customers', 'members'].includes(access)) return `is not open to the public (access=${access})`;
  if (tags.leisure && ['private', 'no'].includes(String(tags['leisure:access'] ?? ''))) return 'is not open to the public';
  return null;
}

/** Describes the classes for messages: "park ≥ 50000 m², …". */
export const describeClasses = () => PARK_CLASSES.map((c) => `${c.kind} ≥ ${c.minAreaM2} m²`).join(', ');
