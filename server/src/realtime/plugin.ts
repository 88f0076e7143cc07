import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { kpiSnapshot } from '../kpis/service.ts';
import { attachRealtime, type RealtimeServer } from './gateway.ts';
import { KpiPush } from './kpi-push.ts';
import { EventPublisher } from './publisher.ts';
import { authenticateSocket, disconnectRevoked, sessionRoom } from '../auth/socket.ts';
import { forgetApiClient } from '../auth/service.ts';
import type { ServerToClientEvents } from './events.ts';

/** Sends an ephemeral message to one session's sockets, on whichever node holds them. */
export type PushToSession = <E extends keyof ServerToClientEvents>(sessionId: number, event: E, message: Parameters<ServerToClientEvents[E]>[0]) => void;

/** Publishers of this process, newest last (for diagnostics and the fault tests). */
export const activePublishers = new Set<EventPublisher>();
/** The publisher behind each socket server, so metrics can read the newest published seq. */
export const publisherOf = new WeakMap<RealtimeServer, EventPublisher>();

/**
 * The realtime module, wired: the socket gateway (authentication seam, rooms, heartbeats
 * carrying the newest published seq), the publisher that pushes the event log to the rooms
 * with catch-up, and the KPI push subscribed to case events. The LISTEN connection starts
 * when the server is ready and stops when it closes.
 */
export function attachEventPush(app: FastifyInstance, config: Config, pool: Pool): { io: RealtimeServer; pushToSession: PushToSession } {
  // Catch-up replays read through their own small pool, so that many sockets replaying at once
  // queue among themselves and never take the connections requests need.
  const replayPool = createPool(config.databaseUrl, config.replayConnections);
  const publisher = new EventPublisher({ databaseUrl: config.databaseUrl, pool: replayPool, log: app.log });
  // Sockets are authenticated against the request pool; no beat while the log cannot be read.
  const io = attachRealtime(app, {
    currentSeq: () => publisher.currentSeq,
    authenticate: (handshake) => authenticateSocket(pool, handshake),
    healthy: () => publisher.connected,
  });
  publisherOf.set(io, publisher);
  // Ended sessions and revoked keys travel through the log, so every node disconnects its sockets.
  publisher.subscribe((row) => {
    if (row.type !== 'auth.revoked') return;
    disconnectRevoked(io, row.payload);
    const clientId = (row.payload as { api_client_id?: unknown }).api_client_id;
    if (typeof clientId === 'number') forgetApiClient(pool, clientId);
  });
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
  app.addHook('onClose', async () => {
    await replayPool.end();
  });
  const pushToSession: PushToSession = (sessionId, event, message) => publisher.emitTo(sessionRoom(sessionId), event, message as unknown as Record<string, unknown>);
  return { io, pushToSession };
}
