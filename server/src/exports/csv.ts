/**
 * CSV as spreadsheet programs open it: UTF-8 with a byte-order mark (so Excel reads Chinese
 * correctly), CRLF line ends, RFC 4180 quoting, and text that a spreadsheet would run as a
 * formula (= + - @ at the start) prefixed with an apostrophe.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return '\uFEFF' + [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
