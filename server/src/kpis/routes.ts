import type { FastifyInstance } from 'fastify';
import { KpiQuery, KpiResponse, ProfilesResponse, SeriesQuery, SeriesResponse } from './schemas.ts';
import { kpis, profiles, series } from './service.ts';

/** 接诉即办 figures: by unit and window, ranked, and as time series. */
export async function kpiRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: KpiQuery }>('/api/kpis', { config: { permission: 'kpis.read' }, schema: { querystring: KpiQuery, response: { 200: KpiResponse } } }, async (req) =>
    kpis(app.db, req.query),
  );
  /** The scoring profiles (data/standards/scoring-profiles.json) with their sources. */
  app.get('/api/kpis/profiles', { config: { permission: 'kpis.read' }, schema: { response: { 200: ProfilesResponse } } }, async () => profiles());
  app.get<{ Querystring: SeriesQuery }>('/api/kpis/series', { config: { permission: 'kpis.read' }, schema: { querystring: SeriesQuery, response: { 200: SeriesResponse } } }, async (req) =>
    series(app.db, req.query),
  );
}
