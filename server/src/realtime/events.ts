/**
 * The socket.io event map, shared by the server and the client (type-only imports).
 * Events are named `domain.verb` in the past tense; each carries the sequence number of the
 * event-log row it comes from, so a client that reconnects can ask for what it missed.
 * Domains add their events here.
 */

export interface ServerHeartbeat {
  /** Server time, ISO 8601. */
  at: string;
  /** The newest event-log sequence number the server has published. */
  seq: number;
}

/** Progress of a long coverage computation, sent only to the socket that asked for it. */
export interface CoverageProgress {
  /** The id the client chose for the computation. */
  job: string;
  stage: string;
  done: number;
  total: number;
}

export interface ServerToClientEvents {
  'server.heartbeat': (beat: ServerHeartbeat) => void;
  'coverage.progress': (progress: CoverageProgress) => void;
}

export interface ClientToServerEvents {
  /** Joins rooms (`wall`, `subdistrict:<id>`, `department:<id>`); the ack lists those joined. */
  subscribe: (rooms: string[], ack?: (result: { joined: string[] }) => void) => void;
}
