import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import { kpiSnapshot } from '../kpis/service.ts';
import { attachRealtime, type RealtimeServer } from './gateway.ts';
import { KpiPush } from './kpi-push.ts';
import { EventPublisher } from './publisher.ts';

/** Publishers of this process, newest last (for diagnostics and the fault tests). */
export const activePublishers = new Set<EventPublisher>();

/**
 * The realtime module, wired: the socket gateway (authentication seam, rooms, heartbeats
 * carrying the newest published seq), the publisher that pushes the event log to the rooms
 * with catch-up, and the KPI push subscribed to case events. The LISTEN connection starts
 * when the server is ready and stops when it closes.
 */
export function attachEventPush(app: FastifyInstance, config: Config, pool: Pool): RealtimeServer {
  const publisher = new EventPublisher({ databaseUrl: config.databaseUrl, pool, log: app.log });
  const io = attachRealtime(app, { currentSeq: () => publisher.currentSeq });
  publisher.attach(io);
  const kpis = new KpiPush(publisher, io, { intervalMs: config.kpiPushIntervalMs, compute: async () => ({ ...(await kpiSnapshot(pool)) }), log: app.log });
  app.addHook('onReady', async () => {
    publisher.start();
    kpis.start();
    activePublishers.add(publisher);
  });
  app.addHook('preClose', async () => {
    activePublishers.delete(publisher);
    kpis.stop();
    await publisher.close();
  });
  return io;
}
