import { useCallback, useEffect, useState } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import { listMySites, type SiteView } from './api.ts';
import './operations.css';

/**
 * A responder's operation sites: those of open operations involving its department, not yet
 * verified, under way first. `onOpen` lets the host show a site (its map, its photo form);
 * `refreshKey` (e.g. the last `operation.*` seq from the live module) re-reads the list.
 */
export function OperationSites({ onOpen, refreshKey }: { onOpen?: (site: SiteView & { operation_title: string }) => void; refreshKey?: unknown }) {
  const { t } = useI18n();
  const [sites, setSites] = useState<(SiteView & { operation_title: string })[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    listMySites()
      .then((s) => {
        setSites(s);
        setError(null);
      })
      .catch((err: Error) => setError(err.message));
  }, []);
  useEffect(load, [load, refreshKey]);
  return (
    <section className="ops-panel ops-panel--phone" data-testid="operation-sites">
      <h2>{t('operations.mySites')}</h2>
      {error && <p className="ops-panel__error" role="alert">{error}</p>}
      {sites?.length === 0 && <p className="ops-hint">{t('operations.noSites')}</p>}
      <ul className="ops-sites">
        {sites?.map((s) => (
          <li key={s.id} data-site-id={s.id} data-status={s.status}>
            <button type="button" className="ops-list__item" onClick={() => onOpen?.(s)}>
              <span className={`ops-status ops-status--${s.status}`}>{t(`operations.status.${s.status}`)}</span>
              <span className="ops-sites__label">{s.label}</span>
              <span className="ops-list__figures">{s.operation_title}</span>
              {s.status === 'in_progress' && s.sent_back_note && <span className="ops-hint">{t('operations.sentBack', { note: s.sent_back_note })}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
