import { ctxOf } from '../auth/plugin.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { XMLBuilder } from 'fast-xml-parser';
import { DB_RETRY_AFTER_S, HttpError, isDatabaseUnavailable } from '../lib/errors.ts';
import * as open311 from './service.ts';
import { intakeRateLimit, sameOriginOrApiKey } from '../lib/security.ts';
import * as R from './responses.ts';

type Format = 'json' | 'xml';

const xml = new XMLBuilder({ format: true, ignoreAttributes: true, suppressEmptyNode: false });

/** The format a GeoReport client asked for: the resource's extension; JSON without one. */
function split(raw: string): { name: string; format: Format | undefined } {
  const m = raw.match(/^(.*)\.(json|xml)$/);
  return m ? { name: m[1]!, format: m[2] as Format } : { name: raw, format: undefined };
}
const formatOf = (req: FastifyRequest): Format => (req.url.split('?')[0]!.endsWith('.xml') ? 'xml' : 'json');

/** Empty strings and nulls become empty elements; arrays become repeated elements. */
function toXml(root: string, value: unknown): string {
  const clean = (v: unknown): unknown =>
    v === null || v === undefined ? '' : Array.isArray(v) ? v.map(clean) : typeof v === 'object' ? Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, clean(x)])) : v;
  return `<?xml version="1.0" encoding="utf-8"?>\n${xml.build({ [root]: clean(value) })}`;
}

function send(reply: FastifyReply, format: Format, status: number, json: unknown, xmlRoot: string, xmlValue: unknown) {
  reply.status(status);
  if (format === 'xml') return reply.type('text/xml; charset=utf-8').send(toXml(xmlRoot, xmlValue));
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(json));
}

function queryStrings(q: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((q ?? {}) as Record<string, unknown>)) out[k] = Array.isArray(v) ? v.join(',') : String(v);
  return out;
}

const GET_PARAMS = new Set(['service_request_id', 'service_code', 'start_date', 'end_date', 'status', 'jurisdiction_id', 'api_key']);

/**
 * Open311 GeoReport v2 at /open311/v2: discovery, services, service definitions, POST and
 * GET requests, in JSON (default or `.json`) and XML (`.xml`). POST accepts the form encoding
 * real clients send as well as JSON. Errors are the specification's `[{code, description}]`.
 */
export async function open311Routes(app: FastifyInstance): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    let status = 500;
    let description = 'internal server error; the request id identifies it in the server log';
    if (isDatabaseUnavailable(err)) {
      status = 503;
      description = `the database is unavailable; retry in ${DB_RETRY_AFTER_S} s`;
      reply.header('retry-after', String(DB_RETRY_AFTER_S));
    } else if (err instanceof HttpError && (err.statusCode < 500 || err.statusCode === 503)) {
      status = err.statusCode;
      if (typeof err.details?.retry_after_s === 'number') reply.header('retry-after', String(err.details.retry_after_s));
      description = err.message;
    } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
      status = (err as FastifyError).statusCode!;
      description = err.message;
    } else {
      req.log.error({ err }, 'open311 request failed');
    }
    const errors = [{ code: status, description }];
    return send(reply, formatOf(req), status, errors, 'errors', { error: errors });
  });

  const checkParams = (q: Record<string, string>, allowed: Set<string>) => {
    for (const k of Object.keys(q)) if (!allowed.has(k)) throw new open311.Open311Error(400, `${k} is not a GeoReport v2 parameter of this method`, k);
  };
  const JURISDICTION_ONLY = new Set(['jurisdiction_id', 'api_key']);

  // A form post is what a hostile page can make a browser send; it must come from an allowed origin or carry an api_key.
  const formPostGuard = sameOriginOrApiKey(app.config);

  for (const ext of ['', '.json', '.xml'] as const) {
    const format: Format = ext === '.xml' ? 'xml' : 'json';

    app.get(`/open311/v2/discovery${ext}`, { config: { permission: 'public' }, schema: { response: R.Discovery } }, async (req, reply) => {
      checkParams(queryStrings(req.query), JURISDICTION_ONLY);
      const d = open311.discovery(app.config.publicUrl);
      return send(reply, format, 200, d, 'discovery', { ...d, endpoints: { endpoint: d.endpoints.map((e) => ({ ...e, formats: { format: e.formats } })) } });
    });

    app.get(`/open311/v2/services${ext}`, { config: { permission: 'public' }, schema: { response: R.Services } }, async (req, reply) => {
      const q = queryStrings(req.query);
      checkParams(q, JURISDICTION_ONLY);
      open311.checkJurisdiction(q.jurisdiction_id);
      const services = open311.listServices();
      return send(reply, format, 200, services, 'services', { service: services });
    });

    app.get(`/open311/v2/requests${ext}`, { config: { permission: 'public' }, schema: { response: R.Requests } }, async (req, reply) => {
      const q = queryStrings(req.query);
      checkParams(q, GET_PARAMS);
      const requests = await open311.getRequests(app.db, q);
      return send(reply, format, 200, requests, 'service_requests', { request: requests });
    });

    // POST needs an integration client's api_key, unless the jurisdiction takes anonymous
    // citizen reports (CITYOPS_OPEN311_ANONYMOUS=1; a key, when sent, still names the client).
    app.post(
      `/open311/v2/requests${ext}`,
      { config: { permission: app.config.open311Anonymous ? 'public' : 'cases.create', credentials: 'body', rateLimit: intakeRateLimit(app.config) }, preHandler: formPostGuard, schema: { response: R.Created } },
      async (req, reply) => {
      if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
        throw new open311.Open311Error(400, 'the request body must be form fields (application/x-www-form-urlencoded) or a JSON object');
      }
      // Some clients put api_key or jurisdiction_id in the query string of the POST.
      const body = { ...queryStrings(req.query), ...((req.body ?? {}) as Record<string, unknown>) };
      const key = req.headers['idempotency-key'];
      const created = await open311.postRequest(ctxOf(app, req), body, typeof key === 'string' ? key : undefined);
      return send(reply, format, 200, created, 'service_requests', { request: created });
    });
  }

  app.get<{ Params: { code: string } }>('/open311/v2/services/:code', { config: { permission: 'public' }, schema: { response: R.ServiceDefinition } }, async (req, reply) => {
    const { name, format } = split(req.params.code);
    const q = queryStrings(req.query);
    checkParams(q, JURISDICTION_ONLY);
    open311.checkJurisdiction(q.jurisdiction_id);
    const def = open311.serviceDefinition(name);
    return send(reply, format ?? 'json', 200, def, 'service_definition', { service_code: def.service_code, attributes: '' });
  });

  app.get<{ Params: { id: string } }>('/open311/v2/requests/:id', { config: { permission: 'public' }, schema: { response: R.Requests } }, async (req, reply) => {
    const { name, format } = split(req.params.id);
    const q = queryStrings(req.query);
    checkParams(q, JURISDICTION_ONLY);
    open311.checkJurisdiction(q.jurisdiction_id);
    const requests = await open311.getRequest(app.db, name);
    return send(reply, format ?? 'json', 200, requests, 'service_requests', { request: requests });
  });
}
