import { useState } from 'react';
import { distance } from '@turf/turf';
import { useI18n } from '../../app/i18n.tsx';
import type { ResponderSiteView } from '../operations/api.ts';
import type { PositionState } from './use-position.ts';
import type { QueuedAction } from './outbox.ts';
import type { Act } from './WhistleCard.tsx';
import { PhotoPicker, releasePhotos, type PickedPhoto } from './PhotoPicker.tsx';
import { clock, formatDistance } from './format.ts';

/**
 * The step a responder takes next at a site, as the server's workflow has it: a pending site is
 * started with before photos, one in progress is cleared with after photos (taken since it went
 * in progress), a cleared one waits for the commander to verify it.
 */
const STEP = {
  pending: { stage: 'before', kind: 'site_start', label: 'responder.site.start' },
  in_progress: { stage: 'after', kind: 'site_clear', label: 'responder.site.clear' },
} as const;

/** One clearance-operation site of the department: where, how far, its state, and its next step. */
export function SiteCard({ site, pending, position, onAct }: { site: ResponderSiteView; pending: QueuedAction[]; position: PositionState; onAct: Act }) {
  const { t } = useI18n();
  const [photos, setPhotos] = useState<PickedPhoto[]>([]);
  const [busy, setBusy] = useState(false);
  const waiting = pending.filter((p) => p.state === 'waiting');
  const queuedStep = waiting.find((p) => p.kind === 'site_start' || p.kind === 'site_clear');
  // What the responder did shows at once, marked unsent, until the server's answer replaces it.
  const shown = queuedStep ? (queuedStep.kind === 'site_start' ? 'in_progress' : 'cleared') : site.status;
  const step = !queuedStep && (site.status === 'pending' || site.status === 'in_progress') ? STEP[site.status] : undefined;
  // The server wants a before photo to start, and an after photo taken since the site went in
  // progress to clear; photos already on the server or already queued count.
  const since = Date.parse(site.status_at);
  const hasPhoto =
    !!step &&
    (photos.length > 0 ||
      waiting.some((p) => p.kind === 'site_photos' && p.body.stage === step.stage) ||
      site.photos.some((ph) => ph.stage === step.stage && (step.stage === 'before' || Date.parse(ph.uploaded_at) >= since)));
  const away = position.status === 'fix' ? distance([position.fix.lng, position.fix.lat], [site.lng, site.lat], { units: 'meters' }) : null;

  const go = async () => {
    if (!step) return;
    const target = { operation_id: site.operation_id, site_id: site.id, label: site.label };
    // Photos first, then the step: the outbox sends them in this order, so the server has the
    // photo when the step arrives.
    if (photos.length) await onAct({ kind: 'site_photos', site: target, body: { stage: step.stage }, photos: photos.map((p) => p.blob) });
    await onAct({ kind: step.kind, site: target, body: {} });
    releasePhotos(photos);
    setPhotos([]);
  };

  return (
    <article className={`whistle-card site-card site-card--${shown}`} data-testid="site-card" data-site-id={site.id} data-status={site.status}>
      <header className="whistle-card__head">
        <h3>{site.label}</h3>
        <span className={`call-state site-state site-state--${shown}${queuedStep ? ' site-state--unsent' : ''}`} data-testid="site-state">
          {t(`operations.status.${shown}`)}
          {queuedStep ? ` · ${t('responder.unsentShort')}` : ''}
        </span>
      </header>
      <p className="whistle-card__meta">
        {site.operation_title}
        {away !== null ? ` · ${t('responder.site.away', { distance: formatDistance(away) })}` : ''}
      </p>
      {site.status === 'in_progress' && site.sent_back_note ? <p className="will-flag">{t('operations.sentBack', { note: site.sent_back_note })}</p> : null}
      {site.status === 'cleared' && !queuedStep ? <p className="whistle-card__done">{t('responder.site.awaitingVerify')}</p> : null}
      {step ? (
        <div className="report-form">
          <p className="site-card__hint">{t(`responder.site.photoHint.${step.stage}`)}</p>
          <PhotoPicker photos={photos} onChange={setPhotos} onBusy={setBusy} testId="site" />
          <button type="button" className="primary" data-testid="site-step" disabled={busy || !hasPhoto} onClick={() => void go()}>
            {t(step.label)}
          </button>
        </div>
      ) : null}
      {pending.length ? (
        <ul className="whistle-card__pending">
          {pending.map((p) => (
            <li key={p.id} className={`pending pending--${p.state}`} data-testid="pending-action" data-kind={p.kind}>
              {t(`responder.kind.${p.kind}`)}
              {p.photos.length ? ` · ${t('responder.photos', { n: p.photos.length })}` : ''} · {clock(p.client_at)} ·{' '}
              {p.state === 'waiting' ? t('responder.waiting') : t('responder.refused', { why: p.error ?? '' })}
            </li>
          ))}
        </ul>
      ) : null}
    </article>
  );
}
