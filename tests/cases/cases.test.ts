import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCategory } from '../../server/src/cases/categories.ts';
import { CASE_ACTIONS, CASE_STATUSES, TRANSITIONS, type CaseStatus } from '../../server/src/cases/state-machine.ts';
import { wgs84ToGcj02, wgs84ToBd09 } from '../../server/src/geo/coord-systems.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, jsonApi } from '../helpers/auth.ts';
import { bodyFor, LEGAL, PATH_TO } from './helpers.ts';

const run = `cs${process.pid}${Date.now().toString(36)}`;
let n = 0;

describe('cases', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let http: ReturnType<typeof jsonApi>;
  /** A point inside the district (on the surface of its first subdistrict, or of the district). */
  let inside: [number, number];
  let otherDepartment: string;

  beforeAll(async () => {
    server = await startTestServer();
    pool = testPool();
    http = jsonApi(await fetchAs(server.url, pool, 'dispatcher'));
    const { rows } = await pool.query(
      `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit
       WHERE level IN ('grid', 'district') ORDER BY level = 'district', id LIMIT 1) x`,
    );
    inside = [rows[0].lng, rows[0].lat];
    const d = await pool.query("SELECT code FROM department WHERE code <> 'urban_management_enforcement' ORDER BY id LIMIT 1");
    otherDepartment = d.rows[0]?.code;
    if (!otherDepartment) {
      otherDepartment = `${run}_dept`;
      await pool.query("INSERT INTO department (code, name_zh, name_en, kind) VALUES ($1, '测试', 'Test', 'government')", [otherDepartment]);
    }
  });
  afterAll(async () => {
    await server?.close();
    await pool?.end();
  });

  const newCase = async (extra: Record<string, unknown> = {}) => {
    const res = await http.post('/api/cases', {
      source: 'hotline_12345',
      external_id: `${run}-${n++}`,
      category: 'street_vending',
      description: '门前占道经营',
      lng: inside[0],
      lat: inside[1],
      ...extra,
    });
    expect(res.status).toBe(201);
    return (await res.json()).case as { id: number; status: CaseStatus; department_id: number | null };
  };
  const caseIn = async (status: CaseStatus) => {
    const c = await newCase();
    for (const action of PATH_TO[status]) {
      const res = await http.post(`/api/cases/${c.id}/transitions`, bodyFor(action, otherDepartment));
      expect(res.status, `${action} on the way to ${status}`).toBe(200);
    }
    return c.id;
  };
  const eventsOf = async (id: number) =>
    (await pool.query("SELECT seq::float8 AS seq, type, actor, payload FROM event WHERE subject = $1 ORDER BY seq", [`case:${id}`])).rows;
  const row = async (id: number) => (await pool.query('SELECT * FROM cases WHERE id = $1', [id])).rows[0];

  describe('intake', () => {
    it('stores a case with its due times from the category SLA and writes case.created in the log', async () => {
      const c = await newCase({ reported_at: '2026-11-20T02:00:00Z', priority: 'high' });
      const r = await row(c.id);
      const sla = findCategory('street_vending')!.sla_hours;
      const at = (h: number) => new Date(Date.parse('2026-11-20T02:00:00Z') + h * 3_600_000).toISOString();
      expect(r.status).toBe('reported');
      expect(r.priority).toBe('high');
      expect(r.register_due_at.toISOString()).toBe(at(sla.register));
      expect(r.dispatch_due_at.toISOString()).toBe(at(sla.register + sla.dispatch));
      expect(r.accept_due_at.toISOString()).toBe(at(sla.register + sla.dispatch + sla.respond));
      expect(r.handle_due_at.toISOString()).toBe(at(sla.register + sla.dispatch + sla.respond + sla.handle));
      expect(r.close_due_at.toISOString()).toBe(at(sla.register + sla.dispatch + sla.respond + sla.handle + sla.verify));
      const events = await eventsOf(c.id);
      expect(events.map((e) => e.type)).toEqual(['case.created']);
      expect(events[0].payload.case.id).toBe(c.id);
    });

    it('returns the first case for a repeated (source, external_id), never a duplicate, even when the repeats race', async () => {
      const body = { source: 'wechat', external_id: `${run}-dup`, category: 'noise_commercial', description: '噪声', lng: inside[0], lat: inside[1] };
      const responses = await Promise.all(Array.from({ length: 5 }, () => http.post('/api/cases', body)));
      const bodies = await Promise.all(responses.map((r) => r.json()));
      expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
      expect(new Set(bodies.map((b) => b.case.id)).size).toBe(1);
      const { rows } = await pool.query("SELECT count(*)::int AS n FROM cases WHERE source = 'wechat' AND external_id = $1", [`${run}-dup`]);
      expect(rows[0].n).toBe(1);
      expect(await eventsOf(bodies[0].case.id)).toHaveLength(1);
      // The same id from another source is another case.
      const other = await http.post('/api/cases', { ...body, source: 'sensor' });
      expect(other.status).toBe(201);
      expect((await other.json()).case.id).not.toBe(bodies[0].case.id);
    });

    it('assigns subdistrict, community, grid and the nearest building as an independent PostGIS query does', async () => {
      const { rows: points } = await pool.query(
        `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (
           SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE level = (
             SELECT level FROM admin_unit ORDER BY CASE level WHEN 'grid' THEN 0 WHEN 'community' THEN 1 WHEN 'subdistrict' THEN 2 ELSE 3 END LIMIT 1)
           ORDER BY md5(code) LIMIT 8) x`,
      );
      expect(points.length).toBeGreaterThan(0);
      for (const p of points) {
        const c = await newCase({ lng: p.lng, lat: p.lat });
        const want = await pool.query(
          `WITH pt AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g)
           SELECT (SELECT min(id) FROM admin_unit, pt WHERE level = 'subdistrict' AND ST_Covers(geom, pt.g)) AS subdistrict_id,
                  (SELECT min(id) FROM admin_unit, pt WHERE level = 'community' AND ST_Covers(geom, pt.g)) AS community_id,
                  (SELECT min(id) FROM admin_unit, pt WHERE level = 'grid' AND ST_Covers(geom, pt.g)) AS grid_id,
                  (SELECT id FROM building, pt WHERE centroid && ST_Expand(pt.g, 0.005) AND ST_Distance(centroid::geography, pt.g::geography, false) <= 300
                    ORDER BY ST_Distance(centroid::geography, pt.g::geography, false), id LIMIT 1) AS building_id,
                  NOT EXISTS (SELECT 1 FROM admin_unit, pt WHERE level = 'district' AND ST_Covers(geom, pt.g)) AS out_of_area`,
          [p.lng, p.lat],
        );
        const r = await row(c.id);
        expect({ subdistrict_id: r.subdistrict_id, community_id: r.community_id, grid_id: r.grid_id, building_id: r.building_id, out_of_area: r.out_of_area }).toEqual(
          want.rows[0],
        );
      }
    });

    it('converts GCJ-02 and BD-09 coordinates to WGS84 before storing and assigning', async () => {
      const [lng, lat] = inside;
      const gcj = wgs84ToGcj02(lng, lat);
      const bd = wgs84ToBd09(lng, lat);
      const a = await newCase({ lng: gcj[0], lat: gcj[1], crs: 'GCJ02' });
      const b = await newCase({ lng: bd[0], lat: bd[1], crs: 'BD09' });
      const w = await newCase({ lng, lat });
      for (const id of [a.id, b.id]) {
        const { rows } = await pool.query('SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat, input_crs, grid_id, subdistrict_id FROM cases WHERE id = $1', [id]);
        expect(Math.abs(rows[0].lng - lng)).toBeLessThan(1e-7);
        expect(Math.abs(rows[0].lat - lat)).toBeLessThan(1e-7);
        const ref = await row(w.id);
        expect([rows[0].grid_id, rows[0].subdistrict_id]).toEqual([ref.grid_id, ref.subdistrict_id]);
      }
      expect((await row(a.id)).input_crs).toBe('GCJ02');
      expect((await row(b.id)).input_crs).toBe('BD09');
    });

    it('stores a point outside the district flagged out_of_area and lists it in the triage queue', async () => {
      const c = await newCase({ lng: 121.4737, lat: 31.2304 });
      const r = await row(c.id);
      expect(r.out_of_area).toBe(true);
      expect(r.subdistrict_id).toBeNull();
      const list = await (await http.get(`/api/cases?out_of_area=true&source=hotline_12345&limit=500`)).json();
      expect(list.items.some((i: { id: number }) => i.id === c.id)).toBe(true);
      const inArea = await (await http.get(`/api/cases?out_of_area=false&limit=500`)).json();
      expect(inArea.items.some((i: { id: number }) => i.id === c.id)).toBe(false);
    });

    it('creates a batch in one transaction, reporting which items were new', async () => {
      const first = await newCase();
      const firstRow = await row(first.id);
      const res = await http.post('/api/cases/batch', {
        cases: [
          { source: 'hotline_12345', external_id: firstRow.external_id, category: 'street_vending', description: 'again', lng: inside[0], lat: inside[1] },
          { source: 'grid_patrol', external_id: `${run}-b1`, category: 'garbage_collection', description: '满溢', lng: inside[0], lat: inside[1] },
        ],
      });
      expect(res.status).toBe(200);
      const { results } = await res.json();
      expect(results.map((r: { created: boolean }) => r.created)).toEqual([false, true]);
      expect(results[0].case.id).toBe(first.id);
    });
  });

  describe('bad input', () => {
    const base = () => ({ source: 'hotline_12345', external_id: `${run}-bad-${n++}`, category: 'street_vending', description: 'x', lng: inside[0], lat: inside[1] });
    const rejects = async (body: unknown, status: number, field: string, message: RegExp, path = '/api/cases') => {
      const before = (await pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n;
      const res = await http.post(path, body);
      const out = await res.json();
      expect(res.status).toBe(status);
      expect(out.field).toBe(field);
      expect(out.message).toMatch(message);
      const ids = (Array.isArray((body as { cases?: unknown[] }).cases) ? (body as { cases: { external_id?: string }[] }).cases : [body as { external_id?: string }])
        .map((c) => c.external_id)
        .filter(Boolean);
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM cases WHERE external_id = ANY($1)', [ids]);
      expect(rows[0].n).toBe(0);
      return before;
    };

    it('names an unknown category', () => rejects({ ...base(), category: 'ufo_sighting' }, 400, 'category', /not a known category/));
    it('names a missing coordinate', () => {
      const { lat: _lat, ...noLat } = base();
      return rejects(noLat, 400, 'body.lat', /required/);
    });
    it('refuses non-finite coordinates', () => rejects({ ...base(), lng: 'NaN' }, 400, 'body.lng', /number/));
    it('says when lat and lng are swapped', () => rejects({ ...base(), lng: inside[1], lat: inside[0] }, 400, 'lat', /look swapped/));
    it('refuses a description over the limit', () => rejects({ ...base(), description: '字'.repeat(2001) }, 400, 'body.description', /2000/));
    it('refuses unknown fields', () => rejects({ ...base(), urgency: 'very' }, 400, 'body.urgency', /not a known field/));
    it('refuses an unknown coordinate system', () => rejects({ ...base(), crs: 'EPSG:3857' }, 400, 'body.crs', /allowed values/));
    it('refuses a report time in the future', () => rejects({ ...base(), reported_at: '2999-01-01T00:00:00Z' }, 400, 'reported_at', /future/));
    it('refuses a batch over the limit', () => rejects({ cases: Array.from({ length: 501 }, base) }, 400, 'body.cases', /500/, '/api/cases/batch'));
    it('writes nothing of a batch with one bad item', () =>
      rejects({ cases: [base(), { ...base(), category: 'nope' }, base()] }, 400, 'body.cases.1.category', /not a known category/, '/api/cases/batch'));
  });

  describe('the closed loop', () => {
    it('walks a case through every stage, setting each stage time and routing it to the category department', async () => {
      const id = await caseIn('evaluated');
      const r = await row(id);
      for (const stage of ['registered_at', 'dispatched_at', 'accepted_at', 'handled_at', 'verified_at', 'closed_at', 'evaluated_at']) {
        expect(r[stage], stage).toBeInstanceOf(Date);
      }
      expect(r.satisfaction).toBe(4);
      const dept = await pool.query('SELECT id FROM department WHERE code = $1', [findCategory('street_vending')!.department]);
      expect(r.department_id).toBe(dept.rows[0]?.id ?? null);
      const events = await eventsOf(id);
      expect(events.map((e) => e.payload.action ?? e.type)).toEqual(['case.created', ...PATH_TO.evaluated]);
      const detail = await (await http.get(`/api/cases/${id}`)).json();
      expect(detail.history.map((h: { action: string | null }) => h.action)).toEqual([null, ...PATH_TO.evaluated]);
      expect(detail.status).toBe('evaluated');
    });

    for (const { from, action, to } of LEGAL) {
      it(`allows ${action} from ${from} to ${to}, with its event in the same transaction`, async () => {
        const id = await caseIn(from);
        const before = await row(id);
        const res = await http.post(`/api/cases/${id}/transitions`, bodyFor(action, otherDepartment));
        expect(res.status).toBe(200);
        const summary = await res.json();
        expect(summary.status).toBe(to);
        const after = await row(id);
        expect(after.status).toBe(to);
        const last = (await eventsOf(id)).at(-1);
        expect(last.type).toBe('case.updated');
        // The log names who did it: the signed-in dispatcher, whatever a body could claim.
        expect(last.actor).toBe('user:test-dispatcher');
        expect(last.payload).toMatchObject({ action, from, to, case: { id, status: to } });
        if (action === 'return') {
          expect(after.return_count).toBe(before.return_count + 1);
          expect(after.dispatched_at).toBeNull();
          expect(after.accepted_at).toBeNull();
        }
        if (action === 'reopen') {
          expect(after.reopen_count).toBe(1);
          expect(after.handled_at).toBeNull();
        }
        if (action === 'reassign') {
          const d = await pool.query('SELECT id FROM department WHERE code = $1', [otherDepartment]);
          expect(after.department_id).toBe(d.rows[0].id);
          expect(last.payload.rooms).toContain(`department:${d.rows[0].id}`);
        }
        if (action === 'reject') expect(after.status_note).toBe('reason for reject');
      });
    }

    it('answers every illegal transition with a 409 naming the current and requested states, and changes nothing', async () => {
      for (const status of CASE_STATUSES) {
        const id = await caseIn(status);
        const before = await row(id);
        const eventsBefore = (await eventsOf(id)).length;
        for (const action of CASE_ACTIONS.filter((a) => !TRANSITIONS[a].from.includes(status))) {
          const res = await http.post(`/api/cases/${id}/transitions`, bodyFor(action, otherDepartment));
          const body = await res.json();
          expect(res.status, `${action} from ${status}`).toBe(409);
          expect(body.message).toContain(`it is ${status}`);
          expect(body.message).toContain(`cannot ${action}`);
          expect(body.details).toMatchObject({ current: status, requested: action, requested_status: TRANSITIONS[action].to });
        }
        expect(await row(id)).toEqual(before);
        expect(await eventsOf(id)).toHaveLength(eventsBefore);
      }
    });

    it('requires a reason to reject and a rating to evaluate', async () => {
      const id = await caseIn('reported');
      const noReason = await http.post(`/api/cases/${id}/transitions`, { action: 'reject' });
      expect(noReason.status).toBe(400);
      expect((await noReason.json()).field).toBe('body.note');
      const closed = await caseIn('closed');
      const noRating = await http.post(`/api/cases/${closed}/transitions`, { action: 'evaluate' });
      expect(noRating.status).toBe(400);
      expect((await noRating.json()).field).toBe('body.satisfaction');
      const outOfScale = await http.post(`/api/cases/${closed}/transitions`, { action: 'evaluate', satisfaction: 6 });
      expect((await outOfScale.json()).field).toBe('body.satisfaction');
    });

    it('answers 404 for a case that does not exist', async () => {
      const res = await http.post('/api/cases/999999999/transitions', { action: 'register' });
      expect(res.status).toBe(404);
    });

    it('adds a comment, logs it and shows it in the case', async () => {
      const id = await caseIn('dispatched');
      const res = await http.post(`/api/cases/${id}/comments`, { body: '现场已拍照' });
      expect(res.status).toBe(201);
      const detail = await (await http.get(`/api/cases/${id}`)).json();
      expect(detail.comments.map((c: { body: string; actor: string }) => [c.body, c.actor])).toEqual([['现场已拍照', 'Test dispatcher']]);
      expect((await eventsOf(id)).at(-1).type).toBe('case.commented');
    });
  });

  describe('GET /api/cases', () => {
    it('filters by status, category, source, time window, bbox and overdue, and pages', async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await newCase({ category: 'water_quality', source: 'wechat', reported_at: since })).id);
      await http.post(`/api/cases/${ids[0]}/transitions`, { action: 'register' });
      const old = await newCase({ category: 'water_quality', source: 'wechat', reported_at: '2026-01-01T00:00:00Z' });
      const q = `category=water_quality&source=wechat&from=${encodeURIComponent(since)}`;
      const all = await (await http.get(`/api/cases?${q}`)).json();
      expect(all.items.map((i: { id: number }) => i.id).sort()).toEqual([...ids].sort());
      expect(all.total).toBe(3);
      const registered = await (await http.get(`/api/cases?${q}&status=registered`)).json();
      expect(registered.items.map((i: { id: number }) => i.id)).toEqual([ids[0]]);
      const page = await (await http.get(`/api/cases?${q}&limit=2`)).json();
      expect(page.items).toHaveLength(2);
      expect(page.next_offset).toBe(2);
      const page2 = await (await http.get(`/api/cases?${q}&limit=2&offset=2`)).json();
      expect(page2.next_offset).toBeNull();
      expect([...page.items, ...page2.items].map((i: { id: number }) => i.id).sort()).toEqual([...ids].sort());
      const [lng, lat] = inside;
      const bbox = `${lng - 0.001},${lat - 0.001},${lng + 0.001},${lat + 0.001}`;
      expect((await (await http.get(`/api/cases?${q}&bbox=${bbox}`)).json()).total).toBe(3);
      expect((await (await http.get(`/api/cases?${q}&bbox=0,0,1,1`)).json()).total).toBe(0);
      // Reported in January: every stage is long overdue.
      const overdue = await (await http.get(`/api/cases?category=water_quality&source=wechat&overdue=true&to=2026-01-02T00:00:00Z`)).json();
      expect(overdue.items.map((i: { id: number }) => i.id)).toContain(old.id);
      expect(overdue.items.every((i: { overdue: boolean }) => i.overdue)).toBe(true);
      const bad = await http.get('/api/cases?bbox=10,10,5,5');
      expect(bad.status).toBe(400);
      expect((await bad.json()).field).toBe('querystring.bbox');
    });
  });
});
