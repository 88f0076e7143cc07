/**
 * Conversions between the three coordinate systems found in Chinese map data.
 *
 * - WGS84 (EPSG:4326): GPS, OpenStreetMap, and what PostGIS stores here.
 * - GCJ-02 ("Mars coordinates"): every licensed Chinese web map (AutoNavi,
 *   Tencent, Google China) publishes this obfuscated datum. It is WGS84 plus a
 *   smooth, deliberately irregular offset of a few hundred metres.
 * - BD-09: Baidu's further rotation and shift of GCJ-02.
 *
 * The forward GCJ-02 transform is the widely reproduced public formula. It
 * has no closed-form inverse, so {@link gcj02ToWgs84} solves it by fixed-point
 * iteration; the one-step "subtract the offset once" shortcut is off by one to
 * two metres, enough to push a point across a grid boundary.
 *
 * All functions take and return `[lng, lat]` in decimal degrees, the GeoJSON
 * order. Points outside China's bounding box are passed through unchanged by
 * the GCJ-02 transforms, as every public implementation does.
 */

/** A coordinate pair in GeoJSON order: longitude, then latitude. */
export type LngLat = [lng: number, lat: number];

/** The coordinate systems the project accepts on input. */
export type CoordinateSystem = 'WGS84' | 'GCJ02' | 'BD09';

/** Semi-major axis of the Krasovsky 1940 ellipsoid, which the GCJ-02 formula uses. */
const KRASOVSKY_A = 6378245.0;
/** First eccentricity squared of the Krasovsky 1940 ellipsoid. */
const KRASOVSKY_EE = 0.00669342162296594323;
/** Baidu's rotation constant. */
const BD_X_PI = (Math.PI * 3000.0) / 180.0;

/** Convergence threshold of the inverse iterations, in degrees (about 1 mm). */
const INVERSE_EPSILON_DEG = 1e-8;
const INVERSE_MAX_ITERATIONS = 30;

/**
 * Whether a point lies outside the rectangle in which GCJ-02 offsets apply.
 * The rectangle is the conventional coarse one; it includes some neighbouring
 * countries, which is the accepted behaviour of the public formula.
 */
export function isOutsideChina(lng: number, lat: number): boolean {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function offsetLatTerm(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320.0 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function offsetLngTerm(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

/** The GCJ-02 offset (in degrees) to add to a WGS84 point. */
function gcjOffset(lng: number, lat: number): LngLat {
  const x = lng - 105.0;
  const y = lat - 35.0;
  const radLat = (lat / 180.0) * Math.PI;
  const s = Math.sin(radLat);
  const magic = 1 - KRASOVSKY_EE * s * s;
  const sqrtMagic = Math.sqrt(magic);
  const dLat =
    (offsetLatTerm(x, y) * 180.0) /
    (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLng = (offsetLngTerm(x, y) * 180.0) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [dLng, dLat];
}

/**
 * Solves `forward(p) = target` for `p` by fixed-point iteration. The forward
 * transforms here are the identity plus a slowly varying offset, so the
 * Jacobian is close to the identity and the iteration contracts quickly
 * (three or four steps to reach millimetres).
 */
function invert(forward: (lng: number, lat: number) => LngLat, lng: number, lat: number, start: LngLat): LngLat {
  let pLng = start[0];
  let pLat = start[1];
  for (let i = 0; i < INVERSE_MAX_ITERATIONS; i++) {
    const [fLng, fLat] = forward(pLng, pLat);
    const eLng = lng - fLng;
    const eLat = lat - fLat;
    pLng += eLng;
    pLat += eLat;
    if (Math.abs(eLng) < INVERSE_EPSILON_DEG && Math.abs(eLat) < INVERSE_EPSILON_DEG) break;
  }
  return [pLng, pLat];
}

/** WGS84 → GCJ-02. */
export function wgs84ToGcj02(lng: number, lat: number): LngLat {
  if (isOutsideChina(lng, lat)) return [lng, lat];
  const [dLng, dLat] = gcjOffset(lng, lat);
  return [lng + dLng, lat + dLat];
}

/** GCJ-02 → WGS84, iterated until the forward transform reproduces the input to about 1 mm. */
export function gcj02ToWgs84(lng: number, lat: number): LngLat {
  if (isOutsideChina(lng, lat)) return [lng, lat];
  const [dLng, dLat] = gcjOffset(lng, lat);
  return invert(wgs84ToGcj02, lng, lat, [lng - dLng, lat - dLat]);
}

/** GCJ-02 → BD-09 (Baidu's closed-form forward transform). */
export function gcj02ToBd09(lng: number, lat: number): LngLat {
  const z = Math.sqrt(lng * lng + lat * lat) + 0.00002 * Math.sin(lat * BD_X_PI);
  const theta = Math.atan2(lat, lng) + 0.000003 * Math.cos(lng * BD_X_PI);
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
}

/**
 * BD-09 → GCJ-02. The usual one-step formula only approximates the inverse
 * (errors up to about 15 cm around Beijing); it seeds an iteration on the
 * exact forward transform instead, so that round trips close to millimetres.
 */
export function bd09ToGcj02(lng: number, lat: number): LngLat {
  const x = lng - 0.0065;
  const y = lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * BD_X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * BD_X_PI);
  return invert(gcj02ToBd09, lng, lat, [z * Math.cos(theta), z * Math.sin(theta)]);
}

/** WGS84 → BD-09. */
export function wgs84ToBd09(lng: number, lat: number): LngLat {
  const [gLng, gLat] = wgs84ToGcj02(lng, lat);
  return gcj02ToBd09(gLng, gLat);
}

/** BD-09 → WGS84. */
export function bd09ToWgs84(lng: number, lat: number): LngLat {
  const [gLng, gLat] = bd09ToGcj02(lng, lat);
  return gcj02ToWgs84(gLng, gLat);
}

/** Converts a point given in `crs` to WGS84, the system everything is stored in. */
export function toWgs84(lng: number, lat: number, crs: CoordinateSystem): LngLat {
  switch (crs) {
    case 'WGS84':
      return [lng, lat];
    case 'GCJ02':
      return gcj02ToWgs84(lng, lat);
    case 'BD09':
      return bd09ToWgs84(lng, lat);
  }
}

/** Converts a WGS84 point to `crs`, e.g. to hand a location to a Chinese web map. */
export function fromWgs84(lng: number, lat: number, crs: CoordinateSystem): LngLat {
  switch (crs) {
    case 'WGS84':
      return [lng, lat];
    case 'GCJ02':
      return wgs84ToGcj02(lng, lat);
    case 'BD09':
      return wgs84ToBd09(lng, lat);
  }
}

const CRS_ALIASES: Readonly<Record<string, CoordinateSystem>> = {
  wgs84: 'WGS84',
  'wgs-84': 'WGS84',
  'epsg:4326': 'WGS84',
  gcj02: 'GCJ02',
  'gcj-02': 'GCJ02',
  bd09: 'BD09',
  'bd-09': 'BD09',
};

/**
 * Reads a coordinate-system name from user input ("wgs84", "GCJ02", "bd09",
 * "EPSG:4326", case-insensitive, surrounding spaces ignored). Returns
 * `undefined` for anything else so the caller can answer with a 400.
 */
export function parseCoordinateSystem(s: string | null | undefined): CoordinateSystem | undefined {
  if (typeof s !== 'string') return undefined;
  const key = s.trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(CRS_ALIASES, key) ? CRS_ALIASES[key] : undefined;
}
