import { useI18n } from '../../app/i18n.tsx';
import type { WhistleView } from '../../../../server/src/whistles/schemas.ts';
import { dismiss, type QueuedAction } from './outbox.ts';
import { clock } from './format.ts';

/** What is still unsent (and what the server refused), in the order it will go, with "send now". */
export function OutboxPanel({ entries, whistles, sending, stoppedBy, onSendNow }: { entries: QueuedAction[]; whistles: WhistleView[]; sending: boolean; stoppedBy?: string; onSendNow: () => void }) {
  const { t, lang } = useI18n();
  if (!entries.length) return null;
  const waiting = entries.filter((e) => e.state === 'waiting').length;
  const title = (id: number) => {
    const w = whistles.find((x) => x.id === id);
    return w ? (lang === 'en' ? w.title_en : w.title_zh) : `#${id}`;
  };
  return (
    <section className="outbox" data-testid="outbox" data-waiting={waiting} aria-labelledby="outbox-title">
      <header className="outbox__head">
        <h2 id="outbox-title">{t('responder.unsent', { n: waiting })}</h2>
        <button type="button" data-testid="send-now" onClick={onSendNow} disabled={sending || !waiting}>
          {sending ? t('responder.sending') : t('responder.sendNow')}
        </button>
      </header>
      {stoppedBy && waiting ? <p className="outbox__why">{t('responder.willRetry')}</p> : null}
      <ol className="outbox__list">
        {entries.map((e) => (
          <li key={e.id} className={`pending pending--${e.state}`} data-testid="outbox-entry" data-kind={e.kind} data-client-at={e.client_at}>
            <span className="outbox__kind">
              {t(`responder.kind.${e.kind}`)}
              {e.photos.length ? ` · ${t('responder.photos', { n: e.photos.length })}` : ''}
            </span>
            <span className="outbox__what">{e.site ? e.site.label : title(e.whistle_id!)}</span>
            <span className="outbox__time">{clock(e.client_at)}</span>
            {e.state === 'rejected' ? (
              <span className="outbox__refused">
                {t('responder.refused', { why: e.error ?? '' })}{' '}
                <button type="button" onClick={() => void dismiss(e.id!)}>
                  {t('responder.dismiss')}
                </button>
              </span>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
