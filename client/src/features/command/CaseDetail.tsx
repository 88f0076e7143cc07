import { useState } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import { actionsFrom, roleMayTake, TRANSITIONS, type CaseAction } from '../../../../server/src/cases/state-machine.ts';
import type { CaseDetail as Detail, Department } from './api.ts';
import { shortTime } from './format.ts';

/** One case: what, where, its stages and full history, and the actions the role may take now. */
export function CaseDetail({
  detail,
  role,
  departments,
  busy,
  error,
  onAct,
  onBlow,
  onBack,
}: {
  detail: Detail | null;
  role: string;
  departments: Department[];
  busy: boolean;
  error: string | null;
  onAct: (action: CaseAction, fields: { note?: string; department_code?: string }) => void;
  onBlow: () => void;
  onBack: () => void;
}) {
  const { t, lang } = useI18n();
  const [note, setNote] = useState('');
  const [dept, setDept] = useState('');
  if (!detail) return <section className="cmd-panel cmd-detail"><p className="cmd-empty">{t('command.loading')}</p></section>;
  // The actions the server would allow this role from this status (the same table it checks).
  const actions = actionsFrom(detail.status).filter((a) => roleMayTake(role, a));
  const depName = (id: number | null) => {
    const d = departments.find((x) => x.id === id);
    return d ? (lang === 'en' ? d.name_en : d.name_zh) : '—';
  };
  const act = (a: CaseAction) => {
    onAct(a, { note: note.trim() || undefined, department_code: dept || undefined });
    setNote('');
  };
  return (
    <section className="cmd-panel cmd-detail" data-testid="case-detail" data-case-id={detail.id} data-status={detail.status}>
      <header className="cmd-panel__head">
        <button type="button" className="cmd-link" onClick={onBack}>{t('command.case.back')}</button>
        <h2>
          {lang === 'en' ? detail.category_name_en : detail.category_name_zh} <span className="cmd-case__id">#{detail.id}</span>
        </h2>
      </header>
      <div className="cmd-detail__body">
        <p className="cmd-detail__desc">{detail.description}</p>
        <dl className="cmd-facts">
          <dt>{t('command.case.status')}</dt>
          <dd data-testid="case-status">{t(`command.status.${detail.status}`)}{detail.overdue ? ` · ${t('command.case.overdue')}` : ''}</dd>
          <dt>{t('command.case.address')}</dt>
          <dd>{detail.address ?? t('command.case.noAddress')}</dd>
          <dt>{t('command.case.department')}</dt>
          <dd>{depName(detail.department_id)}</dd>
          <dt>{t('command.case.reported')}</dt>
          <dd>{shortTime(detail.reported_at, lang)} · {t(`command.source.${detail.source}`)}</dd>
          <dt>{t('command.case.due')}</dt>
          <dd>{shortTime(detail.due_at, lang)}</dd>
        </dl>
        <div className="cmd-actions">
          <textarea value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('command.case.notePlaceholder')} rows={2} aria-label={t('command.case.note')} />
          {actions.some((a) => TRANSITIONS[a].accepts?.includes('department_code')) && (
            <select value={dept} onChange={(e) => setDept(e.target.value)} aria-label={t('command.case.toDepartment')}>
              <option value="">{t('command.case.categoryDepartment')}</option>
              {departments.map((d) => (
                <option key={d.code} value={d.code}>{lang === 'en' ? d.name_en : d.name_zh}</option>
              ))}
            </select>
          )}
          <div className="cmd-buttons">
            {actions.map((a) => {
              const needs = TRANSITIONS[a].requires ?? {};
              const missing = ('note' in needs && !note.trim()) || ('department_code' in needs && !dept);
              return (
                <button key={a} type="button" disabled={busy || missing} data-action={a} onClick={() => act(a)} title={missing ? t(`command.case.needs.${'note' in needs ? 'note' : 'department'}`) : undefined}>
                  {t(`command.action.${a}`)}
                </button>
              );
            })}
            <button type="button" className="cmd-whistle-btn" onClick={onBlow} data-testid="case-blow">{t('command.whistle.fromCase')}</button>
          </div>
          {actions.length === 0 && <p className="cmd-muted">{t('command.case.noActions')}</p>}
          {error && <p className="cmd-error" role="alert">{error}</p>}
        </div>
        <h3>{t('command.case.history')}</h3>
        <ol className="cmd-history" data-testid="case-history">
          {detail.history.map((h) => (
            <li key={h.seq}>
              <span className="cmd-history__at">{shortTime(h.at, lang)}</span>
              <span>
                {h.action ? t(`command.action.${h.action}`) : t(`command.event.${h.type}`)}
                {h.from && h.to ? ` · ${t(`command.status.${h.from}`)} → ${t(`command.status.${h.to}`)}` : ''}
              </span>
              <span className="cmd-history__who">{h.actor}</span>
              {h.note && <span className="cmd-history__note">{h.note}</span>}
            </li>
          ))}
          {detail.comments.map((c) => (
            <li key={`c${c.id}`} className="cmd-history__comment">
              <span className="cmd-history__at">{shortTime(c.created_at, lang)}</span>
              <span>{t('command.case.comment')}</span>
              <span className="cmd-history__who">{c.actor}</span>
              <span className="cmd-history__note">{c.body}</span>
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
