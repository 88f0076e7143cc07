/**
 * Compounds, buildings and pocket parks on the blocks between streets. Footprints are
 * rectangles aligned with the streets and kept clear of them (half width + setback):
 * courtyard houses (四合院, one floor, crowded) in hutong blocks, rows of south-facing slabs
 * and towers in residential compounds, large towers in commercial cores.
 */
import { rectRing, Shape, type XY } from './geometry.ts';
import { cellInterior, type Block } from './layout.ts';
import type { Landmarks } from './landmarks.ts';
import type { Rng } from './prng.ts';

type Rect = [number, number, number, number];

export interface GenCompound {
  name: string;
  builtYear: number;
  ring: XY[];
  hutong: boolean;
  /** sum of building population, filled after scaling */
  population: number;
  households: number;
  buildings: number[];
}

export interface GenBuilding {
  ring: XY[];
  centre: XY;
  floors: number;
  builtYear: number;
  compound: number | null;
  residential: boolean;
  hutong: boolean;
  commercial: boolean;
  /** relative capacity before scaling to the district's population */
  raw: number;
  population: number;
  households: number;
}

export interface GenPark {
  ring: XY[];
  centre: XY;
  name: string;
}

export interface Fabric {
  compounds: GenCompound[];
  buildings: GenBuilding[];
  pocketParks: GenPark[];
  openSpaces: Rect[];
}

// Neutral names: a place name here would put, say, a 德胜 compound in the south of the district.
const COMPOUND_STEMS = [
  '槐荫', '榆树', '枣林', '银杏', '丁香', '海棠', '松鹤', '和平', '团结', '建功', '光明', '育新', '康乐', '新华', '工人',
  '红旗', '前进', '兴华', '永安', '福寿', '长青', '吉祥', '祥和', '安居', '惠民', '文兴', '德馨', '晨光', '向阳', '春晖',
  '东风', '华宁', '瑞祥', '明德', '立新', '建设', '青年', '友谊', '朝阳', '广和', '嘉园', '紫荆', '碧水', '翠微', '玉兰',
];
const COMPOUND_SUFFIX = ['小区', '北里', '南里', '东里', '西里', '里', '家园', '公寓', '宿舍', '社区'];

export interface FabricInput {
  blocks: Block[];
  district: Shape;
  landmarks: Landmarks;
  rng: Rng;
  pocketParks: number;
  targetPopulation: number;
}

