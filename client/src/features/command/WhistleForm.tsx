import { useState, type FormEvent } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import type { Department } from './api.ts';

/** Where the whistle is blown: a case (its site) or a point clicked on the map. */
export type WhistleSite = { kind: 'case'; caseId: number; lng: number; lat: number; title: string; department_id: number | null } | { kind: 'point'; lng: number; lat: number };

export interface WhistleDraft {
  title: string;
  note: string;
  department_codes: string[];
  deadline_minutes: number;
  radius_m: number;
}

const DEADLINES = [15, 30, 45, 60, 90, 120];
/** The server's default geofence radius (README → Whistles, check-in rule). */
const DEFAULT_RADIUS_M = 100;

/** Blow a whistle: what, which departments, by when, and how near counts as on site. */
export function WhistleForm({
  site,
  departments,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  site: WhistleSite;
  departments: Department[];
  busy: boolean;
  error: string | null;
  onSubmit: (d: WhistleDraft) => void;
  onCancel: () => void;
}) {
  const { t, lang } = useI18n();
  const [title, setTitle] = useState(site.kind === 'case' ? site.title : '');
  const [note, setNote] = useState('');
  const preselected = site.kind === 'case' ? departments.find((d) => d.id === site.department_id)?.code : undefined;
  const [codes, setCodes] = useState<string[]>(preselected ? [preselected] : []);
  const [deadline, setDeadline] = useState(30);
  const [radius, setRadius] = useState(DEFAULT_RADIUS_M);
  const toggle = (code: string) => setCodes((prev) => (prev.includes(code) ? prev.filter((c) => c !== code) : [...prev, code]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit({ title: title.trim(), note: note.trim(), department_codes: codes, deadline_minutes: deadline, radius_m: radius });
  };
  return (
    <form className="cmd-whistle-form" onSubmit={submit} data-testid="whistle-form">
      <h3>{t('command.whistle.newTitle')}</h3>
      <p className="cmd-muted" data-testid="whistle-site">
        {site.kind === 'case' ? t('command.whistle.siteCase', { id: site.caseId }) : t('command.whistle.sitePoint', { lng: site.lng.toFixed(5), lat: site.lat.toFixed(5) })}
      </p>
      <label>
        {t('command.whistle.title')}
        <input name="title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
      </label>
      <label>
        {t('command.whistle.note')}
        <textarea name="note" value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={2000} />
      </label>
      <fieldset className="cmd-departments">
        <legend>{t('command.whistle.departments', { n: codes.length })}</legend>
        {departments.map((d) => (
          <label key={d.code} className={`cmd-chip-check ${codes.includes(d.code) ? 'is-on' : ''}`}>
            <input type="checkbox" name="department" value={d.code} checked={codes.includes(d.code)} onChange={() => toggle(d.code)} />
            {lang === 'en' ? d.name_en : d.name_zh}
          </label>
        ))}
      </fieldset>
      <div className="cmd-row">
        <label>
          {t('command.whistle.deadline')}
          <select name="deadline" value={deadline} onChange={(e) => setDeadline(Number(e.target.value))}>
            {DEADLINES.map((m) => (
              <option key={m} value={m}>{t('command.whistle.minutes', { m })}</option>
            ))}
          </select>
        </label>
        <label>
          {t('command.whistle.radius')}
          <input name="radius" type="number" min={10} max={2000} step={10} value={radius} onChange={(e) => setRadius(Number(e.target.value))} />
        </label>
      </div>
      {error && <p className="cmd-error" role="alert">{error}</p>}
      <div className="cmd-buttons">
        <button type="submit" className="cmd-whistle-btn" disabled={busy || !title.trim() || codes.length === 0} data-testid="whistle-submit">
          {t('command.whistle.blow')}
        </button>
        <button type="button" onClick={onCancel}>{t('command.cancel')}</button>
      </div>
    </form>
  );
}
