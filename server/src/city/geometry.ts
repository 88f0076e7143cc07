/**
 * Planar helpers for the generator. The city is laid out in metres on a local
 * equirectangular projection centred on Xicheng (distortion well under 0.1% across 12 km),
 * then written out as WGS84 rounded to 7 decimals (about 1 cm) so output is byte-stable.
 */
export type XY = [number, number];
export type LngLat = [number, number];

export const ORIGIN: LngLat = [116.36, 39.915];
const LAT0 = (ORIGIN[1] * Math.PI) / 180;
// Metres per degree at the origin's latitude (WGS84 ellipsoid series).
export const M_PER_DEG_LAT = 111132.92 - 559.82 * Math.cos(2 * LAT0) + 1.175 * Math.cos(4 * LAT0);
export const M_PER_DEG_LNG = 111412.84 * Math.cos(LAT0) - 93.5 * Math.cos(3 * LAT0);

export const round7 = (v: number): number => Math.round(v * 1e7) / 1e7;

export function toXY([lng, lat]: LngLat): XY {
  return [(lng - ORIGIN[0]) * M_PER_DEG_LNG, (lat - ORIGIN[1]) * M_PER_DEG_LAT];
}

export function toLngLat([x, y]: XY): LngLat {
  return [round7(ORIGIN[0] + x / M_PER_DEG_LNG), round7(ORIGIN[1] + y / M_PER_DEG_LAT)];
}

/** Even-odd point-in-polygon over one or more rings (holes count as outside). */
export function inRings(p: XY, rings: readonly (readonly XY[])[]): boolean {
  let inside = false;
  const [x, y] = p;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** A polygon in metres with a cached bounding box for fast rejection. */
export class Shape {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
  constructor(readonly rings: XY[][]) {
    let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
    for (const r of rings) for (const [x, y] of r) {
      a = Math.min(a, x); b = Math.min(b, y); c = Math.max(c, x); d = Math.max(d, y);
    }
    this.minX = a; this.minY = b; this.maxX = c; this.maxY = d;
  }
  contains(p: XY): boolean {
    if (p[0] < this.minX || p[0] > this.maxX || p[1] < this.minY || p[1] > this.maxY) return false;
    return inRings(p, this.rings);
  }
  static fromLngLat(rings: LngLat[][]): Shape {
    return new Shape(rings.map((r) => r.map(toXY)));
  }
}

/** A closed ring approximating an ellipse, rotated by `angle` radians, with wobble for a natural shore. */
export function ellipseRing(c: XY, rx: number, ry: number, angle: number, wobble: (t: number) => number, n = 36): XY[] {
  const out: XY[] = [];
  const ca = Math.cos(angle), sa = Math.sin(angle);
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    const k = 1 + wobble(t);
    const ex = rx * k * Math.cos(t), ey = ry * k * Math.sin(t);
    out.push([c[0] + ex * ca - ey * sa, c[1] + ex * sa + ey * ca]);
  }
  out.push(out[0]!);
  return out;
}

export function rectRing(x0: number, y0: number, x1: number, y1: number): XY[] {
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
}

export function ringArea(ring: readonly XY[]): number {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j]![0] + ring[i]![0]) * (ring[j]![1] - ring[i]![1]);
  return Math.abs(a / 2);
}