export function buildFabric({ blocks, district, landmarks, rng, pocketParks, targetPopulation }: FabricInput): Fabric {
  const compounds: GenCompound[] = [];
  const buildings: GenBuilding[] = [];
  const openSpaces: Rect[] = [];
  const forbidden = (p: XY) =>
    !district.contains(p) ||
    landmarks.water.some((a) => a.shape.contains(p)) ||
    landmarks.closed.some((a) => a.shape.contains(p)) ||
    landmarks.parks.some((a) => a.shape.contains(p));
  const rectOk = ([x0, y0, x1, y1]: Rect) => ![[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, (y0 + y1) / 2]].some((p) => forbidden(p as XY));

  // Lots first, so pocket parks can be chosen across the whole district before building.
  interface Lot { rect: Rect; kind: 'courtyard' | 'slabs' | 'commercial' | 'open'; compound: number | null; year: number; tall: boolean }
  const lots: Lot[] = [];
  for (const block of blocks) {
    if (block.type === 'park' || block.type === 'void') continue;
    for (let i = 0; i + 1 < block.vLines.length; i++) {
      for (let j = 0; j + 1 < block.hLines.length; j++) {
        const setback = block.type === 'hutong' ? 0.8 : block.type === 'commercial' ? 8 : 6;
        const r = cellInterior(block.vLines[i]!, block.vLines[i + 1]!, block.hLines[j]!, block.hLines[j + 1]!, setback);
        if (!r) continue;
        if (block.type === 'hutong') {
          const year = Math.round(rng.range(1900, 1985));
          const compound = compounds.length;
          compounds.push({ name: `${block.hLines[j + 1]!.name ?? block.hLines[j]!.name ?? '胡同'}${rng.int(1, 60)}号院落片`, builtYear: year, ring: rectRing(...r), hutong: true, population: 0, households: 0, buildings: [] });
          // Courtyards 16–28 m wide, one or two deep.
          const [x0, y0, x1, y1] = r;
          const rows = y1 - y0 > 58 ? 2 : 1;
          const split = rows === 2 ? y0 + (y1 - y0) * rng.range(0.42, 0.58) : y1;
          const bands: [number, number][] = rows === 2 ? [[y0, split], [split, y1]] : [[y0, y1]];
          for (const [by0, by1] of bands) {
            let x = x0;
            while (x1 - x > 10) {
              let w = rng.range(16, 28);
              if (x1 - x - w < 12) w = x1 - x;
              lots.push({ rect: [x, by0, x + w, by1], kind: 'courtyard', compound, year: year + rng.int(-10, 25), tall: false });
              x += w;
            }
          }
        } else if (block.type === 'residential') {
          const old = block.insideRing ? 0.85 : 0.55;
          const year = rng.chance(old) ? rng.int(1955, 1999) : rng.int(2000, 2018);
          const compound = compounds.length;
          compounds.push({ name: rng.pick(COMPOUND_STEMS) + rng.pick(COMPOUND_SUFFIX), builtYear: year, ring: rectRing(...r), hutong: false, population: 0, households: 0, buildings: [] });
          lots.push({ rect: r, kind: 'slabs', compound, year, tall: false });
        } else if (block.type === 'commercial') {
          lots.push({ rect: r, kind: 'commercial', compound: null, year: rng.int(1985, 2015), tall: block.tall });
        } else {
          const s = rng.range(40, 60);
          const [x0, y0] = r;
          lots.push({ rect: [x0, y0, Math.min(r[2], x0 + s), Math.min(r[3], y0 + s)], kind: 'open', compound: null, year: 0, tall: false });
          openSpaces.push(r);
        }
      }
    }
  }

  // Pocket parks: spread over the district (best of several candidates, farthest from those chosen).
  const candidates = lots.map((l, i) => ({ l, i })).filter(({ l }) => (l.kind === 'courtyard' || l.kind === 'open') && rectOk(l.rect));
  const chosen = new Set<number>();
  const parks: GenPark[] = [];
  const centre = (r: Rect): XY => [(r[0] + r[2]) / 2, (r[1] + r[3]) / 2];
  while (parks.length < pocketParks && chosen.size < candidates.length) {
    let best = -1, bestD = -1;
    for (let k = 0; k < 12; k++) {
      const c = rng.pick(candidates);
      if (chosen.has(c.i)) continue;
      const p = centre(c.l.rect);
      let d = Infinity;
      for (const q of parks) d = Math.min(d, Math.hypot(p[0] - q.centre[0], p[1] - q.centre[1]));
      if (d > bestD) { bestD = d; best = c.i; }
    }
    if (best < 0) continue;
    chosen.add(best);
    const [x0, y0, x1, y1] = lots[best]!.rect;
    const cut = Math.min(x1 - x0, y1 - y0) * rng.range(0.15, 0.3);
    // One corner cut off, so the parks do not read as building lots.
    const ring: XY[] = [[x0 + 1, y0 + 1], [x1 - 1 - cut, y0 + 1], [x1 - 1, y0 + 1 + cut], [x1 - 1, y1 - 1], [x0 + 1, y1 - 1], [x0 + 1, y0 + 1]];
    parks.push({ ring, centre: centre(lots[best]!.rect), name: '' });
  }

  const addBuilding = (rect: Rect, floors: number, year: number, lot: Lot, residential: boolean, density: number) => {
    if (rect[2] - rect[0] < 3 || rect[3] - rect[1] < 3 || !rectOk(rect)) return;
    const area = (rect[2] - rect[0]) * (rect[3] - rect[1]);
    const idx = buildings.length;
    buildings.push({
      ring: rectRing(...rect), centre: centre(rect), floors, builtYear: year, compound: lot.compound,
      residential, hutong: lot.kind === 'courtyard', commercial: lot.kind === 'commercial',
      raw: residential ? area * floors * density : 0, population: 0, households: 0,
    });
    if (lot.compound !== null) compounds[lot.compound]!.buildings.push(idx);
  };

  lots.forEach((lot, li) => {
    if (chosen.has(li) || lot.kind === 'open') return;
    const [x0, y0, x1, y1] = lot.rect;
    if (lot.kind === 'courtyard') {
      const w = x1 - x0, d = y1 - y0;
      const floors = rng.chance(0.06) ? 2 : 1;
      // Courtyard houses hold far more people per floor area than flats (大杂院).
      const dens = 0.05;
      if (w < 14 || d < 22) { addBuilding([x0 + 1, y0 + 1, x1 - 1, y1 - 1], floors, lot.year, lot, true, dens); return; }
      addBuilding([x0 + 1, y1 - rng.range(7, 9), x1 - 1, y1 - 1], floors, lot.year, lot, true, dens);
      addBuilding([x0 + 1, y0 + 1, x1 - 1, y0 + rng.range(5, 6.5)], 1, lot.year, lot, true, dens);
      if (rng.chance(0.65)) addBuilding([x0 + 1, y0 + 8, x0 + rng.range(4.5, 6), y1 - 10], 1, lot.year, lot, true, dens);
      if (rng.chance(0.65)) addBuilding([x1 - rng.range(4.5, 6), y0 + 8, x1 - 1, y1 - 10], 1, lot.year, lot, true, dens);
    } else if (lot.kind === 'slabs') {
      // Era shapes the compound: walk-up slabs before 1990, taller slabs and towers after.
      const towers = lot.year >= 2000 && rng.chance(0.6);
      let y = y0;
      while (y1 - y > 12) {
        const floors = lot.year < 1990 ? rng.int(4, 6) : lot.year < 2000 ? rng.pick([6, 6, 9, 12, 14, 16]) : rng.int(12, 28);
        const depth = towers ? rng.range(18, 26) : rng.range(10, 14);
        if (y + depth > y1) break;
        let x = x0;
        while (x1 - x > 12) {
          const len = towers ? depth : Math.min(x1 - x, rng.range(35, 75));
          if (len < 12 || x + len > x1) break;
          addBuilding([x, y, x + len, y + depth], floors, lot.year + rng.int(-2, 2), lot, true, 0.031);
          x += len + rng.range(10, 16);
        }
        y += depth + Math.min(45, Math.max(14, floors * 3 * rng.range(0.7, 1.1)));
      }
    } else {
      let y = y0;
      while (y1 - y > 25) {
        const depth = Math.min(y1 - y, rng.range(25, 50));
        let x = x0;
        while (x1 - x > 25) {
          const len = Math.min(x1 - x, rng.range(35, 70));
          const floors = lot.tall ? rng.int(12, 32) : rng.int(4, 16);
          addBuilding([x, y, x + len, y + depth], floors, lot.year + rng.int(-3, 3), lot, false, 0);
          x += len + rng.range(14, 24);
        }
        y += depth + rng.range(14, 24);
      }
    }
  });

  // Scale capacities to the district population, distributing the rounding by largest remainder.
  const rawSum = buildings.reduce((s, b) => s + b.raw, 0);
  const f = targetPopulation / rawSum;
  const frac: { i: number; r: number }[] = [];
  let assigned = 0;
  buildings.forEach((b, i) => {
    const v = b.raw * f;
    b.population = Math.floor(v);
    assigned += b.population;
    if (b.raw > 0) frac.push({ i, r: v - b.population });
  });
  frac.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; k < targetPopulation - assigned; k++) buildings[frac[k % frac.length]!.i]!.population += 1;
  for (const b of buildings) {
    b.households = b.population === 0 ? 0 : Math.max(1, Math.round(b.population / (b.hutong ? 2.3 : 2.6)));
    if (b.compound !== null) {
      const c = compounds[b.compound]!;
      c.population += b.population;
      c.households += b.households;
    }
  }
  return { compounds, buildings, pocketParks: parks, openSpaces };
}
