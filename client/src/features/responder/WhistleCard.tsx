import { useState } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import type { WhistleView } from '../../../../server/src/whistles/schemas.ts';
import { fencePreview } from './geofence.ts';
import type { PositionState } from './use-position.ts';
import type { NewAction, QueuedAction } from './outbox.ts';
import { PhotoPicker, releasePhotos, type PickedPhoto } from './PhotoPicker.tsx';
import { clock, formatDistance } from './format.ts';

export type Act = (action: NewAction) => Promise<void>;

const CAN_ACCEPT = new Set(['summoned', 'missing']);
const CAN_CHECK_IN = new Set(['summoned', 'accepted', 'missing']);
const CHECKED_IN = new Set(['checked_in_on_time', 'checked_in_late']);

/** One whistle summoning the department: where, by when, the department's state, and what it can do now. */
export function WhistleCard({ whistle: w, departmentId, pending, position, onAct }: { whistle: WhistleView; departmentId: number | null | undefined; pending: QueuedAction[]; position: PositionState; onAct: Act }) {
  const { t, lang } = useI18n();
  const call = w.calls.find((c) => c.department_id === departmentId);
  const waiting = new Set(pending.filter((p) => p.state === 'waiting').map((p) => p.kind));
  const minutesLeft = Math.round((Date.parse(w.deadline_at) - Date.now()) / 60_000);
  const late = minutesLeft < 0;
  const preview = position.status === 'fix' ? fencePreview(w, position.fix) : null;
  const state = call?.state;
  const canAccept = !!state && CAN_ACCEPT.has(state) && !waiting.has('accept') && !waiting.has('check_in');
  const canCheckIn = !!state && CAN_CHECK_IN.has(state) && !waiting.has('check_in');
  const canReport = !!state && (CHECKED_IN.has(state) || waiting.has('check_in'));
  // What the responder did shows at once, marked unsent, until the server's answer replaces it.
  const shownState = !state ? 'none' : waiting.has('check_in') ? 'check_in_unsent' : waiting.has('accept') ? 'accept_unsent' : state;

  const checkIn = () => {
    if (position.status !== 'fix') return;
    const { lng, lat, accuracy_m } = position.fix;
    void onAct({ kind: 'check_in', whistle_id: w.id, body: { lng, lat, accuracy_m: Math.round(accuracy_m * 10) / 10 } });
  };

  return (
    <article className={`whistle-card${late && state && NEEDS_ANSWER.has(state) ? ' whistle-card--late' : ''}`} data-testid="whistle-card" data-whistle-id={w.id} data-state={state ?? ''}>
      <header className="whistle-card__head">
        <h3>{lang === 'en' ? w.title_en : w.title_zh}</h3>
        <span className={`call-state call-state--${shownState}`} data-testid="call-state">
          {t(`responder.state.${shownState}`)}
        </span>
      </header>
      <p className="whistle-card__meta">
        {(lang === 'en' ? w.subdistrict_en : w.subdistrict_zh) ?? ''} · {t('responder.deadline', { time: clock(w.deadline_at) })}
        {state && NEEDS_ANSWER.has(state) ? ' · ' : ''}
        {/* The countdown matters only while the department still has to arrive. */}
        {state && NEEDS_ANSWER.has(state) ? <strong className={late ? 'is-late' : ''}>{late ? t('responder.overdueBy', { min: -minutesLeft }) : t('responder.minutesLeft', { min: minutesLeft })}</strong> : null}
      </p>
      {w.note ? <p className="whistle-card__note">{w.note}</p> : null}
      <p className="whistle-card__fence" data-testid="fence-preview" data-distance={preview ? Math.round(preview.distance_m) : ''} data-inside={preview ? String(preview.inside) : ''}>
        {preview
          ? t(preview.inside ? 'responder.fenceInside' : 'responder.fenceOutside', { distance: formatDistance(preview.distance_m), radius: w.radius_m, accuracy: Math.round(position.status === 'fix' ? position.fix.accuracy_m : 0) })
          : t(`responder.position.${position.status === 'error' ? position.code : 'waiting'}`)}
        {preview && (late || !preview.inside) && canCheckIn ? <span className="will-flag"> {t('responder.willFlag', { why: [late ? t('responder.flagLate') : '', preview.inside ? '' : t('responder.flagOutside')].filter(Boolean).join(t('responder.sep')) })}</span> : null}
      </p>
      {call && CHECKED_IN.has(call.state) ? (
        <p className="whistle-card__done">
          {t('responder.checkedInAt', { time: clock(call.checked_in_at!), distance: formatDistance(call.distance_m ?? 0) })}
          {call.flagged ? <span className="will-flag"> {t('responder.flagged')}</span> : null}
        </p>
      ) : null}
      <div className="whistle-card__actions">
        {canAccept ? (
          <button type="button" data-testid="accept" onClick={() => void onAct({ kind: 'accept', whistle_id: w.id, body: {} })}>
            {t('responder.accept')}
          </button>
        ) : null}
        {canCheckIn ? (
          <button type="button" className="primary" data-testid="check-in" disabled={position.status !== 'fix'} onClick={checkIn}>
            {t('responder.checkIn')}
          </button>
        ) : null}
      </div>
      {canReport ? <ReportForm whistleId={w.id} onAct={onAct} /> : null}
      {pending.length ? (
        <ul className="whistle-card__pending">
          {pending.map((p) => (
            <li key={p.id} className={`pending pending--${p.state}`} data-testid="pending-action" data-kind={p.kind}>
              {t(`responder.kind.${p.kind}`)} · {clock(p.client_at)} · {p.state === 'waiting' ? t('responder.waiting') : t('responder.refused', { why: p.error ?? '' })}
            </li>
          ))}
        </ul>
      ) : null}
    </article>
  );
}

const NEEDS_ANSWER = new Set(['summoned', 'accepted', 'missing']);


/** The report: a note and photos, compressed on the phone as soon as they are picked. */
function ReportForm({ whistleId, onAct }: { whistleId: number; onAct: Act }) {
  const { t } = useI18n();
  const [note, setNote] = useState('');
  const [photos, setPhotos] = useState<PickedPhoto[]>([]);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!note.trim()) return;
    await onAct({ kind: 'report', whistle_id: whistleId, body: { note: note.trim() }, photos: photos.map((p) => p.blob) });
    releasePhotos(photos);
    setPhotos([]);
    setNote('');
  };

  return (
    <div className="report-form">
      <textarea data-testid="report-note" placeholder={t('responder.notePlaceholder')} value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={4000} />
      <PhotoPicker photos={photos} onChange={setPhotos} onBusy={setBusy} testId="report" />
      <button type="button" className="primary" data-testid="report-send" disabled={busy || !note.trim()} onClick={() => void submit()}>
        {t('responder.report')}
      </button>
    </div>
  );
}
