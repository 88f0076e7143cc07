import { useI18n } from '../../app/i18n.tsx';
import type { Site, WhatIfResponse } from './api.ts';
import { siteName } from './SitesCard.tsx';

/** How many units with the largest change each candidate lists. */
const UNITS_SHOWN = 3;

export interface ComparePanelProps {
  candidates: Array<{ site: Site; result: WhatIfResponse | undefined }>;
  onClose: () => void;
  int: (x: number) => string;
  pct: (x: number) => string;
}

/**
 * Up to three candidates side by side, each alone against today's coverage (not after the
 * sites ranked before it, as the ranking counts): residents and buildings newly covered, the
 * share afterwards and the communities that gain most.
 */
export function ComparePanel({ candidates, onClose, int, pct }: ComparePanelProps) {
  const { t, lang } = useI18n();
  const name = (u: { name_zh: string; name_en: string }) => (lang === 'en' ? u.name_en : u.name_zh);
  return (
    <section className="planner-compare" data-testid="compare-panel" style={{ ['--cols' as string]: candidates.length }}>
      <header>
        <h2>{t('planner.compare.title')}</h2>
        <button type="button" className="link" onClick={onClose}>{t('planner.compare.close')}</button>
      </header>
      <div className="compare-grid">
        <span />
        {candidates.map(({ site }) => (
          <b key={site.rank} className="compare-head"><span className="rank">{site.rank}</span>{siteName(site.place, lang, `${site.lon.toFixed(4)}, ${site.lat.toFixed(4)}`)}</b>
        ))}
        <span className="compare-label">{t('planner.compare.people')}</span>
        {candidates.map(({ site, result }) => (
          <b key={site.rank} className="compare-big" data-testid={`compare-people-${site.rank}`} data-value={result?.delta.population_covered ?? ''}>
            {result ? `+${int(result.delta.population_covered)}` : '…'}
          </b>
        ))}
        <span className="compare-label">{t('planner.compare.buildings')}</span>
        {candidates.map(({ site, result }) => (
          <span key={site.rank} data-testid={`compare-buildings-${site.rank}`} data-value={result?.delta.buildings_gained ?? ''}>{result ? `+${int(result.delta.buildings_gained)}` : '…'}</span>
        ))}
        <span className="compare-label">{t('planner.compare.after')}</span>
        {candidates.map(({ site, result }) => (
          <span key={site.rank}>{result ? `${pct(result.before.share)} → ${pct(result.after.share)}` : '…'}</span>
        ))}
        <span className="compare-label">{t('planner.compare.units')}</span>
        {candidates.map(({ site, result }) => (
          <ul key={site.rank} className="compare-units">
            {(result?.units ?? [])
              .filter((u) => u.level === 'community')
              .sort((a, b) => b.delta - a.delta)
              .slice(0, UNITS_SHOWN)
              .map((u) => (
                <li key={u.id}>
                  <span>{name(u)}</span> <b>+{int(u.delta)}</b>
                </li>
              ))}
          </ul>
        ))}
      </div>
      <p className="muted small">{t('planner.compare.note')}</p>
    </section>
  );
}
