import type { FastifyInstance } from 'fastify';
import { rollEventLog } from './partitions.ts';

/** How often a process checks whether a month has turned or a partition aged out (cheap when nothing is due). */
const ROLL_EVERY_MS = 10 * 60_000;

/**
 * Keeps the event log's monthly partitions (see `partitions.ts`): at start and every ten
 * minutes, closes the past month and drops what the retention no longer keeps. Every process
 * runs it; an advisory lock lets one do the work. A failure (the database away, a long reader
 * holding the log) is logged and tried again next time: nothing is lost by waiting.
 */
export async function eventLogRoutes(app: FastifyInstance): Promise<void> {
  const retentionMonths = app.config.eventRetentionMonths;
  let timer: NodeJS.Timeout | undefined;
  const roll = () =>
    rollEventLog(app.db, { retentionMonths }).then(
      (r) => {
        if (r.closed || r.opened || r.dropped.length) app.log.info({ ...r }, 'event log partitions rolled');
      },
      (err: Error) => app.log.warn({ err: err.message }, 'rolling the event log partitions failed; it is tried again shortly'),
    );
  app.addHook('onReady', async () => {
    await roll();
    timer = setInterval(() => void roll(), ROLL_EVERY_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}
