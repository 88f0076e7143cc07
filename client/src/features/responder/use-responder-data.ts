import { useCallback, useEffect, useState } from 'react';
import { getJson } from '../../lib/api.ts';
import type { CaseList } from '../../../../server/src/cases/schemas.ts';
import type { WhistleView } from '../../../../server/src/whistles/schemas.ts';
import { loadSnapshot, saveSnapshot, type Snapshot } from './outbox.ts';

export interface ResponderData {
  snapshot: Snapshot | undefined;
  /** The last refresh failed: what is shown is the saved copy of `snapshot.as_of`. */
  stale: boolean;
  refresh: () => void;
}

/**
 * The department's active whistles and open cases (the server keeps a responder to its
 * department). Each answer is saved in IndexedDB, so the view opens with it offline.
 */
export function useResponderData(departmentId: number | null | undefined): ResponderData {
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>(undefined);
  const [stale, setStale] = useState(false);

  const refresh = useCallback(() => {
    void (async () => {
      try {
        const [w, c] = await Promise.all([
          getJson<{ as_of: string; whistles: WhistleView[] }>('/api/whistles?status=active'),
          getJson<CaseList>('/api/cases?open=true&limit=50'),
        ]);
        const next: Snapshot = { as_of: w.as_of, department_id: departmentId ?? null, whistles: w.whistles, cases: c.items };
        setSnapshot(next);
        setStale(false);
        await saveSnapshot(next);
      } catch {
        setStale(true);
      }
    })();
  }, [departmentId]);

  useEffect(() => {
    let live = true;
    void loadSnapshot().then((saved) => live && saved && setSnapshot((s) => s ?? saved));
    refresh();
    return () => {
      live = false;
    };
  }, [refresh]);

  return { snapshot, stale, refresh };
}
