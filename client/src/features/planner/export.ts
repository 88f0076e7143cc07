import { FONT_FAMILY } from '../../app/font.ts';

/** Downloads a Blob under a file name (an anchor click, so nothing leaves the page). */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV in UTF-8 with a byte-order mark: Excel on Chinese Windows reads a BOM-less UTF-8 file as
 * GBK and garbles every name.
 */
export function toCsv(header: string[], rows: Array<Array<string | number>>): Blob {
  const text = [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
  return new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' });
}

export function toGeoJsonBlob(data: unknown): Blob {
  return new Blob([JSON.stringify(data)], { type: 'application/geo+json' });
}

export interface ReportInput {
  title: string;
  subtitle: string;
  kpis: Array<[string, string]>;
  mapCanvas: HTMLCanvasElement | null;
  header: string[];
  rows: string[][];
  legend: Array<[string, string]>;
  footer: string;
  /** Metres per pixel of `mapCanvas` at its centre, for the scale bar (none when unknown). */
  metresPerPixel: number | null;
  /** The letter on the north arrow (the map is drawn north up). */
  north: string;
  /** The district's outline (lon/lat rings) and the map's extent, for the overview inset. */
  overview: { rings: number[][][]; view: [number, number, number, number]; title: string } | null;
}

/** A round length for a scale bar no longer than `maxMetres`. */
export function niceLength(maxMetres: number): number {
  const steps = [1, 2, 5];
  let best = 1;
  for (let p = 1; p <= 100_000; p *= 10) for (const s of steps) if (s * p <= maxMetres) best = s * p;
  return best;
}

/** The scale bar: a round length drawn to the map's scale, in metres or kilometres. */
function drawScaleBar(ctx: CanvasRenderingContext2D, x: number, y: number, metresPerPx: number): void {
  const metres = niceLength(metresPerPx * 180);
  const w = metres / metresPerPx;
  ctx.fillStyle = 'rgba(255, 255, 255, 0.88)';
  ctx.fillRect(x - 10, y - 34, w + 20 + 60, 46);
  ctx.fillStyle = '#0b1220';
  ctx.fillRect(x, y - 6, w / 2, 6);
  ctx.strokeStyle = '#0b1220';
  ctx.lineWidth = 1.5;
  ctx.strokeRect(x, y - 6, w, 6);
  ctx.font = `400 16px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText('0', x - 4, y - 12);
  ctx.fillText(metres >= 1000 ? `${metres / 1000} km` : `${metres} m`, x + w - 8, y - 12);
}

/** A north arrow: a split triangle with the letter above it. */
function drawNorthArrow(ctx: CanvasRenderingContext2D, cx: number, cy: number, letter: string): void {
  ctx.fillStyle = 'rgba(255, 255, 255, 0.88)';
  ctx.beginPath();
  ctx.arc(cx, cy, 34, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#0b1220';
  ctx.beginPath();
  ctx.moveTo(cx, cy - 22);
  ctx.lineTo(cx - 11, cy + 16);
  ctx.lineTo(cx, cy + 8);
  ctx.closePath();
  ctx.fill();
  ctx.strokeStyle = '#0b1220';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(cx, cy - 22);
  ctx.lineTo(cx + 11, cy + 16);
  ctx.lineTo(cx, cy + 8);
  ctx.closePath();
  ctx.stroke();
  ctx.font = `700 15px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText(letter, cx, cy - 24 + 0);
  ctx.textAlign = 'left';
}

/** The whole district, small, with the extent the map shows: where the big map sits. */
function drawOverview(ctx: CanvasRenderingContext2D, box: { x: number; y: number; w: number; h: number }, o: NonNullable<ReportInput['overview']>): void {
  const pts = o.rings.flat();
  const lons = pts.map((p) => p[0]!);
  const lats = pts.map((p) => p[1]!);
  const [w, s, e, n] = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
  const k = Math.cos(((s + n) / 2) * (Math.PI / 180));
  const scale = Math.min((box.w - 16) / ((e - w) * k), (box.h - 30) / (n - s));
  const px = (lon: number, lat: number): [number, number] => [box.x + 8 + (lon - w) * k * scale, box.y + 22 + (n - lat) * scale];
  ctx.fillStyle = 'rgba(255, 255, 255, 0.92)';
  ctx.fillRect(box.x, box.y, box.w, box.h);
  ctx.strokeStyle = '#44536b';
  ctx.lineWidth = 1;
  ctx.strokeRect(box.x, box.y, box.w, box.h);
  ctx.fillStyle = '#44536b';
  ctx.font = `400 13px ${FONT}`;
  ctx.fillText(o.title, box.x + 8, box.y + 16);
  ctx.fillStyle = 'rgba(40, 110, 200, 0.25)';
  ctx.strokeStyle = '#1d4f8f';
  ctx.lineWidth = 1.2;
  for (const ring of o.rings) {
    ctx.beginPath();
    ring.forEach((p, i) => (i ? ctx.lineTo(...px(p[0]!, p[1]!)) : ctx.moveTo(...px(p[0]!, p[1]!))));
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
  const [vw, vs, ve, vn] = o.view;
  const [x0, y0] = px(Math.max(vw, w), Math.min(vn, n));
  const [x1, y1] = px(Math.min(ve, e), Math.max(vs, s));
  ctx.strokeStyle = '#d7263d';
  ctx.lineWidth = 2;
  ctx.strokeRect(x0, y0, Math.max(3, x1 - x0), Math.max(3, y1 - y0));
}

const FONT = `'${FONT_FAMILY}', 'Noto Sans CJK SC', sans-serif`;

/**
 * The one-page report as a PNG: the map as drawn (MapLibre keeps its drawing buffer) beside the
 * table, drawn on a canvas so it needs no print dialog and can be checked headless.
 */
export async function renderReport(input: ReportInput): Promise<Blob> {
  // The CJK web font comes in unicode-range slices loaded on demand; a canvas does not ask for
  // them, so load the slices this report's text needs first, or rare characters draw as boxes.
  const text = [input.title, input.subtitle, input.footer, ...input.kpis.flat(), ...input.header, ...input.rows.flat(), ...input.legend.map((l) => l[1])].join('');
  await Promise.all([400, 700].map((w) => document.fonts.load(`${w} 20px '${FONT_FAMILY}'`, text).catch(() => [])));
  const W = 1754; // A4 landscape at 150 dpi
  const H = 1240;
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#0b1220';
  ctx.font = `700 38px ${FONT}`;
  ctx.fillText(input.title, 60, 80);
  ctx.fillStyle = '#44536b';
  ctx.font = `400 22px ${FONT}`;
  ctx.fillText(input.subtitle, 60, 118);
  // KPIs
  let x = 60;
  for (const [label, value] of input.kpis) {
    ctx.fillStyle = '#6b7a90';
    ctx.font = `400 18px ${FONT}`;
    ctx.fillText(label, x, 165);
    ctx.fillStyle = '#0b1220';
    ctx.font = `700 30px ${FONT}`;
    ctx.fillText(value, x, 202);
    x += Math.max(230, ctx.measureText(value).width + 60);
  }
  // Map
  const mapBox = { x: 60, y: 235, w: 940, h: 900 };
  ctx.fillStyle = '#0b1220';
  ctx.fillRect(mapBox.x, mapBox.y, mapBox.w, mapBox.h);
  if (input.mapCanvas && input.mapCanvas.width > 0) {
    const src = input.mapCanvas;
    const scale = Math.min(mapBox.w / src.width, mapBox.h / src.height);
    const w = src.width * scale;
    const h = src.height * scale;
    const left = mapBox.x + (mapBox.w - w) / 2;
    const top = mapBox.y + (mapBox.h - h) / 2;
    ctx.drawImage(src, left, top, w, h);
    // The map's furniture, drawn over it: scale bar, north arrow, overview inset.
    if (input.metresPerPixel) drawScaleBar(ctx, left + 24, top + h - 20, input.metresPerPixel / scale);
    drawNorthArrow(ctx, left + w - 46, top + 46, input.north);
    if (input.overview) drawOverview(ctx, { x: left + 14, y: top + 14, w: 200, h: 170 }, input.overview);
  }
  // Legend under the map
  let lx = mapBox.x;
  let ly = mapBox.y + mapBox.h + 22;
  ctx.font = `400 17px ${FONT}`;
  for (const [colour, label] of input.legend) {
    const width = 26 + ctx.measureText(label).width;
    // Wrap to a second line rather than run past the map's width.
    if (lx > mapBox.x && lx + width > mapBox.x + mapBox.w) {
      lx = mapBox.x;
      ly += 28;
    }
    ctx.fillStyle = colour;
    ctx.fillRect(lx, ly, 18, 18);
    ctx.strokeStyle = '#44536b';
    ctx.lineWidth = 1;
    ctx.strokeRect(lx, ly, 18, 18);
    ctx.fillStyle = '#0b1220';
    ctx.fillText(label, lx + 26, ly + 16);
    lx += width + 30;
  }
  // Table
  const tx = 1040;
  const colW = [260, 130, 130, 100];
  let y = 262;
  ctx.font = `700 18px ${FONT}`;
  ctx.fillStyle = '#0b1220';
  let cx = tx;
  input.header.forEach((h, i) => {
    ctx.textAlign = i === 0 ? 'left' : 'right';
    ctx.fillText(h, i === 0 ? cx : cx + colW[i]!, y);
    cx += colW[i]!;
  });
  ctx.strokeStyle = '#0b1220';
  ctx.beginPath();
  ctx.moveTo(tx, y + 10);
  ctx.lineTo(tx + colW.reduce((a, b) => a + b, 0), y + 10);
  ctx.stroke();
  ctx.font = `400 17px ${FONT}`;
  const rowH = 27;
  const maxRows = Math.floor((mapBox.y + mapBox.h - y - 20) / rowH);
  for (const [r, row] of input.rows.slice(0, maxRows).entries()) {
    y += rowH;
    if (r % 2 === 0) {
      ctx.fillStyle = '#f1f4f9';
      ctx.fillRect(tx - 6, y - 19, colW.reduce((a, b) => a + b, 0) + 12, rowH);
    }
    ctx.fillStyle = '#0b1220';
    cx = tx;
    row.forEach((cell, i) => {
      ctx.textAlign = i === 0 ? 'left' : 'right';
      let text = cell;
      while (i === 0 && text.length > 1 && ctx.measureText(text).width > colW[0]! - 12) text = text.slice(0, -2) + '…';
      ctx.fillText(text, i === 0 ? cx : cx + colW[i]!, y);
      cx += colW[i]!;
    });
  }
  if (input.rows.length > maxRows) {
    ctx.textAlign = 'left';
    ctx.fillStyle = '#6b7a90';
    ctx.fillText(`… ${input.rows.length - maxRows}`, tx, y + rowH);
  }
  ctx.textAlign = 'left';
  ctx.fillStyle = '#6b7a90';
  ctx.font = `400 16px ${FONT}`;
  ctx.fillText(input.footer, 60, H - 40);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas.toBlob failed'))), 'image/png'));
}
