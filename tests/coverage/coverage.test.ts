import type pg from 'pg';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { fetchAs, type AuthedFetch } from '../helpers/auth.ts';
import { plainDijkstra } from './plain-dijkstra.ts';
import { coverageSums, exportCity, facilityAttachments, snapPoints, startsOf, type CityExport } from './independent.ts';

interface Figures {
  population: number;
  population_covered: number;
  share: number;
  buildings: number;
  buildings_covered: number;
}
interface CoverageBody {
  facilities: number;
  threshold: { metres: number };
  district: Figures;
  units: Array<Figures & { id: number; level: string }>;
}

describe('service coverage on the demo city', () => {
  let server: TestServer;
  let as: AuthedFetch;
  let db: pg.Pool;
  let city: CityExport;
  /** The kind with the most facilities: the one whose figures mean the most. */
  let kind: string;

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await as(path);
    return { status: res.status, body: (await res.json()) as T };
  };
  const post = async <T>(path: string, body: unknown): Promise<{ status: number; body: T }> => {
    const res = await as(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    server = await startTestServer();
    db = testPool();
    as = await fetchAs(server.url, db, 'planner');
    city = await exportCity(db);
    const { rows } = await db.query<{ kind: string }>(`SELECT kind FROM facility GROUP BY kind ORDER BY count(*) DESC, kind LIMIT 1`);
    kind = rows[0]!.kind;
  });
  afterAll(async () => {
    await db?.end();
    await server?.close();
  });

  it('has a walking network, buildings with people and facilities to measure', () => {
    expect(city.edges.length).toBeGreaterThan(1000);
    expect(city.buildings.reduce((s, b) => s + b.population, 0)).toBeGreaterThan(10_000);
    expect(kind).toBeTruthy();
  });

  it('reaches exactly the nodes that a plain Dijkstra over the exported edges reaches, and pgr_drivingDistance too', async () => {
    const { rows } = await db.query<{ id: string }>(
      `SELECT n.id FROM walk_node n JOIN walk_edge e ON e.source = n.id GROUP BY n.id ORDER BY n.id LIMIT 3 OFFSET 97`,
    );
    for (const [metres, withPgr] of [[360, false], [1080, true]] as const) {
      for (const { id } of rows) {
        const origin = Number(id);
        const res = await get<{ nodes: Record<string, number> }>(`/api/coverage/reach?node=${origin}&metres=${metres}`);
        expect(res.status).toBe(200);
        const plain = plainDijkstra(city.edges, new Map([[origin, 0]]), metres);
        expect(Object.keys(res.body.nodes).map(Number).sort((a, b) => a - b)).toEqual([...plain.keys()].sort((a, b) => a - b));
        for (const [node, d] of plain) expect(res.body.nodes[node]).toBeCloseTo(d, 6);
        if (!withPgr) continue;
        const pgr = await db.query<{ node: string }>(
          `SELECT node FROM pgr_drivingDistance('SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM walk_edge', $1::bigint, $2::float8, directed => false)`,
          [origin, metres],
        );
        expect(pgr.rows.map((r) => Number(r.node)).sort((a, b) => a - b)).toEqual([...plain.keys()].sort((a, b) => a - b));
      }
    }
  });

  it('counts the covered population building by building, for the district and every community', async () => {
    for (const minutes of [5, 15]) {
      const res = await get<CoverageBody>(`/api/coverage?kind=${kind}&minutes=${minutes}`);
      expect(res.status).toBe(200);
      const metres = minutes * 60 * 1.2;
      expect(res.body.threshold.metres).toBeCloseTo(metres, 9);
      const sums = coverageSums(city, await facilityAttachments(db, kind), metres);
      expect(res.body.district.population).toBe(sums.population);
      expect(res.body.district.population_covered).toBe(sums.covered);
      expect(res.body.district.buildings_covered).toBe(sums.buildingsCovered);
      expect(res.body.district.share).toBe(sums.covered / sums.population);
      const communities = res.body.units.filter((u) => u.level === 'community');
      expect(communities.length).toBeGreaterThan(0);
      for (const c of communities) {
        const mine = sums.byCommunity.get(c.id) ?? { population: 0, covered: 0 };
        expect([c.id, c.population, c.population_covered]).toEqual([c.id, mine.population, mine.covered]);
      }
      // Subdistricts add up to the district.
      const subs = res.body.units.filter((u) => u.level === 'subdistrict');
      expect(subs.reduce((s, u) => s + u.population_covered, 0)).toBe(sums.covered);
    }
  });

  it('counts a pocket park listed both as a park and as a facility once', async () => {
    const { rows } = await db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM facility WHERE kind = 'pocket_park')
            + (SELECT count(*) FROM pocket_park p WHERE NOT EXISTS (
                 SELECT 1 FROM facility f WHERE f.kind = 'pocket_park' AND ST_DWithin(f.geom, p.geom, 0.0005))) AS n`,
    );
    const res = await get<CoverageBody>('/api/coverage?kind=pocket_park&minutes=5');
    expect(res.status).toBe(200);
    expect(res.body.facilities).toBe(Number(rows[0]!.n));
  });

  it('lists as gaps exactly the inhabited buildings left uncovered, with their population', async () => {
    const res = await get<{ features: Array<{ properties: { building_id: number; population: number } }> }>(`/api/coverage/gaps?kind=${kind}&metres=500`);
    const sums = coverageSums(city, await facilityAttachments(db, kind), 500);
    const expected = city.buildings.filter((b) => b.population > 0 && !sums.coveredIds.has(b.id));
    expect(res.body.features.map((f) => f.properties.building_id).sort((a, b) => a - b)).toEqual(expected.map((b) => b.id).sort((a, b) => a - b));
    expect(res.body.features.reduce((s, f) => s + f.properties.population, 0)).toBe(expected.reduce((s, b) => s + b.population, 0));
  });

  it('draws an isochrone that holds every reached node and matches a PostGIS buffer of the same streets', async () => {
    const { rows } = await db.query<{ id: number }>('SELECT id FROM facility WHERE kind = $1 ORDER BY id LIMIT 1', [kind]);
    const id = rows[0]!.id;
    const res = await get<{ geometry: GeoJSON.MultiPolygon; properties: { nodes_reached: number } }>(`/api/coverage/isochrones/facility/${id}?minutes=10`);
    expect(res.status).toBe(200);
    const f = await db.query<{ lon: number; lat: number }>('SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility WHERE id = $1', [id]);
    const sources = startsOf(city, await snapPoints(db, [[f.rows[0]!.lon, f.rows[0]!.lat]]));
    const reached = plainDijkstra(city.edges, sources, 720);
    expect(res.body.properties.nodes_reached).toBe(reached.size);
    const geom = JSON.stringify(res.body.geometry);
    // The reference band: every edge walked end to end, buffered by PostGIS as wide as the
    // configured street band (CITYOPS_ISOCHRONE_BUFFER_M, 20 m); the drawn area adds the covered
    // buildings and leaves out the uncovered ones (drawn-area.test.ts checks those).
    const walked = city.edges.filter((e) => Math.min(reached.get(e.source) ?? Infinity, reached.get(e.target) ?? Infinity) + e.length <= 720).map((e) => e.id);
    expect(walked.length).toBeGreaterThan(10);
    const inside = await db.query<{ outside: string; area: number; ref_area: number; diff: number }>(
      `WITH iso AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g),
            ref AS (
              SELECT ST_Transform(ST_Buffer(ST_Collect(ST_Transform(e.geom, 32650)), 20), 4326) AS g
                FROM walk_edge e WHERE e.id = ANY($3::bigint[])
            )
       SELECT (SELECT count(*) FROM walk_node n, iso WHERE n.id = ANY($2::bigint[]) AND NOT ST_Covers(iso.g, n.geom)) AS outside,
              ST_Area(iso.g::geography) AS area, ST_Area(ref.g::geography) AS ref_area,
              ST_Area(ST_Difference(ref.g, iso.g)::geography) AS diff
         FROM iso, ref`,
      [geom, [...reached.keys()], walked],
    );
    const r = inside.rows[0]!;
    expect(Number(r.outside)).toBe(0);
    // Nearly all of the reference band lies inside the isochrone (the grid traces it to a few metres).
    expect(r.diff / r.ref_area).toBeLessThan(0.03);
    expect(r.area).toBeGreaterThan(r.ref_area * 0.9);
  });

  it('gives a what-if delta equal to the difference of two full computations, and writes nothing', async () => {
    // A candidate in the most populous uncovered building's spot.
    const sums0 = coverageSums(city, await facilityAttachments(db, kind), 600);
    const gap = city.buildings.filter((b) => !sums0.coveredIds.has(b.id) && b.edge !== null).sort((a, b) => b.population - a.population)[0]!;
    const pos = await db.query<{ lon: number; lat: number }>('SELECT ST_X(centroid) AS lon, ST_Y(centroid) AS lat FROM building WHERE id = $1', [gap.id]);
    const p = pos.rows[0]!;
    const before = await db.query<{ n: string }>('SELECT count(*) AS n FROM facility WHERE kind = $1', [kind]);
    const res = await post<{ before: Figures; after: Figures; delta: { population_covered: number }; units: Array<{ id: number; level: string; delta: number }> }>('/api/coverage/what-if', {
      kind,
      metres: 600,
      add: [{ lon: p.lon, lat: p.lat }],
    });
    expect(res.status).toBe(200);
    const [added] = await snapPoints(db, [[p.lon, p.lat]]);
    const sums1 = coverageSums(city, [...(await facilityAttachments(db, kind)), added!], 600);
    expect(res.body.before.population_covered).toBe(sums0.covered);
    expect(res.body.after.population_covered).toBe(sums1.covered);
    expect(res.body.delta.population_covered).toBe(sums1.covered - sums0.covered);
    expect(res.body.delta.population_covered).toBeGreaterThanOrEqual(gap.population);
    // And community by community.
    const changed = [...sums1.byCommunity].filter(([id, c]) => c.covered !== (sums0.byCommunity.get(id)?.covered ?? 0));
    expect(res.body.units.filter((u) => u.level === 'community').map((u) => [u.id, u.delta]).sort((x, y) => x[0]! - y[0]!)).toEqual(
      changed.map(([id, c]) => [id, c.covered - (sums0.byCommunity.get(id)?.covered ?? 0)]).sort((x, y) => x[0]! - y[0]!),
    );
    // And grid by grid.
    const changedGrids = [...sums1.byGrid].filter(([id, g]) => g.covered !== (sums0.byGrid.get(id)?.covered ?? 0));
    expect(changedGrids.length).toBeGreaterThan(0);
    expect(res.body.units.filter((u) => u.level === 'grid').map((u) => [u.id, u.delta]).sort((x, y) => x[0]! - y[0]!)).toEqual(
      changedGrids.map(([id, g]) => [id, g.covered - (sums0.byGrid.get(id)?.covered ?? 0)]).sort((x, y) => x[0]! - y[0]!),
    );
    const after = await db.query<{ n: string }>('SELECT count(*) AS n FROM facility WHERE kind = $1', [kind]);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('counts a removed facility as lost coverage, equal to the independent difference', async () => {
    const { rows } = await db.query<{ id: number; lon: number; lat: number }>('SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility WHERE kind = $1 ORDER BY id', [kind]);
    const victim = rows[0]!;
    const res = await post<{ delta: { population_covered: number } }>('/api/coverage/what-if', { kind, minutes: 10, remove: [victim.id] });
    expect(res.status).toBe(200);
    const snaps = await snapPoints(db, rows.map((r) => [r.lon, r.lat]));
    const all = coverageSums(city, snaps, 720);
    const without = coverageSums(city, snaps.slice(1), 720);
    expect(res.body.delta.population_covered).toBe(without.covered - all.covered);
    expect(res.body.delta.population_covered).toBeLessThanOrEqual(0);
  });

  it('counts a moved facility as the independent difference of before and after', async () => {
    const { rows } = await db.query<{ id: number; lon: number; lat: number }>('SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility WHERE kind = $1 ORDER BY id', [kind]);
    const snaps = await snapPoints(db, rows.map((r) => [r.lon, r.lat]));
    const all = coverageSums(city, snaps, 720);
    const target = city.buildings.filter((b) => !all.coveredIds.has(b.id) && b.edge !== null).sort((a, b) => b.population - a.population)[0]!;
    const pos = (await db.query<{ lon: number; lat: number }>('SELECT ST_X(centroid) AS lon, ST_Y(centroid) AS lat FROM building WHERE id = $1', [target.id])).rows[0]!;
    const res = await post<{ delta: { population_covered: number } }>('/api/coverage/what-if', { kind, minutes: 10, move: [{ id: rows[1]!.id, lon: pos.lon, lat: pos.lat }] });
    expect(res.status).toBe(200);
    const [movedTo] = await snapPoints(db, [[pos.lon, pos.lat]]);
    const after = coverageSums(city, [snaps[0]!, movedTo!, ...snaps.slice(2)], 720);
    expect(res.body.delta.population_covered).toBe(after.covered - all.covered);
  });

  it('saves a what-if when asked, and the next coverage counts the new facility', async () => {
    // A kind no other test measures, so this write cannot disturb them.
    const saveKind = 'judicial_office';
    const { rows } = await db.query<{ lon: number; lat: number }>(
      `SELECT ST_X(n.geom) AS lon, ST_Y(n.geom) AS lat FROM walk_node n JOIN admin_unit d ON d.level = 'district' AND ST_Contains(d.geom, n.geom) ORDER BY n.id LIMIT 1 OFFSET 500`,
    );
    const p = rows[0]!;
    const res = await post<{ after: Figures; saved: { added: number[] } }>('/api/coverage/what-if', { kind: saveKind, minutes: 15, add: [{ lon: p.lon, lat: p.lat, name: '测试司法所' }], save: true });
    expect(res.status).toBe(200);
    expect(res.body.saved.added).toHaveLength(1);
    const stored = await db.query('SELECT 1 FROM facility WHERE id = $1 AND kind = $2', [res.body.saved.added[0], saveKind]);
    expect(stored.rowCount).toBe(1);
    const next = await get<CoverageBody>(`/api/coverage?kind=${saveKind}&minutes=15`);
    expect(next.body.district.population_covered).toBe(res.body.after.population_covered);
    await db.query('DELETE FROM facility WHERE id = $1', [res.body.saved.added[0]]);
    const restored = await get<CoverageBody>(`/api/coverage?kind=${saveKind}&minutes=15`);
    expect(restored.body.facilities).toBe(next.body.facilities - 1);
  });

  it('proposes sites greedily, each adding what a what-if with it adds, with progress pushed to the asking socket', async () => {
    const socket = connect(server.url, { path: '/socket.io', transports: ['websocket'], extraHeaders: { cookie: as.cookie } });
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    const progress: Array<{ job: string; done: number; total: number }> = [];
    socket.on('coverage.progress', (p: { job: string; done: number; total: number }) => progress.push(p));
    const res = await post<{ sites: Array<{ lon: number; lat: number; added_population: number; cumulative_population: number }> }>('/api/coverage/siting', {
      kind,
      minutes: 5,
      count: 3,
      progress_to: socket.id,
      job: 'siting-test',
    });
    expect(res.status).toBe(200);
    expect(res.body.sites.length).toBeGreaterThan(0);
    const baseline = (await get<CoverageBody>(`/api/coverage?kind=${kind}&minutes=5`)).body.district.population_covered;
    const added: Array<{ lon: number; lat: number }> = [];
    for (const site of res.body.sites) {
      added.push({ lon: site.lon, lat: site.lat });
      const after = await post<{ after: Figures }>('/api/coverage/what-if', { kind, minutes: 5, add: added });
      expect(after.body.after.population_covered - baseline).toBe(site.cumulative_population);
    }
    // Ranked: no later site adds more than an earlier one.
    for (let i = 1; i < res.body.sites.length; i++) expect(res.body.sites[i]!.added_population).toBeLessThanOrEqual(res.body.sites[i - 1]!.added_population);
    await expect.poll(() => progress.some((p) => p.job === 'siting-test' && p.done === p.total)).toBe(true);
    socket.close();
  });

  it('scores each community on the life-circle checklist from the same coverage figures', async () => {
    const res = await get<{ communities: Array<{ id: number; score: number; items: Array<{ kind: string; metres: number; share: number; met: boolean }> }> }>('/api/coverage/checklist');
    expect(res.status).toBe(200);
    const c = res.body.communities.find((x) => x.items.some((i) => i.share > 0))!;
    expect(c).toBeDefined();
    for (const item of c.items.filter((i) => i.share > 0).slice(0, 2)) {
      const cov = await get<CoverageBody>(`/api/coverage?kind=${item.kind}&metres=${item.metres}`);
      expect(cov.body.units.find((u) => u.id === c.id)!.share).toBe(item.share);
      expect(item.met).toBe(item.share >= 0.5);
    }
    expect(c.score).toBeCloseTo((100 * c.items.reduce((s, i) => s + i.share, 0)) / c.items.length, 1);
  });

  describe('refuses bad input with the reason', () => {
    it('names the allowed kinds for an unknown kind', async () => {
      const res = await get<{ message: string; field: string }>('/api/coverage?kind=casino&minutes=15');
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('kind');
      expect(res.body.message).toContain('kindergarten');
    });

    it('refuses thresholds outside the sane range, and minutes together with metres', async () => {
      for (const q of ['minutes=0', 'minutes=45', 'metres=10', 'metres=9000', 'minutes=5&speed=9', 'minutes=5&metres=300']) {
        const res = await get<{ message: string }>(`/api/coverage?kind=${kind}&${q}`);
        expect(res.status, q).toBe(400);
      }
    });

    it('refuses a candidate outside the district, and one too far from any street', async () => {
      const out = await post<{ message: string; field: string }>('/api/coverage/what-if', { kind, minutes: 15, add: [{ lon: 116.2, lat: 39.7 }] });
      expect(out.status).toBe(400);
      expect(out.body.field).toBe('add.0');
      expect(out.body.message).toContain('outside the district');
      // A spot inside the district more than 200 m from every street (a lake, a walled compound).
      const { rows } = await db.query<{ lon: number; lat: number }>(
        `WITH d AS (SELECT geom FROM admin_unit WHERE level = 'district'),
              g AS (SELECT ST_SetSRID(ST_MakePoint(116.30 + i * 0.002, 39.85 + j * 0.002), 4326) AS p FROM generate_series(0, 60) i, generate_series(0, 70) j)
         SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM g, d
          WHERE ST_Contains(d.geom, g.p)
            AND NOT EXISTS (SELECT 1 FROM walk_edge e WHERE e.geom && ST_Expand(g.p, 0.003) AND ST_DWithin(e.geom::geography, g.p::geography, 200))
          LIMIT 1`,
      );
      expect(rows).toHaveLength(1);
      const far = await post<{ message: string; field: string }>('/api/coverage/what-if', { kind, minutes: 15, add: [{ lon: rows[0]!.lon, lat: rows[0]!.lat }] });
      expect(far.status).toBe(400);
      expect(far.body.field).toBe('add.0');
      expect(far.body.message).toContain('150 m from any walkable street');
    });

    it('refuses removing a facility of another kind or one that does not exist', async () => {
      const res = await post<{ field: string }>('/api/coverage/what-if', { kind, minutes: 15, remove: [99_999_999] });
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('remove.0');
    });
  });
});
