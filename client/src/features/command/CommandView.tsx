import { useCallback, useEffect, useMemo, useState } from 'react';
import type { FeatureCollection } from 'geojson';
import { ViewHeader } from '../../app/ViewHeader.tsx';
import { useI18n } from '../../app/i18n.tsx';
import { useMe } from '../auth/auth.tsx';
import { getJson } from '../../lib/api.ts';
import { useCases, useLiveConnection, useLiveEvent, useStale, useWhistleFeed, useWhistles } from '../../live/index.ts';
import type { CaseAction } from '../../../../server/src/cases/state-machine.ts';
import { commandApi, type CaseDetail as Detail, type CaseSummary, type Category, type Department, type WhistleView } from './api.ts';
import { CaseQueue, EMPTY_FILTER, isOverdue, type QueueFilter } from './CaseQueue.tsx';
import { CaseDetail } from './CaseDetail.tsx';
import { WhistleForm, type WhistleDraft, type WhistleSite } from './WhistleForm.tsx';
import { ArrivalBoard } from './ArrivalBoard.tsx';
import { CommandMap } from './CommandMap.tsx';
import { OperationsPanel } from '../operations/OperationsPanel.tsx';
import type { Map as MaplibreMap } from 'maplibre-gl';
import './command.css';

/** The screen calls its data stale after this long without a heartbeat (three beats). */
const STALE_AFTER_MS = 15_000;

type SideTab = 'whistles' | 'operations';

const isOpenWhistle = (w: WhistleView) => w.status === 'open';
const isClosedWhistle = (w: WhistleView) => w.status !== 'open';
const byDeadline = (a: WhistleView, b: WhistleView) => a.deadline_at.localeCompare(b.deadline_at) || a.id - b.id;

/** Ticks once a second, for countdowns and "overdue" turning by the clock. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * The street commander's view (战区司令): the subdistrict's case queue and a case's history and
 * actions on the left, the map in the middle, the whistles' live arrival board (and, next to it,
 * the clearance operations) on the right. Everything live comes from the page's one live
 * connection; everything else is the REST API, scoped by the server to the commander's subdistrict.
 */
