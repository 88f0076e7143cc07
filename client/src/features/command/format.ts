/** "12:05" / "-3:20" / "1:02:05": time left (negative: past), for countdowns. */
export function countdown(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${ss}` : `${sign}${m}:${ss}`;
}

/** "12-02 09:14" in Beijing time. */
export function shortTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Shanghai' });
}

/** Whole minutes as "2 h 05 min"-style parts for the translation strings. */
export function hoursMinutes(ms: number): { h: number; m: number } {
  const m = Math.max(0, Math.floor(Math.abs(ms) / 60_000));
  return { h: Math.floor(m / 60), m: m % 60 };
}
