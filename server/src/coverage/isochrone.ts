import { contours } from 'd3-contour';
import type { EdgePart } from './graph.ts';

/**
 * Isochrone polygons drawn around the walked streets, not around the reached nodes: a convex or
 * concave hull of nodes swallows blocks nobody can enter and bridges rivers. Each walked edge
 * part is stamped onto a fine grid as a band `buffer` metres wide, and the band's outline is
 * traced with marching squares (d3-contour). This runs in memory in a few milliseconds; the
 * same shape from PostGIS (ST_Buffer of the collected parts) takes tens to hundreds.
 *
 * The drawn area must say what the coverage figures say: a band of fixed width around the
 * streets takes in buildings whose walk is too long (their door is on another street) and
 * leaves out covered ones set back from the street. So the covered buildings are drawn too —
 * the connector from their street to the building and a small disc at the building — and the
 * grid corners around every inhabited building are pinned last: inside for a covered one,
 * outside for an uncovered one. Marching squares keeps a grid square whose four corners are on
 * one side entirely on that side, so each building's point falls where the figures put it; a
 * corner shared by two buildings' squares goes with the nearer one, which puts the outline
 * between a covered and an uncovered neighbour even when they stand a few metres apart.
 */

/** An equirectangular projection around the district: metres east and north of an origin. */
export interface Projection {
  lon0: number;
  lat0: number;
  kx: number;
  ky: number;
}

export function projectionAt(lon0: number, lat0: number): Projection {
  const rad = (lat0 * Math.PI) / 180;
  // Metres per degree on the WGS84 ellipsoid at this latitude (series of the meridian arc).
  const ky = 111132.92 - 559.82 * Math.cos(2 * rad) + 1.175 * Math.cos(4 * rad);
  const kx = 111412.84 * Math.cos(rad) - 93.5 * Math.cos(3 * rad);
  return { lon0, lat0, kx, ky };
}

/** Every edge's polyline in projected metres, from its source node to its target node. */
export interface EdgeShapes {
  projection: Projection;
  /** Vertices of edge e are start[e]..start[e+1]-1. */
  start: Int32Array;
  xs: Float64Array;
  ys: Float64Array;
}

export function buildEdgeShapes(projection: Projection, lines: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): EdgeShapes {
  const start = new Int32Array(lines.length + 1);
  let total = 0;
  for (let e = 0; e < lines.length; e++) {
    start[e] = total;
    total += lines[e]!.length;
  }
  start[lines.length] = total;
  const xs = new Float64Array(total);
  const ys = new Float64Array(total);
  let k = 0;
  for (const line of lines) {
    for (const [lon, lat] of line) {
      xs[k] = (lon - projection.lon0) * projection.kx;
      ys[k] = (lat - projection.lat0) * projection.ky;
      k++;
    }
  }
  return { projection, start, xs, ys };
}

/** Grid cell size in metres: fine enough that a band keeps its shape and buildings stay apart… */
const CELL_M = 8;
/** …but coarser for district-wide areas, so the grid stays near this many cells. */
const MAX_CELLS = 900_000;
/** Half-width of a covered building's connector and radius of its disc, at least a cell. */
const CONNECTOR_M = 6;
const BUILDING_DISC_M = 10;

/**
 * The inhabited buildings the polygon must classify as the coverage does, in projected metres:
 * the building's point, whether it is covered, and (covered ones) where it meets its street.
 */
export interface DrawnBuildings {
  x: number[];
  y: number[];
  covered: boolean[];
  streetX: number[];
  streetY: number[];
}

/** The point `frac` of the way along edge `e`'s polyline, in projected metres. */
export function pointAlong(shapes: EdgeShapes, e: number, frac: number): [number, number] {
  const { start, xs, ys } = shapes;
  const a = start[e]!;
  const b = start[e + 1]!;
  if (b - a < 2) return [xs[a]!, ys[a]!];
  let length = 0;
  for (let i = a + 1; i < b; i++) length += Math.hypot(xs[i]! - xs[i - 1]!, ys[i]! - ys[i - 1]!);
  let left = frac * length;
  for (let i = a + 1; i < b; i++) {
    const seg = Math.hypot(xs[i]! - xs[i - 1]!, ys[i]! - ys[i - 1]!);
    if (left <= seg || i === b - 1) {
      const t = seg > 0 ? Math.min(1, Math.max(0, left / seg)) : 0;
      return [xs[i - 1]! + (xs[i]! - xs[i - 1]!) * t, ys[i - 1]! + (ys[i]! - ys[i - 1]!) * t];
    }
    left -= seg;
  }
  return [xs[b - 1]!, ys[b - 1]!];
}