export function CommandView() {
  const { t, lang } = useI18n();
  const me = useMe();
  const live = useLiveConnection();
  const now = useNow();
  const { stale } = useStale(STALE_AFTER_MS);
  const ownSubdistrict = me?.subdistrict_id ?? null;
  const role = me?.role ?? 'viewer';

  const [departments, setDepartments] = useState<Department[]>([]);
  const [categories, setCategories] = useState<Category[]>([]);
  const [subdistricts, setSubdistricts] = useState<FeatureCollection | null>(null);
  const [casesLoaded, setCasesLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [filter, setFilter] = useState<QueueFilter>(EMPTY_FILTER);
  const [selectedCase, setSelectedCase] = useState<number | null>(null);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [selectedWhistle, setSelectedWhistle] = useState<number | null>(null);
  const [compose, setCompose] = useState<WhistleSite | null>(null);
  const [tab, setTab] = useState<SideTab>('whistles');
  const [map, setMap] = useState<MaplibreMap | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    commandApi.departments().then((d) => setDepartments(d.filter((x) => x.kind !== 'subdistrict')), (e: Error) => setLoadError(e.message));
    commandApi.categories().then(setCategories, () => {});
    getJson<FeatureCollection>('/api/admin-units?level=subdistrict').then(setSubdistricts, () => {});
  }, []);

  // The open cases: read once and after every reconnection; pushes keep them current between reads.
  const [casesRound, setCasesRound] = useState(0);
  useEffect(() => {
    let alive = true;
    const asOf = live.snapshot.seq;
    commandApi.openCases().then(
      (list) => {
        if (!alive) return;
        live.seedCases(list.items, asOf, () => true);
        setCasesLoaded(true);
      },
      (e: Error) => alive && setLoadError(e.message),
    );
    return () => {
      alive = false;
    };
  }, [live, casesRound]);
  const reloadCases = useCallback(() => setCasesRound((r) => r + 1), []);
  useLiveEvent('live.reconnected', reloadCases);
  useLiveEvent('replay.skipped', reloadCases);

  const openCaseFilter = useCallback(
    (c: CaseSummary) => !['closed', 'evaluated', 'rejected'].includes(c.status) && (ownSubdistrict === null || c.subdistrict_id === ownSubdistrict),
    [ownSubdistrict],
  );
  const cases = useCases(openCaseFilter);

  // The selected case's detail, re-read whenever a push says it changed.
  const loadDetail = useCallback((id: number) => {
    commandApi.caseDetail(id).then(
      (d) => setDetail((prev) => (prev === null || prev.id === id || d.id === id ? d : prev)),
      (e: Error) => setActionError(e.message),
    );
  }, []);
  useEffect(() => {
    setDetail(null);
    setActionError(null);
    if (selectedCase !== null) loadDetail(selectedCase);
  }, [selectedCase, loadDetail]);
  const onCaseEvent = (e: { case: CaseSummary }) => {
    if (e.case.id === selectedCase) loadDetail(e.case.id);
  };
  useLiveEvent('case.updated', onCaseEvent);
  useLiveEvent('case.commented', onCaseEvent);

  useWhistleFeed('active');
  const openWhistles = useWhistles(isOpenWhistle);
  const closedWhistles = useWhistles(isClosedWhistle);
  const board = useMemo(() => [...openWhistles].sort(byDeadline), [openWhistles]);

  const act = async (action: CaseAction, fields: { note?: string; department_code?: string }) => {
    if (selectedCase === null) return;
    setBusy(true);
    setActionError(null);
    try {
      live.putCase(await commandApi.transition(selectedCase, { action, ...fields }));
      loadDetail(selectedCase);
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const blow = async (d: WhistleDraft) => {
    if (!compose) return;
    setBusy(true);
    setActionError(null);
    try {
      const where = compose.kind === 'case' ? { case_id: compose.caseId } : { lng: compose.lng, lat: compose.lat };
      const w = await commandApi.blow({ ...where, title: d.title, note: d.note || undefined, department_codes: d.department_codes, deadline_minutes: d.deadline_minutes, radius_m: d.radius_m });
      live.putWhistle(w);
      setCompose(null);
      setSelectedWhistle(w.id);
      setTab('whistles');
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const whistleAction = async (id: number, run: () => Promise<WhistleView>) => {
    setBusy(true);
    setActionError(null);
    setSelectedWhistle(id);
    try {
      live.putWhistle(await run());
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const blowFromCase = () => {
    if (!detail) return;
    const category = lang === 'en' ? detail.category_name_en : detail.category_name_zh;
    setCompose({ kind: 'case', caseId: detail.id, lng: detail.lng, lat: detail.lat, department_id: detail.department_id, title: detail.address ? `${category} · ${detail.address}` : category });
    setTab('whistles');
    setActionError(null);
  };

  const casePoints = useMemo(
    () => cases.map((c) => ({ id: c.id, lng: c.lng, lat: c.lat, overdue: isOverdue(c, now), urgent: c.priority === 'urgent' })),
    // Overdue turns by the minute on the map; the queue shows the minutes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [cases, Math.floor(now / 60_000)],
  );
  const whistleMarks = useMemo(
    () => board.map((w) => ({ id: w.id, lng: w.lng, lat: w.lat, radius_m: w.radius_m, late: new Date(w.deadline_at).getTime() < now, selected: w.id === selectedWhistle })),
    // Lateness turns by the minute on the map; the board shows the seconds.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [board, selectedWhistle, Math.floor(now / 60_000)],
  );
  const subName = useMemo(() => {
    const f = subdistricts?.features.find((x) => Number(x.properties?.id) === ownSubdistrict);
    return f ? String(f.properties?.[lang === 'en' ? 'name_en' : 'name_zh'] ?? '') : '';
  }, [subdistricts, ownSubdistrict, lang]);
  const draftPoint = useMemo(() => (compose ? { lng: compose.lng, lat: compose.lat } : null), [compose]);

  return (
    <div className={`view view--command ${stale ? 'is-stale' : ''}`} data-testid="command">
      <ViewHeader titleKey="nav.command">
        <span className="cmd-header__scope" data-testid="command-scope">{subName ? t('command.scope', { name: subName }) : t('command.scopeAll')}</span>
        <span className={`pill ${stale ? 'pill--off' : 'pill--live'}`} data-testid="command-connection">{t(stale ? 'command.offline' : 'command.live')}</span>
      </ViewHeader>
      {stale && <div className="cmd-stale" role="alert" data-testid="command-stale">{t('command.stale')}</div>}
      {loadError && <div className="cmd-stale" role="alert">{t('command.loadError', { message: loadError })}</div>}
      <main className="cmd-grid">
        <div className="cmd-col cmd-col--left">
          {selectedCase !== null ? (
            <CaseDetail
              key={selectedCase}
              detail={detail}
              role={role}
              departments={departments}
              busy={busy}
              error={actionError}
              onAct={(a, f) => void act(a, f)}
              onBlow={blowFromCase}
              onBack={() => setSelectedCase(null)}
            />
          ) : (
            <CaseQueue cases={cases} loaded={casesLoaded} filter={filter} onFilter={setFilter} categories={categories} selectedId={selectedCase} onSelect={setSelectedCase} now={now} />
          )}
        </div>
        <CommandMap
          subdistricts={subdistricts}
          ownSubdistrict={ownSubdistrict}
          cases={casePoints}
          whistles={whistleMarks}
          selectedCaseId={selectedCase}
          draft={draftPoint}
          onPickCase={setSelectedCase}
          onPickPoint={(lng, lat) => {
            // On the operations tab a click belongs to the panel (an area's corner, a site).
            if (tab === 'operations') return;
            setCompose({ kind: 'point', lng, lat });
            setTab('whistles');
            setActionError(null);
          }}
          onMap={setMap}
          ready={Boolean(subdistricts) && casesLoaded}
        />
        <div className="cmd-col cmd-col--right">
          <nav className="cmd-tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === 'whistles'} className={tab === 'whistles' ? 'is-on' : ''} onClick={() => setTab('whistles')} data-testid="tab-whistles">
              {t('command.tab.whistles', { n: board.length })}
            </button>
            <button type="button" role="tab" aria-selected={tab === 'operations'} className={tab === 'operations' ? 'is-on' : ''} onClick={() => setTab('operations')} data-testid="tab-operations">
              {t('command.tab.operations')}
            </button>
          </nav>
          {tab === 'whistles' ? (
            <section className="cmd-panel cmd-side" role="tabpanel">
              {compose ? (
                <WhistleForm key={`${compose.kind}:${compose.lng}:${compose.lat}`} site={compose} departments={departments} busy={busy} error={actionError} onSubmit={(d) => void blow(d)} onCancel={() => setCompose(null)} />
              ) : (
                <p className="cmd-muted cmd-side__hint">{t('command.whistle.how')}</p>
              )}
              <ArrivalBoard
                whistles={board}
                now={now}
                selectedId={selectedWhistle}
                onSelect={setSelectedWhistle}
                onAcceptFlag={(id, code, note) => void whistleAction(id, () => commandApi.acceptCheckIn(id, code, note))}
                onClose={(id, grades) => void whistleAction(id, () => commandApi.close(id, grades))}
                busy={busy}
                error={compose ? null : actionError}
              />
              {closedWhistles.length > 0 && (
                <>
                  <h3 className="cmd-side__sub">{t('command.board.recentlyClosed')}</h3>
                  <ArrivalBoard testId="command-closed" whistles={closedWhistles} now={now} selectedId={null} onSelect={setSelectedWhistle} onAcceptFlag={() => {}} onClose={() => {}} busy error={null} />
                </>
              )}
            </section>
          ) : (
            <section className="cmd-panel cmd-side" role="tabpanel" data-testid="operations-slot">
              <OperationsPanel map={map} />
            </section>
          )}
        </div>
      </main>
    </div>
  );
}
