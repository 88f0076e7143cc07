import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, CoverageProgress, ServerToClientEvents } from '../../../../server/src/realtime/events.ts';

/**
 * The planner's socket: long computations (siting) push `coverage.progress` to the socket id
 * the request names, so the page shows a moving bar while the server works.
 */
export function useCoverageProgress(): { socketId: () => string | undefined; progress: CoverageProgress | null; clear: () => void } {
  const socketRef = useRef<Socket<ServerToClientEvents, ClientToServerEvents> | null>(null);
  const [progress, setProgress] = useState<CoverageProgress | null>(null);
  useEffect(() => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: '/socket.io', transports: ['websocket'] });
    socket.on('coverage.progress', (p) => setProgress(p));
    socketRef.current = socket;
    return () => {
      socket.close();
      socketRef.current = null;
    };
  }, []);
  return { socketId: () => socketRef.current?.id, progress, clear: () => setProgress(null) };
}
