import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { badRequest } from '../lib/errors.ts';
import { MAX_ZOOM, TILE_LAYERS, TILE_LAYER_IDS, type TileLayerId } from './layers.ts';
import { readDataBounds, readTile } from './repository.ts';
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

function origin(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

export async function tileRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: TileParams }>(
    '/tiles/:layer/:z/:x/:y.mvt',
    {
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
    { schema: { params: TileJsonParams, response: { 200: TileJson } } },
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
