import { useI18n } from '../../app/i18n.tsx';
import type { Site, SitePlace, WhatIfResponse } from './api.ts';

/** The most candidates the compare panel shows side by side. */
export const COMPARE_MAX = 3;

/** A site named as a planner says where it is: the street, in which community. */
export function siteName(place: SitePlace | null | undefined, lang: string, fallback: string): string {
  const community = lang === 'en' ? place?.community_en : place?.community_zh;
  const parts = [place?.street, community].filter((x): x is string => Boolean(x));
  return parts.length ? parts.join(' · ') : fallback;
}

export interface SitesCardProps {
  sites: Site[];
  /** Each site alone against today's coverage, by rank, once computed. */
  evals: Map<number, WhatIfResponse>;
  focused: number | null;
  compared: number[];
  adopted: Map<number, number>;
  canAdopt: boolean;
  adopting: number | null;
  onFocus: (rank: number) => void;
  onCompare: (rank: number) => void;
  onAdopt: (site: Site) => void;
  int: (x: number) => string;
}

/** The suggested sites: named, with what each adds, to focus, compare and adopt. */
export function SitesCard({ sites, evals, focused, compared, adopted, canAdopt, adopting, onFocus, onCompare, onAdopt, int }: SitesCardProps) {
  const { t, lang } = useI18n();
  if (sites.length === 0) return <p className="muted">{t('planner.siting.none')}</p>;
  return (
    <ol className="sites" data-testid="sites">
      {sites.map((s) => {
        const on = compared.includes(s.rank);
        const full = !on && compared.length >= COMPARE_MAX;
        const plannedId = adopted.get(s.rank);
        return (
          <li key={s.rank} data-testid={`site-${s.rank}`} className={focused === s.rank ? 'focused' : ''}>
            <button type="button" className="site-name" onClick={() => onFocus(s.rank)} title={t('planner.siting.focus')}>
              <span className="rank">{s.rank}</span>
              <span className="name">{siteName(s.place, lang, `${s.lon.toFixed(4)}, ${s.lat.toFixed(4)}`)}</span>
            </button>
            <span className="adds" data-value={s.added_population}>
              +{int(s.added_population)}
              {evals.has(s.rank) ? '' : '…'}
            </span>
            <label className={`compare ${full ? 'disabled' : ''}`} title={full ? t('planner.compare.full', { n: COMPARE_MAX }) : t('planner.compare.add')}>
              <input type="checkbox" checked={on} disabled={full} onChange={() => onCompare(s.rank)} data-testid={`compare-${s.rank}`} />
              {t('planner.compare.short')}
            </label>
            {canAdopt &&
              (plannedId !== undefined ? (
                <span className="adopted" data-testid={`adopted-${s.rank}`} data-id={plannedId}>{t('planner.adopt.done')}</span>
              ) : (
                <button type="button" className="adopt" disabled={adopting !== null} onClick={() => onAdopt(s)} data-testid={`adopt-${s.rank}`}>
                  {adopting === s.rank ? '…' : t('planner.adopt.button')}
                </button>
              ))}
          </li>
        );
      })}
    </ol>
  );
}
