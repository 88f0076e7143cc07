import { useEffect, useMemo, useRef, useState } from 'react';
import type { Map as MaplibreMap, MapMouseEvent } from 'maplibre-gl';
import type { FeatureCollection } from 'geojson';
import { useI18n } from '../../app/i18n.tsx';
import { addSite, closeOperation, createOperation, importSites, listDepartments, readImportFile, transitionSite, type ImportResult, type OperationDetail } from './api.ts';
import { installOperationLayers, showDraft, showOperation } from './map-layers.ts';
import { useOperations } from './use-operations.ts';
import './operations.css';

/** What a map click does while the panel is open: nothing, a corner of the area being drawn, or a new site. */
type ClickMode = 'none' | 'area' | 'site';

export interface OperationsPanelProps {
  /**
   * The host view's MapLibre map (null until it has loaded). The panel draws the selected
   * operation's area and sites on it, and listens for clicks only while the commander draws
   * an area or places sites.
   */
  map: MaplibreMap | null;
}

function asFeatures(op: OperationDetail | null): FeatureCollection {
  if (!op) return { type: 'FeatureCollection', features: [] };
  return {
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', properties: { id: op.id }, geometry: op.area as GeoJSON.Polygon },
      ...op.sites.map((s) => ({ type: 'Feature' as const, properties: { id: s.id, status: s.status, label: s.label }, geometry: { type: 'Point' as const, coordinates: [s.lng, s.lat] } })),
    ],
  };
}

/**
 * The commander's clearance operations (专项整治): the open ones with their progress, a form
 * to open one by drawing its area on the map, and the selected one's sites — added by clicking
 * or by importing a CSV / GeoJSON file (previewed with a dry run first) — with their photos,
 * to verify or send back; and closing.
 */
