import type { FastifyError, FastifyInstance } from 'fastify';

/**
 * An error whose message is meant for the caller: it says what was wrong and how to fix it.
 * Services throw these; the one error handler below turns them into responses.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) => new HttpError(400, 'bad_request', message, details);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
export const conflict = (message: string, details?: Record<string, unknown>) => new HttpError(409, 'conflict', message, details);

/** The body of every error response. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** The offending field as a JSON pointer-like path, where one field is to blame. */
  field?: string;
  details?: Record<string, unknown>;
  requestId?: string;
}

/** Seconds a client is told to wait (`Retry-After`) when the database is unavailable. */
export const DB_RETRY_AFTER_S = 5;

// Connection-level failures (refused, reset, timed out, the server shutting down or out of
// connection slots): the request was fine, the database is not there. Not query errors.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|the database system is (starting up|shutting down)/i;

/** True when `err` means the database cannot be reached now (answer 503, not 500). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  // Node's AggregateError (IPv4 and IPv6 both refused).
  return Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable);
}

/** Installs the single error handler: 4xx explain themselves, 5xx hide internals and are logged. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      const body: ErrorBody = { statusCode: err.statusCode, error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
      if (err.details && typeof err.details.field === 'string') body.field = err.details.field;
      if (err.details && typeof err.details.retry_after_s === 'number') reply.header('retry-after', String(err.details.retry_after_s));
      return reply.status(err.statusCode).send(body);
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const first = fe.validation[0];
      const field = [fe.validationContext, first?.instancePath?.replace(/^\//, '').replace(/\//g, '.')]
        .filter(Boolean)
        .join('.');
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const fieldName = missing ? `${field ? field + '.' : ''}${missing}` : extra ? `${field ? field + '.' : ''}${extra}` : field;
      const message = extra ? `${fieldName} is not a known field` : `${fieldName || fe.validationContext} ${first?.message ?? 'is invalid'}`;
      return reply.status(400).send({ statusCode: 400, error: 'bad_request', message, field: fieldName } satisfies ErrorBody);
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ statusCode: fe.statusCode, error: fe.code ?? 'bad_request', message: fe.message } satisfies ErrorBody);
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err: (err as Error).message }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', String(DB_RETRY_AFTER_S))
        .send({ statusCode: 503, error: 'database_unavailable', message: `the database is unavailable; retry in ${DB_RETRY_AFTER_S} s`, requestId: request.id } satisfies ErrorBody);
    }
    request.log.error({ err }, 'request failed');
    return reply
      .status(500)
      .send({ statusCode: 500, error: 'internal_error', message: 'internal server error; the request id identifies it in the server log', requestId: request.id } satisfies ErrorBody);
  });
}

/** Refuses any request whose body, query or path carries a NUL character (PostgreSQL text cannot store it). */
export async function rejectNulCharacters(request: { body?: unknown; query?: unknown; params?: unknown }): Promise<void> {
  for (const [part, value] of [['body', request.body], ['querystring', request.query], ['params', request.params]] as const) {
    const path = findNul(value, part, 0);
    if (path) throw badRequest(`${path} must not contain NUL characters`, { field: path, rule: 'no_nul' });
  }
}

function findNul(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (!value || typeof value !== 'object' || depth > 32) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return `${path}.${k.replace(/\u0000/g, '\\0')}`;
    const found = findNul(v, `${path}.${k}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}
