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

/** Installs the single error handler: 4xx explain themselves, 5xx hide internals and are logged. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      const body: ErrorBody = { statusCode: err.statusCode, error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
      if (err.details && typeof err.details.field === 'string') body.field = err.details.field;
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
    request.log.error({ err }, 'request failed');
    return reply
      .status(500)
      .send({ statusCode: 500, error: 'internal_error', message: 'internal server error; the request id identifies it in the server log', requestId: request.id } satisfies ErrorBody);
  });
}
