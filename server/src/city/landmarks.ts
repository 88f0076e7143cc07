/**
 * Hand-placed landmarks that make the generated city read as Xicheng: the lakes of
 * Shichahai, Beihai and Zhongnanhai, the big parks, the old-city hutong quarters, the
 * commercial cores and the main roads. Positions are WGS84 and approximate (a few hundred
 * metres at worst); every shape built from them is stored as synthetic.
 */
import { ellipseRing, rectRing, Shape, toXY, type LngLat, type XY } from './geometry.ts';

export interface Area {
  name_zh: string | null;
  name_en: string;
  shape: Shape;
}

/** Lakes as rotated ellipses: centre, semi-axes (m), rotation (radians, counter-clockwise from east). */
const LAKES: { name_zh: string; name_en: string; c: LngLat; rx: number; ry: number; angle: number }[] = [
  { name_zh: '西海', name_en: 'Xihai Lake', c: [116.3735, 39.9478], rx: 165, ry: 130, angle: 0.3 },
  { name_zh: '后海', name_en: 'Houhai Lake', c: [116.38125, 39.94225], rx: 540, ry: 88, angle: -0.6 },
  { name_zh: '前海', name_en: 'Qianhai Lake', c: [116.38785, 39.9369], rx: 300, ry: 105, angle: -1.08 },
  { name_zh: '北海', name_en: 'Beihai Lake', c: [116.3855, 39.926], rx: 300, ry: 560, angle: 0.05 },
  { name_zh: '中海', name_en: 'Zhonghai Lake', c: [116.3825, 39.915], rx: 190, ry: 420, angle: 0 },
  { name_zh: '南海', name_en: 'Nanhai Lake', c: [116.382, 39.9105], rx: 240, ry: 150, angle: 0 },
  { name_zh: '陶然亭湖', name_en: 'Taoranting Lake', c: [116.3802, 39.8748], rx: 160, ry: 110, angle: 0.2 },
];

/** Parks open to the public: streets inside become paths, no buildings. [w, s, e, n] */
const PARKS: { name_zh: string; name_en: string; bbox: [number, number, number, number] }[] = [
  { name_zh: '北海公园', name_en: 'Beihai Park', bbox: [116.3805, 39.9195, 116.3905, 39.9335] },
  { name_zh: '陶然亭公园', name_en: 'Taoranting Park', bbox: [116.3755, 39.8715, 116.3855, 39.879] },
  { name_zh: '月坛公园', name_en: 'Yuetan Park', bbox: [116.343, 39.9125, 116.348, 39.9165] },
  { name_zh: '大观园', name_en: 'Grand View Garden', bbox: [116.352, 39.8715, 116.357, 39.8758] },
  { name_zh: '人定湖公园', name_en: 'Rendinghu Park', bbox: [116.372, 39.952, 116.376, 39.955] },
  { name_zh: '万寿公园', name_en: 'Wanshou Park', bbox: [116.363, 39.878, 116.366, 39.881] },
  { name_zh: '宣武艺园', name_en: 'Xuanwu Art Garden', bbox: [116.3745, 39.8935, 116.3775, 39.8958] },
  { name_zh: '官园公园', name_en: 'Guanyuan Park', bbox: [116.3585, 39.9305, 116.3615, 39.9325] },
];

/** Closed to the public: no streets and no residential buildings. */
const CLOSED: { name_zh: string; name_en: string; bbox: [number, number, number, number] }[] = [
  { name_zh: '中南海', name_en: 'Zhongnanhai', bbox: [116.377, 39.9075, 116.3895, 39.9195] },
];

/** Old-city hutong quarters and how likely a block inside them is hutong fabric. */
const HUTONG_ZONES: { bbox: [number, number, number, number]; p: number }[] = [
  { bbox: [116.366, 39.9335, 116.39, 39.948], p: 0.9 }, // Shichahai, up to the 2nd ring
  { bbox: [116.358, 39.9335, 116.366, 39.948], p: 0.7 }, // Xinjiekou
  { bbox: [116.358, 39.916, 116.38, 39.9335], p: 0.85 }, // Xisi, Zhuanta hutong
  { bbox: [116.376, 39.882, 116.393, 39.899], p: 0.9 }, // Dashilan, Qianmen west
  { bbox: [116.358, 39.88, 116.376, 39.9], p: 0.6 }, // Liulichang, Chunshu, Niujie
];

