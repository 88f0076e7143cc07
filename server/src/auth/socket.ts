import type { FastifyInstance } from 'fastify';
import type { Pool } from '../db/pool.ts';
import { can, roomsFor, type Principal } from './principal.ts';
import { principalFromApiKey, principalFromSession } from './service.ts';
import { SESSION_COOKIE } from './plugin.ts';

const ROOM = /^(wall|subdistrict:\d{1,9}|department:\d{1,9})$/;

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Whoever opened a socket: its session cookie, or an API key in the handshake's `auth.apiKey`. */
export async function authenticateSocket(db: Pool, handshake: { headers: Record<string, string | string[] | undefined>; auth?: Record<string, unknown> }): Promise<Principal | null> {
  const key = handshake.auth?.apiKey;
  let p: Principal | null = null;
  if (typeof key === 'string' && key) p = await principalFromApiKey(db, key);
  else {
    const token = cookieValue(typeof handshake.headers.cookie === 'string' ? handshake.headers.cookie : undefined, SESSION_COOKIE);
    if (token) p = await principalFromSession(db, token);
  }
  if (!p || p.kind === 'anonymous') return null;
  return p;
}

/**
 * Whether a principal may be in a room: everyone who sees the whole district (the `wall`
 * room) may narrow to any subdistrict or department; a commander or responder only to
 * their own room. Catch-up replays only rows of rooms joined this way.
 */
export function mayJoin(p: Principal, room: string): boolean {
  if (!ROOM.test(room)) return false;
  const own = roomsFor(p);
  return own.includes('wall') || own.includes(room);
}

/** The rooms of a request, narrowed to those the principal may join. */
export function allowedRooms(p: Principal, requested: unknown): string[] {
  return (Array.isArray(requested) ? requested : []).filter((r): r is string => typeof r === 'string' && mayJoin(p, r));
}

/** The private room of a session's sockets: targeted pushes (siting progress) go there, whichever node holds them. */
export const sessionRoom = (sessionId: number) => `session:${sessionId}`;

/**
 * Authenticates every socket before it connects (401 for none) and puts it in its session's
 * private room. Which rooms it may join is decided by `allowedRooms`, used by the subscribe
 * and catch-up handlers.
 */
export function attachSocketAuth(app: FastifyInstance): void {
  app.io.use((socket, next) => {
    authenticateSocket(app.db, { headers: socket.request.headers, auth: socket.handshake.auth as Record<string, unknown> })
      .then((p) => {
        if (!p || !(can(p, 'cases.read') || can(p, 'whistles.read') || can(p, 'coverage.read'))) {
          const err = new Error('unauthenticated: sign in, or open the wall with its display token') as Error & { data?: unknown };
          err.data = { status: 401 };
          return next(err);
        }
        socket.data.principal = p;
        if (p.sessionId !== null) void socket.join(sessionRoom(p.sessionId));
        next();
      })
      .catch((err: Error) => {
        app.log.warn({ err: err.message }, 'socket authentication failed');
        const e = new Error('authentication is unavailable; retry') as Error & { data?: unknown };
        e.data = { status: 503 };
        next(e);
      });
  });
}

/** Disconnects this node's sockets of ended sessions or a revoked key (read from the log's `auth.revoked`). */
export function disconnectRevoked(app: FastifyInstance, payload: { sessions?: unknown; api_client_id?: unknown }): void {
  const sessions = new Set(Array.isArray(payload.sessions) ? payload.sessions.map(Number) : []);
  const clientId = typeof payload.api_client_id === 'number' ? payload.api_client_id : null;
  for (const socket of app.io.of('/').sockets.values()) {
    const p = socket.data.principal as Principal | undefined;
    if (!p) continue;
    if ((p.sessionId !== null && sessions.has(p.sessionId)) || (clientId !== null && p.kind === 'api_client' && p.id === clientId)) {
      socket.emit('auth.revoked', { reason: 'session_ended' });
      socket.disconnect(true);
    }
  }
}
