import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { TILE_LAYERS, TILE_LAYER_IDS } from './layers.ts';

/** Every tile layer, with its TileJSON and tile URL, so a GIS client can discover them all. */
export const TileCatalog = Type.Object({
  layers: Type.Array(
    Type.Object({
      id: Type.String(),
      description: Type.String(),
      minzoom: Type.Integer(),
      maxzoom: Type.Integer(),
      tilejson: Type.String({ description: 'the TileJSON 3.0.0 of the layer (MapLibre, QGIS, GDAL METADATA_FILE)' }),
      tiles: Type.String({ description: 'the XYZ tile URL template (Mapbox Vector Tiles)' }),
      fields: Type.Record(Type.String(), Type.String()),
    }),
  ),
});

function origin(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

/** GET /tiles/catalog.json: the tile layers, read from the same table as the tile routes. */
export async function tileCatalogRoutes(app: FastifyInstance): Promise<void> {
  app.get('/tiles/catalog.json', { config: { permission: 'public' }, schema: { tags: ['tiles'], summary: 'Every vector-tile layer with its TileJSON', response: { 200: TileCatalog } } }, async (req, reply) => {
    const base = origin(req);
    reply.header('cache-control', 'public, max-age=60');
    return {
      layers: TILE_LAYER_IDS.map((id) => {
        const l = TILE_LAYERS[id];
        return { id, description: l.description, minzoom: l.minzoom, maxzoom: l.maxzoom, tilejson: `${base}/tiles/${id}.json`, tiles: `${base}/tiles/${id}/{z}/{x}/{y}.mvt`, fields: l.fields };
      }),
    };
  });
}
