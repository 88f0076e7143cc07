/**
 * Reading GeoJSON files for the importers: one FeatureCollection per file, each feature
 * checked for shape (geometry type, positions, closed rings) and for the properties its
 * kind needs. Problems are collected with the feature's index so a file is reported in one go.
 */
import { ADMIN_LEVELS, FACILITY_KINDS, RENOVATION_STATUSES, type AdminLevel, type RenovationStatus } from '../city/kinds.ts';
import type { CoordinateSystem } from '../geo/coord-systems.ts';
import { convertCoordinates, resolveCrs } from './crs.ts';
import { poiKind } from './osm.ts';
import { ImportError, lineColumn, type ImportIssue } from './errors.ts';
import { excludedReason } from './parks.ts';

export const GEOJSON_KINDS = ['facilities', 'admin', 'parks', 'renovation'] as const;
export type GeoJsonKind = (typeof GEOJSON_KINDS)[number];

export interface Geometry {
  type: string;
  coordinates: unknown;
}

export interface FacilityFeature { index: number; sourceKey?: string | null; geometry: Geometry; kind: string; name: string; capacity: number | null; openedOn: string | null }
/** Its class (park, neighbourhood_park, small_park or pocket_park) comes from its area once the outline is checked. */
export interface ParkFeature { index: number; sourceKey?: string | null; geometry: Geometry; name: string; openedOn: string | null }
export interface AdminFeature { index: number; sourceKey?: string | null; geometry: Geometry; level: AdminLevel; code: string; name_zh: string; name_en: string; parentCode: string | null }
export interface RenovationFeature {
  index: number; sourceKey?: string | null; geometry: Geometry; name: string; status: RenovationStatus; budget: number; spent: number; progress: number;
  elevatorsPlanned: number; elevatorsDone: number; startsOn: string | null; endsOn: string | null;
}

export type ParsedGeoJson =
  | { kind: 'facilities'; crs: CoordinateSystem; features: FacilityFeature[] }
  | { kind: 'parks'; crs: CoordinateSystem; features: ParkFeature[] }
  | { kind: 'admin'; crs: CoordinateSystem; features: AdminFeature[] }
  | { kind: 'renovation'; crs: CoordinateSystem; features: RenovationFeature[] };

class Bad extends Error {}

const isPos = (p: unknown): p is number[] =>
  Array.isArray(p) && p.length >= 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v)) && Math.abs(p[0] as number) <= 180 && Math.abs(p[1] as number) <= 90;

function checkRing(ring: unknown, where: string): void {
  if (!Array.isArray(ring) || ring.length < 4) throw new Bad(`${where} needs at least 4 positions`);
  ring.forEach((p, i) => { if (!isPos(p)) throw new Bad(`${where} position ${i} is not a [lng, lat] pair within range`); });
  const a = ring[0] as number[], b = ring[ring.length - 1] as number[];
  if (a[0] !== b[0] || a[1] !== b[1]) throw new Bad(`${where} is not closed (first and last positions differ)`);
}

function checkGeometry(g: unknown, allowed: readonly string[]): Geometry {
  if (!g || typeof g !== 'object') throw new Bad('has no geometry');
  const { type, coordinates } = g as Geometry;
  if (!allowed.includes(type)) throw new Bad(`geometry must be ${allowed.join(' or ')}, got ${String(type)}`);
  const c = coordinates as unknown[];
  if (type === 'Point') {
    if (!isPos(c)) throw new Bad('Point coordinates are not a [lng, lat] pair within range');
  } else if (type === 'LineString') {
    if (!Array.isArray(c) || c.length < 2) throw new Bad('LineString needs at least 2 positions');
    c.forEach((p, i) => { if (!isPos(p)) throw new Bad(`LineString position ${i} is not a [lng, lat] pair within range`); });
  } else if (type === 'Polygon') {
    if (!Array.isArray(c) || !c.length) throw new Bad('Polygon has no rings');
    c.forEach((r, i) => checkRing(r, `ring ${i}`));
  } else if (type === 'MultiPolygon') {
    if (!Array.isArray(c) || !c.length) throw new Bad('MultiPolygon has no polygons');
    c.forEach((poly, j) => {
      if (!Array.isArray(poly) || !poly.length) throw new Bad(`polygon ${j} has no rings`);
      poly.forEach((r, i) => checkRing(r, `polygon ${j} ring ${i}`));
    });
  }
  return { type, coordinates };
}

