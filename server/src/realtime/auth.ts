/**
 * The authentication seam of the realtime gateway. Every socket passes `authenticateSocket`
 * when it connects (socket.io middleware); what it returns is kept as `socket.data.principal`
 * and decides which rooms the socket may join (`subscribe`, catch-up) through `mayReceive`.
 * Today every socket may join every room, as before authentication existed; the auth domain
 * replaces these two functions with real principals (session, display token, API key) and
 * their scopes, and nothing else in the realtime module changes.
 */

/** The rooms that exist: the wall, a subdistrict, a department. */
export const ROOM_PATTERN = /^(wall|subdistrict:\d+|department:\d+)$/;

/** Who is on the other end of a socket, as far as the realtime module needs to know. */
export interface SocketPrincipal {
  /** A stable name for logs (user name, display name, `anonymous`). */
  id: string;
  /** The rooms this principal may join; `'*'` stands for every room. */
  rooms: '*' | readonly string[];
}

/** The handshake fields authentication may read (headers carry the session cookie or token). */
export interface SocketHandshake {
  headers: Record<string, string | string[] | undefined>;
  auth: Record<string, unknown>;
  address: string;
}

/**
 * Resolves a connecting socket's principal, or throws to refuse the connection (the client
 * gets `connect_error` with the message).
 */
export async function authenticateSocket(_handshake: SocketHandshake): Promise<SocketPrincipal> {
  return { id: 'anonymous', rooms: '*' };
}

/** The rooms of `requested` that `principal` may receive: known rooms it is allowed. */
export function mayReceive(principal: SocketPrincipal, requested: readonly unknown[]): string[] {
  const known = requested.filter((r): r is string => typeof r === 'string' && ROOM_PATTERN.test(r));
  if (principal.rooms === '*') return known;
  const allowed = new Set(principal.rooms);
  return known.filter((r) => allowed.has(r));
}
