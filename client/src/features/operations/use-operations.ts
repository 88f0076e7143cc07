import { useCallback, useEffect, useState } from 'react';
import { getOperation, listOperations, type OperationDetail, type OperationSummary } from './api.ts';
import { useLiveEvents } from '../../live/index.ts';
import { OPERATION_EVENT_TYPES } from '../../../../server/src/realtime/events.ts';

/**
 * The commander's open operations and the one selected, re-read after each action the
 * panel takes and on every `operation.*` push the page's live connection hears (another
 * commander's change, a responder clearing a site).
 */
export function useOperations() {
  const [operations, setOperations] = useState<OperationSummary[] | null>(null);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [selected, setSelected] = useState<OperationDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const list = await listOperations('open');
      setOperations(list);
      if (selectedId !== null) setSelected(await getOperation(selectedId));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [selectedId]);

  useEffect(() => {
    void reload();
  }, [reload]);
  useLiveEvents(OPERATION_EVENT_TYPES, () => void reload());

  const select = useCallback((id: number | null) => {
    setSelectedId(id);
    if (id === null) setSelected(null);
  }, []);

  /** Runs an action, then re-reads; a refusal's message is shown. */
  const run = useCallback(
    async (fn: () => Promise<unknown>) => {
      try {
        await fn();
        setError(null);
      } catch (err) {
        setError((err as Error).message);
      }
      await reload();
    },
    [reload],
  );

  return { operations, selected, selectedId, select, reload, run, error, setError };
}