const str = (p: Record<string, unknown>, k: string, required: boolean): string | null => {
  const v = p[k];
  if (v === undefined || v === null || v === '') {
    if (required) throw new Bad(`property "${k}" is required`);
    return null;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new Bad(`property "${k}" must be a string`);
  return String(v).trim();
};
const num = (p: Record<string, unknown>, k: string, opts: { min?: number; max?: number; integer?: boolean; fallback?: number }): number => {
  const v = p[k];
  if (v === undefined || v === null || v === '') {
    if (opts.fallback !== undefined) return opts.fallback;
    throw new Bad(`property "${k}" is required`);
  }
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Bad(`property "${k}" must be a number, got ${JSON.stringify(v)}`);
  if (opts.integer && !Number.isInteger(n)) throw new Bad(`property "${k}" must be a whole number, got ${n}`);
  if (opts.min !== undefined && n < opts.min) throw new Bad(`property "${k}" must be at least ${opts.min}, got ${n}`);
  if (opts.max !== undefined && n > opts.max) throw new Bad(`property "${k}" must be at most ${opts.max}, got ${n}`);
  return n;
};
const dateProp = (p: Record<string, unknown>, k: string): string | null => {
  const v = str(p, k, false);
  if (v === null) return null;
  const d = new Date(`${v}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw new Bad(`property "${k}" must be a date YYYY-MM-DD, got "${v}"`);
  return v;
};
const oneOf = <T extends string>(p: Record<string, unknown>, k: string, values: readonly T[]): T => {
  const v = str(p, k, true)!;
  if (!values.includes(v as T)) throw new Bad(`property "${k}" must be one of ${values.join(', ')}, got "${v}"`);
  return v as T;
};

// A line (an unclosed OSM way) or a polygon stands for the point on it.
const POINTISH = ['Point', 'LineString', 'Polygon', 'MultiPolygon'];
const AREAL = ['Polygon', 'MultiPolygon'];

function readFeature(kind: GeoJsonKind, index: number, geometry: unknown, props: Record<string, unknown>) {
  switch (kind) {
    case 'facilities': {
      // GeoJSON made from OpenStreetMap (osmtogeojson, overpass turbo) carries tags instead of a kind.
      const tags = (typeof props.tags === 'object' && props.tags ? props.tags : props) as Record<string, string>;
      const fromTags = props.kind === undefined ? poiKind(tags) : null;
      if (props.kind === undefined && !fromTags) throw new Bad('property "kind" is required (or OpenStreetMap tags amenity/shop/leisure that map to one)');
      return {
        index, geometry: checkGeometry(geometry, POINTISH), kind: fromTags ?? oneOf(props, 'kind', FACILITY_KINDS),
        name: str(props, 'name_zh', false) ?? str(props, 'name:zh', false) ?? str(props, 'name', false) ?? str(tags, 'name', false) ?? (fromTags ? fromTags : str(props, 'name', true)!),
        capacity: props.capacity === undefined || props.capacity === null ? null : num(props, 'capacity', { min: 0, integer: true }),
        openedOn: dateProp(props, 'opened_on'),
      } satisfies FacilityFeature;
    }
    case 'parks': {
      const g = checkGeometry(geometry, AREAL);
      if (g.type === 'MultiPolygon' && (g.coordinates as unknown[]).length !== 1) throw new Bad('a park is one polygon; this MultiPolygon has several');
      const tags = (typeof props.tags === 'object' && props.tags ? props.tags : props) as Record<string, unknown>;
      const why = excludedReason(tags);
      if (why) throw new Bad(why);
      const name = str(props, 'name', false) ?? str(props, 'name_zh', false) ?? str(tags, 'name', false);
      if (!name) throw new Bad('property "name" is required');
      return { index, geometry: g, name, openedOn: dateProp(props, 'opened_on') } satisfies ParkFeature;
    }
    case 'admin': {
      const level = oneOf(props, 'level', ADMIN_LEVELS);
      const name_zh = str(props, 'name_zh', true)!;
      const parentCode = str(props, 'parent_code', level !== 'district');
      if (level === 'district' && parentCode) throw new Bad('a district has no parent_code');
      return { index, geometry: checkGeometry(geometry, AREAL), level, code: str(props, 'code', true)!, name_zh, name_en: str(props, 'name_en', false) ?? name_zh, parentCode } satisfies AdminFeature;
    }
    case 'renovation': {
      const status = oneOf(props, 'status', RENOVATION_STATUSES);
      const budget = num(props, 'budget_cny', { min: 0 });
      const spent = num(props, 'spent_cny', { min: 0, fallback: 0 });
      const progress = num(props, 'progress', { min: 0, max: 1, fallback: status === 'completed' ? 1 : 0 });
      const elevatorsPlanned = num(props, 'elevators_planned', { min: 0, integer: true, fallback: 0 });
      const elevatorsDone = num(props, 'elevators_done', { min: 0, integer: true, fallback: 0 });
      const startsOn = dateProp(props, 'starts_on'), endsOn = dateProp(props, 'ends_on');
      if (spent > budget) throw new Bad(`spent_cny (${spent}) exceeds budget_cny (${budget})`);
      if (elevatorsDone > elevatorsPlanned) throw new Bad(`elevators_done (${elevatorsDone}) exceeds elevators_planned (${elevatorsPlanned})`);
      if (startsOn && endsOn && endsOn < startsOn) throw new Bad(`ends_on (${endsOn}) is before starts_on (${startsOn})`);
      if (status === 'completed' && progress !== 1) throw new Bad(`a completed project has progress 1, got ${progress}`);
      if (status === 'planned' && progress !== 0) throw new Bad(`a planned project has progress 0, got ${progress}`);
      return { index, geometry: checkGeometry(geometry, POINTISH), name: str(props, 'name', true)!, status, budget, spent, progress, elevatorsPlanned, elevatorsDone, startsOn, endsOn } satisfies RenovationFeature;
    }
  }
}

/** Guesses the kind of a file from its first feature's properties, when neither --kind nor a `kind` member says. */
function inferKind(features: { properties?: Record<string, unknown> | null; geometry?: { type?: string } | null }[]): GeoJsonKind | undefined {
  const p = features[0]?.properties ?? {};
  if ('level' in p && 'code' in p) return 'admin';
  if ('status' in p && 'budget_cny' in p) return 'renovation';
  if ('kind' in p) return 'facilities';
  if (features[0]?.geometry?.type?.endsWith('Polygon')) return 'parks';
  return undefined;
}

/**
 * Parses and checks a GeoJSON FeatureCollection. Throws ImportError listing every bad
 * feature, unless `skipInvalid`, in which case they come back in `skipped`.
 */
export function parseGeoJson(text: string, opts: { kind?: GeoJsonKind; crs?: string; skipInvalid?: boolean }): { parsed: ParsedGeoJson; skipped: ImportIssue[] } {
  const doc = parseJsonDocument(text) as { type?: string; kind?: unknown; crs?: unknown; features?: unknown; id?: unknown };
  if (!doc || doc.type !== 'FeatureCollection' || !Array.isArray(doc.features)) throw new ImportError('the file must be a GeoJSON FeatureCollection');
  const crs = resolveCrs(opts.crs, doc.crs);
  const features = doc.features as { type?: string; id?: unknown; geometry?: Geometry | null; properties?: Record<string, unknown> | null }[];
  if (!features.length) throw new ImportError('the FeatureCollection has no features');
  const declared = opts.kind ?? (typeof doc.kind === 'string' ? (doc.kind as GeoJsonKind) : undefined) ?? inferKind(features);
  if (!declared || !GEOJSON_KINDS.includes(declared)) {
    throw new ImportError(`say what the file holds with --kind ${GEOJSON_KINDS.join('|')} (or a top-level "kind" member)${declared ? `; "${declared}" is not one of them` : ''}`);
  }
  const issues: ImportIssue[] = [];
  const out: unknown[] = [];
  features.forEach((f, index) => {
    try {
      if (!f || f.type !== 'Feature') throw new Bad('is not a GeoJSON Feature');
      const geometry = f.geometry ? { type: f.geometry.type, coordinates: convertCoordinates(f.geometry.coordinates, crs) } : null;
      // Shape checks run on the converted geometry: conversion keeps structure, so reasons still apply.
      out.push({ ...readFeature(declared, index, geometry, f.properties ?? {}), sourceKey: featureKey(f) });
    } catch (err) {
      if (!(err instanceof Bad)) throw err;
      issues.push({ index, reason: err.message });
    }
  });
  if (issues.length && !opts.skipInvalid) throw new ImportError(`${issues.length} of ${features.length} features cannot be imported; nothing was written`, issues);
  return { parsed: { kind: declared, crs, features: out } as ParsedGeoJson, skipped: issues };
}

/**
 * A feature's own stable id, where it has one: the GeoJSON `id`, or an `id` / `@id`
 * property (osmtogeojson and overpass turbo write "way/123"). Null when it has none.
 */
function featureKey(f: { id?: unknown; properties?: Record<string, unknown> | null }): string | null {
  const p = f.properties ?? {};
  for (const v of [f.id, p['@id'], p.id]) if ((typeof v === 'string' && v.trim()) || (typeof v === 'number' && Number.isFinite(v))) return String(v).trim();
  return null;
}

/** JSON.parse with errors that say where: the line and column, and whether the file is cut short. */
export function parseJsonDocument(text: string): unknown {
  if (!text.trim()) throw new ImportError('the file is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    const at = m ? Number(m[1]) : text.trimEnd().length;
    const { line, column } = lineColumn(text, at);
    if (!m || at >= text.trimEnd().length) throw new ImportError(`the file is cut short: the JSON ends at line ${line}, column ${column} (byte ${Buffer.byteLength(text.slice(0, at))}) before it is complete`);
    throw new ImportError(`the file is not valid JSON at line ${line}, column ${column}: ${msg.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '')}`);
  }
}
