import type { Browser, BrowserContext, Page } from 'playwright-core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, watchPage } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testPool } from '../helpers/db.ts';
import { ensureTestUser, fetchAs, jsonApi, TEST_PASSWORD, testDisplayToken } from '../helpers/auth.ts';
import { addUser } from '../../server/src/auth/service.ts';
import { systemPrincipal } from '../../server/src/auth/principal.ts';
import { simulatorPrincipal } from '../../server/src/auth/demo.ts';
import { createCase } from '../../server/src/cases/service.ts';
import { eastOf, independentRanking, jpegWithExif, whistleFixture } from '../whistles/helpers.ts';

/** Scores are shown to one decimal, and the case composite inside them too (as in tests/whistles/ranking.test.ts). */
const ROUNDING = 0.0751;

type Ranked = { code: string; score: number; rank: number };

/**
 * Whistle and report end to end, in three browsers: the commander works the /command page, a
 * responder's phone (its position set by the test) checks in, a wall (display token) shows
 * the arrival board. The second responder acts through the API with its own session.
 */
describe('whistle and report in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let pool: pg.Pool;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
    pool = testPool();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await pool?.end();
  });

  const newPage = async (opts: Parameters<Browser['newContext']>[0]): Promise<Page> => {
    const ctx = await browser.newContext(opts);
    contexts.push(ctx);
    return ctx.newPage();
  };
  /** Signs a browser in through the API, as the app's own form does; the cookie stays in its context. */
  const signIn = (page: Page, username: string) =>
    page.evaluate(
      async ([u, p]) => (await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) })).status,
      [username, TEST_PASSWORD] as const,
    );

  it('summons two departments from /command, shows each check-in live on the wall, closes with grades and moves the ranking as computed independently', async () => {
    const fx = await whistleFixture(pool);
    const setup = { principal: systemPrincipal('tests'), db: pool };
    // Two departments of their own, each with a responder, so no other test moves their scores.
    const tag = `w${process.pid}${Date.now().toString(36)}`;
    const codes = [`${tag}_a`, `${tag}_b`] as const;
    const deps = (
      await pool.query<{ id: number; code: string }>(
        `INSERT INTO department (code, name_zh, name_en, kind) VALUES ($1, '测试城管', 'Test enforcement', 'government'), ($2, '测试街面', 'Test streets', 'government') RETURNING id, code`,
        [...codes],
      )
    ).rows.sort((x, y) => x.code.localeCompare(y.code));
    const [depA, depB] = [deps[0]!, deps[1]!];
    for (const d of deps) await addUser(setup, { username: `${d.code.replace(/_/g, '-')}-phone`, name: d.code, role: 'responder', password: TEST_PASSWORD, department: d.id });
    const commander = await ensureTestUser(pool, 'commander');
    // The wall's board shows the four most pressing whistles; this test runs alone (browser tests
    // run one file at a time, after the rest), so whistles other files left open are cancelled.
    await pool.query(`UPDATE whistle SET status = 'cancelled', closed_at = now() WHERE status = 'open'`);
    const kase = (await createCase({ principal: await simulatorPrincipal(pool), db: pool }, { source: 'hotline_12345', category: 'street_vending', description: 'whistle e2e: stalls block the lane', lng: fx.site[0], lat: fx.site[1] })).case;

    const viewer = jsonApi(await fetchAs(server.url, pool, 'viewer'));
    const ranking = async () => {
      const asOf = new Date().toISOString();
      const got = (await (await viewer.get(`/api/departments/ranking?as_of=${encodeURIComponent(asOf)}`)).json()) as { departments: Ranked[] };
      const kpi = (await (await viewer.get(`/api/kpis?window=30d&group=department&as_of=${encodeURIComponent(asOf)}`)).json()) as { rows: Parameters<typeof independentRanking>[1] };
      const expected = await independentRanking(pool, kpi.rows, new Date(asOf));
      for (const r of got.departments) expect(Math.abs(r.score - expected.get(r.code)!), r.code).toBeLessThanOrEqual(ROUNDING);
      return { score: (code: string) => got.departments.find((r) => r.code === code)!.score, rank: (code: string) => got.departments.find((r) => r.code === code)!.rank };
    };
    const before = await ranking();
    expect([before.score(depA.code), before.score(depB.code)]).toEqual([100, 100]);

    // The wall, signed in by its display token.
    const wall = await newPage({ viewport: { width: 1280, height: 720 } });
    const wallSeen = watchPage(wall, server.url);
    await wall.goto(`${server.url}/wall?display=${await testDisplayToken(pool)}&tour=0`);
    await wall.waitForSelector('[data-testid="wall-kpis"][data-state="ready"]', { timeout: 60_000 });

    // The commander signs in through the form /command shows and finds the case in the queue.
    // The tablet size: the smaller of the two the view is made for.
    const cmd = await newPage({ viewport: { width: 1366, height: 1024 } });
    const cmdSeen = watchPage(cmd, server.url);
    await cmd.goto(`${server.url}/command`);
    await cmd.fill('input[name="username"]', commander);
    await cmd.fill('input[name="password"]', TEST_PASSWORD);
    await cmd.click('.login-form button[type="submit"]');
    await cmd.waitForSelector('[data-testid="command-queue"][data-state="ready"]', { timeout: 30_000 });
    // The map names the streets the commander sends people to.
    const streetLabels = async () => Number(/street:(\d+)/.exec((await cmd.getAttribute('[data-testid="command-map"]', 'data-labels')) ?? '')?.[1] ?? 0);
    await expect.poll(streetLabels, { timeout: 60_000 }).toBeGreaterThan(0);
    await cmd.fill('[data-testid="command-queue"] input[type="search"]', String(kase.id));
    await cmd.click(`[data-testid="queue-list"] [data-case-id="${kase.id}"]`);
    await cmd.waitForSelector(`[data-testid="case-detail"][data-case-id="${kase.id}"]`);
    expect(await cmd.textContent('[data-testid="case-history"]')).toMatch(/上报/);

    // … and blows the whistle from it, naming both departments, 15 minutes, 100 m.
    await cmd.click('[data-testid="case-blow"]');
    // The form preselects the case's own department; this whistle names exactly the two.
    for (const box of await cmd.$$('[data-testid="whistle-form"] input[type="checkbox"]:checked')) await box.uncheck();
    await cmd.check(`[data-testid="whistle-form"] input[value="${depA.code}"]`);
    await cmd.check(`[data-testid="whistle-form"] input[value="${depB.code}"]`);
    await cmd.selectOption('[data-testid="whistle-form"] select[name="deadline"]', '15');
    await cmd.click('[data-testid="whistle-submit"]');
    await expect.poll(async () => (await pool.query(`SELECT id FROM whistle WHERE case_id = $1`, [kase.id])).rows.length, { timeout: 10_000 }).toBe(1);
    const { id, site } = (await pool.query<{ id: number; site: [number, number] }>(`SELECT id, ARRAY[ST_X(geom), ST_Y(geom)] AS site FROM whistle WHERE case_id = $1`, [kase.id])).rows[0]!;
    const call = (page: Page, code: string) => page.getAttribute(`[data-testid="command-board"] [data-whistle-id="${id}"] [data-department-code="${code}"]`, 'data-state');
    const chip = (depId: number) => wall.getAttribute(`[data-testid="wall-whistles"] [data-whistle-id="${id}"] [data-department-id="${depId}"]`, 'data-state', { timeout: 1000 }).catch(() => null);
    await expect.poll(() => call(cmd, depA.code), { timeout: 10_000 }).toBe('summoned');
    expect(await call(cmd, depB.code)).toBe('summoned');
    await expect.poll(() => chip(depA.id), { timeout: 10_000 }).toBe('wait');
    await expect.poll(() => chip(depB.id), { timeout: 10_000 }).toBe('wait');

    // Responder A's phone is 20 m from the site: it accepts, then checks in with its position.
    const near = eastOf(site, 20);
    const phone = await newPage({ viewport: { width: 390, height: 844 }, geolocation: { longitude: near[0], latitude: near[1], accuracy: 8 }, permissions: ['geolocation'] });
    await phone.goto(`${server.url}/`);
    expect(await signIn(phone, `${depA.code.replace(/_/g, '-')}-phone`)).toBe(200);
    const phoneStatus = await phone.evaluate(async (whistle) => {
      const post = (path: string, body: unknown) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);
      const accepted = await post(`/api/whistles/${whistle}/accept`, {});
      const pos = await new Promise<GeolocationPosition>((resolve, reject) => navigator.geolocation.getCurrentPosition(resolve, reject, { timeout: 10_000 }));
      const checkedIn = await post(`/api/whistles/${whistle}/check-ins`, { lng: pos.coords.longitude, lat: pos.coords.latitude, accuracy_m: pos.coords.accuracy });
      return [accepted, checkedIn];
    }, id);
    expect(phoneStatus).toEqual([200, 200]);
    await expect.poll(() => chip(depA.id), { timeout: 10_000 }).toBe('in');
    await expect.poll(() => call(cmd, depA.code), { timeout: 10_000 }).toBe('in_on_time');
    await expect.poll(() => chip(depB.id), { timeout: 10_000 }).toBe('wait');

    // A reports from the site with a photo; the commander's open whistle shows it as it arrives,
    // the photo served back from the server.
    const row = `[data-testid="command-board"] [data-whistle-id="${id}"]`;
    await cmd.waitForSelector(`${row} [data-testid="whistle-reports"][data-count="0"]`, { timeout: 10_000 });
    const photo = (await jpegWithExif({ at: new Date(), where: near })).toString('base64');
    const reported = await phone.evaluate(
      ([whistle, b64]) => fetch(`/api/whistles/${whistle}/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: '路面已清扫，待复核', photos: [b64] }) }).then((r) => r.status),
      [id, photo] as const,
    );
    expect(reported).toBe(201);
    await cmd.waitForSelector(`${row} [data-testid="whistle-reports"][data-count="1"]`, { timeout: 10_000 });
    expect(await cmd.textContent(`${row} [data-testid="whistle-reports"]`)).toContain('路面已清扫，待复核');
    await expect.poll(() => cmd.$eval(`${row} [data-testid="report-thumb"]`, (img) => (img as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBeGreaterThan(0);

    // The deadline passes (it lives in the database: the whistle is moved 20 minutes into the
    // past), then B checks in 600 m away: late and outside, flagged.
    await pool.query(`UPDATE whistle SET called_at = called_at - interval '20 minutes', deadline_at = deadline_at - interval '20 minutes' WHERE id = $1`, [id]);
    const far = eastOf(site, 600);
    const responderB = jsonApi(await (async () => {
      const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `${depB.code.replace(/_/g, '-')}-phone`, password: TEST_PASSWORD }) });
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      return Object.assign((path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), cookie } }), { cookie });
    })());
    expect((await responderB.post(`/api/whistles/${id}/check-ins`, { lng: far[0], lat: far[1], accuracy_m: 10 })).status).toBe(200);
    await expect.poll(() => chip(depB.id), { timeout: 10_000 }).toBe('late');
    await expect.poll(() => call(cmd, depB.code), { timeout: 10_000 }).toBe('flagged');

    // The commander accepts B's check-in with a note (B stays late), then closes: A 5, B 2.
    await cmd.fill(`${row} [data-department-code="${depB.code}"] [data-testid="flag-note"]`, '道路封闭绕行');
    await cmd.click(`${row} [data-department-code="${depB.code}"] [data-testid="flag-accept"]`);
    await expect.poll(() => call(cmd, depB.code), { timeout: 10_000 }).toBe('in_late');
    await cmd.click(`${row} [data-testid="close-start"]`);
    await cmd.click(`${row} [data-department-code="${depA.code}"] [data-score="5"]`);
    await cmd.click(`${row} [data-department-code="${depB.code}"] [data-score="2"]`);
    await cmd.click(`${row} [data-testid="close-submit"]`);
    await cmd.waitForSelector(`[data-testid="command-closed"] [data-whistle-id="${id}"]`, { timeout: 10_000 });
    expect(await cmd.$(row)).toBeNull();
    // The wall's board lets the closed whistle go at once.
    await expect.poll(() => wall.$(`[data-testid="wall-whistles"] [data-whistle-id="${id}"]`), { timeout: 10_000 }).toBeNull();

    const stored = (await pool.query<{ code: string; grade: number; flag_note: string | null }>(
      `SELECT d.code, c.grade, c.flag_note FROM whistle_call c JOIN department d ON d.id = c.department_id WHERE c.whistle_id = $1 ORDER BY d.code`,
      [id],
    )).rows;
    expect(stored).toEqual([{ code: depA.code, grade: 5, flag_note: null }, { code: depB.code, grade: 2, flag_note: '道路封闭绕行' }]);

    // A: on time, inside, graded 5 → 100 × (0.5 + 0.3 + 0.2). B: late (not on time), graded 2 → 100 × (0.5 + 0 + 0.2 × 0.25).
    const after = await ranking();
    expect([after.score(depA.code), after.score(depB.code)]).toEqual([100, 55]);
    expect(after.rank(depB.code)).toBeGreaterThan(after.rank(depA.code));

    expect(cmdSeen.errors).toEqual([]);
    expect(cmdSeen.outside).toEqual([]);
    expect(wallSeen.errors).toEqual([]);
  });
});
