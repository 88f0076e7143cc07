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
