import type { FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import { mayReceive, type Authenticate, type SocketPrincipal } from './auth.ts';
import type { ClientToServerEvents, ServerToClientEvents } from './events.ts';

export interface RealtimeOptions {
  heartbeatMs?: number;
  /** The newest published event-log sequence number, carried by every heartbeat. */
  currentSeq?: () => number;
  /** Who a connecting socket is (the auth domain's); a socket it refuses never connects. */
  authenticate: Authenticate;
  /** False while the event log cannot be read (database outage): no beat is sent, so screens go stale visibly. */
  healthy?: () => boolean;
}

/** What the gateway keeps per socket. */
export interface SocketData {
  principal: SocketPrincipal;
}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/**
 * The socket gateway: socket.io on the Fastify HTTP server (same port as the API). Every
 * socket is authenticated when it connects (`authenticateSocket`, the seam in `auth.ts`) and
 * joins only the rooms its principal may receive (`mayReceive`). Rooms are `wall`,
 * `subdistrict:<id>` and `department:<id>`; each socket also sits in a room named by its id.
 *
 * Everything this process sends goes to its own sockets only (`io.local`): each server
 * process reads the event log itself (see `publisher.ts`), so a broadcast through an adapter
 * would reach a client once per process.
 */
export function attachRealtime(app: FastifyInstance, opts: RealtimeOptions): RealtimeServer {
  // Set when shutdown begins. Clients cut off then reconnect at once, and until the HTTP server
  // stops listening they could land here again: an upgraded WebSocket is not an HTTP connection
  // Node can force closed, so the server's close would wait for it forever. Refused instead,
  // they retry until the load balancer sends them to a node that stays.
  let closing = false;
  const io: RealtimeServer = new Server(app.server, {
    path: '/socket.io',
    serveClient: false,
    cors: { origin: false },
    allowRequest: (_req, answer) => answer(closing ? 'the server is shutting down' : null, !closing),
  });
  io.use((socket, next) => {
    const h = socket.handshake;
    opts.authenticate({ headers: h.headers, auth: (h.auth ?? {}) as Record<string, unknown>, address: h.address }).then(
      (principal) => {
        socket.data.principal = principal;
        for (const room of principal.own ?? []) void socket.join(room);
        next();
      },
      (err: Error & { data?: unknown }) => {
        const refused = new Error(err.message || 'not allowed') as Error & { data?: unknown };
        refused.data = err.data;
        next(refused);
      },
    );
  });
  // Screens judge staleness by this beat: a wall shows a banner when it stops.
  const beat = setInterval(() => {
    if (opts.healthy && !opts.healthy()) return;
    io.local.emit('server.heartbeat', { at: new Date().toISOString(), seq: opts.currentSeq?.() ?? 0 });
  }, opts.heartbeatMs ?? 5000);
  beat.unref();
  io.on('connection', (socket) => {
    // One that was still being authenticated when shutdown began.
    if (closing) return void socket.disconnect(true);
    socket.on('subscribe', (rooms, ack) => {
      const allowed = mayReceive(socket.data.principal, Array.isArray(rooms) ? rooms : []);
      for (const room of allowed) void socket.join(room);
      if (typeof ack === 'function') ack({ joined: allowed });
    });
  });
  app.addHook('preClose', async () => {
    closing = true;
    clearInterval(beat);
    io.local.disconnectSockets(true);
  });
  app.addHook('onClose', async () => {
    // socket.io would also close the HTTP server, which Fastify closes itself.
    io.engine.close();
  });
  return io;
}
