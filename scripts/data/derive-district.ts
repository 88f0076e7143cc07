/**
 * Derives data/admin/xicheng-district.geojson, the outline of Xicheng District
 * (西城区, Beijing, code 110102), from the Beijing province map shipped in the
 * echarts 4.9.0 npm package, converted from GCJ-02 to WGS84.
 *
 * Run: npx tsx scripts/data/derive-district.ts
 *
 * echarts stores its maps in a compact "UTF8Encoding": each ring is a string
 * of character pairs holding zigzag-encoded deltas on a grid of 1/1024 degree
 * (about 85 m east-west, 108 m north-south at Beijing), starting from
 * `encodeOffsets`. The decoder below follows echarts' own
 * src/coord/geo/parseGeoJson.js. The vertices are GCJ-02, like every licensed
 * Chinese web map: the Dongcheng/Xicheng boundary along the central axis sits
 * at about 116.398 E in the source, where GCJ-02 puts the axis, not at the
 * 116.391 E of WGS84.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as turf from '@turf/turf';
import type { Feature, FeatureCollection, MultiPolygon, Polygon, Position } from 'geojson';
import { gcj02ToWgs84 } from '../../server/src/geo/coord-systems.js';
import { fetchNpmPackage } from './npm-package.js';

const PACKAGE = 'echarts';
const VERSION = '4.9.0';
const INTEGRITY =
  'sha512-+ugizgtJ+KmsJyyDPxaw2Br5FqzuBnyOWwcxPKO6y0gc5caYcfnEUIlNStx02necw8jmKmTafmpHhGo4XDtEIA==';
const SOURCE_FILE = 'map/json/province/beijing.json';
const DISTRICT_CODE = '110102';
const DISTRICT_NAME_ZH = '西城区';

/** Above this many vertices the outline is simplified; below it is kept as published. */
const MAX_VERTICES = 2000;
/** Simplification tolerance in degrees, about 4 m. */
const SIMPLIFY_TOLERANCE_DEG = 0.00004;
/** Decimal places written: 1e-7 degree is about 1 cm, far below the source's resolution. */
const DECIMALS = 7;

/** Published area of Xicheng District, km² (Beijing statistical yearbook). */
const EXPECTED_AREA_KM2 = 50.7;

/**
 * Landmarks (WGS84) that must fall inside or outside the outline. They catch a
 * wrong feature or a coordinate system applied twice or not at all: a 500 m
 * shift moves the outline's edge well past the source's 100 m resolution.
 */
const INSIDE: [string, Position][] = [
  ['Financial Street', [116.3575, 39.9155]],
  ['Xidan', [116.368, 39.907]],
  ['Houhai', [116.38, 39.94]],
  ['Taoranting Park', [116.3845, 39.876]],
];
const OUTSIDE: [string, Position][] = [
  ['Temple of Heaven (Dongcheng)', [116.4066, 39.8822]],
  ['Wangfujing (Dongcheng)', [116.4105, 39.9145]],
  ['Zhongguancun (Haidian)', [116.3105, 39.983]],
];

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outFile = join(repoRoot, 'data', 'admin', 'xicheng-district.geojson');

interface EncodedGeometry {
  type: 'Polygon' | 'MultiPolygon';
  coordinates: string[] | string[][];
  encodeOffsets: [number, number][] | [number, number][][];
}
interface EncodedMap {
  UTF8Encoding?: boolean;
  UTF8Scale?: number;
  features: { id: string; properties: { name: string }; geometry: EncodedGeometry }[];
}

/** Decodes one echarts-encoded ring (zigzag deltas, two characters per vertex). */
function decodeRing(encoded: string, offset: [number, number], scale: number): Position[] {
  const ring: Position[] = [];
  let prevX = offset[0];
  let prevY = offset[1];
  for (let i = 0; i < encoded.length; i += 2) {
    let x = encoded.charCodeAt(i) - 64;
    let y = encoded.charCodeAt(i + 1) - 64;
    x = (x >> 1) ^ -(x & 1);
    y = (y >> 1) ^ -(y & 1);
    x += prevX;
    y += prevY;
    prevX = x;
    prevY = y;
    ring.push([x / scale, y / scale]);
  }
  return ring;
}

function decodeGeometry(g: EncodedGeometry, scale: number): Position[][][] {
  if (g.type === 'Polygon') {
    const rings = g.coordinates as string[];
    const offsets = g.encodeOffsets as [number, number][];
    return [rings.map((r, i) => decodeRing(r, offsets[i]!, scale))];
  }
  const polygons = g.coordinates as string[][];
  const offsets = g.encodeOffsets as [number, number][][];
  return polygons.map((p, i) => p.map((r, j) => decodeRing(r, offsets[i]![j]!, scale)));
}

