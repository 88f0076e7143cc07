import type { Pool } from '../db/pool.ts';
import { badRequest, notFound } from '../lib/errors.ts';
import type { CoverageService } from '../coverage/service.ts';
import { COLLECTIONS, collectionById, type Collection, type ComputedSource } from './catalog.ts';
import * as repo from './repository.ts';
import type { Bbox, ItemsQuery, OgcFeature, TimeFilter } from './repository.ts';

/** What a request brings to the service: the pool, the caller's permissions and the public base URL. */
export interface OgcContext {
  db: Pool;
  /** Whether the caller holds a permission (`public` is everyone's). */
  can: (permission: string) => boolean;
  /** Scheme, host and port the caller used, for links (no trailing slash). */
  base: string;
}

export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
];
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
export const GEOJSON = 'application/geo+json';
export const OPENAPI = 'application/vnd.oai.openapi+json;version=3.0';
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 10_000;

export interface Link {
  href: string;
  rel: string;
  type?: string;
  title?: string;
}

/** Raw item query parameters as the route received them. */
export interface ItemsParams {
  bbox?: string;
  datetime?: string;
  limit?: number;
  offset?: number;
}

/** `bbox=minLon,minLat,maxLon,maxLat` (CRS84); a 6-number box drops its heights. */
export function parseBbox(raw: string): Bbox {
  const n = raw.split(',').map((s) => Number(s.trim()));
  if ((n.length !== 4 && n.length !== 6) || n.some((x) => !Number.isFinite(x))) {
    throw badRequest(`querystring.bbox must be 4 (or 6) comma-separated numbers: minLon,minLat,maxLon,maxLat; got "${raw}"`, { field: 'querystring.bbox' });
  }
  const box: Bbox = n.length === 4 ? [n[0]!, n[1]!, n[2]!, n[3]!] : [n[0]!, n[1]!, n[3]!, n[4]!];
  if (box[1] > box[3]) throw badRequest(`querystring.bbox: the minimum latitude ${box[1]} is above the maximum ${box[3]}`, { field: 'querystring.bbox' });
  if (box[0] > box[2]) throw badRequest(`querystring.bbox: boxes across the antimeridian are not supported (minLon ${box[0]} > maxLon ${box[2]})`, { field: 'querystring.bbox' });
  return box;
}

/** `datetime`: an RFC 3339 instant, or an interval `start/end` where either end may be `..` or empty. */
export function parseDatetime(raw: string): TimeFilter {
  const instant = (s: string): string => {
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/i.test(s) || Number.isNaN(Date.parse(s))) {
      throw badRequest(`querystring.datetime must be an RFC 3339 date-time or an interval start/end (".." for open), got "${raw}"`, { field: 'querystring.datetime' });
    }
    return s;
  };
  const parts = raw.split('/');
  if (parts.length === 1) {
    const t = instant(parts[0]!);
    return { start: t, end: t };
  }
  if (parts.length !== 2) throw badRequest(`querystring.datetime has more than one "/": "${raw}"`, { field: 'querystring.datetime' });
  const open = (s: string) => s === '' || s === '..';
  const [a, b] = parts as [string, string];
  if (open(a) && open(b)) throw badRequest('querystring.datetime: both ends of the interval are open', { field: 'querystring.datetime' });
  const out: TimeFilter = { ...(open(a) ? {} : { start: instant(a) }), ...(open(b) ? {} : { end: instant(b) }) };
  if (out.start && out.end && Date.parse(out.start) > Date.parse(out.end)) {
    throw badRequest(`querystring.datetime: the interval starts after it ends ("${raw}")`, { field: 'querystring.datetime' });
  }
  return out;
}

/**
 * OGC API – Features over the collection catalog. Collections a caller may not read are
 * neither listed nor served (404, as if absent, so their existence is not disclosed).
 */
export class OgcService {
  constructor(private readonly coverage: () => CoverageService) {}

  /** The collections the caller may read that have data to serve. */
  async visible(ctx: OgcContext): Promise<Collection[]> {
    const kinds = await repo.readFacilityKinds(ctx.db);
    return COLLECTIONS.filter((c) => ctx.can(c.permission) && (!c.facilityKind || kinds.has(c.facilityKind)));
  }

  async collection(ctx: OgcContext, id: string): Promise<Collection> {
    const c = collectionById(id);
    if (!c || !ctx.can(c.permission)) throw notFound(`no collection "${id}": GET /ogc/collections lists them`);
    if (c.facilityKind && !(await repo.readFacilityKinds(ctx.db)).has(c.facilityKind)) {
      throw notFound(`collection "${id}" is empty: the city has no ${c.facilityKind} facility`);
    }
    return c;
  }

  landing(ctx: OgcContext) {
    const b = ctx.base;
    return {
      title: 'cityops OGC API – Features',
      description: 'Administrative units, facilities, pocket parks, renovation projects, coverage gaps and cases of the district, as GeoJSON features.',
      links: [
        { href: `${b}/ogc`, rel: 'self', type: 'application/json', title: 'This document' },
        { href: `${b}/docs/json`, rel: 'service-desc', type: OPENAPI, title: 'The API definition (OpenAPI 3)' },
        { href: `${b}/docs`, rel: 'service-doc', type: 'text/html', title: 'The API documentation' },
        { href: `${b}/ogc/conformance`, rel: 'conformance', type: 'application/json', title: 'Conformance classes' },
        { href: `${b}/ogc/collections`, rel: 'data', type: 'application/json', title: 'Collections' },
      ] satisfies Link[],
    };
  }

