import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile, type ImportSummary } from '../../server/src/import/service.ts';
import { coverageSums, exportCity, facilityAttachments } from '../coverage/independent.ts';
import { cityOutline, loadIntroGraph, toOsmXml, type IntroGraph } from '../district/three-rivers.ts';
import { launchBrowser, watchPage } from '../helpers/browser.ts';
import { ROOT } from '../helpers/process.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { scratchCity } from '../import/helpers.ts';
import { fetchAs, testDisplayToken, type AuthedFetch } from '../helpers/auth.ts';

// Set CITYOPS_UPDATE_SCREENSHOTS=1 to refresh the README's picture of the other city.
const SCREENSHOT = path.join(ROOT, 'docs', 'other-city-wall.png');

describe('a district of its own: Three Rivers, Michigan, from OpenStreetMap', () => {
  let graph: IntroGraph;
  let planner: AuthedFetch;
  let city: Awaited<ReturnType<typeof scratchCity>>;
  let pool: pg.Pool;
  let server: TestServer;
  let browser: Browser;
  let dir: string;
  let imported: ImportSummary;

  beforeAll(async () => {
    graph = loadIntroGraph();
    city = await scratchCity('threerivers');
    pool = new pg.Pool({ connectionString: city.url, max: 3 });
    dir = mkdtempSync(path.join(tmpdir(), 'cityops-district-'));
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await pool?.end();
    await city?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sets the district up from its name, time zone and real outline, without the demo city', () => {
    const outline = path.join(dir, 'three-rivers.geojson');
    writeFileSync(outline, JSON.stringify({ type: 'Feature', properties: {}, geometry: cityOutline(graph) }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/district.ts', 'init', '--name-zh', '三河市', '--name-en', 'Three Rivers',
      '--tz', 'America/Detroit', '--outline', outline, '--code', 'US-MI-THREE-RIVERS'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: city.url }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    const ring = cityOutline(graph).coordinates[0]!;
    expect(d).toEqual({
      code: 'US-MI-THREE-RIVERS', name_zh: '三河市', name_en: 'Three Rivers', timezone: 'America/Detroit', configured: true,
      bbox: [Math.min(...ring.map((p) => p[0])), Math.min(...ring.map((p) => p[1])), Math.max(...ring.map((p) => p[0])), Math.max(...ring.map((p) => p[1]))],
    });
  }, 120_000);

  it('refuses the extract\'s part outside the city, and imports the part inside with --clip', async () => {
    const bytes = Buffer.from(toOsmXml(graph));
    await expect(importFile(city.client, { name: 'three-rivers.osm', bytes })).rejects.toThrow(/lie outside the district/);
    imported = await importFile(city.client, { name: 'three-rivers.osm', bytes }, { clip: true });
    expect(imported.outside).toBeGreaterThan(0);
    const { rows: [n] } = await city.client.query(
      `SELECT (SELECT count(*)::int FROM walk_edge) AS edges, (SELECT count(*)::int FROM building) AS buildings,
              (SELECT count(*)::int FROM building b WHERE NOT ST_Intersects(b.geom, (SELECT geom FROM admin_unit WHERE level = 'district'))) AS outside,
              (SELECT count(*)::int FROM facility WHERE kind = 'primary_school') AS schools`,
    );
    expect(n.edges).toBe(imported.tables.walk_edge!.added);
    expect(n.buildings).toBe(imported.tables.building!.added);
    expect(n.edges).toBeGreaterThan(200);
    expect(n.buildings).toBeGreaterThan(200);
    expect(n.outside).toBe(0);
    expect(n.schools).toBeGreaterThan(0);
    const again = await importFile(city.client, { name: 'three-rivers.osm', bytes }, { clip: true });
    expect(Object.values(again.tables).every((t) => t.added + t.replaced + t.deleted === 0)).toBe(true);
  }, 180_000);

  it('computes coverage on its own network, agreeing with an independent computation', async () => {
    server = await startTestServer({ databaseUrl: city.url });
    planner = await fetchAs(server.url, pool, 'planner');
    const res = await planner('/api/coverage?kind=primary_school&minutes=15');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { district: { population: number; population_covered: number; share: number } };
    const sums = coverageSums(await exportCity(pool), await facilityAttachments(pool, 'primary_school'), 15 * 60 * 1.2);
    expect(sums.population).toBeGreaterThan(0);
    expect(body.district.population).toBe(sums.population);
    expect(body.district.population_covered).toBe(sums.covered);
    const district = await (await fetch(`${server.url}/api/district`)).json();
    expect(district).toMatchObject({ name_en: 'Three Rivers', timezone: 'America/Detroit', configured: true });
  }, 180_000);

  it('opens the wall and the planner on it, named and framed as Three Rivers', async () => {
    browser = await launchBrowser();
    const page: Page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const seen = watchPage(page, server.url);
    // The wall signs in with its display token; the planner as a planner.
    const display = await testDisplayToken(pool);
    const [name, value] = planner.cookie.split('=') as [string, string];
    await page.context().addCookies([{ name, value, url: server.url }]);
    await page.goto(`${server.url}/wall?lang=en&display=${display}`);
    await expect.poll(() => page.textContent('h1'), { timeout: 60_000 }).toBe('Three Rivers Operations Center');
    await page.waitForSelector('[data-testid="wall-map"] canvas', { timeout: 60_000 });
    await page.waitForTimeout(8000);
    if (process.env.CITYOPS_UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: SCREENSHOT });
    await page.goto(`${server.url}/wall?display=${display}`);
    await expect.poll(() => page.textContent('h1'), { timeout: 60_000 }).toBe('三河市城市运行指挥中心');
    await page.context().addCookies([{ name, value, url: server.url }]);

    await page.goto(`${server.url}/planner?lang=en`);
    await page.waitForSelector('[data-testid="planner-kind"] option[value="primary_school"]', { state: 'attached', timeout: 60_000 });
    await page.selectOption('[data-testid="planner-kind"]', 'primary_school');
    await page.click('[data-testid="threshold-minutes-15"]');
    const api = (await (await planner('/api/coverage?kind=primary_school&minutes=15')).json()) as { district: { share: number } };
    await expect.poll(() => page.textContent('[data-testid="kpi-share"]'), { timeout: 60_000 }).toBe(`${(api.district.share * 100).toFixed(1)}%`);
    expect(seen.outside).toEqual([]);
    expect(seen.errors).toEqual([]);
  }, 300_000);
});
