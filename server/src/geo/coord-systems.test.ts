import { describe, it, expect } from 'vitest';
import {
  bd09ToGcj02,
  bd09ToWgs84,
  fromWgs84,
  gcj02ToBd09,
  gcj02ToWgs84,
  parseCoordinateSystem,
  toWgs84,
  wgs84ToBd09,
  wgs84ToGcj02,
  type LngLat,
} from './coord-systems.js';

/** Great-circle distance in metres (spherical, ample for sub-metre checks). */
function metres(a: LngLat, b: LngLat): number {
  const r = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLng = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

/**
 * A second, independently written forward GCJ-02 transform, laid out like the
 * eviltransform library (shared periodic term, lat/lng accumulated together)
 * rather than like the module under test, so a slip in either shows up.
 */
function referenceWgsToGcj(lng: number, lat: number): LngLat {
  const a = 6378245.0;
  const ee = 0.00669342162296594323;
  const x = lng - 105.0;
  const y = lat - 35.0;
  const xPi = x * Math.PI;
  const yPi = y * Math.PI;
  const common = 20.0 * Math.sin(6.0 * xPi) + 20.0 * Math.sin(2.0 * xPi);
  let dLat = common + 20.0 * Math.sin(yPi) + 40.0 * Math.sin(yPi / 3.0) + 160.0 * Math.sin(yPi / 12.0) + 320 * Math.sin(yPi / 30.0);
  let dLng = common + 20.0 * Math.sin(xPi) + 40.0 * Math.sin(xPi / 3.0) + 150.0 * Math.sin(xPi / 12.0) + 300.0 * Math.sin(xPi / 30.0);
  dLat = (dLat * 2.0) / 3.0 - 100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  dLng = (dLng * 2.0) / 3.0 + 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  const phi = (lat * Math.PI) / 180;
  const w = 1 - ee * Math.sin(phi) ** 2;
  const metersPerDegLat = ((a * (1 - ee)) / (w * Math.sqrt(w))) * (Math.PI / 180);
  const metersPerDegLng = (a / Math.sqrt(w)) * Math.cos(phi) * (Math.PI / 180);
  return [lng + dLng / metersPerDegLng, lat + dLat / metersPerDegLat];
}

/** Points every ~2.5 km over a 50 km square centred on Xicheng. */
function beijingGrid(): LngLat[] {
  const points: LngLat[] = [];
  for (let i = 0; i <= 20; i++) {
    for (let j = 0; j <= 20; j++) {
      points.push([116.08 + i * 0.03, 39.69 + j * 0.022]);
    }
  }
  return points;
}

describe('coordinate systems', () => {
  it('moves Tiananmen from WGS84 to the GCJ-02 position Chinese web maps show', () => {
    const [lng, lat] = wgs84ToGcj02(116.3912757, 39.906217);
    expect(lng).toBeCloseTo(116.39752, 5);
    expect(lat).toBeCloseTo(39.90762, 5);
  });

  it('agrees with an independently written forward transform over the Beijing grid', () => {
    for (const p of beijingGrid()) {
      const ours = wgs84ToGcj02(p[0], p[1]);
      const theirs = referenceWgsToGcj(p[0], p[1]);
      expect(metres(ours, theirs)).toBeLessThan(0.001);
    }
  });

  it('reproduces the published eviltransform test vectors', () => {
    // [wgsLng, wgsLat, gcjLng, gcjLat] from the eviltransform test suite (Shanghai, Shenzhen, Beijing).
    const vectors: [number, number, number, number][] = [
      [121.5272106, 31.1774276, 121.531541859215, 31.17530398364597],
      [113.912316, 22.543847, 113.9171764808363, 22.540796131694766],
      [116.377817, 39.911954, 116.38404722455657, 39.91334545536069],
    ];
    for (const [wLng, wLat, gLng, gLat] of vectors) {
      expect(metres(wgs84ToGcj02(wLng, wLat), [gLng, gLat])).toBeLessThan(0.01);
      expect(metres(gcj02ToWgs84(gLng, gLat), [wLng, wLat])).toBeLessThan(0.01);
    }
  });

  it('offsets points around Beijing by a few hundred metres', () => {
    for (const p of beijingGrid()) {
      const d = metres(p, wgs84ToGcj02(p[0], p[1]));
      expect(d).toBeGreaterThan(100);
      expect(d).toBeLessThan(800);
    }
  });

  it('inverts GCJ-02 to within half a metre over the Beijing grid', () => {
    let worst = 0;
    for (const p of beijingGrid()) {
      const gcj = wgs84ToGcj02(p[0], p[1]);
      worst = Math.max(worst, metres(p, gcj02ToWgs84(gcj[0], gcj[1])));
    }
    expect(worst).toBeLessThan(0.5);
    // The iteration actually reaches millimetres; the loose bound is the contract.
    expect(worst).toBeLessThan(0.01);
  });

  it('is more accurate than the one-step inverse it replaces', () => {
    const p: LngLat = [116.366, 39.913];
    const gcj = wgs84ToGcj02(p[0], p[1]);
    const once = wgs84ToGcj02(gcj[0], gcj[1]);
    const oneStep: LngLat = [2 * gcj[0] - once[0], 2 * gcj[1] - once[1]];
    expect(metres(p, oneStep)).toBeGreaterThan(0.1);
    expect(metres(p, gcj02ToWgs84(gcj[0], gcj[1]))).toBeLessThan(0.01);
  });

  it('round-trips BD-09 through GCJ-02 and WGS84 to within half a metre', () => {
    for (const p of beijingGrid()) {
      const bd = gcj02ToBd09(p[0], p[1]);
      expect(metres(p, bd09ToGcj02(bd[0], bd[1]))).toBeLessThan(0.5);
      const bdFromWgs = wgs84ToBd09(p[0], p[1]);
      expect(metres(p, bd09ToWgs84(bdFromWgs[0], bdFromWgs[1]))).toBeLessThan(0.5);
    }
  });

  it('shifts BD-09 a further few hundred metres from GCJ-02', () => {
    const gcj: LngLat = [116.39752, 39.90762];
    const d = metres(gcj, gcj02ToBd09(gcj[0], gcj[1]));
    expect(d).toBeGreaterThan(500);
    expect(d).toBeLessThan(1200);
  });

  it('leaves points outside China unchanged under the GCJ-02 transforms', () => {
    const outside: LngLat[] = [
      [-0.1276, 51.5072], // London
      [139.6917, 35.6895], // Tokyo, east of the rectangle
      [-74.006, 40.7128], // New York
    ];
    for (const p of outside) {
      expect(wgs84ToGcj02(p[0], p[1])).toEqual(p);
      expect(gcj02ToWgs84(p[0], p[1])).toEqual(p);
    }
  });

  it('converts to and from WGS84 by name', () => {
    const p: LngLat = [116.366, 39.913];
    expect(toWgs84(p[0], p[1], 'WGS84')).toEqual(p);
    for (const crs of ['GCJ02', 'BD09'] as const) {
      const there = fromWgs84(p[0], p[1], crs);
      expect(metres(p, there)).toBeGreaterThan(100);
      expect(metres(p, toWgs84(there[0], there[1], crs))).toBeLessThan(0.5);
    }
  });

  it('parses coordinate-system names case-insensitively and rejects others', () => {
    expect(parseCoordinateSystem('wgs84')).toBe('WGS84');
    expect(parseCoordinateSystem('WGS84')).toBe('WGS84');
    expect(parseCoordinateSystem('EPSG:4326')).toBe('WGS84');
    expect(parseCoordinateSystem('epsg:4326')).toBe('WGS84');
    expect(parseCoordinateSystem('Gcj02')).toBe('GCJ02');
    expect(parseCoordinateSystem(' bd09 ')).toBe('BD09');
    expect(parseCoordinateSystem('EPSG:3857')).toBeUndefined();
    expect(parseCoordinateSystem('mars')).toBeUndefined();
    expect(parseCoordinateSystem('')).toBeUndefined();
    expect(parseCoordinateSystem('toString')).toBeUndefined();
    expect(parseCoordinateSystem(undefined)).toBeUndefined();
  });
});
