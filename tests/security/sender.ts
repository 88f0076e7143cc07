/**
 * How the security tests send requests. Routes will need a principal; the tests stay the same
 * and only `authorize` changes: it returns the headers (a session cookie, an API key) a request
 * of the given role needs. Today no route needs any, so it adds nothing.
 */
export interface OutgoingRequest {
  method: string;
  /** Path and query string, e.g. `/api/cases?limit=1`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Adds whatever a request needs to be let in (called once per request; may log in lazily and cache). */
export type Authorize = (req: OutgoingRequest, baseUrl: string) => Promise<Record<string, string>> | Record<string, string>;

/** The default: no credentials. */
export const noAuth: Authorize = () => ({});

/** A sender bound to a server: applies `authorize`, then fetches. */
export function makeSender(baseUrl: string, authorize: Authorize = noAuth) {
  return async (req: OutgoingRequest): Promise<Response> => {
    const extra = await authorize(req, baseUrl);
    return fetch(`${baseUrl}${req.path}`, { method: req.method, headers: { ...req.headers, ...extra }, body: req.body, redirect: 'manual' });
  };
}

export type Sender = ReturnType<typeof makeSender>;
