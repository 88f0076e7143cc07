import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';

/** RFC 4180 rows, parsed here so the test does not trust the writer's own idea of CSV. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += ch;
  }
  return rows;
}

describe('exports', () => {
  let server: TestServer;
  let as: AuthedFetch;
  let pool: pg.Pool;
  let dir: string;
  const run = `exp-${Date.now().toString(36)}`;
  const addresses = ['东四北大街, 3号', 'the "old" gate', '=HYPERLINK("x")'];

  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    as = await fetchAs(server.url, pool, 'admin');
    dir = mkdtempSync(path.join(tmpdir(), 'cityops-exports-'));
    const { rows } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = 'grid' ORDER BY id LIMIT 3) x`,
    );
    for (const [i, r] of rows.entries()) {
      const res = await as(`/api/cases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'wechat', external_id: `${run}-${i}`, category: 'garbage_collection', description: 'x', address: addresses[i], lng: r.lng, lat: r.lat }),
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await pool?.end();
    await server?.close();
  });

  it('downloads the KPI tables and rankings as a workbook with one ranked sheet per grouping', async () => {
    // Asked as of one instant, so cases other tests add meanwhile change neither the workbook nor the API's answer.
    const asOf = new Date().toISOString();
    const res = await as(`/api/kpis/export.xlsx?window=30d&as_of=${asOf}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="cityops-kpis-30d-\d{12}\.xlsx"$/);
    const file = path.join(dir, 'kpis.xlsx');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));

    // The package's parts, listed by unzip: an Office Open XML workbook with five sheets.
    const parts = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).split('\n');
    expect(parts).toEqual(expect.arrayContaining(['[Content_Types].xml', 'xl/workbook.xml', 'xl/styles.xml', ...[1, 2, 3, 4, 5].map((n) => `xl/worksheets/sheet${n}.xml`)]));
    const workbookXml = execFileSync('unzip', ['-p', file, 'xl/workbook.xml'], { encoding: 'utf8' });
    const names = [...workbookXml.matchAll(/<sheet [^>]*name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(['全区 District', '街道 Subdistricts', '社区 Communities', '部门 Departments', '类别 Categories']);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const ws = wb.getWorksheet('街道 Subdistricts')!;
    expect(ws.getRow(2).getCell(1).value).toBe('排名 Rank');
    expect(ws.getRow(2).getCell(4).value).toBe('案件 Cases');
    expect(ws.getColumn(5).numFmt).toBe('0.0%');
    expect(ws.getRow(1).getCell(3).value).toBe(`至 To: ${asOf}`);
    const api = (await (await as(`/api/kpis?window=30d&group=subdistrict&as_of=${asOf}`)).json()) as { from: string; rows: { rank: number; name_zh: string; cases: number }[] };
    const sheetRows = ws.getSheetValues().slice(3).filter(Boolean) as unknown[][];
    expect(sheetRows.map((r) => [r[1], r[2], r[4]])).toEqual(api.rows.map((r) => [r.rank, r.name_zh, r.cases]));
    // The district sheet's case count is the number of in-area, not rejected cases of the window, from SQL.
    const n = (
      await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE NOT out_of_area AND status <> 'rejected' AND reported_at >= $1 AND reported_at < $2`, [api.from, asOf])
    ).rows[0]!.n;
    expect(n).toBeGreaterThanOrEqual(3);
    expect(wb.getWorksheet('全区 District')!.getRow(3).getCell(4).value).toBe(n);
  });

  it("downloads the list's filtered cases as CSV with a BOM, quoted cells and no formulas", async () => {
    const res = await as(`/api/cases/export.csv?category=garbage_collection&source=wechat`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1));
    const [header, ...data] = rows;
    expect(header).toContain('category_name_zh');
    expect(header).not.toContain('contact');
    expect(header).not.toContain('description');
    const expected = (await pool.query<{ id: string }>(`SELECT id FROM cases WHERE category = 'garbage_collection' AND source = 'wechat' ORDER BY reported_at DESC, id DESC`)).rows.map((r) => r.id);
    const id = header!.indexOf('id');
    expect(data.map((r) => r[id])).toEqual(expected);
    expect(res.headers.get('x-total-count')).toBe(String(expected.length));
    const address = header!.indexOf('address');
    const mine = data.filter((r) => addresses.some((a) => r[address]!.endsWith(a)));
    expect(mine.map((r) => r[address]).sort()).toEqual(['东四北大街, 3号', 'the "old" gate', `'=HYPERLINK("x")`].sort());
  });

  it("downloads the same filtered cases as GeoJSON points at the cases' coordinates", async () => {
    const res = await as(`/api/cases/export.geojson?category=garbage_collection&source=wechat`);
    expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    const fc = (await res.json()) as { type: string; features: { id: number; geometry: { coordinates: [number, number] }; properties: Record<string, unknown> }[] };
    expect(fc.type).toBe('FeatureCollection');
    const { rows } = await pool.query<{ id: string; x: number; y: number }>(
      `SELECT id, ST_X(geom) AS x, ST_Y(geom) AS y FROM cases WHERE category = 'garbage_collection' AND source = 'wechat' ORDER BY reported_at DESC, id DESC`,
    );
    expect(fc.features.map((f) => f.id)).toEqual(rows.map((r) => Number(r.id)));
    fc.features.forEach((f, i) => {
      expect(f.geometry.coordinates[0]).toBeCloseTo(rows[i]!.x, 6);
      expect(f.geometry.coordinates[1]).toBeCloseTo(rows[i]!.y, 6);
      expect(f.properties).not.toHaveProperty('contact');
    });
  });

  it('refuses paging and unknown parameters on a case export', async () => {
    expect((await as(`/api/cases/export.csv?limit=5`)).status).toBe(400);
    expect((await as(`/api/cases/export.geojson?colour=red`)).status).toBe(400);
  });
});
