import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { listActiveWhistles } from './repository.ts';
import { ensureDemoWhistles } from './demo.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const WhistleCall = Type.Object({
  department_id: Type.Integer(),
  department_zh: Type.String(),
  department_en: Type.String(),
  accepted_at: Nullable(Type.String()),
  checked_in_at: Nullable(Type.String()),
  on_time: Type.Union([Type.Boolean(), Type.Null()]),
});

export const ActiveWhistle = Type.Object({
  id: Type.Integer(),
  case_id: Type.Union([Type.Integer(), Type.Null()]),
  subdistrict_id: Type.Union([Type.Integer(), Type.Null()]),
  subdistrict_zh: Nullable(Type.String()),
  subdistrict_en: Nullable(Type.String()),
  title_zh: Type.String(),
  title_en: Type.String(),
  called_at: Type.String(),
  deadline_at: Type.String(),
  radius_m: Type.Number(),
  lng: Type.Number(),
  lat: Type.Number(),
  synthetic: Type.Boolean(),
  calls: Type.Array(WhistleCall),
});

export const ActiveWhistles = Type.Object({ as_of: Type.String(), whistles: Type.Array(ActiveWhistle) });

export async function whistleRoutes(app: FastifyInstance): Promise<void> {
  // A demo city gets a few synthetic whistles once, so its arrival board is not empty.
  app.addHook('onReady', async () => {
    await ensureDemoWhistles(app.db).catch((err: Error) => app.log.warn({ err }, 'could not add the demo whistles'));
  });
  app.get(
    '/api/whistles/active',
    { config: { permission: 'whistles.read' }, schema: { querystring: Type.Object({}, { additionalProperties: false }), response: { 200: ActiveWhistles } } },
    async () => ({ as_of: new Date().toISOString(), whistles: await listActiveWhistles(app.db) }),
  );
}
