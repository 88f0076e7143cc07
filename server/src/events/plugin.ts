import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import { kpiSnapshot } from '../kpis/service.ts';
import { attachRealtime, type RealtimeServer } from '../realtime/socket.ts';
import { EventPublisher } from './publisher.ts';

/** Publishers of this process, newest last (for diagnostics and the fault tests). */
export const activePublishers = new Set<EventPublisher>();
/** The publisher behind each socket server, so metrics can read the newest published seq. */
export const publisherOf = new WeakMap<RealtimeServer, EventPublisher>();

/**
 * Attaches socket.io with its push driven by the event log: heartbeats carry the newest
 * published seq, and the LISTEN connection starts when the server is ready and stops
 * when it closes.
 */
export function attachEventPush(app: FastifyInstance, config: Config, pool: Pool): RealtimeServer {
  const publisher = new EventPublisher({
    databaseUrl: config.databaseUrl,
    pool,
    log: app.log,
    kpiIntervalMs: config.kpiPushIntervalMs,
    computeKpis: async () => ({ ...(await kpiSnapshot(pool)) }),
  });
  const io = attachRealtime(app, { currentSeq: () => publisher.currentSeq });
  publisher.attach(io);
  publisherOf.set(io, publisher);
  app.addHook('onReady', async () => {
    publisher.start();
    activePublishers.add(publisher);
  });
  app.addHook('preClose', async () => {
    activePublishers.delete(publisher);
    await publisher.close();
  });
  return io;
}
