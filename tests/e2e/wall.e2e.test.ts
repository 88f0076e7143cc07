import { PNG } from 'pngjs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, watchPage } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Counts pixels within `tol` of an RGB colour. */
function countColour(png: PNG, [r, g, b]: readonly number[], tol = 40): number {
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (Math.abs(png.data[i]! - r!) <= tol && Math.abs(png.data[i + 1]! - g!) <= tol && Math.abs(png.data[i + 2]! - b!) <= tol) n++;
  }
  return n;
}

describe('the wall in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('draws the district from PostGIS on the map canvas, loading nothing from outside', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const seen = watchPage(page, server.url);
    await page.goto(`${server.url}/wall`);
    await page.waitForSelector('[data-map-state="ready"]', { timeout: 30_000 });
    const canvas = await page.$('canvas.maplibregl-canvas');
    expect(canvas).not.toBeNull();
    const png = PNG.sync.read(await canvas!.screenshot());
    // The outline colour (COLORS.districtLine) must be drawn as a long line, and the map
    // must not be blank background.
    const outline = countColour(png, [90, 200, 255]);
    expect(outline).toBeGreaterThan(1500);
    const background = countColour(png, [11, 18, 32], 3);
    expect(background).toBeGreaterThan(1000);
    expect(background).toBeLessThan(png.width * png.height * 0.9);
    expect(seen.errors).toEqual([]);
    expect(seen.outside).toEqual([]);
    await page.close();
  });

  it('shows Chinese labels by default and English with ?lang=en', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/wall`);
    await expect.poll(() => page.textContent('h1')).toBe('大屏');
    await page.goto(`${server.url}/wall?lang=en`);
    await expect.poll(() => page.textContent('h1')).toBe('Wall');
    await page.close();
  });
});
