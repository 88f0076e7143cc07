/**
 * Streets, blocks and lots. The street network is a warped lattice: arterials about every
 * kilometre on real road lines, secondary streets every ~300 m between them, and inside
 * old-city blocks dense east–west hutongs (~70–100 m apart) joined by broken north–south
 * alleys. Every street is a gently waving line, so crossings are computed from the lines
 * themselves and each crossing becomes one shared node: the network is noded by
 * construction, which is what pgRouting needs.
 */
import { toXY, type XY, Shape } from './geometry.ts';
import { ARTERIALS, type Landmarks } from './landmarks.ts';
import type { Rng } from './prng.ts';

export type EdgeKind = 'arterial' | 'secondary' | 'hutong' | 'path' | 'footway';

interface Line {
  id: number;
  orient: 'v' | 'h';
  /** x of a vertical line, y of a horizontal one (m) */
  base: number;
  /** extent along the line (m) */
  lo: number;
  hi: number;
  kind: EdgeKind;
  /** wave amplitude (m), wavelength (m), phase */
  amp: number;
  wl: number;
  phase: number;
  /** half width of the carriageway and pavements (m): buildings keep clear of it */
  hw: number;
  /** probability that each segment between two crossings exists */
  keep: number;
  name: string | null;
}

const HALF_WIDTH: Record<EdgeKind, number> = { arterial: 22, secondary: 8, hutong: 2.5, path: 1.5, footway: 1.5 };

export type BlockType = 'hutong' | 'residential' | 'commercial' | 'open' | 'park' | 'void';

export interface Block {
  type: BlockType;
  tall: boolean;
  insideRing: boolean;
  /** bounding lines and internal lines, west→east and south→north */
  vLines: Line[];
  hLines: Line[];
}

export interface Edge {
  a: number;
  b: number;
  kind: EdgeKind;
  name: string | null;
}

export interface Network {
  nodes: XY[];
  edges: Edge[];
}

const STREET_STEMS = [
  '枣林', '槐柏', '双槐', '南营房', '百万庄', '车公庄', '官园', '文津', '锦什坊', '丰盛', '大木仓', '前英子',
  '兵马司', '闹市口', '校场', '教子', '米市', '南线阁', '广义', '右安门', '半步桥', '储库营', '鸭子桥', '华严',
  '北线阁', '永安', '虎坊', '梁家园', '香厂', '留学', '万明', '福长', '新壁', '裕中', '冰窖口', '新康', '三里河',
  '月坛', '西便门', '白云', '真武庙', '木樨地', '桦皮厂', '新风', '黄寺', '六铺炕', '安德', '德宝', '马甸',
];
const STREET_SUFFIX = ['街', '路', '北街', '南街', '西街', '东街', '大街'];
const HUTONG_STEMS = [
  '砖塔', '帽儿', '白米斜', '烟袋斜', '大金丝', '小金丝', '鸦儿', '羊房', '前井', '后井', '柳荫', '护国寺东', '百花深处',
  '大石作', '小石作', '辟才', '武定侯', '报子', '受壁', '大乘', '小乘', '兵部洼', '四眼井', '石驸马', '太仆寺', '铁树斜',
  '杨梅竹斜', '大外廊营', '小外廊营', '樱桃斜', '炭儿', '棕树', '笤帚', '茶儿', '耀武', '延寿寺', '观音寺', '韩家',
  '百顺', '胭脂', '石头', '朱家', '燕家', '王广福斜', '珠朝', '培英', '高井', '永光寺', '海柏', '前铁厂', '后铁厂',
  '琉璃', '椿树', '东太平', '西太平', '三不老', '松树', '新太仓', '棉花', '大翔凤', '小翔凤', '东明', '西明', '口袋',
  '箭杆', '銮庆', '扁担', '东斜街', '前公用', '后公用', '西四北头条', '西四北二条', '西四北三条', '西四北四条',
];

const streetName = (rng: Rng) => rng.pick(STREET_STEMS) + rng.pick(STREET_SUFFIX);
const hutongName = (rng: Rng) => {
  const s = rng.pick(HUTONG_STEMS);
  return /[条街]$/.test(s) ? s : s + '胡同';
};

/** Where a vertical and a horizontal line cross: each waves along the other's base. */
const waveOf = (l: Line, t: number) => l.amp * Math.sin((2 * Math.PI * t) / l.wl + l.phase);
const crossing = (v: Line, h: Line): XY => [v.base + waveOf(v, h.base), h.base + waveOf(h, v.base)];

export interface Layout {
  network: Network;
  blocks: Block[];
}

export interface LayoutInput {
  district: Shape;
  landmarks: Landmarks;
  rng: Rng;
}