const round = (v: number): number => Number(v.toFixed(DECIMALS));

/** Converts a GCJ-02 ring to WGS84, dropping the repeated vertices the quantisation leaves behind. */
function ringToWgs84(ring: Position[]): Position[] {
  const out: Position[] = [];
  for (const [lng, lat] of ring) {
    const [x, y] = gcj02ToWgs84(lng!, lat!);
    const p: Position = [round(x), round(y)];
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  const first = out[0]!;
  const last = out[out.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) out.push([first[0]!, first[1]!]);
  return out;
}

function main(): void {
  const pkg = fetchNpmPackage(PACKAGE, VERSION, INTEGRITY);
  let map: EncodedMap;
  try {
    map = JSON.parse(readFileSync(join(pkg.root, SOURCE_FILE), 'utf8')) as EncodedMap;
  } finally {
    pkg.dispose();
  }
  if (!map.UTF8Encoding) throw new Error(`${SOURCE_FILE} is not in echarts' UTF8Encoding`);
  const scale = map.UTF8Scale ?? 1024;

  const source = map.features.find((f) => f.id === DISTRICT_CODE);
  if (!source || source.properties.name !== DISTRICT_NAME_ZH) {
    throw new Error(`${SOURCE_FILE} has no feature ${DISTRICT_CODE} ${DISTRICT_NAME_ZH}`);
  }

  const polygons = decodeGeometry(source.geometry, scale).map((rings) => rings.map(ringToWgs84));
  let geometry: Polygon | MultiPolygon =
    polygons.length === 1
      ? { type: 'Polygon', coordinates: polygons[0]! }
      : { type: 'MultiPolygon', coordinates: polygons };

  const vertexCount = (g: Polygon | MultiPolygon): number =>
    (g.type === 'Polygon' ? [g.coordinates] : g.coordinates).flat().reduce((n, r) => n + r.length - 1, 0);
  if (vertexCount(geometry) > MAX_VERTICES) {
    geometry = turf.simplify(geometry, { tolerance: SIMPLIFY_TOLERANCE_DEG, highQuality: true });
  }
  // RFC 7946: outer rings counter-clockwise, holes clockwise.
  geometry = turf.rewind(geometry, { reverse: false }) as Polygon | MultiPolygon;

  const feature: Feature<Polygon | MultiPolygon> = {
    type: 'Feature',
    properties: {
      code: DISTRICT_CODE,
      name_zh: DISTRICT_NAME_ZH,
      name_en: 'Xicheng District',
      source: `npm ${PACKAGE}@${VERSION} ${SOURCE_FILE}, feature ${DISTRICT_CODE}; GCJ-02 on a 1/1024-degree grid, converted to WGS84`,
      licence: 'Apache-2.0',
    },
    geometry,
  };
  const collection: FeatureCollection<Polygon | MultiPolygon> = { type: 'FeatureCollection', features: [feature] };

  // Checks: a valid, simple outline of about the published size, in the right place.
  if (!turf.booleanValid(feature)) throw new Error('derived outline is not a valid polygon');
  const kinks = turf.kinks(feature as Feature<Polygon>).features.length;
  if (kinks > 0) throw new Error(`derived outline self-intersects at ${kinks} points`);
  const areaKm2 = turf.area(feature) / 1e6;
  if (Math.abs(areaKm2 - EXPECTED_AREA_KM2) / EXPECTED_AREA_KM2 > 0.08) {
    throw new Error(`area ${areaKm2.toFixed(1)} km² is far from the published ${EXPECTED_AREA_KM2} km²`);
  }
  for (const [name, p] of INSIDE) {
    if (!turf.booleanPointInPolygon(p, feature)) throw new Error(`${name} should lie inside the outline`);
  }
  for (const [name, p] of OUTSIDE) {
    if (turf.booleanPointInPolygon(p, feature)) throw new Error(`${name} should lie outside the outline`);
  }
  const centroid = turf.centerOfMass(feature).geometry.coordinates;

  // One vertex per line keeps the file readable and its diffs meaningful.
  const text = JSON.stringify(collection, null, 2).replace(
    /\[\s+(-?[\d.]+),\s+(-?[\d.]+)\s+\]/g,
    '[$1, $2]',
  );
  writeFileSync(outFile, `${text}\n`);
  console.log(
    `wrote ${relative(process.cwd(), outFile)}: ${geometry.type}, ${vertexCount(geometry)} vertices, ` +
      `area ${areaKm2.toFixed(2)} km², centroid ${centroid.map((v) => v.toFixed(5)).join(',')}`,
  );
}

main();
