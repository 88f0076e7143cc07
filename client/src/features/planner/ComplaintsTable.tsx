import { useI18n } from '../../app/i18n.tsx';
import type { ComplaintsResponse } from './api.ts';

/** Rows shown: the communities that need a look first; the score orders them. */
const ROWS = 40;

export interface ComplaintsTableProps {
  data: ComplaintsResponse | null;
  categoryNames: string[];
  selected: number | null;
  onSelect: (id: number) => void;
  int: (x: number) => string;
  pct: (x: number) => string;
}

/** Communities where the kind's related complaints are high and its coverage low, ranked by score. */
export function ComplaintsTable({ data, categoryNames, selected, onSelect, int, pct }: ComplaintsTableProps) {
  const { t, lang } = useI18n();
  if (!data) return <p className="muted">{t('planner.loading')}</p>;
  if (data.categories.length === 0) return <p className="muted" data-testid="complaints-none">{t('planner.complaints.none')}</p>;
  const rows = data.communities.filter((c) => c.score > 0).slice(0, ROWS);
  const top = rows[0]?.score || 1;
  return (
    <>
      <p className="muted small complaints-about">
        {t('planner.complaints.about', { categories: categoryNames.join('、'), days: data.window.days, n: int(data.district.complaints), rate: data.district.rate.toFixed(2) })}
      </p>
      <table className="planner-table" data-testid="complaints-table">
        <thead>
          <tr>
            <th>{t('planner.col.community')}</th>
            <th>{t('planner.col.complaints')}</th>
            <th>{t('planner.col.rate')}</th>
            <th>{t('planner.col.share')}</th>
            <th>{t('planner.col.gapScore')} ▼</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id} data-unit-id={c.id} className={selected === c.id ? 'selected' : ''} onClick={() => onSelect(c.id)}>
              <td>{lang === 'en' ? c.name_en : c.name_zh}</td>
              <td data-value={c.complaints}>{int(c.complaints)}</td>
              <td>{c.rate.toFixed(2)}</td>
              <td>{pct(c.share)}</td>
              <td data-value={c.score}>
                <span className="bar"><i style={{ width: `${(100 * c.score) / top}%`, background: 'var(--complaint, #be6eeb)' }} /></span>
                {c.score.toFixed(2)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">{t('planner.complaints.rule')}</p>
    </>
  );
}
