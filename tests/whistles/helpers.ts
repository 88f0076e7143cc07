import { readFileSync } from 'node:fs';
import type pg from 'pg';
import sharp from 'sharp';
import * as turf from '@turf/turf';
import { testScopes } from '../helpers/auth.ts';

/** The test commander's subdistrict, a site inside it, one in the other test subdistrict, and the two test departments' codes. */
export async function whistleFixture(pool: pg.Pool) {
  const { subdistricts, departments } = await testScopes(pool);
  const site = await pool.query<{ lng: number; lat: number }>(
    `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE id = $1) x`,
    [subdistricts[0]],
  );
  const other = await pool.query<{ lng: number; lat: number }>(
    `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit WHERE id = $1) x`,
    [subdistricts[1]],
  );
  const codes = await pool.query<{ id: number; code: string }>(`SELECT id, code FROM department WHERE id = ANY($1::int[])`, [departments]);
  const code = (id: number) => codes.rows.find((r) => r.id === id)!.code;
  return {
    subdistrict: subdistricts[0],
    site: [site.rows[0]!.lng, site.rows[0]!.lat] as [number, number],
    otherSite: [other.rows[0]!.lng, other.rows[0]!.lat] as [number, number],
    /** responder's and responder2's departments */
    departments: [
      { id: departments[0], code: code(departments[0]) },
      { id: departments[1], code: code(departments[1]) },
    ] as const,
  };
}

/** The point `metres` east of `from`, by turf (a computation independent of PostGIS). */
export function eastOf(from: [number, number], metres: number): [number, number] {
  return turf.destination(turf.point(from), metres / 1000, 90, { units: 'kilometers' }).geometry.coordinates as [number, number];
}

export function metresBetween(a: [number, number], b: [number, number]): number {
  return turf.distance(turf.point(a), turf.point(b), { units: 'kilometers' }) * 1000;
}

const dms = (v: number) => {
  const d = Math.floor(v);
  const m = Math.floor((v - d) * 60);
  const s = Math.round(((v - d) * 60 - m) * 60 * 10000);
  return `${d}/1 ${m}/1 ${s}/10000`;
};

/** A small JPEG carrying EXIF capture time (Beijing local time, as a phone writes it) and GPS position. */
export async function jpegWithExif(opts: { at?: Date; where?: [number, number]; size?: number } = {}): Promise<Buffer> {
  const exif: Record<string, Record<string, string>> = { IFD0: { Make: 'TestPhone', Model: 'T1' } };
  if (opts.at) {
    const local = new Date(opts.at.getTime() + 8 * 3600_000).toISOString();
    exif.IFD2 = { DateTimeOriginal: `${local.slice(0, 4)}:${local.slice(5, 7)}:${local.slice(8, 10)} ${local.slice(11, 19)}` };
  }
  if (opts.where) exif.IFD3 = { GPSLatitudeRef: 'N', GPSLatitude: dms(opts.where[1]), GPSLongitudeRef: 'E', GPSLongitude: dms(opts.where[0]) };
  const size = opts.size ?? 64;
  return sharp({ create: { width: size, height: size, channels: 3, background: '#3a7' } }).jpeg().withExif(exif).toBuffer();
}

/**
 * The ranking recomputed here from the raw rows, with the README's formula written out:
 * score = 100 × (0.5 × case/100 + 0.3 × on-time + 0.2 × grade), a part without data = 1,
 * case = 100 × (w_response × response + w_resolution × resolution + w_satisfaction × satisfaction)
 * with the default scoring profile's weights and rates, read from its data file.
 */
export type Rates = { response_rate: number | null; resolution_rate: number | null; satisfaction_rate: number | null };
const PROFILES = JSON.parse(readFileSync(new URL('../../data/standards/scoring-profiles.json', import.meta.url), 'utf8')) as {
  default: string;
  profiles: { id: string; rates: 'callback' | 'administrative'; weights: { response: number; resolution: number; satisfaction: number } }[];
};
const PROFILE = PROFILES.profiles.find((p) => p.id === PROFILES.default)!;

export async function independentRanking(pool: pg.Pool, kpiRows: ({ key: number; callback: Rates } & Rates)[], asOf: Date) {
  const from = new Date(asOf.getTime() - 30 * 86_400_000);
  const deps = (await pool.query<{ id: number; code: string }>(`SELECT id, code FROM department WHERE kind <> 'subdistrict'`)).rows;
  const calls = (
    await pool.query<{ department_id: number; deadline_at: Date; checked_in_at: Date | null; on_time: boolean | null; inside: boolean | null; flag_accepted_at: Date | null; grade: number | null; graded_at: Date | null }>(
      `SELECT c.department_id, w.deadline_at, c.checked_in_at, c.on_time, c.inside, c.flag_accepted_at, c.grade, c.graded_at
       FROM whistle_call c JOIN whistle w ON w.id = c.whistle_id WHERE w.status <> 'cancelled' AND w.called_at >= $1 AND w.called_at < $2`,
      [from, asOf],
    )
  ).rows;
  const t = asOf.getTime();
  const out = deps.map((d) => {
    const mine = calls.filter((c) => c.department_id === d.id);
    const checked = (c: (typeof mine)[number]) => c.checked_in_at !== null && c.checked_in_at.getTime() <= t;
    const due = mine.filter((c) => checked(c) || c.deadline_at.getTime() <= t);
    const onTime = due.filter((c) => checked(c) && c.on_time === true && (c.inside === true || c.flag_accepted_at !== null));
    const grades = mine.filter((c) => c.grade !== null && c.graded_at !== null && c.graded_at.getTime() <= t).map((c) => c.grade!);
    const k = kpiRows.find((r) => r.key === d.id);
    const r = k ? (PROFILE.rates === 'callback' ? k.callback : k) : undefined;
    const w = PROFILE.weights;
    const caseScore = 100 * (w.response * (r?.response_rate ?? 1) + w.resolution * (r?.resolution_rate ?? 1) + w.satisfaction * (r?.satisfaction_rate ?? 1));
    const onTimeRate = due.length ? onTime.length / due.length : 1;
    const gradeRate = grades.length ? (grades.reduce((a, b) => a + b, 0) / grades.length - 1) / 4 : 1;
    return { code: d.code, score: 100 * (0.5 * (caseScore / 100) + 0.3 * onTimeRate + 0.2 * gradeRate) };
  });
  return new Map(out.map((r) => [r.code, r.score]));
}
