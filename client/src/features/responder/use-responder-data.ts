import { useCallback, useEffect, useRef, useState } from 'react';
import type { CaseList, CaseSummary } from '../../../../server/src/cases/schemas.ts';
import type { WhistleView } from '../../../../server/src/whistles/schemas.ts';
import { useCases, useLiveConnection, useLiveEvent, useWhistleFeed, useWhistles } from '../../live/index.ts';
import { loadSnapshot, saveSnapshot } from './outbox.ts';

export interface ResponderData {
  whistles: WhistleView[];
  cases: CaseSummary[];
  /** When what is shown was last read from the server (the saved copy's time while offline). */
  asOf: string | undefined;
  /** The last read failed: what is shown is the saved copy. */
  stale: boolean;
  departmentId: number | null | undefined;
  refresh: () => void;
}

const isOpenWhistle = (w: WhistleView) => w.status === 'open';
const FINISHED_CASE = new Set(['closed', 'evaluated', 'rejected']);

/**
 * The department's open whistles and cases, from the page's live store (the server keeps a
 * responder to its department's rooms and rows; pushes update the store). The store is seeded
 * from the copy saved in IndexedDB, so the view opens with it offline, and every change is
 * saved again.
 */
export function useResponderData(myDepartment: number | null | undefined): ResponderData {
  const live = useLiveConnection();
  const feed = useWhistleFeed('active');
  const [savedDepartment, setSavedDepartment] = useState<number | null | undefined>(undefined);
  const departmentId = myDepartment ?? savedDepartment;
  const isMyOpenCase = useCallback((c: CaseSummary) => !FINISHED_CASE.has(c.status) && (departmentId == null || c.department_id === departmentId), [departmentId]);
  const whistles = useWhistles(isOpenWhistle);
  const cases = useCases(isMyOpenCase);
  const [asOf, setAsOf] = useState<string | undefined>(undefined);
  const [casesFailed, setCasesFailed] = useState(false);

  // The saved copy goes into the store only while nothing fresher is there.
  useEffect(() => {
    void loadSnapshot().then((saved) => {
      if (!saved) return;
      setSavedDepartment(saved.department_id);
      setAsOf((a) => a ?? saved.as_of);
      if (live.snapshot.whistles.size === 0) live.seedWhistles(saved.whistles, 0);
      if (live.snapshot.cases.size === 0) live.seedCases(saved.cases, 0);
    });
  }, [live]);

  const readCases = useCallback(() => {
    const asOfSeq = live.snapshot.seq;
    fetch('/api/cases?open=true&limit=100', { headers: { accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`${res.status}`);
        const body = (await res.json()) as CaseList;
        live.seedCases(body.items, asOfSeq, () => true);
        setAsOf(new Date().toISOString());
        setCasesFailed(false);
      })
      .catch(() => setCasesFailed(true));
  }, [live]);
  useEffect(readCases, [readCases]);
  useLiveEvent('live.reconnected', readCases);

  // Stable across renders (the feed's reload is not), so effects may depend on it.
  const reloadFeed = useRef(feed.reload);
  reloadFeed.current = feed.reload;
  const refresh = useCallback(() => {
    reloadFeed.current();
    readCases();
  }, [readCases]);

  // Every change the store takes in (a read, a push) is saved for the next offline start.
  const saving = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!feed.loaded) return;
    window.clearTimeout(saving.current);
    saving.current = window.setTimeout(() => void saveSnapshot({ as_of: new Date().toISOString(), department_id: departmentId ?? null, whistles, cases }), 300);
  }, [feed.loaded, whistles, cases, departmentId]);

  return { whistles, cases, asOf, stale: !!feed.error || casesFailed, departmentId, refresh };
}
