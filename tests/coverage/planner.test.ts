import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCategory } from '../../server/src/cases/categories.ts';
import { historicCase } from '../../server/src/simulator/backfill.ts';
import { prng } from '../../server/src/simulator/model.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';
import { coverageSums, exportCity, facilityAttachments, snapPoints } from './independent.ts';

/** The complaint relations as the file states them, read here without the server's code. */
const RELATIONS = JSON.parse(readFileSync(new URL('../../data/standards/complaint-categories.json', import.meta.url), 'utf8')) as {
  window_days: number;
  relations: Array<{ categories: string[]; kinds: string[] }>;
};
const DAY = 86_400_000;
/** A window no other test writes cases into. */
const UNTIL = new Date('2023-09-15T12:00:00+08:00');

interface Figures {
  population: number;
  population_covered: number;
}
interface CoverageBody {
  facilities: number;
  planned: number;
  planned_counted: boolean;
  data_version: string;
  district: Figures;
}
interface Ranked {
  id: number;
  population: number;
  share: number;
  complaints: number;
  rate: number;
  score: number;
}

describe('adopting a suggested site as a planned facility', () => {
  let server: TestServer;
  let db: pg.Pool;
  let planner: AuthedFetch;
  let dispatcher: AuthedFetch;
  // A recommended kind no other test measures, so the planned row disturbs nobody.
  const kind = 'police_station';
  let site: { lon: number; lat: number };
  const adopted: number[] = [];

  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    server = await startTestServer({ logLevel: 'error' });
    db = testPool();
    planner = await fetchAs(server.url, db, 'planner');
    dispatcher = await fetchAs(server.url, db, 'dispatcher');
    const siting = (await (await planner('/api/coverage/siting', json({ kind, minutes: 15, count: 1 }))).json()) as { sites: Array<{ lon: number; lat: number }> };
    site = { lon: siting.sites[0]!.lon, lat: siting.sites[0]!.lat };
  });
  afterAll(async () => {
    if (adopted.length) await db.query('DELETE FROM facility WHERE id = ANY($1)', [adopted]);
    await db?.end();
    await server?.close();
  });

  it('refuses a principal without coverage.edit, a client-given actor and a site off the streets', async () => {
    expect((await dispatcher('/api/coverage/planned', json({ kind, ...site }))).status).toBe(403);
    expect((await planner('/api/coverage/planned', json({ kind, ...site, actor: 'someone-else' }))).status).toBe(400);
    const far = await planner('/api/coverage/planned', json({ kind, lon: 100, lat: 30 }));
    expect(far.status).toBe(400);
    expect(((await far.json()) as { message: string }).message).toMatch(/outside the district/);
    const { rows } = await db.query(`SELECT 1 FROM facility WHERE kind = $1 AND status = 'planned'`, [kind]);
    expect(rows).toHaveLength(0);
  });

  it('stores the site as planned, audited with the principal as actor, and leaves it out of coverage unless counted', async () => {
    const before = (await (await planner(`/api/coverage?kind=${kind}&minutes=15`)).json()) as CoverageBody;
    const whatIf = (await (await planner('/api/coverage/what-if', json({ kind, minutes: 15, add: [site] }))).json()) as { after: Figures };
    const res = await planner('/api/coverage/planned', json({ kind, ...site }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: number; status: string; name: string; place: { street: string | null; community_zh: string | null } };
    adopted.push(body.id);
    expect(body.status).toBe('planned');
    expect(body.place.community_zh).toBeTruthy();
    const stored = await db.query<{ status: string; kind: string }>('SELECT status, kind FROM facility WHERE id = $1', [body.id]);
    expect(stored.rows).toEqual([{ status: 'planned', kind }]);
    const audit = await db.query<{ actor: string; payload: { kind: string } }>(`SELECT actor, payload FROM event WHERE type = 'facility.planned' AND subject = $1`, [`facility:${body.id}`]);
    expect(audit.rows.map((r) => [r.actor, r.payload.kind])).toEqual([["user:test-planner", kind]]);

    // Left out: the figures are today's, with the planned one counted apart.
    const after = (await (await planner(`/api/coverage?kind=${kind}&minutes=15`)).json()) as CoverageBody;
    expect([after.facilities, after.planned, after.planned_counted, after.district.population_covered]).toEqual([before.facilities, before.planned + 1, false, before.district.population_covered]);
    expect(after.data_version).not.toBe(before.data_version);
    // Counted: as the what-if with the same site said, and as an independent computation says.
    const counted = (await (await planner(`/api/coverage?kind=${kind}&minutes=15&planned=true`)).json()) as CoverageBody;
    expect([counted.facilities, counted.planned_counted]).toEqual([before.facilities + 1, true]);
    expect(counted.district.population_covered).toBe(whatIf.after.population_covered);
    const { rows } = await db.query<{ lon: number; lat: number }>(`SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility WHERE kind = $1`, [kind]);
    const sums = coverageSums(await exportCity(db), await snapPoints(db, rows.map((r) => [r.lon, r.lat])), 15 * 60 * 1.2);
    expect(counted.district.population_covered).toBe(sums.covered);

    const listed = (await (await planner(`/api/coverage/planned?kind=${kind}`)).json()) as { facilities: Array<{ id: number; planned_by: string }> };
    expect(listed.facilities.map((f) => [f.id, f.planned_by])).toEqual([[body.id, "user:test-planner"]]);
    const wallList = (await (await planner(`/api/facilities?kind=${kind}`)).json()) as { features: Array<{ id: number; properties: { status: string } }> };
    expect(wallList.features.find((f) => f.id === body.id)?.properties.status).toBe('planned');
  }, 240_000);
});

