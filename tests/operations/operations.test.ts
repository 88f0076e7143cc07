import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import exifr from 'exifr';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAs, jsonApi, type AuthedFetch } from '../helpers/auth.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { eastOf, jpegWithExif, metresBetween } from '../whistles/helpers.ts';
import { operationFixture } from './helpers.ts';

type Site = { id: number; status: string; label: string; lng: number; lat: number; department_code: string | null; sent_back_note: string | null; verified_by: string | null; photos: { id: number; url: string; stage: string; exif_mismatch: boolean; exif_issues: string[]; exif_distance_m: number | null }[] };
type Progress = { total: number; pending: number; in_progress: number; cleared: number; verified: number; progress: number };
type Operation = { id: number; status: string; subdistrict_id: number; title: string; progress: Progress; departments: { id: number; code: string }[]; sites: Site[]; history: { type: string; actor: string; action: string | null; site_id: number | null; from: string | null; to: string | null; note: string | null }[] };

const PHOTO_MAX = 200_000;

/** Which action the product allows from which status, and whose it is: the issue's workflow, written out independently of the server's table. */
const SPEC: Record<string, { action: string; by: 'commander' | 'responder'; to: string }[]> = {
  pending: [{ action: 'start', by: 'responder', to: 'in_progress' }],
  in_progress: [{ action: 'clear', by: 'responder', to: 'cleared' }],
  cleared: [
    { action: 'verify', by: 'commander', to: 'verified' },
    { action: 'send_back', by: 'commander', to: 'in_progress' },
  ],
  verified: [],
};
const ACTIONS = [
  { action: 'start', by: 'responder' },
  { action: 'clear', by: 'responder' },
  { action: 'verify', by: 'commander' },
  { action: 'send_back', by: 'commander' },
] as const;