export function OperationsPanel({ map }: OperationsPanelProps) {
  const { t, lang } = useI18n();
  const ops = useOperations();
  const [mode, setMode] = useState<ClickMode>('none');
  const [creating, setCreating] = useState(false);
  const [title, setTitle] = useState('');
  const [codes, setCodes] = useState<string[]>([]);
  const [corners, setCorners] = useState<[number, number][]>([]);
  const [departments, setDepartments] = useState<{ code: string; name_zh: string; name_en: string; kind: string }[]>([]);
  const [siteLabel, setSiteLabel] = useState('');
  const [preview, setPreview] = useState<{ file: { csv?: string; geojson?: unknown }; result: ImportResult } | null>(null);
  const [note, setNote] = useState('');
  const selected = ops.selected;

  useEffect(() => {
    listDepartments()
      .then((d) => setDepartments(d.filter((x) => x.kind !== 'subdistrict')))
      .catch(() => {});
  }, []);

  useEffect(() => (map ? installOperationLayers(map) : undefined), [map]);
  useEffect(() => {
    if (map) showOperation(map, asFeatures(selected));
  }, [map, selected]);
  useEffect(() => {
    if (map) showDraft(map, corners);
  }, [map, corners]);

  // Map clicks, only while drawing: the latest state through a ref, so one handler serves all.
  const clickRef = useRef<(lngLat: [number, number]) => void>(() => {});
  clickRef.current = (p) => {
    if (mode === 'area') setCorners((c) => [...c, p]);
    if (mode === 'site' && selected) {
      const label = siteLabel.trim() || t('operations.siteDefault', { n: selected.sites.length + 1 });
      void ops.run(() => addSite(selected.id, { lng: p[0], lat: p[1], label }));
      setSiteLabel('');
    }
  };
  useEffect(() => {
    if (!map || mode === 'none') return;
    const onClick = (e: MapMouseEvent) => clickRef.current([e.lngLat.lng, e.lngLat.lat]);
    map.on('click', onClick);
    map.getCanvas().style.cursor = 'crosshair';
    return () => {
      map.off('click', onClick);
      map.getCanvas().style.cursor = '';
    };
  }, [map, mode]);

  const create = async () => {
    await ops.run(async () => {
      const op = await createOperation({ title: title.trim(), department_codes: codes, area: { type: 'Polygon', coordinates: [corners] } });
      ops.select(op.id);
      setCreating(false);
      setTitle('');
      setCodes([]);
      setCorners([]);
      setMode('none');
    });
  };

  const onFile = async (file: File | undefined) => {
    if (!file || !selected) return;
    try {
      const parsed = await readImportFile(file);
      setPreview({ file: parsed, result: await importSites(selected.id, parsed, true) });
      ops.setError(null);
    } catch (err) {
      ops.setError((err as Error).message);
    }
  };

  const name = (d: { name_zh: string; name_en: string }) => (lang === 'en' ? d.name_en : d.name_zh);
  const progressText = (p: { verified: number; total: number }) => t('operations.progress', { verified: p.verified, total: p.total });
  const sorted = useMemo(() => [...(selected?.sites ?? [])].sort((a, b) => Number(b.status === 'cleared') - Number(a.status === 'cleared') || a.id - b.id), [selected]);

  return (
    <section className="ops-panel" data-testid="operations-panel">
      <header className="ops-panel__head">
        <h2>{t('operations.title')}</h2>
        {!creating && (
          <button type="button" onClick={() => { setCreating(true); ops.select(null); setMode('area'); setCorners([]); }} data-testid="operations-new">
            {t('operations.new')}
          </button>
        )}
      </header>
      {ops.error && <p className="ops-panel__error" role="alert">{ops.error}</p>}

      {creating && (
        <form className="ops-form" onSubmit={(e) => { e.preventDefault(); void create(); }} data-testid="operations-form">
          <label>
            {t('operations.field.title')}
            <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} required />
          </label>
          <fieldset>
            <legend>{t('operations.field.departments')}</legend>
            {departments.map((d) => (
              <label key={d.code} className="ops-check">
                <input type="checkbox" checked={codes.includes(d.code)} onChange={(e) => setCodes((c) => (e.target.checked ? [...c, d.code] : c.filter((x) => x !== d.code)))} />
                {name(d)}
              </label>
            ))}
          </fieldset>
          <p className="ops-hint">{t('operations.drawHint', { n: corners.length })}</p>
          <div className="ops-actions">
            <button type="button" onClick={() => setCorners((c) => c.slice(0, -1))} disabled={!corners.length}>{t('operations.undoCorner')}</button>
            <button type="submit" disabled={corners.length < 3 || !title.trim() || !codes.length}>{t('operations.create')}</button>
            <button type="button" onClick={() => { setCreating(false); setMode('none'); setCorners([]); }}>{t('operations.cancel')}</button>
          </div>
        </form>
      )}

      {!creating && !selected && (
        <ul className="ops-list" data-testid="operations-list">
          {ops.operations === null && <li className="ops-hint">{t('operations.loading')}</li>}
          {ops.operations?.length === 0 && <li className="ops-hint">{t('operations.none')}</li>}
          {ops.operations?.map((o) => (
            <li key={o.id}>
              <button type="button" className="ops-list__item" onClick={() => ops.select(o.id)} data-operation-id={o.id}>
                <span className="ops-list__title">{o.title}</span>
                <span className="ops-bar" aria-hidden><i style={{ width: `${Math.round(o.progress.progress * 100)}%` }} /></span>
                <span className="ops-list__figures">
                  {progressText(o.progress)} · {t('operations.counts', { pending: o.progress.pending, in_progress: o.progress.in_progress, cleared: o.progress.cleared })}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}

      {!creating && selected && (
        <div className="ops-detail" data-testid="operations-detail" data-operation-id={selected.id}>
          <button type="button" className="ops-back" onClick={() => { ops.select(null); setMode('none'); setPreview(null); }}>{t('operations.back')}</button>
          <h3>{selected.title}</h3>
          <p className="ops-list__figures">{progressText(selected.progress)} · {selected.departments.map(name).join('、')}</p>
          <div className="ops-actions">
            <input value={siteLabel} onChange={(e) => setSiteLabel(e.target.value)} placeholder={t('operations.siteLabel')} maxLength={200} />
            <button type="button" className={mode === 'site' ? 'is-on' : ''} aria-pressed={mode === 'site'} onClick={() => setMode(mode === 'site' ? 'none' : 'site')}>
              {t(mode === 'site' ? 'operations.stopAdding' : 'operations.addByClick')}
            </button>
            <label className="ops-file">
              {t('operations.import')}
              <input type="file" accept=".csv,.json,.geojson,text/csv,application/geo+json" onChange={(e) => { void onFile(e.target.files?.[0]); e.target.value = ''; }} />
            </label>
          </div>
          {preview && (
            <div className="ops-preview" data-testid="operations-import-preview">
              <p>{t('operations.importPreview', { ok: preview.result.sites.length, bad: preview.result.errors.length })}</p>
              {preview.result.errors.length > 0 && (
                <ul className="ops-errors">
                  {preview.result.errors.slice(0, 8).map((e) => <li key={`${e.row}-${e.reason}`}>{t('operations.importRow', { row: e.row, reason: e.reason })}</li>)}
                </ul>
              )}
              <div className="ops-actions">
                <button type="button" disabled={preview.result.errors.length > 0 || !preview.result.sites.length} onClick={() => { const f = preview.file; setPreview(null); void ops.run(() => importSites(selected.id, f, false)); }}>
                  {t('operations.importConfirm')}
                </button>
                <button type="button" onClick={() => setPreview(null)}>{t('operations.cancel')}</button>
              </div>
            </div>
          )}
          <ul className="ops-sites">
            {sorted.map((s) => (
              <li key={s.id} data-site-id={s.id} data-status={s.status}>
                <span className={`ops-status ops-status--${s.status}`}>{t(`operations.status.${s.status}`)}</span>
                <span className="ops-sites__label">{s.label}</span>
                <span className="ops-photos">
                  {s.photos.map((p) => (
                    <a key={p.id} href={p.url} target="_blank" rel="noreferrer" title={t(`operations.stage.${p.stage}`)} className={p.exif_mismatch ? 'is-flagged' : ''}>
                      <img src={p.url} alt={t(`operations.stage.${p.stage}`)} loading="lazy" />
                    </a>
                  ))}
                </span>
                {s.status === 'cleared' && (
                  <span className="ops-actions">
                    <button type="button" onClick={() => void ops.run(() => transitionSite(selected.id, s.id, 'verify'))}>{t('operations.verify')}</button>
                    <button type="button" disabled={!note.trim()} title={t('operations.sendBackHint')} onClick={() => { const n = note; setNote(''); void ops.run(() => transitionSite(selected.id, s.id, 'send_back', n)); }}>
                      {t('operations.sendBack')}
                    </button>
                  </span>
                )}
                {s.sent_back_note && s.status === 'in_progress' && <span className="ops-hint">{t('operations.sentBack', { note: s.sent_back_note })}</span>}
              </li>
            ))}
          </ul>
          <div className="ops-actions">
            <input value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('operations.note')} maxLength={2000} />
            <button type="button" onClick={() => { const n = note; setNote(''); void ops.run(async () => { await closeOperation(selected.id, n || undefined); ops.select(null); }); }}>
              {t('operations.close')}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
