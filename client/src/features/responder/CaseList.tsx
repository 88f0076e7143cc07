import { useI18n } from '../../app/i18n.tsx';
import type { CaseSummary } from '../../../../server/src/cases/schemas.ts';
import { clock } from './format.ts';

/** The department's open cases, overdue first (read here; they are worked on in the case loop). */
export function CaseList({ cases }: { cases: CaseSummary[] }) {
  const { t, lang } = useI18n();
  return (
    <section className="responder-section" aria-labelledby="responder-cases">
      <h2 id="responder-cases">
        {t('responder.cases')} <span className="responder-count">{cases.length}</span>
      </h2>
      {cases.length === 0 ? <p className="responder-empty">{t('responder.noCases')}</p> : null}
      <ul className="case-rows">
        {cases.slice(0, 30).map((c) => (
          <li key={c.id} className={c.overdue ? 'is-overdue' : ''} data-testid="case-row">
            <span className={`prio prio--${c.priority}`}>{t(`responder.priority.${c.priority}`)}</span>
            <span className="case-rows__what">
              {lang === 'en' ? c.category_name_en : c.category_name_zh}
              {c.address ? <small>{c.address}</small> : null}
            </span>
            <span className="case-rows__due">{c.due_at ? (c.overdue ? t('responder.caseOverdue') : t('responder.caseDue', { time: clock(c.due_at) })) : ''}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
