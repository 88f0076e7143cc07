import type pg from 'pg';
import { whistleFixture } from '../whistles/helpers.ts';

/**
 * The whistle fixture plus an area for operations: a square around a point of the test
 * commander's subdistrict that lies wholly inside it (checked in PostGIS, shrunk until it
 * does), a square in the other test subdistrict, and points inside the first square.
 */
export async function operationFixture(pool: pg.Pool) {
  const fx = await whistleFixture(pool);
  const square = (c: [number, number], h: number): [number, number][] => [
    [c[0] - h, c[1] - h],
    [c[0] + h, c[1] - h],
    [c[0] + h, c[1] + h],
    [c[0] - h, c[1] + h],
  ];
  const inside = async (ring: [number, number][], sub: number) =>
    (
      await pool.query<{ ok: boolean }>(`SELECT ST_CoveredBy(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), geom) AS ok FROM admin_unit WHERE id = $2`, [
        JSON.stringify({ type: 'Polygon', coordinates: [[...ring, ring[0]]] }),
        sub,
      ])
    ).rows[0]!.ok;
  let half = 0.002;
  while (!(await inside(square(fx.site, half), fx.subdistrict))) half /= 2;
  const ring = square(fx.site, half);
  const otherSub = (await pool.query<{ id: number }>(`SELECT id FROM admin_unit WHERE level = 'subdistrict' AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) LIMIT 1`, fx.otherSite)).rows[0]!.id;
  let otherHalf = 0.002;
  while (!(await inside(square(fx.otherSite, otherHalf), otherSub))) otherHalf /= 2;
  /** A point of the area at fractions (0…1) of its width and height. */
  const at = (fx_: number, fy: number): [number, number] => [fx.site[0] - half + 2 * half * fx_, fx.site[1] - half + 2 * half * fy];
  return {
    ...fx,
    half,
    /** An open ring, as clicks on a map give it (the server closes it). */
    area: { type: 'Polygon' as const, coordinates: [ring] },
    otherArea: { type: 'Polygon' as const, coordinates: [square(fx.otherSite, otherHalf)] },
    at,
    /** A point just outside the area, to the east. */
    outside: [fx.site[0] + half * 1.5, fx.site[1]] as [number, number],
  };
}
