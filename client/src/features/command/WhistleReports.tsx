import { useCallback, useEffect, useState } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import { useLiveEvent } from '../../live/index.ts';
import { commandApi, type WhistleDetail } from './api.ts';
import { shortTime } from './format.ts';

/**
 * What the summoned departments reported from the site: each report's note, its photos (the
 * server's copies, EXIF stripped) and whether a photo's capture time or place disagreed with
 * the whistle. Read when the commander opens the whistle, and again on each report pushed for it.
 */
export function WhistleReports({ whistleId }: { whistleId: number }) {
  const { t, lang } = useI18n();
  const [detail, setDetail] = useState<WhistleDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    commandApi
      .whistle(whistleId)
      .then((d) => {
        setDetail(d);
        setError(null);
      })
      .catch((err: Error) => setError(err.message));
  }, [whistleId]);
  useEffect(load, [load]);
  useLiveEvent('whistle.reported', (e) => e.whistle.id === whistleId && load());
  useLiveEvent('live.reconnected', load);

  if (error) return <p className="cmd-error" role="alert">{error}</p>;
  if (!detail) return <p className="cmd-empty">{t('command.reports.loading')}</p>;
  const name = (code: string) => {
    const c = detail.calls.find((x) => x.department_code === code);
    return c ? (lang === 'en' ? c.department_en : c.department_zh) : code;
  };
  return (
    <section className="cmd-reports" data-testid="whistle-reports" data-count={detail.reports.length}>
      <h4>{t('command.reports.title', { n: detail.reports.length })}</h4>
      {detail.reports.length === 0 ? <p className="cmd-empty">{t('command.reports.none')}</p> : null}
      <ol>
        {detail.reports.map((r) => (
          <li key={r.id} data-report-id={r.id}>
            <div className="cmd-report__head">
              <strong>{name(r.department_code)}</strong>
              <span>{shortTime(r.server_at, lang)}</span>
            </div>
            <p className="cmd-report__note">{r.note}</p>
            {r.photos.length ? (
              <div className="cmd-report__photos">
                {r.photos.map((p, i) => (
                  <a key={p.id} href={p.url} target="_blank" rel="noreferrer" className={p.exif_mismatch ? 'is-mismatch' : ''} title={p.exif_mismatch ? t('command.reports.mismatch') : undefined}>
                    <img src={p.url} alt={t('command.reports.photo', { n: i + 1 })} loading="lazy" data-testid="report-thumb" />
                    {p.exif_mismatch ? <span className="cmd-report__flag">{t('command.reports.mismatchShort')}</span> : null}
                  </a>
                ))}
              </div>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
