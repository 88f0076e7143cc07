import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, watchPage } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testPool } from '../helpers/db.ts';
import { fetchAs, jsonApi, testDisplayToken } from '../helpers/auth.ts';
import { listCategories } from '../../server/src/cases/categories.ts';

/**
 * Every text on the wall fits its box, in Chinese and in English, at the three wall sizes: no
 * element holding text, and no box inside a panel, is wider inside (scrollWidth) than it is
 * drawn (clientWidth). Inline text is judged by the box it sits in. A cut-off name or an
 * ellipsis fails this.
 */
const SIZES = [
  [3840, 2160],
  [1920, 1080],
  [7680, 2160],
] as const;

describe('the wall fits its text', () => {
  let server: TestServer;
  let browser: Browser;
  let display = '';
  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
    const pool = testPool();
    try {
      display = await testDisplayToken(pool);
      // The ticker's worst case, whatever else is in the database: the twelve categories with
      // the longest English names, each in one of the subdistricts with the longest names.
      const places = (
        await pool.query<{ lng: number; lat: number }>(
          `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p, name_en FROM admin_unit WHERE level = 'subdistrict') s ORDER BY length(name_en) DESC, name_en LIMIT 12`,
        )
      ).rows;
      const longest = [...listCategories()].sort((a, b) => b.name_en.length - a.name_en.length || a.code.localeCompare(b.code)).slice(0, 12);
      const dispatcher = jsonApi(await fetchAs(server.url, pool, 'dispatcher'));
      const run = Date.now().toString(36);
      for (const [i, c] of longest.entries()) {
        const p = places[i % places.length]!;
        const res = await dispatcher.post('/api/cases', { source: 'wechat', external_id: `fit-${run}-${i}`, category: c.code, description: 'fit', lng: p.lng, lat: p.lat });
        expect(res.status).toBe(201);
      }
    } finally {
      await pool.end();
    }
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [width, height] of SIZES) {
    for (const lang of ['zh-CN', 'en'] as const) {
      it(`has no overflowing text in ${lang} at ${width}×${height}`, async () => {
        const page = await browser.newPage({ viewport: { width, height } });
        const seen = watchPage(page, server.url);
        // The map is not what is checked here: without layers it draws fast in software.
        await page.goto(`${server.url}/wall?display=${display}&tour=0&layers=&lang=${lang}`);
        await page.waitForSelector('[data-testid="wall-kpis"][data-state="ready"]', { timeout: 120_000 });
        await page.waitForSelector('[data-testid="wall-ranking"]', { timeout: 60_000 });
        await page.waitForSelector('[data-testid="wall-ticker"]', { timeout: 60_000 });
        await page.evaluate(() => document.fonts.ready);
        const report = await page.evaluate(() => {
          const over: string[] = [];
          let checked = 0;
          for (const el of document.querySelectorAll<HTMLElement>('.wall *')) {
            if (el.closest('svg') || el.closest('.maplibregl-map') || !el.offsetParent) continue;
            const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
            // Text elements, and every box inside a panel (a list wider than its panel fails too).
            if (!hasText && !el.closest('.wall-panel')) continue;
            // An inline element has no box of its own: judge the block it sits in.
            let box: HTMLElement = el;
            while (getComputedStyle(box).display === 'inline' && box.parentElement) box = box.parentElement;
            checked++;
            if (box.scrollWidth > box.clientWidth + 1) over.push(`${box.className || box.tagName}: "${el.textContent!.trim().slice(0, 40)}" ${box.scrollWidth} > ${box.clientWidth}`);
          }
          return { over, checked };
        });
        expect(report.checked).toBeGreaterThan(100);
        expect(report.over).toEqual([]);
        // The newest cases show whole rows only: every row still shown ends inside its panel.
        const rows = await page.$$eval('[data-testid="wall-ticker"] li', (lis) => {
          const bottom = lis[0]!.closest('.wall-panel__body')!.getBoundingClientRect().bottom;
          return lis.map((li) => ({ cut: li.hasAttribute('data-cut'), shown: getComputedStyle(li).visibility !== 'hidden', past: li.getBoundingClientRect().bottom - bottom }));
        });
        expect(rows.filter((r) => !r.cut).length).toBeGreaterThan(0);
        for (const r of rows) {
          expect(r.shown).toBe(!r.cut);
          if (!r.cut) expect(r.past).toBeLessThanOrEqual(0.5);
        }
        expect(seen.errors).toEqual([]);
        await page.close();
      }, 300_000);
    }
  }
});
