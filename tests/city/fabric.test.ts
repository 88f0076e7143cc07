import { readFileSync } from 'node:fs';
import KDBush from 'kdbush';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const KINDS = (JSON.parse(readFileSync(new URL('../../data/standards/life-circle-kinds.json', import.meta.url), 'utf8')) as {
  kinds: { kind: string; walk_distance_m: number }[];
}).kinds;

describe('the generated buildings, facilities, parks and projects', () => {
  let db: pg.Pool;
  beforeAll(() => { db = testPool(); });
  afterAll(() => db.end());

  it('keep compounds and building footprints off the streets, and buildings off each other', async () => {
    const { rows: [s] } = await db.query(
      `SELECT count(*)::int AS n FROM building b JOIN walk_edge e ON b.geom && e.geom AND ST_Intersects(b.geom, e.geom) WHERE b.synthetic AND e.synthetic`,
    );
    expect(s.n).toBe(0);
    const { rows: [o] } = await db.query(
      `SELECT count(*)::int AS n FROM building a JOIN building b ON a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom) WHERE a.synthetic AND b.synthetic`,
    );
    expect(o.n).toBe(0);
    const { rows: [c] } = await db.query(
      `SELECT count(*)::int AS n FROM compound c JOIN walk_edge e ON c.geom && e.geom AND ST_Intersects(c.geom, e.geom) WHERE c.synthetic AND e.synthetic`,
    );
    expect(c.n).toBe(0);
  });

  it('cluster old compounds in the old city inside the 2nd ring', async () => {
    const { rows: [r] } = await db.query(
      `SELECT avg((built_year < 2000)::int) FILTER (WHERE inside)::float8 AS old_inside, avg((built_year < 2000)::int) FILTER (WHERE NOT inside)::float8 AS old_outside
       FROM (SELECT built_year, ST_X(ST_Centroid(geom)) > 116.3565 AND ST_Y(ST_Centroid(geom)) < 39.948 AS inside FROM compound WHERE synthetic) c`,
    );
    expect(r.old_inside).toBeGreaterThan(0.85);
    expect(r.old_inside).toBeGreaterThan(r.old_outside + 0.1);
  });

  it('give households consistent with population (2–3 people per household)', async () => {
    const { rows: [r] } = await db.query(
      `SELECT sum(population)::float8 / sum(households) AS per_household, count(*) FILTER (WHERE population > 0 AND households = 0)::int AS empty
       FROM building WHERE synthetic`,
    );
    expect(r.per_household).toBeGreaterThan(2);
    expect(r.per_household).toBeLessThan(3);
    expect(r.empty).toBe(0);
  });

  it('place every life-circle kind, with real gaps: some homes are beyond walking distance of some kinds', async () => {
    const { rows } = await db.query(`SELECT kind, count(*)::int AS n FROM facility WHERE synthetic GROUP BY kind`);
    const n = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
    for (const k of KINDS) expect(n[k.kind] ?? 0, k.kind).toBeGreaterThan(0);
    expect(n.subdistrict_office).toBe(15);
    // Straight-line distance is a lower bound on walking distance, so a home beyond it by air is
    // beyond it on foot. Measured here in JS (haversine over a KD-tree), independently of PostGIS.
    const { rows: homes } = await db.query(`SELECT ST_X(centroid) AS x, ST_Y(centroid) AS y, population FROM building WHERE synthetic AND population > 0`);
    const total = homes.reduce((s, h) => s + h.population, 0);
    const haversine = (ax: number, ay: number, bx: number, by: number) => {
      const r = Math.PI / 180, dLat = (by - ay) * r, dLng = (bx - ax) * r;
      const h = Math.sin(dLat / 2) ** 2 + Math.cos(ay * r) * Math.cos(by * r) * Math.sin(dLng / 2) ** 2;
      return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
    };
    let kindsWithGaps = 0;
    for (const k of KINDS.filter((x) => ['kindergarten', 'elderly_day_care', 'primary_school', 'market', 'health_center'].includes(x.kind))) {
      const { rows: fac } = await db.query(`SELECT ST_X(geom) AS x, ST_Y(geom) AS y FROM facility WHERE kind = $1`, [k.kind]);
      const index = new KDBush(fac.length);
      for (const f of fac) index.add(f.x, f.y);
      index.finish();
      const deg = k.walk_distance_m / 80000;
      let beyond = 0;
      for (const h of homes) {
        const near = index.range(h.x - deg, h.y - deg, h.x + deg, h.y + deg).some((i) => haversine(h.x, h.y, fac[i]!.x, fac[i]!.y) <= k.walk_distance_m);
        if (!near) beyond += h.population;
      }
      const share = beyond / total;
      if (share > 0.01) kindsWithGaps++;
      expect(share, k.kind).toBeLessThan(0.8);
    }
    expect(kindsWithGaps).toBeGreaterThanOrEqual(3);
  });

  it('lay out about 60 small pocket parks inside the district, clear of buildings', async () => {
    const { rows: [r] } = await db.query(
      `SELECT count(*)::int AS n, min(area_m2) AS min_m2, max(area_m2) AS max_m2,
              max(abs(area_m2 - ST_Area(geom::geography))) AS area_err,
              count(*) FILTER (WHERE NOT ST_Within(geom, (SELECT geom FROM admin_unit WHERE level = 'district')))::int AS outside,
              (SELECT count(*)::int FROM pocket_park p JOIN building b ON p.geom && b.geom AND ST_Intersects(p.geom, b.geom)) AS on_buildings
       FROM pocket_park WHERE synthetic`,
    );
    expect(r.n).toBe(60);
    expect(r.min_m2).toBeGreaterThan(100);
    expect(r.max_m2).toBeLessThan(5000);
    expect(r.area_err).toBeLessThan(0.1);
    expect(r.outside).toBe(0);
    expect(r.on_buildings).toBe(0);
  });

  it('keep about 100 renovation projects on old compounds, with figures that agree with their status', async () => {
    const { rows } = await db.query(
      `SELECT r.*, c.built_year FROM renovation_project r LEFT JOIN compound c ON c.id = r.compound_id WHERE r.synthetic`,
    );
    expect(rows.length).toBe(100);
    const asOf = '2026-01-01';
    const iso = (d: Date) => d.toISOString().slice(0, 10);
    for (const p of rows) {
      const budget = Number(p.budget_cny), spent = Number(p.spent_cny);
      expect(p.built_year, p.name).toBeLessThan(2000);
      expect(spent, p.name).toBeLessThanOrEqual(budget);
      expect(p.elevators_done, p.name).toBeLessThanOrEqual(p.elevators_planned);
      expect(iso(p.starts_on) < iso(p.ends_on), p.name).toBe(true);
      if (p.status === 'completed') {
        expect(p.progress).toBe(1);
        expect(p.elevators_done).toBe(p.elevators_planned);
        expect(iso(p.ends_on) < asOf).toBe(true);
      } else if (p.status === 'under_construction') {
        expect(p.progress).toBeGreaterThan(0);
        expect(p.progress).toBeLessThan(1);
        expect(iso(p.starts_on) < asOf && iso(p.ends_on) > asOf).toBe(true);
      } else {
        expect(p.progress).toBe(0);
        expect(p.elevators_done).toBe(0);
        expect(iso(p.starts_on) > asOf).toBe(true);
        if (p.status === 'planned') expect(spent).toBe(0);
      }
    }
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['planned', 'approved', 'under_construction', 'completed']));
  });

  it('load the departments, each subdistrict office linked to the subdistrict it serves', async () => {
    const { rows } = await db.query(
      `SELECT d.code, d.kind, u.level, u.name_zh, d.name_zh AS dept FROM department d LEFT JOIN admin_unit u ON u.id = d.admin_unit_id`,
    );
    const offices = rows.filter((r) => r.kind === 'subdistrict');
    expect(offices).toHaveLength(15);
    for (const o of offices) {
      expect(o.level).toBe('subdistrict');
      expect(o.dept.startsWith(o.name_zh.replace(/街道$/, ''))).toBe(true);
    }
    expect(rows.filter((r) => r.kind !== 'subdistrict').every((r) => r.level === null)).toBe(true);
    expect(rows.some((r) => r.code === 'fire_rescue')).toBe(true);
  });

  it('draw the Shichahai lakes north of the centre, where they are', async () => {
    const { rows } = await db.query(
      `SELECT name, ST_X(ST_Centroid(geom)) AS lng, ST_Y(ST_Centroid(geom)) AS lat FROM land_cover WHERE kind = 'water' AND name IN ('前海', '后海', '西海')`,
    );
    expect(rows.map((r) => r.name).sort()).toEqual(['前海', '后海', '西海']);
    for (const r of rows) {
      expect(r.lat).toBeGreaterThan(39.932);
      expect(r.lat).toBeLessThan(39.95);
      expect(r.lng).toBeGreaterThan(116.37);
      expect(r.lng).toBeLessThan(116.395);
    }
  });
});

