import { useState } from 'react';
import type { CoverageProgress } from '../../../../server/src/realtime/events.ts';
import { useLiveConnection, useLiveEvent } from '../../live/index.ts';

/**
 * Progress of the planner's long computations (siting): the server pushes `coverage.progress`
 * to the socket the request names (the page's live connection), so the page shows a moving bar.
 */
export function useCoverageProgress(): { socketId: () => string | undefined; progress: CoverageProgress | null; clear: () => void } {
  const live = useLiveConnection();
  const [progress, setProgress] = useState<CoverageProgress | null>(null);
  useLiveEvent('coverage.progress', setProgress);
  return { socketId: () => live.socketId, progress, clear: () => setProgress(null) };
}
