import { useMemo } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import type { CaseSummary, Category } from './api.ts';
import { hoursMinutes } from './format.ts';

export interface QueueFilter {
  status: string;
  category: string;
  priority: string;
  overdueOnly: boolean;
  text: string;
}

export const EMPTY_FILTER: QueueFilter = { status: '', category: '', priority: '', overdueOnly: false, text: '' };

/** Open statuses a commander sees in its queue, in loop order. */
const OPEN_STATUSES = ['reported', 'registered', 'dispatched', 'accepted', 'handled', 'verified'] as const;

/** Whether a case is past the due time of its stage now (the push's flag is as of its sending). */
export function isOverdue(c: CaseSummary, now: number): boolean {
  return c.due_at !== null && new Date(c.due_at).getTime() < now;
}

/** Overdue first (most overdue on top), then by the nearest due time, then newest. */
export function queueOrder(cases: CaseSummary[], now: number): CaseSummary[] {
  const due = (c: CaseSummary) => (c.due_at ? new Date(c.due_at).getTime() : Infinity);
  return [...cases].sort((a, b) => Number(isOverdue(b, now)) - Number(isOverdue(a, now)) || due(a) - due(b) || b.id - a.id);
}

export function applyFilter(cases: CaseSummary[], f: QueueFilter, now: number): CaseSummary[] {
  const text = f.text.trim().toLowerCase();
  return cases.filter(
    (c) =>
      (!f.status || c.status === f.status) &&
      (!f.category || c.category === f.category) &&
      (!f.priority || c.priority === f.priority) &&
      (!f.overdueOnly || isOverdue(c, now)) &&
      (!text || String(c.id) === text.replace(/^#/, '') || (c.address ?? '').toLowerCase().includes(text) || c.category_name_zh.includes(text) || c.category_name_en.toLowerCase().includes(text)),
  );
}

/** The subdistrict's open cases, overdue first, with filters. */
export function CaseQueue({
  cases,
  loaded,
  filter,
  onFilter,
  categories,
  selectedId,
  onSelect,
  now,
}: {
  cases: CaseSummary[];
  loaded: boolean;
  filter: QueueFilter;
  onFilter: (f: QueueFilter) => void;
  categories: Category[];
  selectedId: number | null;
  onSelect: (id: number) => void;
  now: number;
}) {
  const { t, lang } = useI18n();
  const shown = useMemo(() => queueOrder(applyFilter(cases, filter, now), now), [cases, filter, now]);
  const overdue = useMemo(() => cases.filter((c) => isOverdue(c, now)).length, [cases, now]);
  const present = useMemo(() => new Set(cases.map((c) => c.category)), [cases]);
  const set = (patch: Partial<QueueFilter>) => onFilter({ ...filter, ...patch });
  return (
    <section className="cmd-panel cmd-queue" data-testid="command-queue" data-state={loaded ? 'ready' : 'loading'}>
      <header className="cmd-panel__head">
        <h2>{t('command.queue.title')}</h2>
        <span className="cmd-count">{t('command.queue.count', { n: cases.length, overdue })}</span>
      </header>
      <div className="cmd-filters">
        <input type="search" value={filter.text} placeholder={t('command.queue.search')} onChange={(e) => set({ text: e.target.value })} aria-label={t('command.queue.search')} />
        <select value={filter.status} onChange={(e) => set({ status: e.target.value })} aria-label={t('command.queue.status')} data-testid="queue-status">
          <option value="">{t('command.queue.anyStatus')}</option>
          {OPEN_STATUSES.map((s) => (
            <option key={s} value={s}>{t(`command.status.${s}`)}</option>
          ))}
        </select>
        <select value={filter.category} onChange={(e) => set({ category: e.target.value })} aria-label={t('command.queue.category')}>
          <option value="">{t('command.queue.anyCategory')}</option>
          {categories.filter((c) => present.has(c.code)).map((c) => (
            <option key={c.code} value={c.code}>{lang === 'en' ? c.name_en : c.name_zh}</option>
          ))}
        </select>
        <select value={filter.priority} onChange={(e) => set({ priority: e.target.value })} aria-label={t('command.queue.priority')}>
          <option value="">{t('command.queue.anyPriority')}</option>
          {['urgent', 'high', 'normal', 'low'].map((p) => (
            <option key={p} value={p}>{t(`command.priority.${p}`)}</option>
          ))}
        </select>
        <label className="cmd-check">
          <input type="checkbox" checked={filter.overdueOnly} onChange={(e) => set({ overdueOnly: e.target.checked })} data-testid="queue-overdue" />
          {t('command.queue.overdueOnly')}
        </label>
      </div>
      <ol className="cmd-list" data-testid="queue-list">
        {shown.map((c) => {
          const late = isOverdue(c, now);
          const by = c.due_at ? hoursMinutes(now - new Date(c.due_at).getTime()) : null;
          return (
            <li key={c.id}>
              <button type="button" className={`cmd-case ${late ? 'is-overdue' : ''} ${selectedId === c.id ? 'is-selected' : ''}`} data-case-id={c.id} onClick={() => onSelect(c.id)}>
                <span className="cmd-case__top">
                  <span className={`cmd-prio cmd-prio--${c.priority}`}>{t(`command.priority.${c.priority}`)}</span>
                  <strong>{lang === 'en' ? c.category_name_en : c.category_name_zh}</strong>
                  <span className="cmd-case__id">#{c.id}</span>
                </span>
                <span className="cmd-case__addr">{c.address ?? t('command.case.noAddress')}</span>
                <span className="cmd-case__meta">
                  <span className="cmd-status">{t(`command.status.${c.status}`)}</span>
                  {by && <span className={late ? 'cmd-late' : 'cmd-due'}>{t(late ? 'command.queue.overdueBy' : 'command.queue.dueIn', by)}</span>}
                </span>
              </button>
            </li>
          );
        })}
        {loaded && shown.length === 0 && <li className="cmd-empty">{t('command.queue.none')}</li>}
        {!loaded && <li className="cmd-empty">{t('command.loading')}</li>}
      </ol>
    </section>
  );
}
