/**
 * Protections every route gets, in one place: security headers (helmet, CSP), CORS from an
 * allow-list, rate limits (`@fastify/rate-limit`), bounded concurrency for heavy endpoints and
 * the cross-site check of form posts. Registered on the root instance before the app.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions, preHandlerHookHandler } from 'fastify';
import helmet from 'helmet';
import cors from '@fastify/cors';
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { Config } from '../config.ts';
import { Semaphore } from './concurrency.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The semaphore heavy routes (`config: { heavy: true }`) run under. */
    heavy: Semaphore;
  }
  interface FastifyInstance {
    /** Every route with its schema, as registered (the fuzz test generates requests from it). */
    routeCatalog: RouteRecord[];
  }
  interface FastifyContextConfig {
    /** Runs the handler under `app.heavy`: bounded concurrency, a bounded queue, 503 + Retry-After beyond. */
    heavy?: boolean;
  }
}

/** A registered route as the catalog keeps it. */
export interface RouteRecord {
  method: string;
  url: string;
  schema?: { body?: unknown; querystring?: unknown; params?: unknown };
  config?: Record<string, unknown>;
}

/**
 * Who a request comes from, for per-client limits: the principal when one is resolved (an
 * integration client's key, a user's session), else the peer address.
 */
export function clientKey(request: FastifyRequest): string {
  const principal = (request as unknown as { principal?: { kind?: unknown; id?: unknown } }).principal;
  if (principal && principal.id !== undefined && principal.id !== null) return `${String(principal.kind ?? 'principal')}:${String(principal.id)}`;
  return `ip:${request.ip}`;
}

/** Route config for intake routes (cases, batches, Open311 POST): `config: { rateLimit: intakeRateLimit(app.config) }`. */
export function intakeRateLimit(config: Config): RateLimitOptions {
  return { max: config.intakeRatePerMinute, timeWindow: 60_000, keyGenerator: clientKey, groupId: 'intake' };
}

/**
 * A cross-site form post (CSRF) is refused: a form post that carries no API key must come with an
 * `Origin` (or, lacking one, a `Referer`) of this server or of the allow-list. Browsers always
 * send `Origin` on a cross-site POST; non-browser clients identify with their API key.
 */
/**
 * Runs as a preHandler, after the auth seam has resolved the request's principal.
 */
export function sameOriginOrApiKey(config: Config): preHandlerHookHandler {
  const allowed = new Set([config.publicUrl, ...config.corsOrigins]);
  return async (req) => {
    // JSON needs a CORS preflight, which the allow-list already decides; only the content types
    // a page can post cross-site without one (forms, text) need this check.
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type && !SIMPLE_TYPES.has(type)) return;
    // A valid key names an integration client (resolved by the auth seam before this runs); a
    // made-up key is no better than none.
    if (req.principal?.kind === 'api_client') return;
    // Compared with the configured public URL, not with Host: a DNS-rebinding page controls both.
    const origin = req.headers.origin ?? refererOrigin(req.headers.referer);
    if (origin && allowed.has(origin)) return;
    throw new HttpError(403, 'cross_site', origin ? `form posts from ${origin} are not accepted: send an api_key, or add the origin to CITYOPS_CORS_ORIGINS` : 'a form post needs an Origin or Referer header of an allowed site, or an api_key');
  };
}

const SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/** The Content-Security-Policy: this origin only, plus what MapLibre/deck.gl need (blob workers, data/blob images). */
export function contentSecurityPolicy(config: Config) {
  const ws = config.publicUrl.replace(/^http/, 'ws');
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // MapLibre starts its workers from blob: URLs.
      workerSrc: ["'self'", 'blob:'],
      childSrc: ["'self'", 'blob:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'", ws, 'blob:', 'data:'],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: config.frameAncestors,
      ...(config.publicUrl.startsWith('https:') ? { upgradeInsecureRequests: [] } : {}),
    },
  };
}

async function securityPlugin(app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts;
  // Built once: @fastify/helmet built the middleware again (and parsed the CSP) on every request,
  // about 4 % of the server's CPU under single intake POSTs.
  const securityHeaders = helmet({
    contentSecurityPolicy: contentSecurityPolicy(config),
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    // X-Frame-Options cannot name other origins; where frame-ancestors does, leave it to the CSP.
    xFrameOptions: config.frameAncestors.every((a) => a === "'self'") ? { action: 'sameorigin' } : config.frameAncestors.includes("'none'") ? { action: 'deny' } : false,
    // HSTS only where the product is served over https.
    strictTransportSecurity: config.publicUrl.startsWith('https:') ? { maxAge: 15_552_000 } : false,
    // Tiles and the API may be read by allowed origins (CORS decides who).
    crossOriginResourcePolicy: { policy: config.corsOrigins.length ? 'cross-origin' : 'same-origin' },
  });
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (err) => done(err as Error | undefined)));
  // CORS: off (no headers at all) unless origins are listed.
  const allowed = new Set(config.corsOrigins);
  await app.register(cors, {
    origin: allowed.size ? (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)) : false,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    maxAge: 600,
  });
  // Limits are declared per route (`config.rateLimit`); none applies globally.
  await app.register(rateLimit, { global: false, keyGenerator: clientKey });

  app.decorate('heavy', new Semaphore('heavy', config.heavy.concurrency, config.heavy.queue));
  const catalog: RouteRecord[] = [];
  app.decorate('routeCatalog', catalog);
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      catalog.push({ method, url: route.url, schema: route.schema as RouteRecord['schema'], config: route.config as Record<string, unknown> | undefined });
    }
    if (!(route.config as { heavy?: boolean } | undefined)?.heavy) return;
    const handler = route.handler;
    route.handler = async function heavyHandler(this: FastifyInstance, request, reply) {
      const release = await app.heavy.acquire();
      try {
        return await (handler as (this: FastifyInstance, ...a: unknown[]) => unknown).call(this, request, reply);
      } finally {
        release();
      }
    };
  });
}

// Not encapsulated (what fastify-plugin does): the hooks and decorators cover every route.
(securityPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** Registers the headers, CORS, rate-limit and concurrency protections on the instance it is registered on. */
export const security = securityPlugin;