describe('the city read API', () => {
  let server: TestServer;
  let db: pg.Pool;
  beforeAll(async () => { server = await startTestServer(); db = testPool(); });
  afterAll(async () => { await server?.close(); await db?.end(); });

  it('GET /api/facilities?kind= returns just that kind, as many as the table holds', async () => {
    const res = await fetch(`${server.url}/api/facilities?kind=kindergarten`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/geo+json');
    const fc = await res.json();
    const { rows: [c] } = await db.query(`SELECT count(*)::int AS n FROM facility WHERE kind = 'kindergarten'`);
    expect(fc.features.length).toBe(c.n);
    expect(new Set(fc.features.map((f: { properties: { kind: string } }) => f.properties.kind))).toEqual(new Set(['kindergarten']));
    expect(fc.features[0].geometry.type).toBe('Point');
    expect(typeof fc.features[0].properties.synthetic).toBe('boolean');
  });

  it('refuses an unknown facility kind or renovation status with a 400 naming the field', async () => {
    const bad = await (await fetch(`${server.url}/api/facilities?kind=casino`)).json();
    expect(bad.statusCode).toBe(400);
    expect(bad.field).toBe('querystring.kind');
    const bad2 = await fetch(`${server.url}/api/renovation-projects?status=done`);
    expect(bad2.status).toBe(400);
    expect((await bad2.json()).field).toBe('querystring.status');
    const extra = await fetch(`${server.url}/api/pocket-parks?bbox=1`);
    expect(extra.status).toBe(400);
  });

  it('GET /api/renovation-projects?status= and /api/pocket-parks return GeoJSON matching the tables', async () => {
    const fc = await (await fetch(`${server.url}/api/renovation-projects?status=completed`)).json();
    const { rows: [c] } = await db.query(`SELECT count(*)::int AS n FROM renovation_project WHERE status = 'completed'`);
    expect(fc.features.length).toBe(c.n);
    for (const f of fc.features) expect(f.properties.progress).toBe(1);
    const parks = await (await fetch(`${server.url}/api/pocket-parks`)).json();
    const { rows: [p] } = await db.query(`SELECT count(*)::int AS n FROM pocket_park`);
    expect(parks.features.length).toBe(p.n);
    expect(parks.features[0].geometry.type).toBe('Polygon');
  });

  it('GET /api/city/summary reports the seed, counts, population and which data are synthetic', async () => {
    const s = await (await fetch(`${server.url}/api/city/summary`)).json();
    const { rows: [r] } = await db.query(
      `SELECT (SELECT value FROM city_meta WHERE key = 'seed') AS seed, (SELECT count(*)::int FROM building) AS buildings,
              (SELECT sum(population)::int FROM building) AS pop, (SELECT count(*)::int FROM admin_unit WHERE level = 'grid') AS grids,
              (SELECT count(*)::int FROM walk_edge) AS edges`,
    );
    expect(s.seed).toBe(r.seed);
    expect(s.counts.buildings).toBe(r.buildings);
    expect(s.population.buildings).toBe(r.pop);
    expect(s.population.district).toBe(r.pop);
    expect(s.admin_units.grid).toBe(r.grids);
    expect(s.walk_network.edges).toBe(r.edges);
    expect(s.generator.synthetic).toBe(true);
    expect(s.synthetic.admin_unit.total - s.synthetic.admin_unit.synthetic).toBeGreaterThanOrEqual(1);
  });
});
