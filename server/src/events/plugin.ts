import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { kpiSnapshot } from '../kpis/service.ts';
import { attachRealtime, type RealtimeServer } from '../realtime/socket.ts';
import { EventPublisher } from './publisher.ts';
import { allowedRooms, disconnectRevoked } from '../auth/socket.ts';
import type { Principal } from '../auth/principal.ts';

/** Rooms a socket may join, by the principal the auth middleware put on it (none without one). */
const allowRooms = (socket: { data: Record<string, unknown> }, requested: unknown[]) => {
  const p = socket.data.principal as Principal | undefined;
  return p ? allowedRooms(p, requested) : [];
};

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
    allowRooms,
    onEvent: (row) => {
      if (row.type === 'auth.revoked') disconnectRevoked(app, row.payload);
    },
  });
  const io = attachRealtime(app, { currentSeq: () => publisher.currentSeq, allowRooms, healthy: () => publisher.connected });
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
