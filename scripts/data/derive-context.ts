/**
 * Derives data/context/xicheng-context.geojson, the muted context the wall draws around the
 * district: the outlines of the neighbouring districts, with a label point each, from the
 * same echarts 4.9.0 Beijing map as the district outline (see derive-district.ts for the
 * encoding and the GCJ-02 conversion), and the 2nd and 3rd Ring Roads as clearly marked
 * approximations (`approximate: true`): hand-placed loops through published interchange
 * positions, good to a few hundred metres, for orientation only.
 *
 * Run: npx tsx scripts/data/derive-context.ts
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as turf from '@turf/turf';
import type { Feature, FeatureCollection, Position } from 'geojson';
import { gcj02ToWgs84 } from '../../server/src/geo/coord-systems.js';
import { fetchNpmPackage } from './npm-package.js';

const PACKAGE = 'echarts';
const VERSION = '4.9.0';
const INTEGRITY =
  'sha512-+ugizgtJ+KmsJyyDPxaw2Br5FqzuBnyOWwcxPKO6y0gc5caYcfnEUIlNStx02necw8jmKmTafmpHhGo4XDtEIA==';
const SOURCE_FILE = 'map/json/province/beijing.json';

/** Xicheng's neighbours (and Shijingshan, just beyond them to the west), by NBS code. */
const NEIGHBOURS: Record<string, { zh: string; en: string }> = {
  '110101': { zh: '东城区', en: 'Dongcheng' },
  '110105': { zh: '朝阳区', en: 'Chaoyang' },
  '110106': { zh: '丰台区', en: 'Fengtai' },
  '110107': { zh: '石景山区', en: 'Shijingshan' },
  '110108': { zh: '海淀区', en: 'Haidian' },
};

/**
 * Ring roads, WGS84, approximate: each loop runs through its corner interchanges (2nd Ring:
 * Xizhimen, Dongzhimen, Dongbianmen, Zuo'anmen / Yuting, Xibianmen-Youanmen corner; 3rd Ring:
 * Sijiqing-Zizhuqiao, Madian, Sanyuanqiao, Guomao, Fenzhongsi, Liuliqiao, Gongzhufen).
 */
const RINGS: { zh: string; en: string; loop: Position[] }[] = [
  {
    zh: '二环路', en: '2nd Ring Road',
    loop: [[116.3545, 39.9405], [116.3585, 39.9485], [116.4285, 39.9485], [116.4345, 39.9410], [116.4345, 39.8720], [116.4270, 39.8665], [116.3605, 39.8665], [116.3545, 39.8720], [116.3545, 39.9405]],
  },
  {
    zh: '三环路', en: '3rd Ring Road',
    loop: [[116.3105, 39.9560], [116.3270, 39.9670], [116.4440, 39.9670], [116.4605, 39.9550], [116.4620, 39.8670], [116.4460, 39.8555], [116.3250, 39.8555], [116.3095, 39.8700], [116.3105, 39.9560]],
  },
];

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outFile = join(repoRoot, 'data', 'context', 'xicheng-context.geojson');

interface EncodedGeometry {
  type: 'Polygon' | 'MultiPolygon';
  coordinates: string[] | string[][];
  encodeOffsets: [number, number][] | [number, number][][];
}

/** echarts' UTF8Encoding: zigzag deltas, two characters per vertex (as in derive-district.ts). */
function decodeRing(encoded: string, offset: [number, number], scale: number): Position[] {
  const ring: Position[] = [];
  let [px, py] = offset;
  for (let i = 0; i < encoded.length; i += 2) {
    let x = encoded.charCodeAt(i) - 64;
    let y = encoded.charCodeAt(i + 1) - 64;
    x = ((x >> 1) ^ -(x & 1)) + px;
    y = ((y >> 1) ^ -(y & 1)) + py;
    px = x;
    py = y;
    const [lng, lat] = gcj02ToWgs84(x / scale, y / scale);
    ring.push([Number(lng.toFixed(5)), Number(lat.toFixed(5))]);
  }
  if (ring.length) ring.push([...ring[0]!]);
  return ring;
}

function main(): void {
  const pkg = fetchNpmPackage(PACKAGE, VERSION, INTEGRITY);
  let map: { UTF8Scale?: number; features: { id: string; properties: { name: string }; geometry: EncodedGeometry }[] };
  try {
    map = JSON.parse(readFileSync(join(pkg.root, SOURCE_FILE), 'utf8'));
  } finally {
    pkg.dispose();
  }
  const scale = map.UTF8Scale ?? 1024;
  const features: Feature[] = [];
  for (const [code, name] of Object.entries(NEIGHBOURS)) {
    const f = map.features.find((x) => x.id === code);
    if (!f || f.properties.name !== name.zh) throw new Error(`${SOURCE_FILE} has no feature ${code} ${name.zh}`);
    const g = f.geometry;
    const polys = g.type === 'Polygon'
      ? [(g.coordinates as string[]).map((r, i) => decodeRing(r, (g.encodeOffsets as [number, number][])[i]!, scale))]
      : (g.coordinates as string[][]).map((p, i) => p.map((r, j) => decodeRing(r, (g.encodeOffsets as [number, number][][])[i]![j]!, scale)));
    // Outlines only (the wall draws them as muted lines): one LineString per ring.
    const outline = turf.multiLineString(polys.flat());
    features.push({ ...outline, properties: { kind: 'district', code, name_zh: name.zh, name_en: name.en, approximate: false } });
    // The label sits at the point of the district nearest Xicheng's centre, so it shows in the wall's frame.
    const poly = turf.multiPolygon(polys);
    const near = turf.nearestPointOnLine(outline, [116.366, 39.913]).geometry.coordinates;
    const inward = turf.destination(near, 1.5, turf.bearing(near, turf.centerOfMass(poly).geometry.coordinates));
    const label = turf.booleanPointInPolygon(inward, poly) ? inward.geometry.coordinates : turf.pointOnFeature(poly).geometry.coordinates;
    features.push(turf.point(label.map((v) => Number(v.toFixed(5))), { kind: 'district_label', code, name_zh: name.zh, name_en: name.en, approximate: false }));
  }
  for (const r of RINGS) features.push(turf.lineString(r.loop, { kind: 'ring_road', name_zh: r.zh, name_en: r.en, approximate: true }));
  const fc: FeatureCollection = {
    type: 'FeatureCollection',
    features,
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify({ ...fc, source: `district outlines: npm ${PACKAGE}@${VERSION} ${SOURCE_FILE} (Apache-2.0), GCJ-02 on a 1/1024-degree grid converted to WGS84; ring roads: hand-placed approximations` })}\n`);
  console.log(`wrote ${relative(process.cwd(), outFile)}: ${features.length} features`);
}

main();
