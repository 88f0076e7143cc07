import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { badRequest } from '../lib/errors.ts';
import { MAX_ZOOM, TILE_LAYERS, TILE_LAYER_IDS, type TileLayerId } from './layers.ts';
import { readCompositeTile, readDataBounds, readDataVersion, readLabelChars, readTile } from './repository.ts';
import { Binary, NoBody } from '../lib/response-schemas.ts';

// A plain string, checked below, so an unknown layer gets a message listing the known ones.
const LayerParam = Type.String({ minLength: 1 });

function checkLayer(layer: string): TileLayerId {
  if (!(TILE_LAYER_IDS as readonly string[]).includes(layer)) {
    throw badRequest(`params.layer must be one of ${TILE_LAYER_IDS.join(', ')}, got "${layer}"`, { field: 'params.layer' });
  }
  return layer as TileLayerId;
}

const TileParams = Type.Object(
  {
    layer: LayerParam,
    z: Type.Integer({ minimum: 0, maximum: MAX_ZOOM }),
    x: Type.Integer({ minimum: 0 }),
    y: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
type TileParams = Static<typeof TileParams>;

const TileJsonParams = Type.Object({ layer: LayerParam }, { additionalProperties: false });

/** TileJSON 3.0.0, as MapLibre and QGIS read it. */
export const TileJson = Type.Object({
  tilejson: Type.Literal('3.0.0'),
  name: Type.String(),
  description: Type.String(),
  tiles: Type.Array(Type.String()),
  minzoom: Type.Integer(),
  maxzoom: Type.Integer(),
  bounds: Type.Optional(Type.Array(Type.Number(), { minItems: 4, maxItems: 4 })),
  center: Type.Optional(Type.Array(Type.Number(), { minItems: 3, maxItems: 3 })),
  vector_layers: Type.Array(
    Type.Object({ id: Type.String(), description: Type.String(), minzoom: Type.Integer(), maxzoom: Type.Integer(), fields: Type.Record(Type.String(), Type.String()) }),
  ),
});

/**
 * Basemap tiles change only when the city is regenerated, so screens may reuse them for a
 * while without asking; the ETag makes the revalidation after that cheap (304).
 */
export const TILE_CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=3600';

/** Versioned tile URLs never change content: browsers keep them for a year without asking. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** How long the server trusts its data version before reading it again. */
const VERSION_TTL_MS = 30_000;
/** Composite tiles kept in memory, keyed by data version and z/x/y (a whole 4K wall is ~100). */
const TILE_CACHE_MAX = 4000;

const CompositeParams = Type.Object(
  {
    version: Type.String({ pattern: '^[0-9a-f]{1,32}$' }),
    z: Type.Integer({ minimum: 0, maximum: MAX_ZOOM }),
    x: Type.Integer({ minimum: 0 }),
    y: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
type CompositeParams = Static<typeof CompositeParams>;

/** TileJSON of the composite basemap, with the characters its labels use. */
export const BaseTileJson = Type.Intersect([
  TileJson,
  Type.Object({ version: Type.String(), label_chars: Type.String() }),
]);

const PUBLIC = { permission: 'public' } as const;

/**
 * The muted context around the district (neighbouring districts' outlines and labels, the
 * ring roads, marked `approximate` where they are): data/context/xicheng-context.geojson,
 * see data/README.md for its sources.
 */
const CONTEXT_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/context/xicheng-context.geojson');
let contextCache: { body: string; etag: string; chars: string } | null = null;
function readContext(): { body: string; etag: string; chars: string } {
  if (!contextCache) {
    const body = readFileSync(CONTEXT_FILE, 'utf8');
    const names = (JSON.parse(body) as { features: { properties: { name_zh?: string; name_en?: string } }[] }).features.map((f) => `${f.properties.name_zh ?? ''}${f.properties.name_en ?? ''}`).join('');
    contextCache = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"`, chars: names };
  }
  return contextCache;
}

/** The configured public origin: a cached TileJSON must never carry a URL taken from a request's Host header. */
function origin(req: FastifyRequest): string {
  return req.server.config.publicUrl;
}

export async function tileRoutes(app: FastifyInstance): Promise<void> {
  let version: { value: string; labelChars: string; at: number } | null = null;
  const currentVersion = async () => {
    if (!version || Date.now() - version.at > VERSION_TTL_MS) {
      const value = await readDataVersion(app.db);
      const labelChars = value === version?.value ? version.labelChars : [...new Set(await readLabelChars(app.db) + readContext().chars.replace(/\s/g, ''))].sort().join('');
      version = { value, labelChars, at: Date.now() };
    }
    return version;
  };
  const cache = new Map<string, Buffer>();

  /**
   * TileJSON of the composite basemap. Its tile URL carries the data version, so tiles can be
   * cached for good; this small document is revalidated every time, and a regenerated city
   * gets new URLs at once.
   */
  app.get('/tiles/base.json', { config: PUBLIC, schema: { response: { 200: BaseTileJson } } }, async (req, reply) => {
    const [v, bounds] = await Promise.all([currentVersion(), readDataBounds(app.db)]);
    reply.header('cache-control', 'no-cache');
    const layers = Object.values(TILE_LAYERS);
    return {
      tilejson: '3.0.0' as const,
      name: 'cityops basemap',
      description: `Every basemap layer in one tile: ${layers.map((l) => l.id).join(', ')}`,
      tiles: [`${origin(req)}/tiles/v/${v.value}/base/{z}/{x}/{y}.mvt`],
      minzoom: 0,
      maxzoom: MAX_ZOOM,
      ...(bounds ? { bounds, center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 12] } : {}),
      vector_layers: layers.map((l) => ({ id: l.id, description: l.description, minzoom: l.minzoom, maxzoom: l.maxzoom, fields: l.fields })),
      version: v.value,
      label_chars: v.labelChars,
    };
  });

  app.get('/tiles/context.geojson', { config: PUBLIC, schema: { response: { 200: Type.Object({ type: Type.Literal('FeatureCollection') }, { additionalProperties: true }), 304: Type.Null() } } }, async (req, reply) => {
    const c = readContext();
    reply.header('cache-control', 'public, max-age=86400').header('etag', c.etag);
    if (req.headers['if-none-match'] === c.etag) return reply.status(304).send();
    return reply.type('application/geo+json').send(c.body);
  });

  /**
   * The composite tile. Under the current version it is immutable; under an older one it
   * still answers (with today's data) but must not be cached, so a stale page heals itself.
   */
  app.get<{ Params: CompositeParams }>(
    '/tiles/v/:version/base/:z/:x/:y.mvt',
    {
      config: PUBLIC,
      schema: {
        params: CompositeParams,
        response: {
          200: { content: { 'application/vnd.mapbox-vector-tile': { schema: Binary('every basemap layer of the tile, in one Mapbox Vector Tile') } } },
          204: NoBody('no feature in this tile'),
        },
      },
    },
    async (req, reply) => {
      const { z, x, y } = req.params;
      const size = 2 ** z;
      if (x >= size) throw badRequest(`params.x must be below 2^z = ${size} at zoom ${z}, got ${x}`, { field: 'params.x' });
      if (y >= size) throw badRequest(`params.y must be below 2^z = ${size} at zoom ${z}, got ${y}`, { field: 'params.y' });
      const v = await currentVersion();
      const key = `${v.value}/${z}/${x}/${y}`;
      let tile = cache.get(key);
      if (tile) {
        cache.delete(key);
      } else {
        tile = await readCompositeTile(app.db, z, x, y);
        if (cache.size >= TILE_CACHE_MAX) cache.delete(cache.keys().next().value!);
      }
      cache.set(key, tile);
      reply.header('cache-control', req.params.version === v.value ? IMMUTABLE_CACHE_CONTROL : 'no-cache');
      reply.header('x-data-version', v.value);
      if (tile.length === 0) return reply.status(204).send();
      return reply.type('application/vnd.mapbox-vector-tile').send(tile);
    },
  );

  app.get<{ Params: TileParams }>(
    '/tiles/:layer/:z/:x/:y.mvt',
    {
      config: PUBLIC,
      schema: {
        params: TileParams,
        response: {
          200: { content: { 'application/vnd.mapbox-vector-tile': { schema: Binary('a Mapbox Vector Tile') } } },
          204: NoBody('no feature of the layer in this tile'),
          304: NoBody('the tile is unchanged (If-None-Match)'),
        },
      },
    },
    async (req, reply) => {
      const { z, x, y } = req.params;
      const layer = checkLayer(req.params.layer);
      const size = 2 ** z;
      if (x >= size) throw badRequest(`params.x must be below 2^z = ${size} at zoom ${z}, got ${x}`, { field: 'params.x' });
      if (y >= size) throw badRequest(`params.y must be below 2^z = ${size} at zoom ${z}, got ${y}`, { field: 'params.y' });
      const tile = await readTile(app.db, layer, z, x, y);
      reply.header('cache-control', TILE_CACHE_CONTROL);
      if (tile.length === 0) return reply.status(204).send();
      const etag = `"${createHash('sha1').update(tile).digest('base64url')}"`;
      reply.header('etag', etag);
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type('application/vnd.mapbox-vector-tile').send(tile);
    },
  );

  app.get<{ Params: { layer: string } }>(
    '/tiles/:layer.json',
    { config: PUBLIC, schema: { params: TileJsonParams, response: { 200: TileJson } } },
    async (req, reply) => {
      const layer = TILE_LAYERS[checkLayer(req.params.layer)];
      const bounds = await readDataBounds(app.db);
      reply.header('cache-control', 'public, max-age=60');
      return {
        tilejson: '3.0.0' as const,
        name: `cityops ${layer.id}`,
        description: layer.description,
        tiles: [`${origin(req)}/tiles/${layer.id}/{z}/{x}/{y}.mvt`],
        minzoom: layer.minzoom,
        maxzoom: layer.maxzoom,
        ...(bounds ? { bounds, center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 12] } : {}),
        vector_layers: [{ id: layer.id, description: layer.description, minzoom: layer.minzoom, maxzoom: layer.maxzoom, fields: layer.fields }],
      };
    },
  );
}