describe('clearance operations', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let uploads: string;
  let fx: Awaited<ReturnType<typeof operationFixture>>;
  type Api = ReturnType<typeof jsonApi> & { f: AuthedFetch };
  let commander: Api, commander2: Api, responder: Api, responder2: Api, dispatcher: Api, viewer: Api, admin: Api;
  let photo: string;

  const as = async (who: Parameters<typeof fetchAs>[2]): Promise<Api> => {
    const f = await fetchAs(server.url, pool, who);
    return Object.assign(jsonApi(f), { f });
  };

  beforeAll(async () => {
    uploads = await mkdtemp(path.join(os.tmpdir(), 'cityops-op-uploads-'));
    server = await startTestServer({ whistles: { uploadDir: uploads, photoMaxBytes: PHOTO_MAX, escalateMinutes: 15, sweepMs: 600_000 } });
    pool = testPool();
    fx = await operationFixture(pool);
    // One after another: password hashing is slow on a busy machine.
    commander = await as('commander');
    commander2 = await as('commander2');
    responder = await as('responder');
    responder2 = await as('responder2');
    dispatcher = await as('dispatcher');
    viewer = await as('viewer');
    admin = await as('admin');
    photo = (await jpegWithExif({ at: new Date(), where: fx.at(0.5, 0.5) })).toString('base64');
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
    await rm(uploads, { recursive: true, force: true });
  });

  /** Opens an operation involving only the test responder's department (responder2's is not involved). */
  const open = async (extra: Record<string, unknown> = {}) => {
    const res = await commander.post('/api/operations', { title: '背街小巷环境整治', area: fx.area, department_codes: [fx.departments[0].code], ...extra });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Operation;
  };
  const addSite = async (op: number, where = fx.at(0.5, 0.5), label = `点 ${Math.random().toString(36).slice(2, 7)}`) => {
    const res = await commander.post(`/api/operations/${op}/sites`, { lng: where[0], lat: where[1], label });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { site: Site }).site;
  };
  const act = (who: Api, op: number, site: number, action: string, extra: Record<string, unknown> = {}) => who.post(`/api/operations/${op}/sites/${site}/transitions`, { action, ...extra });
  const upload = (who: Api, op: number, site: number, stage: 'before' | 'after', photos = [photo]) => who.post(`/api/operations/${op}/sites/${site}/photos`, { stage, photos });
  const detail = async (who: Api, op: number) => (await (await who.get(`/api/operations/${op}`)).json()) as Operation;
  const events = async (op: number) =>
    (await pool.query<{ type: string; actor: string; payload: Record<string, unknown> }>(`SELECT type, actor, payload FROM event WHERE subject = $1 ORDER BY seq`, [`operation:${op}`])).rows;
  const statusOf = async (site: number) => (await pool.query<{ status: string }>('SELECT status FROM operation_site WHERE id = $1', [site])).rows[0]!.status;

  /** Drives a new site to `status` through the API, photos included. */
  const siteAt = async (op: number, status: string): Promise<number> => {
    const s = await addSite(op);
    if (status === 'pending') return s.id;
    expect((await upload(responder, op, s.id, 'before')).status).toBe(201);
    expect((await act(responder, op, s.id, 'start')).status).toBe(200);
    if (status === 'in_progress') return s.id;
    expect((await upload(responder, op, s.id, 'after')).status).toBe(201);
    expect((await act(responder, op, s.id, 'clear')).status).toBe(200);
    if (status === 'cleared') return s.id;
    expect((await act(commander, op, s.id, 'verify')).status).toBe(200);
    return s.id;
  };

  it('opens an operation over an area of the commander\'s subdistrict, with its sites, and logs who did it to the wall, the subdistrict and the departments', async () => {
    const a = fx.at(0.25, 0.25);
    const b = fx.at(0.75, 0.75);
    const op = await open({ sites: [{ lng: a[0], lat: a[1], label: '堆物点 1' }, { lng: b[0], lat: b[1], label: '堆物点 2' }] });
    expect(op.subdistrict_id).toBe(fx.subdistrict);
    expect(op.status).toBe('open');
    expect(op.sites.map((s) => [s.label, s.status])).toEqual([['堆物点 1', 'pending'], ['堆物点 2', 'pending']]);
    expect(op.progress).toEqual({ total: 2, pending: 2, in_progress: 0, cleared: 0, verified: 0, progress: 0 });
    const log = await events(op.id);
    expect(log.map((e) => e.type)).toEqual(['operation.created', 'operation.site_added']);
    expect(log.every((e) => e.actor === 'user:test-commander')).toBe(true);
    expect(log[0]!.payload.rooms).toEqual(['wall', `subdistrict:${fx.subdistrict}`, `department:${fx.departments[0].id}`]);
    expect((log[1]!.payload.sites as unknown[]).length).toBe(2);
  });

  it('refuses an area outside the commander\'s subdistrict, one that crosses itself, unknown departments, sites outside the area, and operations from a responder', async () => {
    expect((await commander.post('/api/operations', { title: 'x', area: fx.otherArea, department_codes: [fx.departments[0].code] })).status).toBe(403);
    const [p, q, r, s] = fx.area.coordinates[0]!;
    const bowtie = await commander.post('/api/operations', { title: 'x', area: { type: 'Polygon', coordinates: [[p, r, q, s]] }, department_codes: [fx.departments[0].code] });
    expect(bowtie.status).toBe(400);
    expect((await bowtie.json()).field).toBe('body.area');
    const unknown = await commander.post('/api/operations', { title: 'x', area: fx.area, department_codes: ['no_such_department'] });
    expect([unknown.status, (await unknown.json()).field]).toEqual([400, 'body.department_codes']);
    const before = (await pool.query('SELECT count(*)::int AS n FROM operation')).rows[0].n;
    const outside = await commander.post('/api/operations', { title: 'x', area: fx.area, department_codes: [fx.departments[0].code], sites: [{ lng: fx.outside[0], lat: fx.outside[1], label: '外' }] });
    expect(outside.status).toBe(400);
    expect((await outside.json()).details.errors[0].reason).toContain('outside');
    expect((await pool.query('SELECT count(*)::int AS n FROM operation')).rows[0].n).toBe(before);
    expect((await responder.post('/api/operations', { title: 'x', area: fx.area, department_codes: [fx.departments[0].code] })).status).toBe(403);
    // The actor is the principal; a body naming one is refused, not believed.
    expect((await commander.post('/api/operations', { title: 'x', area: fx.area, department_codes: [fx.departments[0].code], actor: 'someone-else' })).status).toBe(400);
  });

  it('adds a clicked site inside the area, and refuses one outside it, a repeat, and clicks from others', async () => {
    const op = await open();
    const site = await addSite(op.id, fx.at(0.3, 0.6), '违建 A');
    expect(metresBetween([site.lng, site.lat], fx.at(0.3, 0.6))).toBeLessThan(0.01);
    expect((await commander.post(`/api/operations/${op.id}/sites`, { lng: fx.outside[0], lat: fx.outside[1], label: '外' })).status).toBe(400);
    const again = await commander.post(`/api/operations/${op.id}/sites`, { lng: site.lng, lat: site.lat, label: '违建 A' });
    expect(again.status).toBe(400);
    expect((await again.json()).message).toContain(`site ${site.id}`);
    expect((await responder.post(`/api/operations/${op.id}/sites`, { lng: site.lng, lat: site.lat, label: 'r' })).status).toBe(403);
    expect((await commander2.post(`/api/operations/${op.id}/sites`, { lng: site.lng, lat: site.lat, label: 'c2' })).status).toBe(404);
    const added = (await events(op.id)).filter((e) => e.type === 'operation.site_added');
    expect(added.map((e) => e.payload.via)).toEqual(['click']);
  });

  it('imports sites from CSV: a dry run lists what would be added and every bad row, adds nothing; a file with bad rows adds none; a clean one adds all', async () => {
    const op = await open();
    const [a, b, c] = [fx.at(0.2, 0.2), fx.at(0.4, 0.4), fx.at(0.6, 0.8)];
    const csv = [
      'lng,lat,label',
      `${a[0]},${a[1]},"门前堆物, 东侧"`,
      `${b[0]},${b[1]},违停棚架`,
      `${fx.outside[0]},${fx.outside[1]},区外一点`,
      `abc,${b[1]},坏经度`,
      `${a[1]},${a[0]},经纬颠倒`,
      `${c[0]},${c[1]}`,
      `${c[0]},${c[1]},  `,
      `${b[0]},${b[1]},违停棚架`,
    ].join('\r\n');
    const dry = await commander.post(`/api/operations/${op.id}/sites/import`, { csv, dry_run: true });
    expect(dry.status).toBe(200);
    const d = (await dry.json()) as { dry_run: boolean; sites: { row: number; label: string; id: number | null }[]; errors: { row: number; reason: string }[] };
    expect(d.dry_run).toBe(true);
    expect(d.sites.map((s) => [s.row, s.label, s.id])).toEqual([[2, '门前堆物, 东侧', null], [3, '违停棚架', null]]);
    expect(d.errors.map((e) => e.row)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(d.errors[0]!.reason).toContain('outside');
    expect(d.errors[1]!.reason).toContain('longitude');
    expect(d.errors[3]!.reason).toContain('field');
    expect(d.errors[4]!.reason).toContain('label');
    expect(d.errors[5]!.reason).toContain('row 3');
    expect((await pool.query('SELECT count(*)::int AS n FROM operation_site WHERE operation_id = $1', [op.id])).rows[0].n).toBe(0);

    const real = await commander.post(`/api/operations/${op.id}/sites/import`, { csv });
    expect(real.status).toBe(400);
    const body = await real.json();
    expect(body.field).toBe('body.csv');
    expect(body.details.errors).toHaveLength(6);
    expect((await pool.query('SELECT count(*)::int AS n FROM operation_site WHERE operation_id = $1', [op.id])).rows[0].n).toBe(0);

    // Without a header: lng,lat,label per line.
    const clean = await commander.post(`/api/operations/${op.id}/sites/import`, { csv: `${a[0]},${a[1]},一号\n${c[0]},${c[1]},"二号 ""东"""\n` });
    expect(clean.status).toBe(201);
    const added = (await clean.json()) as { sites: { id: number; label: string }[]; operation: { progress: Progress } };
    expect(added.sites.map((s) => s.label)).toEqual(['一号', '二号 "东"']);
    expect(added.operation.progress.total).toBe(2);
    const rows = (await pool.query<{ id: number; label: string }>('SELECT id, label FROM operation_site WHERE operation_id = $1 ORDER BY id', [op.id])).rows;
    expect(rows.map((r) => r.label)).toEqual(['一号', '二号 "东"']);
    expect(rows.map((r) => r.id)).toEqual(added.sites.map((s) => s.id));
    const log = (await events(op.id)).filter((e) => e.type === 'operation.site_added');
    expect(log.map((e) => [e.payload.via, (e.payload.sites as unknown[]).length])).toEqual([['import', 2]]);
    // Importing the same file again would add the same sites twice: refused, row by row.
    const twice = await commander.post(`/api/operations/${op.id}/sites/import`, { csv: `${a[0]},${a[1]},一号\n`, dry_run: true });
    expect(((await twice.json()) as { errors: { reason: string }[] }).errors[0]!.reason).toContain('already has');
  });

  it('imports sites from GeoJSON points, refusing other geometries, and says clearly what is wrong with a file it cannot read', async () => {
    const op = await open();
    const [a, b] = [fx.at(0.1, 0.9), fx.at(0.9, 0.1)];
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { name: '占道摊点' }, geometry: { type: 'Point', coordinates: a } },
        { type: 'Feature', properties: { label: '废品堆放' }, geometry: { type: 'Point', coordinates: b } },
        { type: 'Feature', properties: { label: '一条线' }, geometry: { type: 'LineString', coordinates: [a, b] } },
      ],
    };
    const dry = (await (await commander.post(`/api/operations/${op.id}/sites/import`, { geojson: fc, dry_run: true })).json()) as { sites: { label: string }[]; errors: { row: number; reason: string }[] };
    expect(dry.sites.map((s) => s.label)).toEqual(['占道摊点', '废品堆放']);
    expect(dry.errors).toEqual([{ row: 3, reason: expect.stringContaining('LineString') }]);
    fc.features.pop();
    expect((await commander.post(`/api/operations/${op.id}/sites/import`, { geojson: fc })).status).toBe(201);
    expect((await detail(commander, op.id)).sites.map((s) => s.label)).toEqual(['占道摊点', '废品堆放']);
    const notFc = await commander.post(`/api/operations/${op.id}/sites/import`, { geojson: { type: 'Feature' } });
    expect([notFc.status, (await notFc.json()).field]).toEqual([400, 'body.geojson']);
    expect((await commander.post(`/api/operations/${op.id}/sites/import`, { csv: 'x', geojson: fc })).status).toBe(400);
    expect((await commander.post(`/api/operations/${op.id}/sites/import`, {})).status).toBe(400);
    const badHeader = await commander.post(`/api/operations/${op.id}/sites/import`, { csv: 'foo,bar,baz\n1,2,3' });
    expect([badHeader.status, (await badHeader.json()).field]).toEqual([400, 'body.csv']);
    const unclosed = await commander.post(`/api/operations/${op.id}/sites/import`, { csv: `${a[0]},${a[1]},"never closed` });
    expect(unclosed.status).toBe(400);
    expect((await responder.post(`/api/operations/${op.id}/sites/import`, { geojson: fc, dry_run: true })).status).toBe(403);
  });

  it('allows each site transition only from its status and only to whom it belongs, and refuses every other', async () => {
    const op = await open();
    const outcomes: string[] = [];
    for (const status of ['pending', 'in_progress', 'cleared', 'verified']) {
      for (const { action, by } of ACTIONS) {
        const site = await siteAt(op.id, status);
        // The photo each action needs is there, so only the status decides.
        if (status === 'pending') await upload(responder, op.id, site, 'before');
        if (status === 'in_progress') await upload(responder, op.id, site, 'after');
        const wrong = by === 'commander' ? responder : commander;
        const refusedRole = await act(wrong, op.id, site, action, { note: 'n' });
        expect(refusedRole.status, `${action} by the wrong role from ${status}`).toBe(403);
        const res = await act(by === 'commander' ? commander : responder, op.id, site, action, { note: '不合格，重新清理' });
        const allowed = SPEC[status]!.find((s) => s.action === action);
        outcomes.push(`${status}:${action}:${res.status}`);
        if (allowed) {
          expect(res.status, `${action} from ${status}`).toBe(200);
          const body = (await res.json()) as { site: Site };
          expect(body.site.status).toBe(allowed.to);
          expect(await statusOf(site)).toBe(allowed.to);
          const last = (await events(op.id)).at(-1)!;
          expect([last.type, last.actor, last.payload.action, last.payload.from, last.payload.to]).toEqual([
            'operation.site_changed',
            by === 'commander' ? 'user:test-commander' : 'user:test-responder',
            action,
            status,
            allowed.to,
          ]);
        } else {
          expect(res.status, `${action} from ${status}`).toBe(409);
          expect((await res.json()).message).toContain(`it is ${status}`);
          expect(await statusOf(site)).toBe(status);
        }
      }
    }
    expect(outcomes.filter((o) => o.endsWith(':200'))).toEqual(['pending:start:200', 'in_progress:clear:200', 'cleared:verify:200', 'cleared:send_back:200']);
  });

  it('needs a before photo to start, an after photo taken since the site last went in progress to clear, and a note to send back', async () => {
    const op = await open();
    const site = (await addSite(op.id)).id;
    const noBefore = await act(responder, op.id, site, 'start');
    expect(noBefore.status).toBe(409);
    expect((await noBefore.json()).message).toContain('before photo');
    expect((await upload(responder, op.id, site, 'after')).status).toBe(409);
    expect((await upload(responder, op.id, site, 'before')).status).toBe(201);
    expect((await act(responder, op.id, site, 'start')).status).toBe(200);
    expect((await act(responder, op.id, site, 'clear')).status).toBe(409);
    expect((await upload(responder, op.id, site, 'after')).status).toBe(201);
    expect((await act(responder, op.id, site, 'clear')).status).toBe(200);
    const noNote = await act(commander, op.id, site, 'send_back');
    expect([noNote.status, (await noNote.json()).field]).toEqual([400, 'body.note']);
    const back = await act(commander, op.id, site, 'send_back', { note: '仍有残留' });
    expect(((await back.json()) as { site: Site }).site.sent_back_note).toBe('仍有残留');
    // The after photo from before it was sent back no longer counts.
    const stale = await act(responder, op.id, site, 'clear');
    expect(stale.status).toBe(409);
    expect((await stale.json()).message).toContain('since it went in progress');
    await upload(responder, op.id, site, 'after');
    expect((await act(responder, op.id, site, 'clear')).status).toBe(200);
    const verified = (await (await act(commander, op.id, site, 'verify')).json()) as { site: Site; operation: { progress: Progress } };
    expect(verified.site.verified_by).toBe('user:test-commander');
    expect(verified.site.department_code).toBe(fx.departments[0].code);
    expect(verified.operation.progress).toMatchObject({ total: 1, verified: 1, progress: 1 });
  });

  it('answers a repeated Idempotency-Key on a photo upload or a site action with the first result, acting once, and keeps the phone\'s time', async () => {
    const op = await open();
    const site = (await addSite(op.id)).id;
    const keyed = (path: string, body: unknown, key: string) =>
      responder.f(path, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });
    const photoKey = `k-site-${site}-before-${Date.now()}`;
    const p1 = await keyed(`/api/operations/${op.id}/sites/${site}/photos`, { stage: 'before', photos: [photo], client_at: '2026-01-01T08:00:00.000Z' }, photoKey);
    const p2 = await keyed(`/api/operations/${op.id}/sites/${site}/photos`, { stage: 'before', photos: [photo], client_at: '2026-01-01T08:00:00.000Z' }, photoKey);
    expect([p1.status, p2.status]).toEqual([201, 201]);
    expect(await p2.json()).toEqual(await p1.json());
    expect((await pool.query('SELECT count(*)::int AS n FROM operation_photo WHERE site_id = $1', [site])).rows[0].n).toBe(1);

    const startKey = `k-site-${site}-start-${Date.now()}`;
    const s1 = await keyed(`/api/operations/${op.id}/sites/${site}/transitions`, { action: 'start', client_at: '2026-01-01T08:01:00.000Z' }, startKey);
    // Sent again after the answer was lost: the first result, not a 409 for a site already in progress.
    const s2 = await keyed(`/api/operations/${op.id}/sites/${site}/transitions`, { action: 'start', client_at: '2026-01-01T08:01:00.000Z' }, startKey);
    expect([s1.status, s2.status]).toEqual([200, 200]);
    expect(await s2.json()).toEqual(await s1.json());
    const logged = (await events(op.id)).filter((e) => e.type === 'operation.site_changed' && (e.payload.site as { id: number }).id === site);
    expect(logged.map((e) => [e.payload.action, e.payload.client_at])).toEqual([
      ['photo_before', '2026-01-01T08:00:00.000Z'],
      ['start', '2026-01-01T08:01:00.000Z'],
    ]);
    // The same key for another action, or by someone else, is a client bug, said so.
    expect((await keyed(`/api/operations/${op.id}/sites/${site}/transitions`, { action: 'clear' }, startKey)).status).toBe(422);
    expect((await responder.post(`/api/operations/${op.id}/sites/${site}/transitions`, { action: 'clear', client_at: 'yesterday' })).status).toBe(400);
  });

  it('keeps sites to the commander\'s subdistrict and the involved departments, in SQL', async () => {
    const op = await open();
    const site = await siteAt(op.id, 'pending');
    await upload(responder, op.id, site, 'before');
    // responder2's department is not involved: the operation does not exist for it.
    expect((await responder2.get(`/api/operations/${op.id}`)).status).toBe(404);
    expect((await upload(responder2, op.id, site, 'before')).status).toBe(404);
    expect((await act(responder2, op.id, site, 'start')).status).toBe(404);
    expect((await commander2.get(`/api/operations/${op.id}`)).status).toBe(404);
    expect((await act(commander2, op.id, site, 'verify')).status).toBe(404);
    // Roles without the permission are stopped at the gate.
    expect((await act(dispatcher, op.id, site, 'start')).status).toBe(403);
    expect((await act(viewer, op.id, site, 'start')).status).toBe(403);
    expect((await viewer.get(`/api/operations/${op.id}`)).status).toBe(200);
    const lists = async (who: Api) => ((await (await who.get('/api/operations')).json()) as { operations: Operation[] }).operations;
    const mine = await lists(commander);
    expect(mine.some((o) => o.id === op.id)).toBe(true);
    expect(mine.every((o) => o.subdistrict_id === fx.subdistrict)).toBe(true);
    expect((await lists(commander2)).some((o) => o.id === op.id)).toBe(false);
    expect((await lists(responder)).every((o) => o.departments.some((d) => d.id === fx.departments[0].id))).toBe(true);
    expect((await lists(responder2)).some((o) => o.id === op.id)).toBe(false);
    // The responder's work list: its operations' sites not yet verified, in progress first.
    const work = ((await (await responder.get('/api/operations/sites')).json()) as { sites: (Site & { operation_id: number })[] }).sites;
    expect(work.some((s) => s.id === site)).toBe(true);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM operation_site st JOIN operation o ON o.id = st.operation_id
       WHERE o.status = 'open' AND st.status <> 'verified' AND EXISTS (SELECT 1 FROM operation_department od WHERE od.operation_id = o.id AND od.department_id = $1)`,
      [fx.departments[0].id],
    );
    expect(work.length).toBe(Math.min(rows[0]!.n, 500));
    expect(((await (await responder2.get('/api/operations/sites')).json()) as { sites: Site[] }).sites.some((s) => s.id === site)).toBe(false);
    // An admin may act, naming the department it acts for, or none.
    expect((await act(admin, op.id, site, 'start', { department_code: fx.departments[1].code })).status).toBe(400);
    expect((await act(admin, op.id, site, 'start')).status).toBe(200);
  });

  it('stores site photos with their EXIF read and compared with the site, and serves them stripped, to the scope only', async () => {
    const op = await open();
    const s = await addSite(op.id, fx.at(0.5, 0.5));
    const near = await jpegWithExif({ at: new Date(), where: eastOf([s.lng, s.lat], 40) });
    const far = await jpegWithExif({ at: new Date(), where: fx.otherSite });
    const res = await upload(responder, op.id, s.id, 'before', [near.toString('base64'), `data:image/jpeg;base64,${far.toString('base64')}`]);
    expect(res.status, await res.clone().text()).toBe(201);
    const { site } = (await res.json()) as { site: Site };
    const [p1, p2] = site.photos;
    expect([p1!.stage, p1!.exif_mismatch]).toEqual(['before', false]);
    expect(Math.abs(p1!.exif_distance_m! - 40)).toBeLessThan(2);
    expect(p2!.exif_mismatch).toBe(true);
    expect(p2!.exif_issues).toContain('position_off_site');
    const img = await commander.get(p1!.url);
    expect([img.status, img.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    expect(await exifr.parse(Buffer.from(await img.arrayBuffer()), { gps: true, tiff: true, exif: true }).catch(() => undefined)).toBeUndefined();
    expect((await commander2.get(p1!.url)).status).toBe(404);
    expect((await responder2.get(p1!.url)).status).toBe(404);
    const old = await jpegWithExif({ at: new Date(Date.now() - 5 * 86400_000), where: [s.lng, s.lat] });
    const oldRes = (await (await upload(responder, op.id, s.id, 'before', [old.toString('base64')])).json()) as { site: Site };
    expect(oldRes.site.photos.at(-1)!.exif_issues).toEqual(['taken_before_operation']);
    const html = Buffer.from('<html><script>alert(1)</script></html>').toString('base64');
    const notImage = await upload(responder, op.id, s.id, 'before', [`data:image/jpeg;base64,${html}`]);
    expect([notImage.status, (await notImage.json()).field]).toEqual([415, 'body.photos.0']);
    expect((await upload(commander, op.id, s.id, 'before')).status).toBe(403);
    const changed = (await events(op.id)).filter((e) => e.type === 'operation.site_changed');
    expect(changed.map((e) => [e.payload.action, e.payload.photos, e.payload.exif_mismatch, e.actor])).toEqual([
      ['photo_before', 2, true, 'user:test-responder'],
      ['photo_before', 1, true, 'user:test-responder'],
    ]);
  });

  it('reports progress as the counts of the sites\' statuses say', async () => {
    const op = await open();
    for (const status of ['pending', 'in_progress', 'in_progress', 'cleared', 'verified', 'verified', 'verified']) await siteAt(op.id, status);
    const { rows } = await pool.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM operation_site WHERE operation_id = $1 GROUP BY status', [op.id]);
    const count = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
    const total = rows.reduce((a, r) => a + r.n, 0);
    const listed = ((await (await commander.get('/api/operations')).json()) as { operations: Operation[] }).operations.find((o) => o.id === op.id)!;
    expect(listed.progress).toEqual({ total, pending: count('pending'), in_progress: count('in_progress'), cleared: count('cleared'), verified: count('verified'), progress: Number((count('verified') / total).toFixed(4)) });
  });

  it('closes an operation with every site verified, or with a note saying why not, and then refuses any change', async () => {
    const done = await open();
    await siteAt(done.id, 'verified');
    expect((await commander2.post(`/api/operations/${done.id}/close`, {})).status).toBe(404);
    expect((await responder.post(`/api/operations/${done.id}/close`, {})).status).toBe(403);
    const closed = await commander.post(`/api/operations/${done.id}/close`, {});
    expect(closed.status).toBe(200);
    expect((await closed.json()).status).toBe('closed');

    const op = await open();
    const site = await siteAt(op.id, 'cleared');
    const refused = await commander.post(`/api/operations/${op.id}/close`, {});
    expect(refused.status).toBe(409);
    expect((await refused.json()).message).toContain('1 of its 1 sites');
    expect((await commander.post(`/api/operations/${op.id}/close`, { note: '汛期暂停，剩余点位转入下一轮' })).status).toBe(200);
    expect((await act(commander, op.id, site, 'verify')).status).toBe(409);
    expect((await commander.post(`/api/operations/${op.id}/sites`, { lng: fx.site[0], lat: fx.site[1], label: 'late' })).status).toBe(409);
    expect((await upload(responder, op.id, site, 'after')).status).toBe(409);
    expect((await commander.post(`/api/operations/${op.id}/close`, { note: 'again' })).status).toBe(409);
    const last = (await events(op.id)).at(-1)!;
    expect([last.type, last.actor, last.payload.note, last.payload.unverified]).toEqual(['operation.closed', 'user:test-commander', '汛期暂停，剩余点位转入下一轮', 1]);
    const closedList = ((await (await commander.get('/api/operations?status=closed')).json()) as { operations: Operation[] }).operations;
    expect(closedList.map((o) => o.id)).toEqual(expect.arrayContaining([op.id, done.id]));
    expect(((await (await commander.get('/api/operations')).json()) as { operations: Operation[] }).operations.some((o) => o.id === op.id)).toBe(false);
  });

  it('keeps the full history of an operation in order, each entry with its principal', async () => {
    const op = await open();
    const site = await siteAt(op.id, 'verified');
    const h = (await detail(commander, op.id)).history;
    expect(h.map((e) => e.type === 'operation.site_changed' ? `${e.action}:${e.from}>${e.to}` : e.type)).toEqual([
      'operation.created',
      'operation.site_added',
      'photo_before:pending>pending',
      'start:pending>in_progress',
      'photo_after:in_progress>in_progress',
      'clear:in_progress>cleared',
      'verify:cleared>verified',
    ]);
    expect(h.slice(2).every((e) => e.site_id === site)).toBe(true);
    expect(h.map((e) => e.actor)).toEqual(['user:test-commander', 'user:test-commander', 'user:test-responder', 'user:test-responder', 'user:test-responder', 'user:test-responder', 'user:test-commander']);
  });
});
