import { loginCookie, testDisplayToken } from '../helpers/auth.ts';
import type { Browser, Page } from 'playwright-core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, watchPage } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testPool } from '../helpers/db.ts';
import { LiveSimulator } from '../../server/src/simulator/live.ts';

/**
 * The wall watched as an operations room watches it: the simulator at the demo rate (0.5 cases
 * a second, as `npm start` runs it) plus ten urgent cases. The camera policy runs on the test
 * clock (`clock=test`), which moves only when the test advances it (and camera moves jump
 * instead of flying), so what is asserted is the policy's cadence, never how fast a
 * software-rendered page happens to be.
 */
const DEMO_RATE = 0.5;
const STEP_MS = 5000;

describe('the wall over time (soak)', () => {
  let server: TestServer;
  let browser: Browser;
  let pool: pg.Pool;
  let sim: LiveSimulator;
  let simDone: Promise<void>;
  let point: { lng: number; lat: number };
  let display = '';
  let dispatcher = '';

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
    pool = testPool();
    display = await testDisplayToken(pool);
    dispatcher = await loginCookie(server.url, pool, 'dispatcher');
    const { rows } = await pool.query<{ lng: number; lat: number }>(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = 'district') s`,
    );
    point = rows[0]!;
    sim = new LiveSimulator({ pool, rate: DEMO_RATE, speed: 60, seed: 7 });
    simDone = sim.run();
  });
  afterAll(async () => {
    sim?.stop();
    await simDone?.catch(() => {});
    await browser?.close();
    await server?.close();
    await pool?.end();
  });

  async function openWall(page: Page, query: string) {
    await page.goto(`${server.url}/wall?display=${display}&clock=test&${query}`);
    await page.waitForSelector('.wall-map [data-ready]', { timeout: 120_000 });
    // Every change of the camera and of the inset, stamped with the policy clock.
    await page.evaluate(() => {
      const w = window as unknown as { __log: { at: number; view: string | null; camera: string | null }[]; __wallClock: { now: () => number } };
      const root = document.querySelector('.wall-map [data-ready]')!;
      const wall = document.querySelector('[data-testid="wall-map"]')!;
      w.__log = [];
      const note = () => {
        const last = w.__log.at(-1);
        const entry = { at: w.__wallClock.now(), view: root.getAttribute('data-view'), camera: wall.getAttribute('data-camera') };
        if (!last || last.view !== entry.view || last.camera !== entry.camera) w.__log.push(entry);
      };
      note();
      new MutationObserver(note).observe(root, { attributes: true, attributeFilter: ['data-view'] });
      new MutationObserver(note).observe(wall, { attributes: true, attributeFilter: ['data-camera'] });
    });
  }

  const advance = (page: Page, ms: number) => page.evaluate((d) => (window as unknown as { __wallClock: { advance: (ms: number) => number } }).__wallClock.advance(d), ms);
  /** Advances the policy clock one step and reads, once the page has rendered, the inset's case and the cases shown so far. */
  const step = (page: Page, ms: number) =>
    page.evaluate(async (d) => {
      (window as unknown as { __wallClock: { advance: (ms: number) => number } }).__wallClock.advance(d);
      await new Promise((r) => setTimeout(r, 30));
      return {
        inset: document.querySelector('[data-testid="wall-inset"]')?.getAttribute('data-case-id') ?? null,
        shown: (document.querySelector('[data-testid="wall-map"]')?.getAttribute('data-inset-shown') ?? '').split(',').filter(Boolean).map(Number),
      };
    }, ms);
  const log = (page: Page) => page.evaluate(() => (window as unknown as { __log: { at: number; view: string | null; camera: string | null }[] }).__log);
  const shown = async (page: Page) => ((await page.getAttribute('[data-testid="wall-map"]', 'data-inset-shown')) ?? '').split(',').filter(Boolean).map(Number);

  async function createUrgent(n: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${server.url}/api/cases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: dispatcher },
        body: JSON.stringify({ source: 'hotline_12345', category: 'manhole_cover', description: `soak: urgent ${i}`, lng: point.lng + i * 0.0004, lat: point.lat, priority: 'urgent', address: `soak ${i}` }),
      });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { case: { id: number } }).case.id);
    }
    return ids;
  }

  it('with tour=0 never moves the camera, while the case inset shows each of ten urgent cases in turn', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const seen = watchPage(page, server.url);
    await openWall(page, 'tour=0');
    const home = (await log(page))[0]!.view;
    expect(home).toMatch(/^\d+\.\d{5},\d+\.\d{5},\d+\.\d{2}$/);

    const urgent = await createUrgent(10);
    // Policy time runs on, 15 s per case in the inset (the simulator's own urgent cases queue
    // too); each case the inset names is one the wall then lists as shown.
    const seenIds = new Set<number>();
    const inInset = new Set<number>();
    // The pushes have reached the page once the last case pulses on the map.
    await expect.poll(() => page.getAttribute('[data-testid="wall-map"]', 'data-new-cases'), { timeout: 60_000 }).toContain(String(urgent.at(-1)));
    for (let i = 0; i < 200 && !urgent.every((id) => seenIds.has(id) && inInset.has(id)); i++) {
      const r = await step(page, STEP_MS);
      if (r.inset) inInset.add(Number(r.inset));
      for (const id of r.shown) seenIds.add(id);
    }
    expect(urgent.filter((id) => !seenIds.has(id))).toEqual([]);
    // Each was on screen in the inset itself (shown for three steps of the clock at least).
    expect(urgent.filter((id) => !inInset.has(id))).toEqual([]);
    expect(urgent.filter((id) => !seenIds.has(id))).toEqual([]);
    // Shown in the order they were reported.
    const order = (await shown(page)).filter((id) => urgent.includes(id));
    expect(order).toEqual(urgent);

    const changes = await log(page);
    expect(new Set(changes.map((c) => c.view))).toEqual(new Set([home]));
    expect(new Set(changes.map((c) => c.camera))).toEqual(new Set(['home']));
    expect(seen.errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('with the tour on, leaves home only at the documented times (45 s home, 15 s a stop) and comes back, urgent cases or not', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const seen = watchPage(page, server.url);
    await openWall(page, 'tour=1&home=45&dwell=15');
    const home = (await log(page))[0]!.view;
    await createUrgent(3);
    const cameraAt: { at: number; camera: string }[] = [];
    for (let t = 0; t < 3 * 60_000; ) {
      t = await advance(page, STEP_MS);
      const camera = (await page.getAttribute('[data-testid="wall-map"]', 'data-camera', { timeout: 120_000 }))!;
      if (cameraAt.at(-1)?.camera !== camera) {
        cameraAt.push({ at: t, camera });
        // The camera reaches its new place (home is the same view as at the start) before the clock moves on.
        await expect.poll(async () => (await log(page)).at(-1)!.view === home, { timeout: 60_000 }).toBe(camera === 'home');
      }
    }
    // Starts home, a stop at 45 s, home at 60 s, the next stop at 105 s, and so on (the clock ends
    // at 180 s). The clock moves in steps of STEP_MS and a software-rendered flight may end after
    // the step it started in, so a change is seen at its beat or at most one step after it.
    const expected: [number, string][] = [
      [5000, 'home'],
      [45_000, 'stop'],
      [60_000, 'home'],
      [105_000, 'stop'],
      [120_000, 'home'],
      [165_000, 'stop'],
      [180_000, 'home'],
    ];
    const seenChanges = cameraAt.map((c) => [c.at, c.camera.startsWith('stop') ? 'stop' : c.camera] as [number, string]);
    expect(seenChanges.map((c) => c[1])).toEqual(expected.map((e) => e[1]));
    for (const [i, [at]] of seenChanges.entries()) {
      expect(at - expected[i]![0], `change ${i} at ${at} ms`).toBeGreaterThanOrEqual(0);
      expect(at - expected[i]![0], `change ${i} at ${at} ms`).toBeLessThanOrEqual(STEP_MS);
    }
    // Two stops in a row are different subdistricts.
    const stops = cameraAt.filter((c) => c.camera.startsWith('stop')).map((c) => c.camera);
    expect(stops[0]).not.toBe(stops[1]);
    // The view changed only on those beats: every logged view was home or a stop's, stamped at a beat.
    const beats = new Set([0, 45_000, 60_000, 105_000, 120_000, 165_000, 180_000]);
    for (const c of await log(page)) {
      const beat = [...beats].filter((b) => b <= c.at).at(-1)!;
      expect(c.at - beat).toBeLessThanOrEqual(STEP_MS);
    }
    expect(seen.errors).toEqual([]);
    await page.close();
  }, 600_000);
});
