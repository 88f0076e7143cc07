import type { FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from './events.ts';

export interface RealtimeOptions {
  heartbeatMs?: number;
  /** The newest published event-log sequence number, carried by every heartbeat. */
  currentSeq?: () => number;
  /** Narrows the rooms a socket asks for to those its principal may join. */
  allowRooms?: (socket: { data: Record<string, unknown> }, requested: unknown[]) => string[];
  /** False while the event log cannot be read (database outage): no beat is sent, so screens go stale visibly. */
  healthy?: () => boolean;
}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents>;

/**
 * Attaches socket.io to the Fastify HTTP server (same port as the API). Domains publish
 * through `app.io`; rooms are `wall`, `subdistrict:<id>` and `department:<id>`.
 */
export function attachRealtime(app: FastifyInstance, opts: RealtimeOptions = {}): RealtimeServer {
  const io: RealtimeServer = new Server(app.server, { path: '/socket.io', serveClient: false, cors: { origin: false } });
  // Screens judge staleness by this beat: a wall shows a banner when it stops.
  const beat = setInterval(() => {
    if (opts.healthy && !opts.healthy()) return;
    io.emit('server.heartbeat', { at: new Date().toISOString(), seq: opts.currentSeq?.() ?? 0 });
  }, opts.heartbeatMs ?? 5000);
  beat.unref();
  io.on('connection', (socket) => {
    socket.on('subscribe', (rooms, ack) => {
      const requested = Array.isArray(rooms) ? rooms : [];
      const allowed = opts.allowRooms
        ? opts.allowRooms(socket, requested)
        : requested.filter((r): r is string => typeof r === 'string' && /^(wall|subdistrict:\d+|department:\d+)$/.test(r));
      for (const room of allowed) void socket.join(room);
      if (typeof ack === 'function') ack({ joined: allowed });
    });
  });
  app.addHook('preClose', async () => {
    clearInterval(beat);
    io.local.disconnectSockets(true);
  });
  app.addHook('onClose', async () => {
    // socket.io would also close the HTTP server, which Fastify closes itself.
    io.engine.close();
  });
  return io;
}
