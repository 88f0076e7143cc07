import { useCallback, useEffect, useRef, useState } from 'react';
import { flushOutbox, listOutbox, onOutboxChange, type FlushResult, type QueuedAction } from './outbox.ts';

/** While actions wait, the outbox tries again this often even if no event says the network is back. */
const RETRY_MS = 30_000;

/**
 * The outbox as the view sees it, and the moments it is sent: when the page opens, when the
 * browser says it is online again, when the page becomes visible (a phone wakes the tab), every
 * half minute while something waits, and on "send now". Background Sync would do this with the
 * page closed, but only Chromium has it.
 */
export function useOutbox(onSent: (count: number) => void) {
  const [entries, setEntries] = useState<QueuedAction[]>([]);
  const [sending, setSending] = useState(false);
  const [last, setLast] = useState<FlushResult | undefined>(undefined);

  // The latest callback, without making every sending moment depend on it.
  const sentRef = useRef(onSent);
  sentRef.current = onSent;
  const reload = useCallback(() => void listOutbox().then(setEntries), []);
  const sendNow = useCallback(async () => {
    setSending(true);
    try {
      const result = await flushOutbox();
      setLast(result);
      if (result.sent > 0) sentRef.current(result.sent);
    } finally {
      setSending(false);
    }
  }, []);

  useEffect(() => {
    reload();
    const off = onOutboxChange(reload);
    const onVisible = () => document.visibilityState === 'visible' && void sendNow();
    const onOnline = () => void sendNow();
    window.addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisible);
    void sendNow();
    return () => {
      off();
      window.removeEventListener('online', onOnline);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [reload, sendNow]);

  const waiting = entries.filter((e) => e.state === 'waiting').length;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void sendNow(), RETRY_MS);
    return () => clearInterval(timer);
  }, [waiting, sendNow]);

  return { entries, waiting, sending, last, sendNow };
}
