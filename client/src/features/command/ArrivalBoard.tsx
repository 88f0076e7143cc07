import { useState } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import type { WhistleView } from './api.ts';
import { countdown, shortTime } from './format.ts';
import { WhistleReports } from './WhistleReports.tsx';

type Call = WhistleView['calls'][number];

/**
 * What the board says of a summoned department: the server's state, with a flagged check-in
 * (late or outside, not yet accepted by the commander) and "on the way" told apart.
 */
export function callBadge(c: Call): 'summoned' | 'on_the_way' | 'in_on_time' | 'in_late' | 'flagged' | 'missing' {
  if (c.flagged && !c.flag_accepted_at) return 'flagged';
  switch (c.state) {
    case 'accepted':
      return 'on_the_way';
    case 'checked_in_on_time':
      return 'in_on_time';
    case 'checked_in_late':
      return 'in_late';
    default:
      return c.state;
  }
}

/** The live arrival board: each open whistle with its countdown and every department's state. */
export function ArrivalBoard({
  whistles,
  now,
  selectedId,
  onSelect,
  onAcceptFlag,
  onClose,
  busy,
  error,
  testId = 'command-board',
}: {
  testId?: string;
  whistles: WhistleView[];
  now: number;
  selectedId: number | null;
  onSelect: (id: number) => void;
  onAcceptFlag: (whistleId: number, code: string, note: string) => void;
  onClose: (whistleId: number, grades: { department_code: string; score: number; note?: string }[]) => void;
  busy: boolean;
  error: string | null;
}) {
  const { t } = useI18n();
  if (!whistles.length) return <p className="cmd-empty" data-testid={testId}>{t('command.board.none')}</p>;
  return (
    <ol className="cmd-board" data-testid={testId}>
      {whistles.map((w) => (
        <WhistleCard key={w.id} w={w} now={now} selected={selectedId === w.id} onSelect={onSelect} onAcceptFlag={onAcceptFlag} onClose={onClose} busy={busy} error={selectedId === w.id ? error : null} />
      ))}
    </ol>
  );
}

function WhistleCard({
  w,
  now,
  selected,
  onSelect,
  onAcceptFlag,
  onClose,
  busy,
  error,
}: {
  w: WhistleView;
  now: number;
  selected: boolean;
  onSelect: (id: number) => void;
  onAcceptFlag: (whistleId: number, code: string, note: string) => void;
  onClose: (whistleId: number, grades: { department_code: string; score: number; note?: string }[]) => void;
  busy: boolean;
  error: string | null;
}) {
  const { t, lang } = useI18n();
  const [flagNote, setFlagNote] = useState<Record<string, string>>({});
  const [grading, setGrading] = useState(false);
  const [grades, setGrades] = useState<Record<string, number>>({});
  const [gradeNotes, setGradeNotes] = useState<Record<string, string>>({});
  const left = new Date(w.deadline_at).getTime() - now;
  const arrived = w.calls.filter((c) => c.checked_in_at).length;
  const allGraded = w.calls.every((c) => grades[c.department_code]);
  return (
    <li className={`cmd-whistle ${left < 0 ? 'is-late' : left < 10 * 60_000 ? 'is-close' : ''} ${selected ? 'is-selected' : ''}`} data-whistle-id={w.id} data-status={w.status}>
      <button type="button" className="cmd-whistle__head" onClick={() => onSelect(w.id)}>
        <span className="cmd-whistle__title">{lang === 'en' ? w.title_en : w.title_zh}</span>
        <span className="cmd-whistle__clock" data-testid="whistle-countdown">{w.status === 'open' ? countdown(left) : t('command.board.closed')}</span>
      </button>
      <div className="cmd-whistle__sub">
        <span>{t('command.board.arrived', { n: arrived, of: w.calls.length })}</span>
        <span>{t('command.board.deadline', { time: shortTime(w.deadline_at, lang) })}</span>
        <span>{t('command.board.radius', { m: Math.round(w.radius_m) })}</span>
      </div>
      <ul className="cmd-calls">
        {w.calls.map((c) => {
          const badge = callBadge(c);
          return (
            <li key={c.department_code} data-department-code={c.department_code} data-state={badge}>
              <span className="cmd-call__name">{lang === 'en' ? c.department_en : c.department_zh}</span>
              <span className={`cmd-badge cmd-badge--${badge}`}>{t(`command.call.${badge}`)}</span>
              {c.checked_in_at && (
                <span className="cmd-call__detail">
                  {t('command.call.at', { time: shortTime(c.checked_in_at, lang) })} · {t('command.call.distance', { m: Math.round(c.distance_m ?? 0) })}
                  {c.inside === false ? ` · ${t('command.call.outside')}` : ''}
                </span>
              )}
              {c.flag_accepted_at && <span className="cmd-call__detail">{t('command.call.flagAccepted', { note: c.flag_note ?? '' })}</span>}
              {w.status === 'open' && badge === 'flagged' && (
                <span className="cmd-call__accept">
                  <input
                    value={flagNote[c.department_code] ?? ''}
                    onChange={(e) => setFlagNote({ ...flagNote, [c.department_code]: e.target.value })}
                    placeholder={t('command.call.acceptNote')}
                    aria-label={t('command.call.acceptNote')}
                    data-testid="flag-note"
                  />
                  <button type="button" disabled={busy || !(flagNote[c.department_code] ?? '').trim()} onClick={() => onAcceptFlag(w.id, c.department_code, flagNote[c.department_code]!.trim())} data-testid="flag-accept">
                    {t('command.call.accept')}
                  </button>
                </span>
              )}
              {grading && (
                <span className="cmd-grade" role="radiogroup" aria-label={t('command.close.gradeFor', { name: lang === 'en' ? c.department_en : c.department_zh })}>
                  {[1, 2, 3, 4, 5].map((s) => (
                    <button key={s} type="button" role="radio" aria-checked={grades[c.department_code] === s} className={grades[c.department_code] === s ? 'is-on' : ''} data-score={s} onClick={() => setGrades({ ...grades, [c.department_code]: s })}>
                      {s}
                    </button>
                  ))}
                  <input value={gradeNotes[c.department_code] ?? ''} onChange={(e) => setGradeNotes({ ...gradeNotes, [c.department_code]: e.target.value })} placeholder={t('command.close.note')} aria-label={t('command.close.note')} />
                </span>
              )}
              {c.grade !== null && <span className="cmd-call__detail">{t('command.close.graded', { n: c.grade })}</span>}
            </li>
          );
        })}
      </ul>
      {selected && <WhistleReports whistleId={w.id} />}
      {w.status === 'open' && (
        <div className="cmd-buttons">
          {!grading ? (
            <button type="button" onClick={() => setGrading(true)} data-testid="close-start">{t('command.close.start')}</button>
          ) : (
            <>
              <button
                type="button"
                className="cmd-primary"
                disabled={busy || !allGraded}
                data-testid="close-submit"
                onClick={() => onClose(w.id, w.calls.map((c) => ({ department_code: c.department_code, score: grades[c.department_code]!, note: gradeNotes[c.department_code]?.trim() || undefined })))}
              >
                {t('command.close.submit')}
              </button>
              <button type="button" onClick={() => setGrading(false)}>{t('command.cancel')}</button>
            </>
          )}
        </div>
      )}
      {error && <p className="cmd-error" role="alert">{error}</p>}
    </li>
  );
}
