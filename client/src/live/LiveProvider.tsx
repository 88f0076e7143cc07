import { createContext, useEffect, useMemo, type ReactNode } from 'react';
import { LiveConnection } from './connection.ts';

export const LiveContext = createContext<LiveConnection | null>(null);

/**
 * Opens the page's one live connection for `rooms` and hands it to every view below; the
 * views read it through the hooks in `hooks.ts` and never open a socket of their own.
 */
export function LiveProvider({ rooms, children }: { rooms: readonly string[]; children: ReactNode }) {
  const key = rooms.join(',');
  // Another set of rooms (another principal) is another connection.
  const live = useMemo(() => new LiveConnection(key ? key.split(',') : []), [key]);
  useEffect(() => {
    live.connect();
    return () => live.close();
  }, [live]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}
