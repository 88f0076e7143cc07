/**
 * The coordinate system a file declares, and converting its geometries to WGS84. Chinese
 * sources publish GCJ-02 (AutoNavi, Tencent) or BD-09 (Baidu); stored data is WGS84.
 */
import { parseCoordinateSystem, toWgs84, type CoordinateSystem } from '../geo/coord-systems.ts';
import { ImportError } from './errors.ts';

/** GeoJSON names for plain WGS84 (RFC 7946 and the older `crs` member). */
const WGS84_NAMES = ['urn:ogc:def:crs:ogc:1.3:crs84', 'urn:ogc:def:crs:epsg::4326', 'epsg:4326', 'crs84'];

/**
 * The file's coordinate system: the command-line option wins, then the file's `crs` member
 * (a name such as "gcj02", or the GeoJSON 2008 form {type: "name", properties: {name}}), else WGS84.
 */
export function resolveCrs(option: string | undefined, fileCrs: unknown): CoordinateSystem {
  if (option !== undefined) {
    const c = parseCoordinateSystem(option);
    if (!c) throw new ImportError(`--crs must be one of wgs84, gcj02, bd09, got "${option}"`);
    return c;
  }
  if (fileCrs === undefined || fileCrs === null) return 'WGS84';
  const name =
    typeof fileCrs === 'string'
      ? fileCrs
      : typeof fileCrs === 'object' && typeof (fileCrs as { properties?: { name?: unknown } }).properties?.name === 'string'
        ? (fileCrs as { properties: { name: string } }).properties.name
        : undefined;
  if (name && WGS84_NAMES.includes(name.trim().toLowerCase())) return 'WGS84';
  const c = parseCoordinateSystem(name);
  if (!c) throw new ImportError(`the file's crs ${JSON.stringify(fileCrs)} is not one of wgs84, gcj02, bd09 (or EPSG:4326 / CRS84)`);
  return c;
}

/** Converts every position of a GeoJSON geometry's coordinates in place-free fashion. */
export function convertCoordinates(coords: unknown, crs: CoordinateSystem): unknown {
  if (crs === 'WGS84') return coords;
  if (Array.isArray(coords) && typeof coords[0] === 'number') {
    const [lng, lat, ...rest] = coords as number[];
    return [...toWgs84(lng!, lat!, crs), ...rest];
  }
  return Array.isArray(coords) ? coords.map((c) => convertCoordinates(c, crs)) : coords;
}
