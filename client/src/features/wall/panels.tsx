import { rankScale } from './rank-scale.ts';
import { memo, useLayoutEffect, useRef, type ReactNode } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import type { WallCase, WallSummary } from './use-wall-live.ts';

type Lang = 'zh-CN' | 'en';
const nameOf = (o: { name_zh: string; name_en: string }, lang: Lang) => (lang === 'en' ? o.name_en : o.name_zh);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function hhmmss(d: Date): string {
  return d.toLocaleTimeString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' });
}
function hhmm(iso: string): string {
  return new Date(iso).toLocaleTimeString('zh-CN', { hour12: false, hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
}

export function Panel({ title, note, children, className, testId }: { title: string; note?: string; children: ReactNode; className?: string; testId?: string }) {
  return (
    <section className={`wall-panel ${className ?? ''}`} data-testid={testId}>
      <header className="wall-panel__head">
        <h2>{title}</h2>
        {note && <span className="wall-panel__note">{note}</span>}
      </header>
      <div className="wall-panel__body">{children}</div>
    </section>
  );
}

function Arrow({ now, before, higherIsBetter }: { now: number; before: number; higherIsBetter: boolean }) {
  const { t } = useI18n();
  const d = now - before;
  if (Math.abs(d) < 1e-9) return <span className="trend trend--flat" aria-label={t('wall.trend.flat')}>→</span>;
  const good = d > 0 === higherIsBetter;
  return (
    <span className={`trend ${good ? 'trend--good' : 'trend--bad'}`} aria-label={t(d > 0 ? 'wall.trend.up' : 'wall.trend.down')}>
      {d > 0 ? '▲' : '▼'}
    </span>
  );
}

// The panels below change only with the summary (or the minute): memoised, they sit out the
// wall's once-a-second re-render, which would otherwise take frames from the map.

/** Today's cases, the three rates against their targets, and the overdue count, each with a trend arrow. */
export const KpiTiles = memo(function KpiTiles({ summary }: { summary: WallSummary | null }) {
  const { t } = useI18n();
  const k = summary?.kpis;
  const tiles: { key: string; label: string; value: string; target?: string; ok?: boolean; arrow?: ReactNode; tone?: 'danger' }[] = k
    ? [
        { key: 'today', label: t('wall.kpi.today'), value: String(k.today), arrow: <Arrow now={k.today} before={k.yesterday_same_time} higherIsBetter={false} />, target: t('wall.kpi.yesterday', { n: k.yesterday_same_time }) },
        { key: 'overdue', label: t('wall.kpi.overdue'), value: String(k.overdue), tone: k.overdue > 0 ? 'danger' : undefined, arrow: <Arrow now={k.overdue} before={k.overdue_day_ago} higherIsBetter={false} />, target: t('wall.kpi.dayAgo', { n: k.overdue_day_ago }) },
        { key: 'response', label: t('wall.kpi.response'), value: k.response === null ? '—' : pct(k.response), ok: k.response === null || k.response >= k.targets.response, target: t('wall.kpi.target', { v: pct(k.targets.response) }), arrow: <Arrow now={k.response ?? 1} before={k.response_day_ago ?? 1} higherIsBetter /> },
        { key: 'resolution', label: t('wall.kpi.resolution'), value: k.resolution === null ? '—' : pct(k.resolution), ok: k.resolution === null || k.resolution >= k.targets.resolution, target: t('wall.kpi.target', { v: pct(k.targets.resolution) }), arrow: <Arrow now={k.resolution ?? 1} before={k.resolution_day_ago ?? 1} higherIsBetter /> },
        { key: 'satisfaction', label: t('wall.kpi.satisfaction'), value: k.satisfaction === null ? '—' : pct(k.satisfaction), ok: k.satisfaction === null || k.satisfaction >= k.targets.satisfaction, target: t('wall.kpi.target', { v: pct(k.targets.satisfaction) }), arrow: <Arrow now={k.satisfaction ?? 1} before={k.satisfaction_day_ago ?? 1} higherIsBetter /> },
        { key: 'whistles', label: t('wall.kpi.whistles'), value: String(summary.whistles.length), target: t('wall.kpi.whistlesNote') },
      ]
    : [];
  return (
    <div className="kpi-grid" data-testid="wall-kpis" data-state={k ? 'ready' : 'loading'}>
      {!k && <div className="wall-empty">{t('wall.loading')}</div>}
      {tiles.map((tile) => (
        <div key={tile.key} className={`kpi kpi--${tile.key} ${tile.tone === 'danger' ? 'kpi--danger' : ''} ${tile.ok === false ? 'kpi--below' : ''}`} data-kpi={tile.key}>
          <div className="kpi__label">{tile.label}</div>
          <div className="kpi__value">
            {tile.value}
            {tile.arrow}
          </div>
          {tile.target && <div className={`kpi__target ${tile.ok === false ? 'kpi__target--miss' : ''}`}>{tile.target}</div>}
        </div>
      ))}
    </div>
  );
});

/** The 15 subdistricts by composite score. */
export const Ranking = memo(function Ranking({ summary, focusId }: { summary: WallSummary | null; focusId: number | null }) {
  const { t, lang } = useI18n();
  const rows = summary?.subdistricts ?? [];
  if (!rows.length) return <div className="wall-empty">{summary ? t('wall.noSubdistricts') : t('wall.loading')}</div>;
  const { lo, hi } = rankScale(rows.map((r) => r.score));
  const share = (score: number) => Math.min(100, Math.max(0, ((score - lo) / (hi - lo)) * 100));
  return (
    <ol className="rank-list" data-testid="wall-ranking">
      <li className="rank-row rank-row--head" aria-hidden>
        <span className="rank-row__pos">#</span>
        <span className="rank-row__name">{t('wall.rank.unit')}</span>
        <span className="rank-row__axis" data-testid="wall-rank-axis"><span>{lo}</span><span>{hi}</span></span>
        <span className="rank-row__score">{t('wall.rank.score')}</span>
        <span className="rank-row__overdue">{t('wall.rank.overdue')}</span>
      </li>
      {rows.map((r, i) => (
        <li key={r.id} className={`rank-row ${r.id === focusId ? 'rank-row--focus' : ''} ${i >= rows.length - 3 ? 'rank-row--tail' : ''}`}>
          <span className="rank-row__pos">{i + 1}</span>
          <span className="rank-row__name">{nameOf(r, lang)}</span>
          <span className="rank-row__bar"><span style={{ width: `${share(r.score)}%` }} /></span>
          <span className="rank-row__score">{r.score.toFixed(1)}</span>
          <span className={`rank-row__overdue ${r.overdue ? 'is-hot' : ''}`}>{r.overdue}</span>
        </li>
      ))}
    </ol>
  );
});

/** 红黑榜: the five best and five worst departments by the same composite score. */
export const RedBlackList = memo(function RedBlackList({ summary }: { summary: WallSummary | null }) {
  const { t, lang } = useI18n();
  const deps = (summary?.departments ?? []).filter((d) => d.cases > 0);
  if (!deps.length) return <div className="wall-empty">{summary ? t('wall.noCases') : t('wall.loading')}</div>;
  const n = Math.min(5, Math.floor(deps.length / 2) || 1);
  const red = deps.slice(0, n);
  const black = deps.slice(-n).reverse();
  const col = (list: typeof deps, kind: 'red' | 'black') => (
    <div className={`rb-col rb-col--${kind}`}>
      <h3>{t(kind === 'red' ? 'wall.redList' : 'wall.blackList')}</h3>
      <ol>
        {list.map((d) => (
          <li key={d.id}>
            <span className="rb-name">{nameOf(d, lang)}</span>
            <span className="rb-score">{d.score.toFixed(1)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
  return (
    <div className="rb" data-testid="wall-redblack">
      {col(red, 'red')}
      {col(black, 'black')}
    </div>
  );
});

/** 民生地图: the most frequent complaint categories of the last 7 days, with the change on the 7 days before. */
export const TopCategories = memo(function TopCategories({ summary }: { summary: WallSummary | null }) {
  const { t, lang } = useI18n();
  const cats = summary?.categories ?? [];
  if (!cats.length) return <div className="wall-empty">{summary ? t('wall.noCases') : t('wall.loading')}</div>;
  const max = Math.max(...cats.map((c) => c.count), 1);
  return (
    <ol className="cat-list" data-testid="wall-categories">
      {cats.slice(0, 8).map((c) => {
        const change = c.previous > 0 ? (c.count - c.previous) / c.previous : null;
        return (
          <li key={c.code}>
            <span className="cat-name">{nameOf(c, lang)}</span>
            <span className="cat-bar"><span style={{ width: `${(c.count / max) * 100}%` }} /></span>
            <span className="cat-count">{c.count}</span>
            <span className={`cat-change ${change !== null && change > 0 ? 'is-up' : 'is-down'}`}>
              {change === null ? t('wall.new') : `${change > 0 ? '+' : ''}${Math.round(change * 100)}%`}
            </span>
          </li>
        );
      })}
    </ol>
  );
});

/** Cases reported and closed per hour over the last 24 hours, as an SVG chart. */
export const TrendChart = memo(function TrendChart({ summary }: { summary: WallSummary | null }) {
  const { t } = useI18n();
  const data = summary?.trend ?? [];
  if (!data.length) return <div className="wall-empty">{t('wall.loading')}</div>;
  const W = 1000;
  const H = 300;
  const pad = { l: 90, r: 10, t: 16, b: 44 };
  const max = Math.max(4, ...data.map((d) => Math.max(d.reported, d.closed)));
  const bw = (W - pad.l - pad.r) / data.length;
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const line = data.map((d, i) => `${i ? 'L' : 'M'}${pad.l + bw * (i + 0.5)},${y(d.closed)}`).join(' ');
  const ticks = [0, Math.round(max / 2), max];
  return (
    <div className="trend-chart" data-testid="wall-trend">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={t('wall.panel.trend')}>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} className="grid" />
            <text x={pad.l - 10} y={y(v) + 8} textAnchor="end" className="axis">{v}</text>
          </g>
        ))}
        {data.map((d, i) => (
          <rect key={d.hour} x={pad.l + bw * i + bw * 0.15} width={bw * 0.7} y={y(d.reported)} height={Math.max(0, y(0) - y(d.reported))} className={i === data.length - 1 ? 'bar bar--now' : 'bar'} />
        ))}
        <path d={line} className="line" />
        {data.map((d, i) => (i % 6 === 0 || i === data.length - 1 ? (
          <text key={`l${d.hour}`} x={pad.l + bw * (i + 0.5)} y={H - 10} textAnchor="middle" className="axis">{hhmm(d.hour)}</text>
        ) : null))}
      </svg>
      <div className="trend-legend">
        <span className="sw sw--bar" />{t('wall.trend.reported')}
        <span className="sw sw--line" />{t('wall.trend.closed')}
      </div>
    </div>
  );
});

const PRIORITY_CLASS: Record<string, string> = { urgent: 'p-urgent', high: 'p-high', normal: 'p-normal', low: 'p-low' };

/** The newest cases, newest on top; a case that just arrived is flagged. */
export const Ticker = memo(function Ticker({ cases, summary, newIds }: { cases: WallCase[]; summary: WallSummary | null; newIds: Set<number> }) {
  const { t, lang } = useI18n();
  const list = useRef<HTMLOListElement>(null);
  // A wall shows whole rows only: a row that the panel cuts is hidden (`data-cut`), after every
  // render and whenever the panel's size changes. Hidden, not removed, so the rows' layout and
  // the panel's scroll width stay as they are.
  useLayoutEffect(() => {
    const ol = list.current;
    const box = ol?.parentElement;
    if (!ol || !box) return;
    const hideCut = () => {
      const bottom = box.getBoundingClientRect().bottom;
      for (const li of Array.from(ol.children) as HTMLElement[]) {
        if (li.getBoundingClientRect().bottom > bottom + 0.5) li.setAttribute('data-cut', '');
        else li.removeAttribute('data-cut');
      }
    };
    hideCut();
    const resized = new ResizeObserver(hideCut);
    resized.observe(box);
    return () => resized.disconnect();
  });
  if (!cases.length) return <div className="wall-empty">{summary ? (summary.cases_available ? t('wall.noCases') : t('wall.casesUnavailable')) : t('wall.loading')}</div>;
  const sub = new Map((summary?.subdistricts ?? []).map((s) => [s.id, s]));
  return (
    <ol className="ticker" data-testid="wall-ticker" ref={list}>
      {cases.slice(0, 12).map((c) => {
        const s = c.subdistrict_id ? sub.get(c.subdistrict_id) : undefined;
        return (
          <li key={c.id} data-case-id={c.id} className={`${newIds.has(c.id) ? 'is-new' : ''} ${c.overdue ? 'is-overdue' : ''}`}>
            <span className="ticker__time">{hhmm(c.reported_at)}</span>
            <span className={`ticker__prio ${PRIORITY_CLASS[c.priority] ?? ''}`}>{t(`wall.priority.${c.priority}`)}</span>
            <span className="ticker__cat">{(lang === 'en' ? c.category_name_en : c.category_name_zh) ?? c.category}</span>
            <span className="ticker__where">{s ? nameOf(s, lang) : ''}</span>
            {c.overdue && <span className="ticker__flag">{t('wall.overdue')}</span>}
          </li>
        );
      })}
    </ol>
  );
});

function countdown(ms: number): string {
  const s = Math.abs(Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return `${ms < 0 ? '-' : ''}${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
export { countdown };

/** The whistle arrival board: each active whistle's countdown and which departments have checked in. */
export function WhistleBoard({ summary, now }: { summary: WallSummary | null; now: number }) {
  const { t, lang } = useI18n();
  const ws = summary?.whistles ?? [];
  if (!ws.length) return <div className="wall-empty">{summary ? t('wall.noWhistles') : t('wall.loading')}</div>;
  return (
    <ol className="whistles" data-testid="wall-whistles">
      {ws.slice(0, 4).map((w) => {
        const left = new Date(w.deadline_at).getTime() - now;
        const inCount = w.calls.filter((c) => c.checked_in_at).length;
        return (
          <li key={w.id} className={left < 0 ? 'is-late' : left < 10 * 60_000 ? 'is-close' : ''} data-whistle-id={w.id}>
            <div className="whistle__head">
              <span className="whistle__title">{lang === 'en' ? w.title_en : w.title_zh}</span>
              <span className="whistle__clock">{countdown(left)}</span>
            </div>
            <div className="whistle__calls">
              <span className="whistle__count">{t('wall.checkedIn', { n: inCount, of: w.calls.length })}</span>
              {w.calls.map((c) => (
                <span key={c.department_id} className={`chip ${c.checked_in_at ? (c.on_time === false ? 'chip--late' : 'chip--in') : 'chip--wait'}`} data-department-id={c.department_id} data-state={c.checked_in_at ? (c.on_time === false ? 'late' : 'in') : 'wait'}>
                  {c.checked_in_at ? '✓ ' : ''}{lang === 'en' ? c.department_en : c.department_zh}
                </span>
              ))}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

/** "3 h 12 min" / "3小时12分": how long ago a due time passed. */
function lateBy(ms: number, t: (k: string, p?: Record<string, string | number>) => string): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  return m >= 60 ? t('wall.alarmsCol.hours', { h: Math.floor(m / 60), m: m % 60 }) : t('wall.alarmsCol.minutes', { m });
}

/**
 * The alarms column of an ultra-wide wall: overdue cases, most overdue first, each with where,
 * what, its priority and how late it is.
 */
export const AlarmList = memo(function AlarmList({ summary, now }: { summary: WallSummary | null; now: number }) {
  const { t, lang } = useI18n();
  const cases = summary?.overdue ?? [];
  if (!cases.length) return <div className="wall-empty">{summary ? t('wall.alarmsCol.none') : t('wall.loading')}</div>;
  const sub = new Map((summary?.subdistricts ?? []).map((s) => [s.id, s]));
  return (
    <ol className="alarm-list" data-testid="wall-alarm-list">
      {cases.slice(0, 24).map((c) => {
        const s = c.subdistrict_id ? sub.get(c.subdistrict_id) : undefined;
        return (
          <li key={c.id} data-case-id={c.id}>
            <span className="alarm-list__late">{lateBy(now - new Date(c.due_at ?? now).getTime(), t)}</span>
            <span className={`ticker__prio ${PRIORITY_CLASS[c.priority] ?? ''}`}>{t(`wall.priority.${c.priority}`)}</span>
            <span className="alarm-list__cat">{(lang === 'en' ? c.category_name_en : c.category_name_zh) ?? c.category}</span>
            <span className="alarm-list__where">{s ? nameOf(s, lang) : ''}</span>
          </li>
        );
      })}
    </ol>
  );
});