/**
 * The isochrone as a MultiPolygon (WGS84, 6 decimals), or null when nothing was walked.
 * Holes smaller than `fillHoles` m² are filled: a block the walk goes all the way around is
 * reachable from its streets, and leaving it as a hole would mark its buildings unreachable.
 */
export function isochroneFromParts(shapes: EdgeShapes, parts: readonly EdgePart[], buffer: number, fillHoles = 0, buildings?: DrawnBuildings): GeoJSON.MultiPolygon | null {
  if (parts.length === 0) return null;
  const { start, xs, ys } = shapes;
  // Cut every part out of its polyline first, so the grid only spans what was walked.
  const px: number[] = [];
  const py: number[] = [];
  const breaks: number[] = [0];
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const cum: number[] = [];
  const emit = (x: number, y: number) => {
    px.push(x);
    py.push(y);
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  };
  for (const part of parts) {
    const a = start[part.edge]!;
    const b = start[part.edge + 1]!;
    cum.length = 0;
    cum.push(0);
    for (let i = a + 1; i < b; i++) cum.push(cum.at(-1)! + Math.hypot(xs[i]! - xs[i - 1]!, ys[i]! - ys[i - 1]!));
    const length = cum.at(-1)!;
    const at = (s: number) => {
      // The point `s` metres along the polyline.
      let i = 1;
      while (i < cum.length - 1 && cum[i]! < s) i++;
      const seg = cum[i]! - cum[i - 1]!;
      const t = seg > 0 ? Math.min(1, Math.max(0, (s - cum[i - 1]!) / seg)) : 0;
      const k = a + i;
      emit(xs[k - 1]! + (xs[k]! - xs[k - 1]!) * t, ys[k - 1]! + (ys[k]! - ys[k - 1]!) * t);
    };
    if (b - a < 2) {
      if (b > a) emit(xs[a]!, ys[a]!);
    } else {
      const from = part.from * length;
      const to = part.to * length;
      at(from);
      for (let i = 1; i < cum.length - 1; i++) if (cum[i]! > from && cum[i]! < to) emit(xs[a + i]!, ys[a + i]!);
      at(to);
    }
    breaks.push(px.length);
  }
  if (!Number.isFinite(minX)) return null;
  if (buildings) {
    for (let k = 0; k < buildings.x.length; k++) {
      if (!buildings.covered[k]) continue;
      const x = buildings.x[k]!;
      const y = buildings.y[k]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  // The field is 1 − d/R for the distance d to the nearest walked point, R = 2·buffer, so the
  // 0.5 contour runs `buffer` metres from the streets and is interpolated between cells.
  const R = 2 * Math.max(buffer, buildings ? BUILDING_DISC_M : 0);
  const c = Math.max(CELL_M, buffer / 4, Math.sqrt(((maxX - minX + 2 * R) * (maxY - minY + 2 * R)) / MAX_CELLS));
  const x0 = minX - R - c;
  const y0 = minY - R - c;
  const nx = Math.ceil((maxX + R + c - x0) / c) + 1;
  const ny = Math.ceil((maxY + R + c - y0) / c) + 1;
  const field = new Float64Array(nx * ny);
  // Each cell takes the distance to the segment itself, so every cell near a segment is visited
  // once per segment (sampling points along it would revisit each cell dozens of times).
  const stamp = (ax: number, ay: number, bx: number, by: number, R = 2 * buffer) => {
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const i0 = Math.max(0, Math.floor((Math.min(ax, bx) - R - x0) / c));
    const i1 = Math.min(nx - 1, Math.ceil((Math.max(ax, bx) + R - x0) / c));
    const j0 = Math.max(0, Math.floor((Math.min(ay, by) - R - y0) / c));
    const j1 = Math.min(ny - 1, Math.ceil((Math.max(ay, by) + R - y0) / c));
    for (let j = j0; j <= j1; j++) {
      const cy = y0 + j * c;
      const row = j * nx;
      for (let i = i0; i <= i1; i++) {
        const cx = x0 + i * c;
        let t = len2 > 0 ? ((cx - ax) * dx + (cy - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = ax + t * dx - cx;
        const ey = ay + t * dy - cy;
        const d2 = ex * ex + ey * ey;
        if (d2 >= R * R) continue;
        const v = 1 - Math.sqrt(d2) / R;
        if (v > field[row + i]!) field[row + i] = v;
      }
    }
  };
  for (let p = 0; p + 1 < breaks.length; p++) {
    const a = breaks[p]!;
    const b = breaks[p + 1]!;
    if (b - a === 1) stamp(px[a]!, py[a]!, px[a]!, py[a]!);
    for (let i = a + 1; i < b; i++) stamp(px[i - 1]!, py[i - 1]!, px[i]!, py[i]!);
  }
  if (buildings) {
    const connector = 2 * Math.max(CONNECTOR_M, c);
    const disc = 2 * Math.max(BUILDING_DISC_M, c);
    for (let k = 0; k < buildings.x.length; k++) {
      if (!buildings.covered[k]) continue;
      stamp(buildings.streetX[k]!, buildings.streetY[k]!, buildings.x[k]!, buildings.y[k]!, connector);
      stamp(buildings.x[k]!, buildings.y[k]!, buildings.x[k]!, buildings.y[k]!, disc);
    }
  }
  if (fillHoles > 0) fillSmallHoles(field, nx, ny, Math.floor(fillHoles / (c * c)));
  if (buildings) {
    // Pin the four grid corners around each building to its side. Where two buildings' squares
    // share a corner, the corner takes the side of the nearer building, so the outline runs
    // between a covered and an uncovered neighbour instead of swallowing one of them.
    const nearest = new Map<number, number>();
    const pinned = new Map<number, number>();
    for (let k = 0; k < buildings.x.length; k++) {
      const x = buildings.x[k]!;
      const y = buildings.y[k]!;
      const i = Math.floor((x - x0) / c);
      const j = Math.floor((y - y0) / c);
      if (i < 0 || j < 0 || i + 1 >= nx || j + 1 >= ny) continue;
      for (const [di, dj] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const at = (j + dj) * nx + i + di;
        const d = Math.hypot(x0 + (i + di) * c - x, y0 + (j + dj) * c - y);
        const best = nearest.get(at);
        if (best === undefined || d < best) {
          nearest.set(at, d);
          pinned.set(at, buildings.covered[k] ? 1 : 0);
        }
      }
    }
    for (const [at, value] of pinned) field[at] = value;
  }
  const [shape] = contours().size([nx, ny]).thresholds([0.5])(field as unknown as number[]);
  if (!shape || shape.coordinates.length === 0) return null;
  const { projection } = shapes;
  const toLonLat = (X: number, Y: number): [number, number] => [
    round6(projection.lon0 + (x0 + (X - 0.5) * c) / projection.kx),
    round6(projection.lat0 + (y0 + (Y - 0.5) * c) / projection.ky),
  ];
  return {
    type: 'MultiPolygon',
    coordinates: shape.coordinates.map((poly) => poly.map((ring) => ring.map(([X, Y]) => toLonLat(X!, Y!)))),
  };
}

/**
 * Sets to 1 every connected region of cells below the contour level (4-neighbours) that does not
 * touch the grid's border and has at most `maxCells` cells.
 */
function fillSmallHoles(field: Float64Array, nx: number, ny: number, maxCells: number): void {
  const label = new Int32Array(nx * ny); // 0 unvisited, 1 visited
  const queue = new Int32Array(nx * ny);
  const region: number[] = [];
  for (let start = 0; start < field.length; start++) {
    if (label[start] || field[start]! >= 0.5) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    label[start] = 1;
    let border = false;
    region.length = 0;
    while (head < tail) {
      const k = queue[head++]!;
      if (region.length <= maxCells) region.push(k);
      const i = k % nx;
      const j = (k - i) / nx;
      if (i === 0 || j === 0 || i === nx - 1 || j === ny - 1) border = true;
      if (i > 0 && !label[k - 1] && field[k - 1]! < 0.5) { label[k - 1] = 1; queue[tail++] = k - 1; }
      if (i < nx - 1 && !label[k + 1] && field[k + 1]! < 0.5) { label[k + 1] = 1; queue[tail++] = k + 1; }
      if (j > 0 && !label[k - nx] && field[k - nx]! < 0.5) { label[k - nx] = 1; queue[tail++] = k - nx; }
      if (j < ny - 1 && !label[k + nx] && field[k + nx]! < 0.5) { label[k + nx] = 1; queue[tail++] = k + nx; }
    }
    if (!border && tail <= maxCells) for (const k of region) field[k] = 1;
  }
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
