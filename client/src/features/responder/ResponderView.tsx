import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ViewHeader } from '../../app/ViewHeader.tsx';
import { useI18n } from '../../app/i18n.tsx';
import { useMe } from '../auth/auth.tsx';
import { useLiveEvent } from '../../live/index.ts';
import type { WhistleView } from '../../../../server/src/whistles/schemas.ts';
import type { CaseSummary } from '../../../../server/src/cases/schemas.ts';
import { useOutbox } from './use-outbox.ts';
import { usePosition } from './use-position.ts';
import { useResponderData } from './use-responder-data.ts';
import { useResponderSites } from './use-responder-sites.ts';
import { SiteCard } from './SiteCard.tsx';
import { useOnline } from './use-online.ts';
import { registerResponderApp } from './install.ts';
import { enqueue, type NewAction, type QueuedAction } from './outbox.ts';
import { WhistleCard } from './WhistleCard.tsx';
import { OutboxPanel } from './OutboxPanel.tsx';
import { CaseList } from './CaseList.tsx';
import { NoticeBanner, type Notice } from './NoticeBanner.tsx';
import { clock } from './format.ts';
import './responder.css';

/** A call that still needs the responder comes before one that is done; then the nearest deadline. */
const NEEDS_ACTION = new Set(['missing', 'summoned', 'accepted']);
function whistleUrgency(w: WhistleView, departmentId: number | null | undefined): [number, number] {
  const call = w.calls.find((c) => c.department_id === departmentId);
  return [call && !NEEDS_ACTION.has(call.state) ? 1 : 0, Date.parse(w.deadline_at)];
}
function byUrgency<T>(key: (x: T) => number[]) {
  return (a: T, b: T) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return 0;
  };
}
const PRIORITY_RANK: Record<CaseSummary['priority'], number> = { urgent: 0, high: 1, normal: 2, low: 3 };
function codeOf(w: WhistleView, departmentId: number | null | undefined): string | undefined {
  return w.calls.find((c) => c.department_id === departmentId)?.department_code;
}

/** Overdue first, then by priority, then the nearest due time. */
const caseUrgency = (c: CaseSummary) => [c.overdue ? 0 : 1, PRIORITY_RANK[c.priority], c.due_at ? Date.parse(c.due_at) : Infinity];

/**
 * The responder's phone app: the department's whistles and cases, most urgent first; accept,
 * check in with the phone's position, report with photos. Every action goes through the outbox
 * (IndexedDB), so it works the same online and offline and the responder sees what is unsent.
 */
export function ResponderView() {
  const { t, lang } = useI18n();
  const me = useMe();
  const online = useOnline();
  const position = usePosition();
  const [notices, setNotices] = useState<Notice[]>([]);
  const notify = useCallback((text: string) => setNotices((n) => [...n.slice(-2), { id: Date.now() + Math.random(), text }]), []);

  const data = useResponderData(me?.department_id);
  const { departmentId } = data;
  const [sentRound, setSentRound] = useState(0);
  const outbox = useOutbox((n) => {
    data.refresh();
    setSentRound((r) => r + 1);
    notify(t('responder.sentCount', { n }));
  });
  useEffect(() => registerResponderApp(), []);
  // Back online: read again what changed meanwhile (the first read happens on mount).
  const wasOnline = useRef(online);
  useEffect(() => {
    if (online && !wasOnline.current) data.refresh();
    wasOnline.current = online;
  }, [online, data.refresh]);

  const whistles = useMemo(() => [...data.whistles].sort(byUrgency((w: WhistleView) => whistleUrgency(w, departmentId))), [data.whistles, departmentId]);
  const cases = useMemo(() => [...data.cases].sort(byUrgency(caseUrgency)), [data.cases]);

  // Notices while the app is open, from the page's one live connection (the server sends a
  // responder only its department's room). Out of the app they need another channel: README.
  const title = (w: WhistleView) => (lang === 'en' ? w.title_en : w.title_zh);
  const mine = (w: WhistleView) => w.calls.some((c) => c.department_id === departmentId);
  useLiveEvent('whistle.created', (e) => mine(e.whistle) && notify(t('responder.newWhistle', { title: title(e.whistle), time: clock(e.whistle.deadline_at) })));
  useLiveEvent('whistle.missing', (e) => mine(e.whistle) && e.department_code === codeOf(e.whistle, departmentId) && notify(t('responder.whistleMissing', { title: title(e.whistle) })));
  useLiveEvent('whistle.closed', (e) => mine(e.whistle) && notify(t('responder.whistleClosed', { title: title(e.whistle) })));
  const pendingOf = (id: number): QueuedAction[] => outbox.entries.filter((e) => e.whistle_id === id);
  const pendingAtSite = (id: number): QueuedAction[] => outbox.entries.filter((e) => e.site?.site_id === id);

  const act = useCallback(
    async (action: NewAction) => {
      await enqueue(action);
      void outbox.sendNow();
    },
    [outbox.sendNow],
  );

  // Operation sites: read online, kept for offline; any operation push or sent action re-reads them.
  const sites = useResponderSites(online, sentRound);

  return (
    <div className="view view--responder" data-online={online ? 'yes' : 'no'}>
      <ViewHeader titleKey="nav.responder" />
      <div className="responder-status" role="status">
        <span className={`responder-net responder-net--${online ? 'on' : 'off'}`} data-testid="net-state">
          {online ? t('responder.online') : t('responder.offline')}
        </span>
        <span className="responder-asof">
          {data.asOf ? t(data.stale || !online ? 'responder.savedAt' : 'responder.updatedAt', { time: clock(data.asOf) }) : t('responder.loading')}
        </span>
      </div>
      <NoticeBanner notices={notices} onDismiss={(id) => setNotices((n) => n.filter((x) => x.id !== id))} />
      <main className="responder-main">
        <OutboxPanel entries={outbox.entries} whistles={data.whistles} sending={outbox.sending} stoppedBy={outbox.last?.stoppedBy} onSendNow={() => void outbox.sendNow()} />
        <section className="responder-section" aria-labelledby="responder-whistles">
          <h2 id="responder-whistles">
            {t('responder.whistles')} <span className="responder-count">{whistles.length}</span>
          </h2>
          {whistles.length === 0 ? <p className="responder-empty">{data.asOf ? t('responder.noWhistles') : t('responder.loading')}</p> : null}
          {whistles.map((w) => (
            <WhistleCard key={w.id} whistle={w} departmentId={departmentId} pending={pendingOf(w.id)} position={position} onAct={act} />
          ))}
        </section>
        <section className="responder-section" aria-labelledby="responder-sites" data-testid="operation-sites">
          <h2 id="responder-sites">
            {t('operations.mySites')} <span className="responder-count">{sites.sites?.length ?? 0}</span>
          </h2>
          {sites.error && online ? <p className="auth-error" role="alert">{sites.error}</p> : null}
          {sites.sites?.length === 0 ? <p className="responder-empty">{t('operations.noSites')}</p> : null}
          {sites.sites?.map((s) => <SiteCard key={s.id} site={s} pending={pendingAtSite(s.id)} position={position} onAct={act} />)}
        </section>
        <CaseList cases={cases} />
      </main>
    </div>
  );
}