describe('complaints beside coverage', () => {
  let server: TestServer;
  let db: pg.Pool;
  let planner: AuthedFetch;
  const kind = 'elderly_day_care';
  const categories = [...new Set(RELATIONS.relations.filter((r) => r.kinds.includes(kind)).flatMap((r) => r.categories))];
  const run = `cmp${process.pid}${Date.now().toString(36)}`;

  beforeAll(async () => {
    server = await startTestServer({ logLevel: 'error' });
    db = testPool();
    planner = await fetchAs(server.url, db, 'planner');
    // Related complaints (and unrelated ones that must not count) in a window of their own,
    // at inhabited buildings, some just outside the window.
    const { rows: places } = await db.query<{ lng: number; lat: number }>(
      `SELECT ST_X(centroid) AS lng, ST_Y(centroid) AS lat FROM building WHERE population > 0 ORDER BY md5(id::text || 'cmp') LIMIT 60`,
    );
    const rand = prng(41);
    const other = findCategory('street_light')!;
    for (let i = 0; i < 240; i++) {
      const category = i % 6 === 5 ? other : findCategory(categories[i % categories.length]!)!;
      // Skewed towards a few places, so the ranking has something to rank.
      const place = places[Math.floor(rand() ** 2 * places.length)]!;
      const days = i % 20 === 19 ? RELATIONS.window_days + 2 : rand() * RELATIONS.window_days;
      const h = historicCase(category, new Date(UNTIL.getTime() - days * DAY), UNTIL, rand);
      const cols = Object.keys(h.times);
      await db.query(
        `INSERT INTO cases (source, external_id, category, description, priority, status, status_note, return_count, reopen_count, satisfaction,
                            geom, out_of_area, subdistrict_id, community_id, grid_id, building_id, department_id, ${cols.join(', ')})
         SELECT 'hotline_12345', $1, $2, $3, $4, $5, $6, $7, $8, $9, g, a.out_of_area, a.subdistrict_id, a.community_id, a.grid_id, a.building_id,
                (SELECT id FROM department WHERE code = $10), ${cols.map((_, j) => `$${j + 13}`).join(', ')}
         FROM (SELECT ST_SetSRID(ST_MakePoint($11, $12), 4326) AS g) p CROSS JOIN LATERAL case_assign(p.g) a`,
        [`${run}-${i}`, h.category, h.description, h.priority, h.status, h.status_note, h.return_count, h.reopen_count, h.satisfaction, h.department_code, place.lng, place.lat, ...cols.map((c) => h.times[c as keyof typeof h.times])],
      );
    }
  });
  afterAll(async () => {
    await db?.query(`DELETE FROM cases WHERE external_id LIKE $1`, [`${run}-%`]);
    await db?.end();
    await server?.close();
  });

  it('ranks communities by complaint rate over the district rate times the uncovered share, as SQL counts and an independent coverage give', async () => {
    const res = await planner(`/api/coverage/complaints?kind=${kind}&minutes=5&until=${encodeURIComponent(UNTIL.toISOString())}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { categories: string[]; district: { complaints: number; rate: number }; communities: Ranked[]; points: unknown[] };
    expect(body.categories).toEqual(categories);

    // Complaints per community by a spatial join of their own (not the cases' stored community).
    const since = new Date(UNTIL.getTime() - RELATIONS.window_days * DAY);
    const { rows } = await db.query<{ id: number; n: string }>(
      `SELECT c.id, count(k.id) AS n FROM admin_unit c JOIN cases k ON ST_Covers(c.geom, k.geom)
        WHERE c.level = 'community' AND k.category = ANY($1) AND k.reported_at >= $2 AND k.reported_at < $3 GROUP BY c.id`,
      [categories, since, UNTIL],
    );
    const complaints = new Map(rows.map((r) => [r.id, Number(r.n)]));
    const sums = coverageSums(await exportCity(db), await facilityAttachments(db, kind), 5 * 60 * 1.2);
    const inhabited = [...sums.byCommunity.entries()].filter(([, c]) => c.population > 0);
    const total = inhabited.reduce((s, [id]) => s + (complaints.get(id) ?? 0), 0);
    const people = inhabited.reduce((s, [, c]) => s + c.population, 0);
    expect(total).toBeGreaterThan(100);
    expect(body.district.complaints).toBe(total);
    expect(body.points).toHaveLength(total);
    const districtRate = (1000 * total) / people;
    const expected = inhabited
      .map(([id, c]) => {
        const rate = (1000 * (complaints.get(id) ?? 0)) / c.population;
        return { id, score: (rate / districtRate) * (1 - c.covered / c.population), complaints: complaints.get(id) ?? 0 };
      })
      .sort((a, b) => b.score - a.score || b.complaints - a.complaints || a.id - b.id);
    expect(body.communities.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    body.communities.forEach((c, i) => {
      expect(c.complaints).toBe(expected[i]!.complaints);
      expect(c.score).toBeCloseTo(expected[i]!.score, 9);
    });
    expect(body.communities[0]!.score).toBeGreaterThan(0);
    // Exporting and snapping the whole city for the independent sums takes a while on a busy machine.
  }, 240_000);

  it('answers a kind without related categories with no complaints, and refuses a bad window', async () => {
    const res = await planner(`/api/coverage/complaints?kind=kindergarten&minutes=5`);
    const body = (await res.json()) as { categories: string[]; communities: Ranked[] };
    expect(body.categories).toEqual([]);
    expect(body.communities.every((c) => c.score === 0 && c.complaints === 0)).toBe(true);
    expect((await planner(`/api/coverage/complaints?kind=${kind}&minutes=5&until=yesterday`)).status).toBe(400);
  });
});
