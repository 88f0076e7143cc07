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
    ctx.drawImage(src, mapBox.x + (mapBox.w - w) / 2, mapBox.y + (mapBox.h - h) / 2, w, h);
  }
  // Legend under the map
  let lx = mapBox.x;
  ctx.font = `400 18px ${FONT}`;
  for (const [colour, label] of input.legend) {
    ctx.fillStyle = colour;
    ctx.fillRect(lx, mapBox.y + mapBox.h + 22, 18, 18);
    ctx.fillStyle = '#0b1220';
    ctx.fillText(label, lx + 26, mapBox.y + mapBox.h + 38);
    lx += 60 + ctx.measureText(label).width;
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
