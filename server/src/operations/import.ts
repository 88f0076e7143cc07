import { badRequest } from '../lib/errors.ts';
import { MAX_SITES, type ImportRowError } from './schemas.ts';

/** A target site read from an import, with where it came from (the CSV's line, or the feature's position, both from 1). */
export interface ImportedSite {
  row: number;
  lng: number;
  lat: number;
  label: string;
}

const LABEL_MAX = 200;
const LNG_NAMES = ['lng', 'lon', 'long', 'longitude', 'x', '经度'];
const LAT_NAMES = ['lat', 'latitude', 'y', '纬度'];
const LABEL_NAMES = ['label', 'name', 'title', '名称', '标注'];

/** Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, quotes and line breaks), with each record's first line. */
export function parseCsvRecords(text: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let any = false;
  const s = text.replace(/^\uFEFF/, '');
  const endRecord = () => {
    fields.push(field);
    if (any || fields.length > 1 || field.trim() !== '') out.push({ line: recordLine, fields });
    fields = [];
    field = '';
    any = false;
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
      any = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      any = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += ch;
  }
  if (quoted) throw badRequest(`the CSV has a quoted field opened on line ${recordLine} that is never closed`, { field: 'body.csv', rule: 'csv' });
  if (field !== '' || fields.length) endRecord();
  return out;
}

/** A number as written in a file: plain decimal only (no hex, no empty string, no "1e3" surprises from Number()). */
function readNumber(s: string): number | null {
  const t = s.trim();
  return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : null;
}

function checkRow(row: number, lngRaw: unknown, latRaw: unknown, labelRaw: unknown): ImportedSite | ImportRowError {
  const lng = typeof lngRaw === 'number' ? lngRaw : typeof lngRaw === 'string' ? readNumber(lngRaw) : null;
  const lat = typeof latRaw === 'number' ? latRaw : typeof latRaw === 'string' ? readNumber(latRaw) : null;
  if (lng === null || !Number.isFinite(lng)) return { row, reason: `longitude ${JSON.stringify(lngRaw ?? '')} is not a number` };
  if (lat === null || !Number.isFinite(lat)) return { row, reason: `latitude ${JSON.stringify(latRaw ?? '')} is not a number` };
  if (lng < -180 || lng > 180) return { row, reason: `longitude ${lng} is outside −180…180 (are longitude and latitude swapped?)` };
  if (lat < -90 || lat > 90) return { row, reason: `latitude ${lat} is outside −90…90 (are longitude and latitude swapped?)` };
  const label = typeof labelRaw === 'string' || typeof labelRaw === 'number' ? String(labelRaw).trim() : '';
  if (!label) return { row, reason: 'the label is empty' };
  if (label.length > LABEL_MAX) return { row, reason: `the label is ${label.length} characters long; at most ${LABEL_MAX}` };
  return { row, lng, lat, label };
}

const isError = (r: ImportedSite | ImportRowError): r is ImportRowError => 'reason' in r;

/** Reads `lng,lat,label` rows; a first line naming the columns (in any order) is a header. */
export function readCsvSites(text: string): { sites: ImportedSite[]; errors: ImportRowError[] } {
  const records = parseCsvRecords(text);
  if (!records.length) throw badRequest('the CSV has no rows; send one line per site: lng,lat,label', { field: 'body.csv', rule: 'csv' });
  let cols = { lng: 0, lat: 1, label: 2 };
  const first = records[0]!.fields.map((f) => f.trim().toLowerCase());
  if (readNumber(first[0] ?? '') === null) {
    const find = (names: string[]) => first.findIndex((f) => names.includes(f));
    cols = { lng: find(LNG_NAMES), lat: find(LAT_NAMES), label: find(LABEL_NAMES) };
    const missing = Object.entries(cols).filter(([, i]) => i < 0).map(([k]) => k);
    if (missing.length) {
      throw badRequest(`the CSV's first line reads as a header but names no ${missing.join(', ')} column; use the header lng,lat,label (or no header: lng,lat,label per line)`, { field: 'body.csv', rule: 'csv_header' });
    }
    records.shift();
  }
  if (records.length > MAX_SITES) throw badRequest(`the CSV has ${records.length} rows; one import takes at most ${MAX_SITES}`, { field: 'body.csv', rule: 'max_rows' });
  const sites: ImportedSite[] = [];
  const errors: ImportRowError[] = [];
  const width = Math.max(cols.lng, cols.lat, cols.label) + 1;
  for (const r of records) {
    if (r.fields.length < width) {
      errors.push({ row: r.line, reason: `has ${r.fields.length} field${r.fields.length === 1 ? '' : 's'}; want lng,lat,label` });
      continue;
    }
    const checked = checkRow(r.line, r.fields[cols.lng], r.fields[cols.lat], r.fields[cols.label]);
    if (isError(checked)) errors.push(checked);
    else sites.push(checked);
  }
  return { sites, errors };
}

/** Reads a FeatureCollection of points; the label from the properties `label`, `name` or `title`. */
export function readGeoJsonSites(doc: unknown): { sites: ImportedSite[]; errors: ImportRowError[] } {
  const fc = doc as { type?: unknown; features?: unknown };
  if (!fc || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw badRequest('geojson must be a FeatureCollection of Point features (WGS84 longitude, latitude)', { field: 'body.geojson', rule: 'feature_collection' });
  }
  if (fc.features.length === 0) throw badRequest('the FeatureCollection has no features', { field: 'body.geojson', rule: 'feature_collection' });
  if (fc.features.length > MAX_SITES) throw badRequest(`the FeatureCollection has ${fc.features.length} features; one import takes at most ${MAX_SITES}`, { field: 'body.geojson', rule: 'max_rows' });
  const sites: ImportedSite[] = [];
  const errors: ImportRowError[] = [];
  fc.features.forEach((f: unknown, i: number) => {
    const row = i + 1;
    const feat = f as { type?: unknown; geometry?: { type?: unknown; coordinates?: unknown }; properties?: Record<string, unknown> | null };
    if (!feat || typeof feat !== 'object' || feat.type !== 'Feature') return void errors.push({ row, reason: 'is not a GeoJSON Feature' });
    if (feat.geometry?.type !== 'Point' || !Array.isArray(feat.geometry.coordinates)) {
      return void errors.push({ row, reason: `has a ${String(feat.geometry?.type ?? 'missing')} geometry; a site is a Point` });
    }
    const [lng, lat] = feat.geometry.coordinates as unknown[];
    const p = feat.properties ?? {};
    const checked = checkRow(row, typeof lng === 'number' ? lng : String(lng), typeof lat === 'number' ? lat : String(lat), p.label ?? p.name ?? p.title);
    if (isError(checked)) errors.push(checked);
    else sites.push(checked);
  });
  return { sites, errors };
}
