import ExcelJS from 'exceljs';
import type { Pool } from '../db/pool.ts';
import type { Ctx } from '../auth/principal.ts';
import { listCases } from '../cases/service.ts';
import type { CaseListQuery, CaseSummary } from '../cases/schemas.ts';
import { kpis } from '../kpis/service.ts';
import type { KpiGroup, KpiRow, KpiWindow } from '../kpis/schemas.ts';
import { toCsv } from './csv.ts';

/** At most this many cases in one download; the answer says when the filters matched more. */
export const EXPORT_LIMIT = 100_000;

/** The case list's filters, without its paging. */
export type CaseExportQuery = Omit<CaseListQuery, 'limit' | 'offset'>;

/** The cases the principal may read (its scope applies, as in the list), with the list's filters. */
export async function exportCases(ctx: Ctx, q: CaseExportQuery): Promise<{ total: number; items: CaseSummary[] }> {
  const { total, items } = await listCases(ctx, { ...q, limit: EXPORT_LIMIT, offset: 0 });
  return { total, items };
}

/** The columns of a case export: what the case list shows, never the reporter's contact or words. */
const CASE_COLUMNS = [
  'id',
  'source',
  'external_id',
  'category',
  'category_name_zh',
  'category_name_en',
  'priority',
  'status',
  'lng',
  'lat',
  'address',
  'subdistrict_id',
  'community_id',
  'grid_id',
  'department_id',
  'out_of_area',
  'reported_at',
  'updated_at',
  'due_at',
  'overdue',
  'satisfaction',
] as const satisfies readonly (keyof CaseSummary)[];

export function casesCsv(items: CaseSummary[]): string {
  return toCsv(
    CASE_COLUMNS,
    items.map((c) => CASE_COLUMNS.map((k) => c[k])),
  );
}

export function casesGeoJson(items: CaseSummary[]) {
  return {
    type: 'FeatureCollection' as const,
    features: items.map((c) => {
      const { lng, lat, ...properties } = c;
      return { type: 'Feature' as const, id: c.id, geometry: { type: 'Point' as const, coordinates: [lng, lat] }, properties };
    }),
  };
}

/** The sheets of the KPI workbook: the district, then each ranking. */
export const KPI_SHEETS: { group: KpiGroup; name: string }[] = [
  { group: 'district', name: '全区 District' },
  { group: 'subdistrict', name: '街道 Subdistricts' },
  { group: 'community', name: '社区 Communities' },
  { group: 'department', name: '部门 Departments' },
  { group: 'category', name: '类别 Categories' },
];

/** Column header (Chinese and English), the row's value, and how Excel shows it. */
const KPI_COLUMNS: { header: string; value: (r: KpiRow) => unknown; numFmt?: string; width: number }[] = [
  { header: '排名 Rank', value: (r) => r.rank, width: 10 },
  { header: '名称 Name', value: (r) => r.name_zh, width: 22 },
  { header: 'Name (en)', value: (r) => r.name_en, width: 26 },
  { header: '案件 Cases', value: (r) => r.cases, width: 10 },
  { header: '响应率 Response rate', value: (r) => r.response_rate, numFmt: '0.0%', width: 14 },
  { header: '解决率 Resolution rate', value: (r) => r.resolution_rate, numFmt: '0.0%', width: 14 },
  { header: '满意率 Satisfaction rate', value: (r) => r.satisfaction_rate, numFmt: '0.0%', width: 14 },
  { header: '未结 Open', value: (r) => r.open, width: 10 },
  { header: '超期 Overdue', value: (r) => r.overdue, width: 10 },
  { header: '超期办结 Closed late', value: (r) => r.closed_late, width: 12 },
  { header: '应响应 Response due', value: (r) => r.response_due, width: 12 },
  { header: '按时响应 Responded on time', value: (r) => r.responded_on_time, width: 14 },
  { header: '应解决 Resolution due', value: (r) => r.resolution_due, width: 12 },
  { header: '已解决 Resolved', value: (r) => r.resolved, width: 10 },
  { header: '评价 Rated', value: (r) => r.rated, width: 10 },
  { header: '满意 Satisfied', value: (r) => r.satisfied, width: 10 },
  { header: '办理中位时长(时) Median hours to handle', value: (r) => r.median_hours.handle, numFmt: '0.0', width: 16 },
];

/**
 * The KPI tables and rankings of one window as an Excel workbook: one sheet per grouping,
 * ranked as the API ranks them, with the window and time of the figures above each table.
 */
export async function kpiWorkbook(db: Pool, window: KpiWindow, asOfRaw?: string): Promise<{ file: Buffer; asOf: Date }> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'cityops';
  // Every sheet is read as of the same instant (the one asked for, or the first sheet's "now").
  let asOf = asOfRaw;
  for (const sheet of KPI_SHEETS) {
    const data = await kpis(db, { window, group: sheet.group, as_of: asOf });
    asOf = data.as_of;
    const ws = wb.addWorksheet(sheet.name, { views: [{ state: 'frozen', ySplit: 2 }] });
    ws.addRow([`窗口 Window: ${data.window}`, `自 From: ${data.from}`, `至 To: ${data.to}`]);
    const header = ws.addRow(KPI_COLUMNS.map((c) => c.header));
    header.font = { bold: true };
    KPI_COLUMNS.forEach((c, i) => {
      const col = ws.getColumn(i + 1);
      col.width = c.width;
      if (c.numFmt) col.numFmt = c.numFmt;
    });
    for (const r of data.rows) ws.addRow(KPI_COLUMNS.map((c) => c.value(r) ?? null));
    ws.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: KPI_COLUMNS.length } };
  }
  wb.created = new Date(asOf!);
  return { file: Buffer.from(await wb.xlsx.writeBuffer()), asOf: wb.created };
}
