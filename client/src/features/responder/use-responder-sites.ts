import { useCallback, useEffect, useState } from 'react';
import { OPERATION_EVENT_TYPES } from '../../../../server/src/realtime/events.ts';
import { useLiveEvents } from '../../live/index.ts';
import { listMySites, type ResponderSiteView } from '../operations/api.ts';
import { loadSites, saveSites } from './outbox.ts';

/**
 * The department's clearance-operation sites: read from the server while online (again on every
 * `operation.*` push and whenever `refreshKey` moves, e.g. after the outbox sent something), and
 * saved in IndexedDB so the list still opens offline, marked with the time it was read.
 */
export function useResponderSites(online: boolean, refreshKey: unknown) {
  const [sites, setSites] = useState<ResponderSiteView[] | undefined>(undefined);
  const [asOf, setAsOf] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    void loadSites().then((saved) => {
      if (!saved) return;
      setSites((s) => s ?? saved.sites);
      setAsOf((a) => a ?? saved.as_of);
    });
  }, []);

  const read = useCallback(() => {
    listMySites()
      .then((s) => {
        const now = new Date().toISOString();
        setSites(s);
        setAsOf(now);
        setError(undefined);
        void saveSites({ as_of: now, sites: s });
      })
      .catch((err: Error) => setError(err.message));
  }, []);
  const [pushes, setPushes] = useState(0);
  useLiveEvents(OPERATION_EVENT_TYPES, () => setPushes((n) => n + 1));
  useEffect(() => {
    if (online) read();
  }, [online, read, refreshKey, pushes]);

  return { sites, asOf, error };
}
