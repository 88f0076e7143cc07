import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { readHeatPoints } from './repository.ts';
import { sharedWallSummary } from './service.ts';
import { HEAT_WINDOWS, type HeatWindow } from './scoring.ts';
import { Binary, Described } from '../lib/response-schemas.ts';

/** f32: [lng, lat, weight] float triplets; json: the same as arrays. */
const HeatResponse = {
  content: {
    'application/octet-stream': { schema: Binary('little-endian Float32 [lng, lat, weight] triplets') },
    'application/json': { schema: Type.Object({ as_of: Type.String(), window: Type.String(), points: Type.Array(Type.Array(Type.Number())) }) },
  },
};
const WallSummaryResponse = Described('KPIs, rankings, red/black list, categories, trend, newest and overdue cases, active whistles, open clearance operations', {
  as_of: Type.String(),
  seq: Type.Unknown(),
  cases_available: Type.Boolean(),
  kpis: Type.Unknown(),
  subdistricts: Type.Unknown(),
});

const HeatQuery = Type.Object(
  {
    window: Type.Unsafe<HeatWindow>({ type: 'string', enum: [...HEAT_WINDOWS], default: 'today' }),
    format: Type.Unsafe<'f32' | 'json'>({ type: 'string', enum: ['f32', 'json'], default: 'f32' }),
  },
  { additionalProperties: false },
);
type HeatQuery = Static<typeof HeatQuery>;

const Empty = Type.Object({}, { additionalProperties: false });

export async function wallRoutes(app: FastifyInstance): Promise<void> {
  /**
   * Heatmap points of a window: by default a little-endian Float32Array of [lng, lat, weight]
   * triplets (12 bytes a point, straight into a deck.gl binary attribute); `format=json` gives
   * `{as_of, points: [[lng, lat, weight], …]}` instead.
   */
  app.get<{ Querystring: HeatQuery }>('/api/wall/heatmap', { config: { permission: 'wall.read' }, schema: { querystring: HeatQuery, response: { 200: HeatResponse } } }, async (req, reply) => {
    const now = new Date();
    const points = await readHeatPoints(app.db, req.query.window, now);
    reply.header('cache-control', 'no-store').header('x-data-as-of', now.toISOString()).header('x-point-count', String(points.length / 3));
    if (req.query.format === 'json') {
      const out: [number, number, number][] = [];
      for (let i = 0; i < points.length; i += 3) out.push([points[i]!, points[i + 1]!, points[i + 2]!]);
      return { as_of: now.toISOString(), window: req.query.window, points: out };
    }
    return reply.type('application/octet-stream').send(Buffer.from(points.buffer, points.byteOffset, points.byteLength));
  });

  /** KPIs, rankings, red/black list, categories, 24-h trend, newest and overdue cases, active whistles; shared by the walls that ask within seconds of each other while nothing changes. */
  app.get('/api/wall/summary', { config: { permission: 'wall.read' }, schema: { querystring: Empty, response: { 200: WallSummaryResponse } } }, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return sharedWallSummary(app.db);
  });
}
