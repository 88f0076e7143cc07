import { FONT_FAMILY } from '../../client/src/app/font.ts';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, watchPage } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testPool } from '../helpers/db.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';

interface Unit {
  id: number;
  level: string;
  population: number;
  population_covered: number;
  share: number;
}

describe('the planner in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let seen: { outside: string[]; errors: string[] };
  const kind = 'kindergarten';
  let planner: AuthedFetch;

  beforeAll(async () => {
    server = await startTestServer();
    // The planner signs in as a planner: the API with its cookie, the page with the same session.
    const pool = testPool();
    planner = await fetchAs(server.url, pool, 'planner').finally(() => pool.end());
    // Loading the city into the server's memory takes seconds on a busy machine: do it before the page asks.
    await planner(`/api/coverage?kind=${kind}&minutes=5`);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true });
    seen = watchPage(page, server.url);
    const [name, value] = planner.cookie.split('=') as [string, string];
    await page.context().addCookies([{ name, value, url: server.url }]);
    await page.goto(`${server.url}/planner`);
  });
  afterAll(async () => {
    const pool = testPool();
    await pool.query(`DELETE FROM facility WHERE kind = $1 AND status = 'planned'`, [kind]).finally(() => pool.end());
    await browser?.close();
    await server?.close();
  });

  /** The names each label layer shows now, as the map reports them: { subdistrict, community, street }. */
  const labels = async () =>
    Object.fromEntries(((await page.getAttribute('[data-testid="planner-map"]', 'data-labels')) ?? '').split(' ').filter(Boolean).map((p) => [p.split(':')[0], Number(p.split(':')[1])])) as Record<string, number>;
  const view = async () => ((await page.getAttribute('.planner-map [data-view]', 'data-view')) ?? '0,0,0').split(',').map(Number) as [number, number, number];

  it('fills the coverage table for a chosen kind with the same figures the API gives', async () => {
    await page.waitForSelector('[data-testid="planner-kind"] option[value="kindergarten"]', { state: 'attached', timeout: 45_000 });
    await page.selectOption('[data-testid="planner-kind"]', kind);
    // Kindergartens belong to the 5-minute circle, so the 5-minute threshold is chosen with them.
    await expect.poll(() => page.getAttribute('[data-testid="threshold-minutes-5"]', 'class'), { timeout: 10_000 }).toBe('on');
    const api = (await (await planner(`/api/coverage?kind=${kind}&minutes=5`)).json()) as { district: { share: number }; units: Unit[] };
    const subdistricts = api.units.filter((u) => u.level === 'subdistrict');
    await expect.poll(() => page.locator('[data-testid="coverage-table"] tbody tr').count(), { timeout: 30_000 }).toBe(subdistricts.length);
    // The table of the kind shown before has as many rows; the district share says the new kind's
    // figures have arrived (a coverage request on a loaded machine can take seconds, and a poll's
    // default is one).
    await expect.poll(() => page.textContent('[data-testid="kpi-share"]'), { timeout: 30_000 }).toBe(`${(api.district.share * 100).toFixed(1)}%`);
    const rows = await page.$$eval('[data-testid="coverage-table"] tbody tr', (trs) =>
      trs.map((tr) => ({
        id: Number(tr.getAttribute('data-unit-id')),
        cells: [...tr.querySelectorAll('td[data-value]')].map((td) => Number(td.getAttribute('data-value'))),
      })),
    );
    for (const row of rows) {
      const u = subdistricts.find((s) => s.id === row.id)!;
      expect(row.cells).toEqual([u.population, u.population_covered, u.share]);
    }
    // Sorted by share, lowest first; a click on the header turns it around.
    const shares = rows.map((r) => r.cells[2]!);
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
    await page.click('[data-testid="sort-share"]');
    const flipped = await page.$$eval('[data-testid="coverage-table"] tbody tr td[data-value]:nth-child(5)', (tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
    expect(flipped).toEqual([...shares].sort((a, b) => b - a));
  });

  it('names every subdistrict on the overview, and a table row zooms to its unit, where community and street names appear', async () => {
    await page.waitForSelector('[data-map-state="ready"]', { timeout: 30_000 });
    const units = ((await (await planner('/api/admin-units?level=subdistrict')).json()) as { features: { properties: { name_zh: string } }[] }).features;
    const subdistricts = units.length;
    await expect.poll(async () => (await labels()).subdistrict, { timeout: 20_000 }).toBe(subdistricts);
    // Drawn in the page's web font: every character of the names was loaded before the labels
    // showed (MapLibre draws CJK glyphs locally and keeps the first drawing of each; one drawn
    // before its font file arrived would stay a box).
    const { label_chars } = (await (await planner('/tiles/base.json')).json()) as { label_chars: string };
    const names = units.map((u) => u.properties.name_zh).join('') + label_chars;
    expect(label_chars.length).toBeGreaterThan(100);
    expect(await page.evaluate(([family, text]) => document.fonts.check(`16px "${family}"`, text), [FONT_FAMILY, names] as const)).toBe(true);
    const before = await view();
    await page.click('[data-testid="tab-community"]');
    const row = page.locator('[data-testid="coverage-table"] tbody tr').first();
    const id = Number(await row.getAttribute('data-unit-id'));
    await row.click();
    await expect.poll(async () => (await view())[2], { timeout: 20_000 }).toBeGreaterThan(before[2] + 1);
    await expect(row.getAttribute('class')).resolves.toBe('selected');
    // The camera is on the community: its centre lies in the community's polygon.
    const [lng, lat] = await view();
    const pool = testPool();
    const inside = await pool.query(`SELECT ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) AS hit FROM admin_unit WHERE id = $3`, [lng, lat, id]).finally(() => pool.end());
    expect(inside.rows[0].hit).toBe(true);
    await expect.poll(async () => { const l = await labels(); return l.community! > 0 && l.street! > 0; }, { timeout: 60_000 }).toBe(true);
    await row.click();
    await expect.poll(async () => (await view())[2], { timeout: 20_000 }).toBeCloseTo(before[2], 1);
    await page.click('[data-testid="tab-subdistrict"]');
  });

  it('shows the coverage change of a candidate placed with a click, equal to the API what-if', async () => {
    await page.waitForSelector('[data-map-state="ready"]', { timeout: 30_000 });
    const box = (await page.locator('.planner-map canvas.maplibregl-canvas').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const candidate = page.locator('[data-testid="candidate"]');
    await candidate.waitFor({ timeout: 15_000 });
    const lon = Number(await candidate.getAttribute('data-lon'));
    const lat = Number(await candidate.getAttribute('data-lat'));
    const delta = page.locator('[data-testid="whatif-delta"]');
    await delta.waitFor({ timeout: 15_000 });
    const res = await planner('/api/coverage/what-if', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind, minutes: 5, add: [{ lon, lat }] }),
    });
    const body = (await res.json()) as { delta: { population_covered: number } };
    expect(res.status).toBe(200);
    expect(Number(await delta.getAttribute('data-value'))).toBe(body.delta.population_covered);
    expect(body.delta.population_covered).toBeGreaterThanOrEqual(0);
  });

  it('exports the table as CSV with a byte-order mark, and a one-page PNG report', async () => {
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
    const bytes = readFileSync((await csv.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
    const rows = await page.locator('[data-testid="coverage-table"] tbody tr').count();
    expect(lines).toHaveLength(rows + 1);
    const [report] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-report"]')]);
    const png = PNG.sync.read(readFileSync((await report.path())!));
    expect([png.width, png.height]).toEqual([1754, 1240]);
  });

  it('scores every community on the life-circle checklist as the API does, lowest first', async () => {
    await page.click('[data-testid="tab-checklist"]');
    const rows = page.locator('[data-testid="checklist-table"] tbody tr');
    const api = (await (await planner('/api/coverage/checklist')).json()) as { communities: Array<{ score: number }> };
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(api.communities.length);
    const shown = await page.$$eval('[data-testid="checklist-table"] tbody td[data-value]', (tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
    expect(shown).toEqual(api.communities.map((c) => c.score).sort((a, b) => a - b));
  });

  it('suggests named sites, compares three side by side as the API what-if says, adopts one as planned, and loads nothing from outside', async () => {
    await page.click('[data-testid="suggest-sites"]');
    const items = page.locator('[data-testid="sites"] li');
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(5);
    // Named by street and community, never by coordinates alone.
    await expect(page.textContent('[data-testid="site-1"] .name')).resolves.toMatch(/·/);
    for (const r of [1, 2, 3]) await page.check(`[data-testid="compare-${r}"]`);
    await expect(page.isDisabled('[data-testid="compare-4"]')).resolves.toBe(true);
    const sites = (await (await planner('/api/coverage/siting', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind, minutes: 5, count: 5 }) })).json()) as { sites: Array<{ rank: number; lon: number; lat: number }> };
    for (const s of sites.sites.slice(0, 3)) {
      const alone = (await (await planner('/api/coverage/what-if', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind, minutes: 5, add: [{ lon: s.lon, lat: s.lat }] }) })).json()) as { delta: { population_covered: number; buildings_gained: number } };
      await expect.poll(() => page.getAttribute(`[data-testid="compare-people-${s.rank}"]`, 'data-value'), { timeout: 30_000 }).toBe(String(alone.delta.population_covered));
      expect(await page.getAttribute(`[data-testid="compare-buildings-${s.rank}"]`, 'data-value')).toBe(String(alone.delta.buildings_gained));
    }
    // Adopt the first: stored as planned, audited as the signed-in planner, left out of the figures.
    const shareBefore = await page.textContent('[data-testid="kpi-share"]');
    await page.click('[data-testid="adopt-1"]');
    const adopted = page.locator('[data-testid="adopted-1"]');
    await adopted.waitFor({ timeout: 30_000 });
    const id = Number(await adopted.getAttribute('data-id'));
    const pool = testPool();
    const audit = await pool
      .query<{ actor: string; status: string }>(`SELECT e.actor, f.status FROM event e JOIN facility f ON f.id = $1 WHERE e.type = 'facility.planned' AND e.subject = 'facility:' || $1`, [id])
      .finally(() => pool.end());
    expect(audit.rows).toEqual([{ actor: 'user:test-planner', status: 'planned' }]);
    await expect.poll(() => page.getAttribute('[data-testid="planned-note"]', 'data-counted'), { timeout: 30_000 }).toBe('false');
    expect(await page.textContent('[data-testid="kpi-share"]')).toBe(shareBefore);
    expect(seen.errors).toEqual([]);
    expect(seen.outside).toEqual([]);
  });
});
