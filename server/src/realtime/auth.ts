/**
 * The authentication seam of the realtime gateway. Every socket passes the gateway's
 * `authenticate` (socket.io middleware, supplied by the auth domain: server/src/auth/socket.ts)
 * when it connects; what it returns is kept as `socket.data.principal` and decides which rooms
 * the socket may join (`subscribe`, catch-up) through `mayReceive`. The realtime module knows
 * nothing else about accounts.
 */
import type { Principal } from '../auth/principal.ts';

/** The rooms that exist: the wall, a subdistrict, a department. */
export const ROOM_PATTERN = /^(wall|subdistrict:\d{1,9}|department:\d{1,9})$/;

/** Who is on the other end of a socket, as far as the realtime module needs to know. */
export interface SocketPrincipal {
  /** A stable name for logs (`user:alice`, `display:3`; `internal` for the server's own reads). */
  id: string;
  /** The rooms this principal may join; `'*'` stands for every room. */
  rooms: '*' | readonly string[];
  /** Rooms the socket is put in at once and never asks for (its session's private room). */
  own?: readonly string[];
  /** The principal behind it, for revocation. */
  principal?: Principal;
}

/** The handshake fields authentication may read (headers carry the session cookie). */
export interface SocketHandshake {
  headers: Record<string, string | string[] | undefined>;
  auth: Record<string, unknown>;
  address: string;
}

/** Resolves a connecting socket's principal, or throws to refuse the connection (`connect_error`). */
export type Authenticate = (handshake: SocketHandshake) => Promise<SocketPrincipal>;

/** The rooms of `requested` that `principal` may receive: known rooms it is allowed. */
export function mayReceive(principal: SocketPrincipal, requested: readonly unknown[]): string[] {
  const known = requested.filter((r): r is string => typeof r === 'string' && ROOM_PATTERN.test(r));
  if (principal.rooms === '*') return known;
  const allowed = new Set(principal.rooms);
  return known.filter((r) => allowed.has(r));
}
