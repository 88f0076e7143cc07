import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import exifr from 'exifr';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweep } from '../../server/src/whistles/service.ts';
import { WHISTLE_ACTIONS } from '../../server/src/whistles/workflow.ts';
import { fetchAs, jsonApi, type AuthedFetch } from '../helpers/auth.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { eastOf, jpegWithExif, metresBetween, whistleFixture } from './helpers.ts';

type Call = {
  department_code: string;
  department_id: number;
  state: string;
  flagged: boolean;
  inside: boolean | null;
  on_time: boolean | null;
  distance_m: number | null;
  accuracy_m: number | null;
  checked_in_client_at: string | null;
  missing_at: string | null;
  flag_accepted_by: string | null;
  flag_note: string | null;
  grade: number | null;
};
type Whistle = { id: number; status: string; subdistrict_id: number; deadline_at: string; calls: Call[] };

const PHOTO_MAX = 200_000;

describe('whistles', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let uploads: string;
  let fx: Awaited<ReturnType<typeof whistleFixture>>;
  let commander: ReturnType<typeof jsonApi> & { f: AuthedFetch };
  let commander2: ReturnType<typeof jsonApi>;
  let responder: ReturnType<typeof jsonApi> & { f: AuthedFetch };
  let responder2: ReturnType<typeof jsonApi>;
  let dispatcher: ReturnType<typeof jsonApi>;

  const as = async (who: Parameters<typeof fetchAs>[2]) => {
    const f = await fetchAs(server.url, pool, who);
    return Object.assign(jsonApi(f), { f });
  };
  const postKeyed = (who: { f: AuthedFetch }, p: string, body: unknown, key: string) =>
    who.f(p, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });

  beforeAll(async () => {
    uploads = await mkdtemp(path.join(os.tmpdir(), 'cityops-uploads-'));
    // The sweep is run by the tests themselves, so a state is never changed under them.
    server = await startTestServer({ whistles: { uploadDir: uploads, photoMaxBytes: PHOTO_MAX, escalateMinutes: 15, sweepMs: 600_000 } });
    pool = testPool();
    fx = await whistleFixture(pool);
    [commander, commander2, responder, responder2, dispatcher] = await Promise.all([as('commander'), as('commander2'), as('responder'), as('responder2'), as('dispatcher')]);
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
    await rm(uploads, { recursive: true, force: true });
  });

  const blow = async (extra: Record<string, unknown> = {}) => {
    const res = await commander.post('/api/whistles', {
      lng: fx.site[0],
      lat: fx.site[1],
      title: '背街小巷违建拆除',
      department_codes: [fx.departments[0].code, fx.departments[1].code],
      deadline_minutes: 30,
      ...extra,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Whistle;
  };
  const events = async (id: number) =>
    (await pool.query<{ type: string; actor: string; payload: Record<string, unknown> }>(`SELECT type, actor, payload FROM event WHERE subject = $1 ORDER BY seq`, [`whistle:${id}`])).rows;
  const callOf = (w: Whistle, code: string) => w.calls.find((c) => c.department_code === code)!;
  /** Moves a whistle into the past, as if `minutes` had passed since it was blown. */
  const age = (id: number, minutes: number) =>
    pool.query(
      `UPDATE whistle SET called_at = called_at - make_interval(mins => $2), deadline_at = deadline_at - make_interval(mins => $2),
                          escalate_at = escalate_at - make_interval(mins => $2) WHERE id = $1`,
      [id, minutes],
    );

  it('lists the departments for the pickers, and only to signed-in people', async () => {
    const res = await responder.get('/api/departments');
    expect(res.status).toBe(200);
    const deps = (await res.json()) as { code: string; name_zh: string; kind: string }[];
    expect(deps.map((d) => d.code)).toEqual(expect.arrayContaining([fx.departments[0].code, fx.departments[1].code]));
    expect((await fetch(`${server.url}/api/departments`)).status).toBe(401);
  });

  it('lets a commander blow a whistle in its subdistrict, summoning each department, and logs it to the wall, the subdistrict and the departments', async () => {
    const w = await blow();
    expect(w.status).toBe('open');
    expect(w.subdistrict_id).toBe(fx.subdistrict);
    expect(w.calls.map((c) => c.state)).toEqual(['summoned', 'summoned']);
    const [created] = await events(w.id);
    expect(created!.type).toBe('whistle.created');
    expect(created!.actor).toBe('user:test-commander');
    expect(created!.payload.rooms).toEqual(['wall', `subdistrict:${fx.subdistrict}`, ...w.calls.map((c) => `department:${c.department_id}`)]);
  });

  it('refuses a whistle outside the commander\'s subdistrict, from a responder, and to unknown departments', async () => {
    const outside = await commander.post('/api/whistles', { lng: fx.otherSite[0], lat: fx.otherSite[1], title: 'x', department_codes: [fx.departments[0].code], deadline_minutes: 10 });
    expect(outside.status).toBe(403);
    const byResponder = await responder.post('/api/whistles', { lng: fx.site[0], lat: fx.site[1], title: 'x', department_codes: [fx.departments[0].code], deadline_minutes: 10 });
    expect(byResponder.status).toBe(403);
    const unknown = await commander.post('/api/whistles', { lng: fx.site[0], lat: fx.site[1], title: 'x', department_codes: ['no_such_department'], deadline_minutes: 10 });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).field).toBe('body.department_codes');
  });

  it('shows a whistle to its commander and the summoned responders, and to no other commander', async () => {
    const w = await blow();
    expect((await responder.get(`/api/whistles/${w.id}`)).status).toBe(200);
    expect((await commander2.get(`/api/whistles/${w.id}`)).status).toBe(404);
    const list = (await (await commander2.get('/api/whistles?status=active')).json()) as { whistles: Whistle[] };
    expect(list.whistles.some((x) => x.id === w.id)).toBe(false);
    const mine = (await (await commander.get('/api/whistles?status=active')).json()) as { whistles: Whistle[] };
    expect(mine.whistles.some((x) => x.id === w.id)).toBe(true);
    expect(mine.whistles.every((x) => x.subdistrict_id === fx.subdistrict)).toBe(true);
  });

  it('records a responder accepting (on the way) once, and refuses a second accept naming the state', async () => {
    const w = await blow();
    const res = await responder.post(`/api/whistles/${w.id}/accept`, { client_at: '2026-01-01T08:00:00.000Z' });
    expect(res.status).toBe(200);
    expect(callOf(await res.json(), fx.departments[0].code).state).toBe('accepted');
    const again = await responder.post(`/api/whistles/${w.id}/accept`, {});
    expect(again.status).toBe(409);
    expect((await again.json()).message).toContain('it is accepted');
    expect((await dispatcher.post(`/api/whistles/${w.id}/accept`, {})).status).toBe(403);
  });

  it('counts a check-in inside when the distance is at most the radius plus the accuracy capped at 50 m, and stores distance, accuracy and both times', async () => {
    const w = await blow();
    // 130 m away with ±40 m: 130 ≤ 100 + 40 → inside.
    const near = eastOf(fx.site, 130);
    const res = await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: near[0], lat: near[1], accuracy_m: 40, client_at: '2026-01-01T08:05:00.000Z' });
    expect(res.status).toBe(200);
    const c = callOf(await res.json(), fx.departments[0].code);
    expect(c.state).toBe('checked_in_on_time');
    expect(c.inside).toBe(true);
    expect(c.flagged).toBe(false);
    expect(c.accuracy_m).toBe(40);
    expect(c.checked_in_client_at).toBe('2026-01-01T08:05:00.000Z');
    expect(Math.abs(c.distance_m! - metresBetween(fx.site, near))).toBeLessThan(1.5);
    // 180 m away with ±500 m: the accuracy counts only up to 50 m, 180 > 150 → outside, flagged, still recorded.
    const far = eastOf(fx.site, 180);
    const res2 = await responder2.post(`/api/whistles/${w.id}/check-ins`, { lng: far[0], lat: far[1], accuracy_m: 500 });
    expect(res2.status).toBe(200);
    const c2 = callOf(await res2.json(), fx.departments[1].code);
    expect(c2.inside).toBe(false);
    expect(c2.on_time).toBe(true);
    expect(c2.flagged).toBe(true);
    expect(Math.abs(c2.distance_m! - metresBetween(fx.site, far))).toBeLessThan(1.5);
    const log = await events(w.id);
    const checkIns = log.filter((e) => e.type === 'whistle.checked_in');
    expect(checkIns.map((e) => [e.payload.department_code, e.payload.inside, e.payload.flagged])).toEqual([
      [fx.departments[0].code, true, false],
      [fx.departments[1].code, false, true],
    ]);
    expect((await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: near[0], lat: near[1], accuracy_m: 5 })).status).toBe(409);
  });

  it('records a check-in after the deadline as late and flagged, and lets the commander accept it with an audited note', async () => {
    const w = await blow({ deadline_minutes: 10 });
    await age(w.id, 11);
    const res = await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: fx.site[0], lat: fx.site[1], accuracy_m: 10 });
    expect(res.status).toBe(200);
    const c = callOf(await res.json(), fx.departments[0].code);
    expect([c.state, c.on_time, c.inside, c.flagged]).toEqual(['checked_in_late', false, true, true]);
    expect((await responder.post(`/api/whistles/${w.id}/check-ins/accept`, { department_code: fx.departments[0].code, note: 'ok' })).status).toBe(403);
    expect((await commander2.post(`/api/whistles/${w.id}/check-ins/accept`, { department_code: fx.departments[0].code, note: 'ok' })).status).toBe(404);
    const ok = await commander.post(`/api/whistles/${w.id}/check-ins/accept`, { department_code: fx.departments[0].code, note: '路口封闭，绕行迟到' });
    expect(ok.status).toBe(200);
    const accepted = callOf(await ok.json(), fx.departments[0].code);
    expect([accepted.flagged, accepted.state, accepted.flag_accepted_by, accepted.flag_note]).toEqual([false, 'checked_in_late', 'user:test-commander', '路口封闭，绕行迟到']);
    const audit = (await events(w.id)).find((e) => e.type === 'whistle.check_in_accepted')!;
    expect([audit.actor, audit.payload.note]).toEqual(['user:test-commander', '路口封闭，绕行迟到']);
    expect((await commander.post(`/api/whistles/${w.id}/check-ins/accept`, { department_code: fx.departments[0].code, note: 'again' })).status).toBe(409);
  });

  it('marks a department missing once its deadline passes (on read at once, in the log by the sweep, once)', async () => {
    const w = await blow({ deadline_minutes: 5 });
    await responder.post(`/api/whistles/${w.id}/accept`, {});
    await age(w.id, 6);
    const read = (await (await commander.get(`/api/whistles/${w.id}`)).json()) as Whistle;
    expect(read.calls.map((c) => c.state)).toEqual(['missing', 'missing']);
    await sweep(pool);
    await sweep(pool);
    const missing = (await events(w.id)).filter((e) => e.type === 'whistle.missing');
    expect(missing.map((e) => e.payload.department_code).sort()).toEqual([fx.departments[0].code, fx.departments[1].code].sort());
    expect(missing[0]!.actor).toBe('system:whistle-sweep');
    expect(missing[0]!.payload.rooms).toContain('wall');
    expect(missing[0]!.payload.rooms).toContain(`subdistrict:${fx.subdistrict}`);
    // A late arrival still checks in; the state says late, the record keeps that it was missing.
    const late = await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: fx.site[0], lat: fx.site[1], accuracy_m: 5 });
    const c = callOf(await late.json(), fx.departments[0].code);
    expect(c.state).toBe('checked_in_late');
    expect(c.missing_at).not.toBeNull();
  });

  it('escalates a whistle to the district when a department has not answered by the escalation time, once', async () => {
    const w = await blow({ deadline_minutes: 60 });
    const answered = await blow({ deadline_minutes: 60 });
    await responder.post(`/api/whistles/${answered.id}/accept`, {});
    await responder2.post(`/api/whistles/${answered.id}/accept`, {});
    await age(w.id, 16);
    await age(answered.id, 16);
    await sweep(pool);
    await sweep(pool);
    expect((await events(w.id)).filter((e) => e.type === 'whistle.escalated')).toHaveLength(1);
    expect((await events(answered.id)).filter((e) => e.type === 'whistle.escalated')).toHaveLength(0);
    const read = (await (await commander.get(`/api/whistles/${w.id}`)).json()) as { escalated_at: string | null };
    expect(read.escalated_at).not.toBeNull();
  });

  it('stores a report photo under a generated name with its EXIF read, compared with the site and stripped from what others see', async () => {
    const w = await blow();
    await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: fx.site[0], lat: fx.site[1], accuracy_m: 5 });
    const onSite = await jpegWithExif({ at: new Date(), where: eastOf(fx.site, 30) });
    const elsewhere = await jpegWithExif({ at: new Date(), where: fx.otherSite });
    const res = await responder.post(`/api/whistles/${w.id}/reports`, { note: '已拆除', photos: [onSite.toString('base64'), `data:image/jpeg;base64,${elsewhere.toString('base64')}`] });
    expect(res.status, await res.clone().text()).toBe(201);
    const detail = (await res.json()) as { reports: { note: string; photos: { url: string; exif_mismatch: boolean; exif_issues: string[]; exif_distance_m: number; exif_taken_at: string }[] }[] };
    const [p1, p2] = detail.reports[0]!.photos;
    expect(p1!.exif_mismatch).toBe(false);
    expect(Math.abs(p1!.exif_distance_m - 30)).toBeLessThan(2);
    expect(p2!.exif_mismatch).toBe(true);
    expect(p2!.exif_issues).toContain('position_off_site');
    const files = await readdir(uploads);
    expect(files.filter((f) => /^[0-9a-f-]{36}\.jpg$/.test(f)).length).toBeGreaterThanOrEqual(2);
    // What the commander downloads carries no EXIF: no position, no capture time, no phone model.
    const img = await commander.get(p1!.url);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const seen = Buffer.from(await img.arrayBuffer());
    expect(await exifr.parse(seen, { gps: true, tiff: true, exif: true }).catch(() => undefined)).toBeUndefined();
    expect((await commander2.get(p1!.url)).status).toBe(404);
    const reported = (await events(w.id)).find((e) => e.type === 'whistle.reported')!;
    expect([reported.payload.photos, reported.payload.exif_mismatch]).toEqual([2, true]);
  });

  it('judges a photo taken before the whistle was blown as a mismatch', async () => {
    const w = await blow();
    await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: fx.site[0], lat: fx.site[1], accuracy_m: 5 });
    const old = await jpegWithExif({ at: new Date(Date.now() - 3 * 86400_000), where: fx.site });
    const res = await responder.post(`/api/whistles/${w.id}/reports`, { note: 'old photo', photos: [old.toString('base64')] });
    const photo = ((await res.json()) as { reports: { photos: { exif_issues: string[]; exif_mismatch: boolean }[] }[] }).reports[0]!.photos[0]!;
    expect(photo.exif_mismatch).toBe(true);
    expect(photo.exif_issues).toEqual(['taken_before_whistle']);
  });

  it('refuses a photo that is not an image whatever it claims, one over the size limit, and a report before the check-in', async () => {
    const w = await blow();
    const before = await responder.post(`/api/whistles/${w.id}/reports`, { note: 'too early' });
    expect(before.status).toBe(409);
    await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: fx.site[0], lat: fx.site[1], accuracy_m: 5 });
    const html = Buffer.from('<html><script>alert(1)</script></html>').toString('base64');
    const notImage = await responder.post(`/api/whistles/${w.id}/reports`, { note: 'x', photos: [`data:image/jpeg;base64,${html}`] });
    expect(notImage.status).toBe(415);
    expect((await notImage.json()).field).toBe('body.photos.0');
    const big = await jpegWithExif({ size: 900 });
    const noisy = Buffer.concat([big, Buffer.alloc(PHOTO_MAX, 1)]);
    const tooBig = await responder.post(`/api/whistles/${w.id}/reports`, { note: 'x', photos: [noisy.toString('base64')] });
    expect(tooBig.status).toBe(413);
    expect((await pool.query('SELECT count(*)::int AS n FROM whistle_report WHERE whistle_id = $1', [w.id])).rows[0].n).toBe(0);
  });

  it('answers a repeated idempotency key with the first result and records the action once', async () => {
    const w = await blow();
    const key = `k-${w.id}-accept-${Date.now()}`;
    const a = await postKeyed(responder, `/api/whistles/${w.id}/accept`, { client_at: '2026-01-01T08:00:00.000Z' }, key);
    const b = await postKeyed(responder, `/api/whistles/${w.id}/accept`, { client_at: '2026-01-01T08:00:00.000Z' }, key);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await b.json()).toEqual(await a.json());
    await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: fx.site[0], lat: fx.site[1], accuracy_m: 5 });
    const rkey = `k-${w.id}-report-${Date.now()}`;
    const r1 = await postKeyed(responder, `/api/whistles/${w.id}/reports`, { note: 'once' }, rkey);
    const r2 = await postKeyed(responder, `/api/whistles/${w.id}/reports`, { note: 'once' }, rkey);
    expect([r1.status, r2.status]).toEqual([201, 201]);
    expect((await pool.query('SELECT count(*)::int AS n FROM whistle_report WHERE whistle_id = $1', [w.id])).rows[0].n).toBe(1);
    expect((await events(w.id)).filter((e) => e.type === 'whistle.accepted')).toHaveLength(1);
    // The same key for another action is a client bug, said so.
    expect((await postKeyed(responder, `/api/whistles/${w.id}/accept`, {}, rkey)).status).toBe(422);
  });

  it('closes a whistle only with a grade for every summoned department, by its own commander, and then refuses further actions', async () => {
    const w = await blow();
    const [a, b] = fx.departments;
    const partial = await commander.post(`/api/whistles/${w.id}/close`, { grades: [{ department_code: a.code, score: 5 }] });
    expect(partial.status).toBe(400);
    expect((await partial.json()).message).toContain(b.code);
    expect((await commander2.post(`/api/whistles/${w.id}/close`, { grades: [{ department_code: a.code, score: 5 }, { department_code: b.code, score: 2 }] })).status).toBe(404);
    expect((await commander.post(`/api/whistles/${w.id}/close`, { grades: [{ department_code: a.code, score: 6 }, { department_code: b.code, score: 2 }] })).status).toBe(400);
    const res = await commander.post(`/api/whistles/${w.id}/close`, { grades: [{ department_code: a.code, score: 5, note: '到场及时' }, { department_code: b.code, score: 2 }] });
    expect(res.status).toBe(200);
    const closed = (await res.json()) as Whistle;
    expect(closed.status).toBe('closed');
    expect([callOf(closed, a.code).grade, callOf(closed, b.code).grade]).toEqual([5, 2]);
    expect((await events(w.id)).at(-1)!.type).toBe('whistle.closed');
    expect((await commander.post(`/api/whistles/${w.id}/close`, { grades: [{ department_code: a.code, score: 5 }, { department_code: b.code, score: 2 }] })).status).toBe(409);
    expect((await responder.post(`/api/whistles/${w.id}/accept`, {})).status).toBe(409);
    const closedList = (await (await commander.get('/api/whistles?status=closed')).json()) as { whistles: Whistle[] };
    expect(closedList.whistles.some((x) => x.id === w.id)).toBe(true);
  });

  it('keeps the full history of a whistle in order', async () => {
    const w = await blow();
    await responder.post(`/api/whistles/${w.id}/accept`, {});
    await responder.post(`/api/whistles/${w.id}/check-ins`, { lng: fx.site[0], lat: fx.site[1], accuracy_m: 5 });
    await responder.post(`/api/whistles/${w.id}/reports`, { note: 'done' });
    const detail = (await (await commander.get(`/api/whistles/${w.id}`)).json()) as { history: { type: string; actor: string; department_code: string | null }[] };
    expect(detail.history.map((h) => h.type)).toEqual(['whistle.created', 'whistle.accepted', 'whistle.checked_in', 'whistle.reported']);
    expect(detail.history.slice(1).every((h) => h.actor === 'user:test-responder' && h.department_code === fx.departments[0].code)).toBe(true);
  });

  it('has one declarative workflow table naming who may take each action', () => {
    for (const [name, a] of Object.entries(WHISTLE_ACTIONS)) {
      expect(a.who.length, name).toBeGreaterThan(0);
    }
    expect(WHISTLE_ACTIONS.check_in.who).toEqual(['responder']);
    expect(WHISTLE_ACTIONS.close.who).toEqual(['commander']);
    expect(WHISTLE_ACTIONS.miss.who).toEqual(['system']);
  });
});
