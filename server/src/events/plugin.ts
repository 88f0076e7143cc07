import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { kpiSnapshot } from '../kpis/service.ts';
import { attachRealtime, type RealtimeServer } from '../realtime/socket.ts';
import { EventPublisher } from './publisher.ts';

/** Publishers of this process, newest last (for diagnostics and the fault tests). */
export const activePublishers = new Set<EventPublisher>();

/**
 * Attaches socket.io with its push driven by the event log: heartbeats carry the newest
 * published seq, and the LISTEN connection starts when the server is ready and stops
 * when it closes.
 */
export function attachEventPush(app: FastifyInstance, config: Config, pool: Pool): RealtimeServer {
  // Catch-up replays read through their own small pool, so that many sockets replaying at once
  // queue among themselves and never take the connections requests need.
  const replayPool = createPool(config.databaseUrl, config.replayConnections);
  const publisher = new EventPublisher({
    databaseUrl: config.databaseUrl,
    pool: replayPool,
    log: app.log,
    kpiIntervalMs: config.kpiPushIntervalMs,
    computeKpis: async () => ({ ...(await kpiSnapshot(pool)) }),
  });
  const io = attachRealtime(app, { currentSeq: () => publisher.currentSeq, healthy: () => publisher.connected });
  publisher.attach(io);
  app.addHook('onReady', async () => {
    publisher.start();
    activePublishers.add(publisher);
  });
  app.addHook('preClose', async () => {
    activePublishers.delete(publisher);
    await publisher.close();
  });
  app.addHook('onClose', async () => {
    await replayPool.end();
  });
  return io;
}