  async collections(ctx: OgcContext) {
    const list = await this.visible(ctx);
    return {
      links: [{ href: `${ctx.base}/ogc/collections`, rel: 'self', type: 'application/json', title: 'This document' }] satisfies Link[],
      collections: await Promise.all(list.map((c) => this.describe(ctx, c))),
    };
  }

  /** A collection's metadata: extent (exact for stored tables, the district's for computed ones) and links. */
  async describe(ctx: OgcContext, c: Collection) {
    const b = `${ctx.base}/ogc/collections/${c.id}`;
    let bbox: Bbox | null;
    let interval: [string | null, string | null] | null = null;
    if (c.source.type === 'sql') {
      ({ bbox, interval } = await repo.readExtent(ctx.db, c.source));
    } else {
      bbox = await repo.readDistrictBbox(ctx.db);
    }
    return {
      id: c.id,
      title: c.title,
      description: c.description,
      itemType: 'feature',
      crs: [CRS84],
      extent: {
        spatial: { bbox: bbox ? [bbox] : [], crs: CRS84 },
        ...(interval ? { temporal: { interval: [interval], trs: 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian' } } : {}),
      },
      links: [
        { href: b, rel: 'self', type: 'application/json', title: 'This collection' },
        { href: `${b}/items`, rel: 'items', type: GEOJSON, title: 'Its features' },
      ] satisfies Link[],
    };
  }

  async items(ctx: OgcContext, id: string, params: ItemsParams) {
    const c = await this.collection(ctx, id);
    const q: ItemsQuery = {
      ...(params.bbox ? { bbox: parseBbox(params.bbox) } : {}),
      ...(params.datetime ? { datetime: parseDatetime(params.datetime) } : {}),
      limit: params.limit ?? DEFAULT_LIMIT,
      offset: params.offset ?? 0,
    };
    const { features, matched } = c.source.type === 'sql' ? await repo.readItems(ctx.db, c.source, q) : await this.gapItems(c.source, q);
    const link = (offset: number, rel: string, title: string): Link => {
      const s = new URLSearchParams();
      if (params.bbox) s.set('bbox', params.bbox);
      if (params.datetime) s.set('datetime', params.datetime);
      s.set('limit', String(q.limit));
      if (offset > 0) s.set('offset', String(offset));
      return { href: `${ctx.base}/ogc/collections/${c.id}/items?${s}`, rel, type: GEOJSON, title };
    };
    const links: Link[] = [link(q.offset, 'self', 'This page')];
    if (q.offset + features.length < matched) links.push(link(q.offset + q.limit, 'next', 'The next page'));
    if (q.offset > 0) links.push(link(Math.max(0, q.offset - q.limit), 'prev', 'The previous page'));
    links.push({ href: `${ctx.base}/ogc/collections/${c.id}`, rel: 'collection', type: 'application/json', title: c.title });
    return {
      type: 'FeatureCollection' as const,
      features,
      links,
      numberMatched: matched,
      numberReturned: features.length,
      timeStamp: new Date().toISOString(),
    };
  }

  async item(ctx: OgcContext, id: string, featureId: number) {
    const c = await this.collection(ctx, id);
    let feature: OgcFeature | null;
    if (c.source.type === 'sql') feature = await repo.readItem(ctx.db, c.source, featureId);
    else feature = (await this.gapFeatures(c.source)).find((f) => f.id === featureId) ?? null;
    if (!feature) throw notFound(`collection "${id}" has no feature ${featureId}`);
    const b = `${ctx.base}/ogc/collections/${c.id}`;
    return {
      ...feature,
      links: [
        { href: `${b}/items/${featureId}`, rel: 'self', type: GEOJSON, title: 'This feature' },
        { href: b, rel: 'collection', type: 'application/json', title: c.title },
      ] satisfies Link[],
    };
  }

  /** Unreached buildings from the coverage model, at the standard's walking distance for the kind. */
  private async gapFeatures(src: ComputedSource): Promise<OgcFeature[]> {
    const fc = await this.coverage().gaps(src.kind, { metres: src.metres });
    return fc.features
      .map((f) => ({
        type: 'Feature' as const,
        id: Number(f.id),
        geometry: f.geometry,
        properties: { ...(f.properties as Record<string, unknown>), kind: src.kind, threshold_m: src.metres },
      }))
      .sort((a, b) => a.id - b.id);
  }

  private async gapItems(src: ComputedSource, q: ItemsQuery): Promise<{ features: OgcFeature[]; matched: number }> {
    let all = await this.gapFeatures(src);
    if (q.bbox) {
      const [w, s, e, n] = q.bbox;
      all = all.filter((f) => {
        const [x, y] = (f.geometry as GeoJSON.Point).coordinates as [number, number];
        return x >= w && x <= e && y >= s && y <= n;
      });
    }
    return { features: all.slice(q.offset, q.offset + q.limit), matched: all.length };
  }
}
