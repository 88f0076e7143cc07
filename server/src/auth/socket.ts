import type { Pool } from '../db/pool.ts';
import type { SocketHandshake, SocketPrincipal } from '../realtime/auth.ts';
import type { RealtimeServer } from '../realtime/gateway.ts';
import { actorOf, can, roomsFor, type Principal } from './principal.ts';
import { principalFromApiKey, principalFromSession } from './service.ts';
import { SESSION_COOKIE } from './plugin.ts';

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
async function principalOfHandshake(db: Pool, handshake: SocketHandshake): Promise<Principal | null> {
  const key = handshake.auth?.apiKey;
  let p: Principal | null = null;
  // A handshake is rare and must see a revocation at once: no cache.
  if (typeof key === 'string' && key) p = await principalFromApiKey(db, key, 0);
  else {
    const token = cookieValue(typeof handshake.headers.cookie === 'string' ? handshake.headers.cookie : undefined, SESSION_COOKIE);
    if (token) p = await principalFromSession(db, token);
  }
  if (!p || p.kind === 'anonymous') return null;
  return p;
}

/**
 * The realtime gateway's authentication (server/src/realtime/auth.ts): nobody without a
 * principal that may read cases, whistles or coverage connects; everyone who sees the whole
 * district (the `wall` room) may narrow to any subdistrict or department, a commander or
 * responder only to its own room; each socket also sits in its session's private room,
 * where targeted pushes (siting progress) go.
 */
export async function authenticateSocket(db: Pool, handshake: SocketHandshake): Promise<SocketPrincipal> {
  let p: Principal | null;
  try {
    p = await principalOfHandshake(db, handshake);
  } catch {
    throw Object.assign(new Error('authentication is unavailable; retry'), { data: { status: 503 } });
  }
  if (!p || !(can(p, 'cases.read') || can(p, 'whistles.read') || can(p, 'operations.read') || can(p, 'coverage.read'))) {
    throw Object.assign(new Error('unauthenticated: sign in, or open the wall with its display token'), { data: { status: 401 } });
  }
  const own = roomsFor(p);
  return {
    id: actorOf(p).actor,
    rooms: own.includes('wall') ? '*' : own,
    own: p.sessionId !== null ? [sessionRoom(p.sessionId)] : [],
    principal: p,
  };
}

/** The private room of a session's sockets: targeted pushes (siting progress) go there, whichever node holds them. */
export const sessionRoom = (sessionId: number) => `session:${sessionId}`;

/** Disconnects this node's sockets of ended sessions or a revoked key (read from the log's `auth.revoked`). */
export function disconnectRevoked(io: RealtimeServer, payload: { sessions?: unknown; api_client_id?: unknown }): void {
  const sessions = new Set(Array.isArray(payload.sessions) ? payload.sessions.map(Number) : []);
  const clientId = typeof payload.api_client_id === 'number' ? payload.api_client_id : null;
  for (const socket of io.of('/').sockets.values()) {
    const p = socket.data.principal?.principal;
    if (!p) continue;
    if ((p.sessionId !== null && sessions.has(p.sessionId)) || (clientId !== null && p.kind === 'api_client' && p.id === clientId)) {
      socket.emit('auth.revoked', { reason: 'session_ended' });
      socket.disconnect(true);
    }
  }
}