/** Office and retail cores: blocks there are mostly commercial towers. */
const COMMERCIAL_ZONES: { bbox: [number, number, number, number]; p: number; tall: boolean }[] = [
  { bbox: [116.355, 39.909, 116.3635, 39.924], p: 0.85, tall: true }, // Financial Street
  { bbox: [116.369, 39.9035, 116.377, 39.914], p: 0.75, tall: false }, // Xidan
  { bbox: [116.3285, 39.9275, 116.342, 39.935], p: 0.45, tall: false }, // Zhanlanlu, exhibition centre
];

/** The 2nd ring road: inside it is the old city (older compounds, hutongs). */
export const WEST_RING_LNG = 116.3565;
export const NORTH_RING_LAT = 39.948;

/** Main roads as straight lines of constant longitude (v) or latitude (h). */
export const ARTERIALS: { orient: 'v' | 'h'; at: number; name_zh: string }[] = [
  { orient: 'v', at: 116.3262, name_zh: '三里河路' },
  { orient: 'v', at: 116.342, name_zh: '南礼士路' },
  { orient: 'v', at: WEST_RING_LNG, name_zh: '西二环路' },
  { orient: 'v', at: 116.3735, name_zh: '西单北大街' },
  { orient: 'v', at: 116.385, name_zh: '府右街' },
  { orient: 'h', at: 39.8803, name_zh: '南横西街' },
  { orient: 'h', at: 39.8895, name_zh: '广安门内大街' },
  { orient: 'h', at: 39.899, name_zh: '宣武门西大街' },
  { orient: 'h', at: 39.9065, name_zh: '复兴门内大街' },
  { orient: 'h', at: 39.9235, name_zh: '阜成门内大街' },
  { orient: 'h', at: 39.9335, name_zh: '平安里西大街' },
  { orient: 'h', at: 39.941, name_zh: '西直门内大街' },
  { orient: 'h', at: NORTH_RING_LAT, name_zh: '北二环路' },
  { orient: 'h', at: 39.9605, name_zh: '北三环路' },
];

const bboxShape = ([w, s, e, n]: [number, number, number, number]): Shape => {
  const [x0, y0] = toXY([w, s]);
  const [x1, y1] = toXY([e, n]);
  return new Shape([rectRing(x0, y0, x1, y1)]);
};

export interface Landmarks {
  water: Area[];
  parks: Area[];
  closed: Area[];
  hutongP(p: XY): number;
  commercial(p: XY): { p: number; tall: boolean } | null;
  insideRing(p: XY): boolean;
}

export function buildLandmarks(): Landmarks {
  const water = LAKES.map((l) => {
    const c = toXY(l.c);
    // A fixed wobble (not seeded): the lakes are landmarks, the same in every city.
    const wob = (t: number) => 0.06 * Math.sin(3 * t + l.rx) + 0.04 * Math.sin(5 * t + l.ry);
    return { name_zh: l.name_zh, name_en: l.name_en, shape: new Shape([ellipseRing(c, l.rx, l.ry, l.angle, wob)]) };
  });
  const parks = PARKS.map((p) => ({ name_zh: p.name_zh, name_en: p.name_en, shape: bboxShape(p.bbox) }));
  const closed = CLOSED.map((p) => ({ name_zh: p.name_zh, name_en: p.name_en, shape: bboxShape(p.bbox) }));
  const hz = HUTONG_ZONES.map((z) => ({ shape: bboxShape(z.bbox), p: z.p }));
  const cz = COMMERCIAL_ZONES.map((z) => ({ shape: bboxShape(z.bbox), p: z.p, tall: z.tall }));
  const [ringX] = toXY([WEST_RING_LNG, 0]);
  const [, ringY] = toXY([0, NORTH_RING_LAT]);
  return {
    water,
    parks,
    closed,
    hutongP: (p) => Math.max(0, ...hz.filter((z) => z.shape.contains(p)).map((z) => z.p)),
    commercial: (p) => cz.find((z) => z.shape.contains(p)) ?? null,
    insideRing: ([x, y]) => x > ringX && y < ringY,
  };
}
