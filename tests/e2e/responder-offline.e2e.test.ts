import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, watchPage } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testPool } from '../helpers/db.ts';
import { fetchAs, jsonApi } from '../helpers/auth.ts';
import { eastOf, jpegWithExif, metresBetween } from '../whistles/helpers.ts';
import { operationFixture } from '../operations/helpers.ts';
import { PHOTO_MAX_EDGE } from '../../client/src/features/responder/photo.ts';

/**
 * The responder's phone app offline: actions taken without a connection (on a whistle and on a
 * clearance-operation site) wait in the outbox,
 * survive a reload (the service worker serves the app shell), and reach the server once each,
 * in order, with the phone's time, when the connection returns.
 */
describe('the responder app offline', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let uploads: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let seen: { outside: string[]; errors: string[] };
  let whistleId: number;
  let departmentId: number;
  // The camera's frame: larger than the phone sends, so the compression shows in what is stored.
  const FRAME_EDGE = 2400;
  let site: [number, number];
  let operationId: number;
  let siteId: number;

  beforeAll(async () => {
    uploads = await mkdtemp(path.join(os.tmpdir(), 'cityops-uploads-'));
    server = await startTestServer({ whistles: { uploadDir: uploads, photoMaxBytes: 5 * 1024 * 1024, escalateMinutes: 15, sweepMs: 600_000 } });
    pool = testPool();
    const fx = await operationFixture(pool);
    site = fx.site;
    departmentId = fx.departments[0].id;
    const commander = jsonApi(await fetchAs(server.url, pool, 'commander'));
    const res = await commander.post('/api/whistles', { lng: fx.site[0], lat: fx.site[1], title: `offline ${Date.now()}`, department_codes: [fx.departments[0].code], deadline_minutes: 60 });
    expect(res.status).toBe(201);
    whistleId = ((await res.json()) as { id: number }).id;
    // A clearance operation with one site where the whistle is, for the same department.
    const op = await commander.post('/api/operations', { title: `整治 ${Date.now()}`, area: fx.area, department_codes: [fx.departments[0].code], sites: [{ lng: fx.site[0], lat: fx.site[1], label: '西侧堆物点' }] });
    expect(op.status).toBe(201);
    const opBody = (await op.json()) as { id: number; sites: { id: number }[] };
    operationId = opBody.id;
    siteId = opBody.sites[0]!.id;
    const responder = await fetchAs(server.url, pool, 'responder');

    browser = await launchBrowser();
    // The phone stands 40 m east of the site: inside the default 100 m fence.
    const [lng, lat] = eastOf(fx.site, 40);
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, geolocation: { longitude: lng, latitude: lat, accuracy: 8 }, permissions: ['geolocation'] });
    const [name, value] = responder.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: server.url }]);
    page = await context.newPage();
    seen = watchPage(page, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await pool?.end();
    await rm(uploads, { recursive: true, force: true });
  });

  const card = () => page.locator(`[data-testid="whistle-card"][data-whistle-id="${whistleId}"]`);
  const siteCard = () => page.locator(`[data-testid="site-card"][data-site-id="${siteId}"]`);

  it('opens online, installs its service worker and shows the whistle with the distance to its site', async () => {
    await page.goto(`${server.url}/responder`);
    await card().waitFor({ timeout: 30_000 });
    expect(await card().getAttribute('data-state')).toBe('summoned');
    // The preview measures 40 m, as placed; the server measures again at check-in.
    await expect.poll(() => card().locator('[data-testid="fence-preview"]').getAttribute('data-distance')).toBe('40');
    expect(await card().locator('[data-testid="fence-preview"]').getAttribute('data-inside')).toBe('true');
    // The department's operation site, pending, with its distance from the phone.
    await siteCard().waitFor({ timeout: 30_000 });
    expect(await siteCard().getAttribute('data-status')).toBe('pending');
    // The page is under the service worker's control before the connection goes.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 60_000 });
  });

  it('queues accept, check-in, a photo report and a site started with its before photo offline, keeps them through a reload, and sends each once in order when back online', async () => {
    await context.setOffline(true);
    await page.locator('[data-testid="net-state"]').filter({ hasText: /离线/ }).waitFor();
    await card().locator('[data-testid="accept"]').click();
    await card().locator('[data-testid="check-in"]').click();
    await card().locator('[data-testid="report-note"]').fill('现场已清理，围挡已撤除');
    // Taken on site a minute ago: its EXIF must survive the phone's compression for the server's check.
    const frame = await jpegWithExif({ at: new Date(Date.now() - 60_000), where: eastOf(site, 20), size: FRAME_EDGE });
    await card().locator('[data-testid="report-file"]').setInputFiles({ name: 'site.jpg', mimeType: 'image/jpeg', buffer: frame });
    await card().locator('[data-testid="report-photo"]').waitFor();
    await card().locator('[data-testid="report-send"]').click();
    await expect.poll(() => page.locator('[data-testid="outbox"]').getAttribute('data-waiting')).toBe('3');
    // The site's step needs a before photo; with one picked, starting queues the photo, then the start.
    expect(await siteCard().locator('[data-testid="site-step"]').isDisabled()).toBe(true);
    await siteCard().locator('[data-testid="site-file"]').setInputFiles({ name: 'before.jpg', mimeType: 'image/jpeg', buffer: frame });
    await siteCard().locator('[data-testid="site-photo"]').waitFor();
    await siteCard().locator('[data-testid="site-step"]').click();
    await expect.poll(() => page.locator('[data-testid="outbox"]').getAttribute('data-waiting')).toBe('5');
    expect(await siteCard().locator('[data-testid="site-state"]').textContent()).toMatch(/整治中.*未发送/);

    // Nothing reached the server.
    const before = await pool.query(`SELECT accepted_at, checked_in_at FROM whistle_call WHERE whistle_id = $1 AND department_id = $2`, [whistleId, departmentId]);
    expect(before.rows[0]).toEqual({ accepted_at: null, checked_in_at: null });

    // A reload while offline: the service worker serves the app, IndexedDB the queue and the whistle.
    await page.reload();
    await card().waitFor({ timeout: 30_000 });
    await siteCard().waitFor({ timeout: 30_000 });
    const queued = await page.$$eval('[data-testid="outbox-entry"]', (lis) => lis.map((li) => ({ kind: li.getAttribute('data-kind'), client_at: li.getAttribute('data-client-at')! })));
    expect(queued.map((q) => q.kind)).toEqual(['accept', 'check_in', 'report', 'site_photos', 'site_start']);
    expect(await page.locator('[data-testid="outbox"]').getAttribute('data-waiting')).toBe('5');
    expect((await pool.query(`SELECT status FROM operation_site WHERE id = $1`, [siteId])).rows[0].status).toBe('pending');

    await context.setOffline(false);
    await page.locator('[data-testid="outbox"]').waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => card().getAttribute('data-state'), { timeout: 15_000 }).toBe('checked_in_on_time');

    // Each action once, in the order taken, each with the phone's time of taking it.
    const events = await pool.query<{ type: string; client_at: string }>(
      `SELECT type, payload->>'client_at' AS client_at FROM event WHERE subject = $1 AND type <> 'whistle.created' ORDER BY seq`,
      [`whistle:${whistleId}`],
    );
    expect(events.rows.map((e) => e.type)).toEqual(['whistle.accepted', 'whistle.checked_in', 'whistle.reported']);
    expect(events.rows.map((e) => Date.parse(e.client_at))).toEqual(queued.slice(0, 3).map((q) => Date.parse(q.client_at)));
    const call = await pool.query<{ accepted_client_at: Date; checked_in_client_at: Date; accepted_at: Date; checked_in_at: Date; inside: boolean }>(
      `SELECT accepted_client_at, checked_in_client_at, accepted_at, checked_in_at, inside FROM whistle_call WHERE whistle_id = $1 AND department_id = $2`,
      [whistleId, departmentId],
    );
    expect(call.rows[0]!.accepted_client_at.getTime()).toBe(Date.parse(queued[0]!.client_at));
    expect(call.rows[0]!.checked_in_client_at.getTime()).toBe(Date.parse(queued[1]!.client_at));
    expect(call.rows[0]!.inside).toBe(true);
    expect(call.rows[0]!.accepted_at.getTime()).toBeLessThanOrEqual(call.rows[0]!.checked_in_at.getTime());
    const reports = await pool.query<{ client_at: Date; note: string; width: number; height: number; exif_distance_m: number | null; exif_taken_at: Date | null; exif_mismatch: boolean }>(
      `SELECT r.client_at, r.note, p.width, p.height, p.exif_distance_m, p.exif_taken_at, p.exif_mismatch FROM whistle_report r JOIN whistle_photo p ON p.report_id = r.id WHERE r.whistle_id = $1`,
      [whistleId],
    );
    expect(reports.rows).toHaveLength(1);
    expect(reports.rows[0]!.client_at.getTime()).toBe(Date.parse(queued[2]!.client_at));
    expect(reports.rows[0]!.note).toBe('现场已清理，围挡已撤除');
    // Compressed on the phone: the long edge brought down to the app's maximum, the shape kept.
    expect([reports.rows[0]!.width, reports.rows[0]!.height]).toEqual([PHOTO_MAX_EDGE, PHOTO_MAX_EDGE]);
    // The camera's EXIF came through the compression: the server read the position, 20 m from the site.
    expect(reports.rows[0]!.exif_taken_at).not.toBeNull();
    expect(reports.rows[0]!.exif_distance_m).toBeCloseTo(metresBetween(site, eastOf(site, 20)), 0);
    expect(reports.rows[0]!.exif_mismatch).toBe(false);
    // The site: its before photo stored once and then started, each with the phone's time.
    await expect.poll(() => siteCard().getAttribute('data-status'), { timeout: 15_000 }).toBe('in_progress');
    const siteEvents = await pool.query<{ action: string; client_at: string }>(
      `SELECT payload->>'action' AS action, payload->>'client_at' AS client_at FROM event WHERE subject = $1 AND type = 'operation.site_changed' ORDER BY seq`,
      [`operation:${operationId}`],
    );
    expect(siteEvents.rows.map((e) => e.action)).toEqual(['photo_before', 'start']);
    expect(siteEvents.rows.map((e) => Date.parse(e.client_at))).toEqual(queued.slice(3).map((q) => Date.parse(q.client_at)));
    const sitePhotos = await pool.query<{ stage: string; width: number; exif_mismatch: boolean }>(`SELECT stage, width, exif_mismatch FROM operation_photo WHERE site_id = $1`, [siteId]);
    expect(sitePhotos.rows).toEqual([{ stage: 'before', width: PHOTO_MAX_EDGE, exif_mismatch: false }]);
    // One idempotency key per action.
    const keys = await pool.query<{ action: string }>(`SELECT action FROM action_key WHERE target = $1 ORDER BY created_at`, [`whistle:${whistleId}`]);
    expect(keys.rows.map((k) => k.action).sort()).toEqual(['accept', 'check_in', 'report']);
    const siteKeys = await pool.query<{ action: string }>(`SELECT action FROM action_key WHERE target = $1 ORDER BY created_at`, [`site:${siteId}`]);
    expect(siteKeys.rows.map((k) => k.action)).toEqual(['photo_before', 'start']);
    expect(seen.errors).toEqual([]);
    expect(seen.outside).toEqual([]);
  });

  it('leaves the other views outside its service worker', async () => {
    for (const view of ['/wall', '/planner', '/command']) {
      // The controller is settled when the document commits: no need to wait for a map to load.
      await page.goto(`${server.url}${view}`, { waitUntil: 'domcontentloaded' });
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(false);
    }
    const scopes = await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => new URL(r.scope).pathname));
    expect(scopes).toEqual(['/responder']);
  });
});