export function layoutStreets({ district, landmarks, rng }: LayoutInput): Layout {
  const lines: Line[] = [];
  const newLine = (l: Omit<Line, 'id' | 'hw'>): Line => {
    const line = { ...l, id: lines.length, hw: HALF_WIDTH[l.kind] };
    lines.push(line);
    return line;
  };
  const margin = 200;
  const extent = { v: [district.minY - margin, district.maxY + margin], h: [district.minX - margin, district.maxX + margin] } as const;

  // Arterials and secondaries span the whole district.
  const main: Record<'v' | 'h', Line[]> = { v: [], h: [] };
  for (const orient of ['v', 'h'] as const) {
    const lo = orient === 'v' ? district.minX : district.minY;
    const hi = orient === 'v' ? district.maxX : district.maxY;
    const arts = ARTERIALS.filter((a) => a.orient === orient)
      .map((a) => ({ pos: orient === 'v' ? toXY([a.at, 0])[0] : toXY([0, a.at])[1], name: a.name_zh }))
      .sort((a, b) => a.pos - b.pos);
    const [elo, ehi] = extent[orient];
    for (const a of arts) {
      main[orient].push(newLine({ orient, base: a.pos, lo: elo, hi: ehi, kind: 'arterial', amp: rng.range(2, 6), wl: rng.range(1500, 3000), phase: rng.range(0, 6.3), keep: 1, name: a.name }));
    }
    const stops = [lo - 150, ...arts.map((a) => a.pos), hi + 150];
    for (let i = 0; i + 1 < stops.length; i++) {
      const a = stops[i]!, b = stops[i + 1]!;
      const n = Math.max(1, Math.round((b - a) / rng.range(270, 340)));
      const step = (b - a) / n;
      for (let k = 1; k < n; k++) {
        const base = a + k * step + rng.range(-0.12, 0.12) * step;
        main[orient].push(newLine({ orient, base, lo: elo, hi: ehi, kind: 'secondary', amp: rng.range(3, 9), wl: rng.range(500, 1400), phase: rng.range(0, 6.3), keep: 0.97, name: streetName(rng) }));
      }
    }
    main[orient].sort((a, b) => a.base - b.base);
  }

  // Blocks between consecutive main lines, typed by where they lie.
  const blocks: Block[] = [];
  const inPark = (p: XY) => landmarks.parks.some((a) => a.shape.contains(p));
  const inVoid = (p: XY) => landmarks.closed.some((a) => a.shape.contains(p)) || landmarks.water.some((a) => a.shape.contains(p));
  for (let i = 0; i + 1 < main.v.length; i++) {
    for (let j = 0; j + 1 < main.h.length; j++) {
      const L = main.v[i]!, R = main.v[i + 1]!, B = main.h[j]!, T = main.h[j + 1]!;
      const c: XY = [(L.base + R.base) / 2, (B.base + T.base) / 2];
      const corners: XY[] = [[L.base, B.base], [R.base, B.base], [L.base, T.base], [R.base, T.base]];
      const r = rng.next();
      if (!district.contains(c) && !corners.some((p) => district.contains(p))) continue;
      const block: Block = { type: 'residential', tall: false, insideRing: landmarks.insideRing(c), vLines: [L], hLines: [B] };
      const com = landmarks.commercial(c);
      if (inVoid(c)) block.type = 'void';
      else if (inPark(c)) block.type = 'park';
      else if (r < landmarks.hutongP(c)) block.type = 'hutong';
      else if (com && rng.chance(com.p)) Object.assign(block, { type: 'commercial', tall: com.tall });
      else {
        const u = rng.next();
        block.type = u < 0.8 ? 'residential' : u < 0.9 ? 'commercial' : 'open';
      }
      const w = R.base - L.base;
      const inner = (orient: 'v' | 'h', a: number, b: number, spacing: [number, number], jitter: number, kind: EdgeKind, keep: number, lo: number, hi: number, name: () => string | null) => {
        const n = Math.max(1, Math.round((b - a) / rng.range(spacing[0], spacing[1])));
        const step = (b - a) / n;
        const out: Line[] = [];
        for (let k = 1; k < n; k++) {
          out.push(newLine({ orient, base: a + k * step + rng.range(-jitter, jitter), lo, hi, kind, amp: rng.range(0.5, 2), wl: rng.range(120, 300), phase: rng.range(0, 6.3), keep, name: name() }));
        }
        return out;
      };
      if (block.type === 'hutong') {
        // East–west hutongs are the long ones; north–south alleys are short and broken.
        block.hLines.push(...inner('h', B.base, T.base, [72, 95], 7, 'hutong', 0.93, L.base, R.base, () => hutongName(rng)));
        block.vLines.push(...inner('v', L.base, R.base, [85, 110], 9, 'hutong', 0.5, B.base, T.base, () => hutongName(rng)));
      } else if (block.type === 'park') {
        block.hLines.push(...inner('h', B.base, T.base, [110, 160], 10, 'path', 0.9, L.base, R.base, () => null));
        block.vLines.push(...inner('v', L.base, R.base, [110, 160], 10, 'path', 0.9, B.base, T.base, () => null));
      } else if (block.type === 'residential' && w > 180 && rng.chance(0.35)) {
        // A footway cutting through a big compound.
        block.vLines.push(newLine({ orient: 'v', base: (L.base + R.base) / 2 + rng.range(-20, 20), lo: B.base, hi: T.base, kind: 'footway', amp: 1, wl: 200, phase: rng.range(0, 6.3), keep: 1, name: null }));
      }
      block.vLines.push(R);
      block.hLines.push(T);
      blocks.push(block);
    }
  }

  // Crossings: a vertical and a horizontal line meet where each lies within the other's extent.
  const eps = 0.01;
  const V = lines.filter((l) => l.orient === 'v');
  const H = lines.filter((l) => l.orient === 'h');
  const nodeXY: XY[] = [];
  const along = new Map<number, { t: number; node: number }[]>();
  const push = (l: Line, t: number, node: number) => {
    let a = along.get(l.id);
    if (!a) along.set(l.id, (a = []));
    a.push({ t, node });
  };
  for (const v of V) {
    for (const h of H) {
      if (v.base < h.lo - eps || v.base > h.hi + eps || h.base < v.lo - eps || h.base > v.hi + eps) continue;
      const p = crossing(v, h);
      const id = nodeXY.length;
      nodeXY.push(p);
      push(v, p[1], id);
      push(h, p[0], id);
    }
  }

  // Alleys from blocks on both sides of a street can meet it a few centimetres apart: such
  // crossings become one node, so no edge is shorter than a few metres.
  const alias = nodeXY.map((_, i) => i);
  const canon = (i: number): number => {
    while (alias[i] !== i) i = alias[i] = alias[alias[i]!]!;
    return i;
  };
  const sorted = lines.map((l) => (along.get(l.id) ?? []).sort((a, b) => a.t - b.t || a.node - b.node));
  for (const pts of sorted) {
    for (let k = 1; k < pts.length; k++) {
      const a = canon(pts[k - 1]!.node), b = canon(pts[k]!.node);
      if (a !== b && Math.hypot(nodeXY[a]![0] - nodeXY[b]![0], nodeXY[a]![1] - nodeXY[b]![1]) < 4) alias[Math.max(a, b)] = Math.min(a, b);
    }
  }

  // Segments between consecutive crossings; drop those outside the district, in water or closed grounds.
  const blocked = (p: XY) => !district.contains(p) || inVoid(p);
  const rawEdges: Edge[] = [];
  lines.forEach((l, li) => {
    const pts = sorted[li]!.map((p) => canon(p.node)).filter((n, k, arr) => k === 0 || n !== arr[k - 1]);
    for (let k = 0; k + 1 < pts.length; k++) {
      const a = pts[k]!, b = pts[k + 1]!;
      const keep = rng.chance(l.keep);
      const pa = nodeXY[a]!, pb = nodeXY[b]!;
      // Probe every ~10 m so an edge cannot clip the corner of a lake.
      const steps = Math.max(2, Math.ceil(Math.hypot(pb[0] - pa[0], pb[1] - pa[1]) / 10));
      const probe = Array.from({ length: steps + 1 }, (_, i): XY => [pa[0] + (i / steps) * (pb[0] - pa[0]), pa[1] + (i / steps) * (pb[1] - pa[1])]);
      if (!keep || probe.some(blocked)) continue;
      const mid = probe[Math.floor(steps / 2)]!;
      const kind: EdgeKind = l.kind !== 'arterial' && inPark(mid) ? 'path' : l.kind;
      rawEdges.push({ a, b, kind, name: kind === 'path' ? null : l.name });
    }
  });

  // Keep the largest connected piece: clipping at the district edge leaves a few stubs.
  const parent = nodeXY.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const e of rawEdges) parent[find(e.a)] = find(e.b);
  const size = new Map<number, number>();
  for (const e of rawEdges) size.set(find(e.a), (size.get(find(e.a)) ?? 0) + 1);
  let best = -1, bestSize = -1;
  for (const [root, n] of [...size.entries()].sort((a, b) => a[0] - b[0])) if (n > bestSize) { best = root; bestSize = n; }
  const kept = rawEdges.filter((e) => find(e.a) === best);
  const renum = new Map<number, number>();
  const nodes: XY[] = [];
  const idOf = (i: number) => {
    let r = renum.get(i);
    if (r === undefined) { r = nodes.length; renum.set(i, r); nodes.push(nodeXY[i]!); }
    return r;
  };
  const edges = kept.map((e) => ({ ...e, a: idOf(e.a), b: idOf(e.b) }));
  return { network: { nodes, edges }, blocks };
}

/** The rectangle inside a cell that stays clear of its four streets, or null if none is left. */
export function cellInterior(L: Line, R: Line, B: Line, T: Line, setback: number): [number, number, number, number] | null {
  const x0 = L.base + L.amp + L.hw + setback, x1 = R.base - R.amp - R.hw - setback;
  const y0 = B.base + B.amp + B.hw + setback, y1 = T.base - T.amp - T.hw - setback;
  return x1 - x0 > 8 && y1 - y0 > 8 ? [x0, y0, x1, y1] : null;
}
