import { ctxOf } from '../auth/plugin.ts';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { CaseListQuery } from '../cases/schemas.ts';
import { KpiQuery, type KpiWindow } from '../kpis/schemas.ts';
import { Binary, GeoJsonFeatureCollection } from '../lib/response-schemas.ts';
import { EXPORT_LIMIT, casesCsv, casesGeoJson, exportCases, kpiWorkbook, type CaseExportQuery } from './service.ts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The case list's filters without its paging: an export has every matching case. */
const CaseExportQuerySchema = Type.Omit(CaseListQuery, ['limit', 'offset'], { additionalProperties: false });
/** A workbook is the KPI tables of one window as of one instant, so it can be checked against `/api/kpis` asked for the same instant. */
const KpiExportQuery = Type.Pick(KpiQuery, ['window', 'as_of'], { additionalProperties: false });

function stamp(at = new Date()): string {
  return at.toISOString().slice(0, 16).replace(/[-:T]/g, '');
}

/** Downloads: the KPI tables and rankings as XLSX, the case list as CSV or GeoJSON. */
export async function exportRoutes(app: FastifyInstance): Promise<void> {
  const tags = ['exports'];
  const counted = { 'x-total-count': Type.Optional(Type.String()) };

  app.get<{ Querystring: Static<typeof KpiExportQuery> }>(
    '/api/kpis/export.xlsx',
    {
      config: { permission: 'kpis.read' },
      schema: { tags, summary: 'KPI tables and rankings of a window as an Excel workbook', querystring: KpiExportQuery, response: { 200: { content: { [XLSX]: { schema: Binary('XLSX workbook') } } } } },
    },
    async (req, reply) => {
      const window: KpiWindow = req.query.window ?? '30d';
      const { file, asOf } = await kpiWorkbook(app.db, window, req.query.as_of);
      return reply
        .type(XLSX)
        .header('content-disposition', `attachment; filename="cityops-kpis-${window}-${stamp(asOf)}.xlsx"`)
        .send(file);
    },
  );

  app.get<{ Querystring: CaseExportQuery }>(
    '/api/cases/export.csv',
    {
      config: { permission: 'cases.read' },
      schema: {
        tags,
        summary: `Cases matching the list's filters as CSV (UTF-8 with BOM), at most ${EXPORT_LIMIT}`,
        querystring: CaseExportQuerySchema,
        response: { 200: { headers: Type.Object(counted), content: { 'text/csv': { schema: Type.String() } } } },
      },
    },
    async (req, reply) => {
      const { total, items } = await exportCases(ctxOf(app, req), req.query);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="cityops-cases-${stamp()}.csv"`)
        .header('x-total-count', String(total))
        .send(casesCsv(items));
    },
  );

  app.get<{ Querystring: CaseExportQuery }>(
    '/api/cases/export.geojson',
    {
      config: { permission: 'cases.read' },
      schema: {
        tags,
        summary: `Cases matching the list's filters as GeoJSON, at most ${EXPORT_LIMIT}`,
        querystring: CaseExportQuerySchema,
        response: { 200: { headers: Type.Object(counted), content: { 'application/geo+json': { schema: GeoJsonFeatureCollection } } } },
      },
    },
    async (req, reply) => {
      const { total, items } = await exportCases(ctxOf(app, req), req.query);
      return reply
        .type('application/geo+json')
        .header('content-disposition', `attachment; filename="cityops-cases-${stamp()}.geojson"`)
        .header('x-total-count', String(total))
        .send(casesGeoJson(items));
    },
  );
}
