import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isPermission, type Permission } from './permissions.ts';
import { ANONYMOUS, demand, type Ctx, type Principal } from './principal.ts';
import { principalFromApiKey, principalFromSession } from './service.ts';

export const SESSION_COOKIE = 'cityops_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; anonymous until the auth hook has resolved a credential. */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** The permission this route needs; every API route must declare one (`public` for none). */
    permission?: Permission;
    /**
     * `body`: the credential may come in the parsed body (Open311 puts `api_key` among the
     * form fields), so the principal is resolved after parsing, still before validation.
     */
    credentials?: 'body';
  }
}

/** Paths whose routes must declare a permission; anything else (the built client's files) is public. */
export const GUARDED = /^\/(api|tiles|open311|ogc|metrics)(\/|$)/;

/** The API key of a request: `X-Api-Key`, `Authorization: Bearer key_…`, or Open311's `api_key` parameter. */
export function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim() || undefined;
  for (const source of [request.query, request.body]) {
    const v = source && typeof source === 'object' ? (source as Record<string, unknown>).api_key : undefined;
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** Resolves whoever stands behind a request's credentials; anonymous when there are none. */
export async function resolvePrincipal(app: FastifyInstance, request: FastifyRequest): Promise<Principal> {
  const key = apiKeyOf(request);
  if (key) return principalFromApiKey(app.db, key, app.config.apiKeyCacheMs);
  const cookie = request.cookies?.[SESSION_COOKIE];
  if (cookie) return principalFromSession(app.db, cookie);
  return ANONYMOUS;
}

/** The context a service acts in: who, and the pool. */
export function ctxOf(app: FastifyInstance, request: FastifyRequest): Ctx {
  return { principal: request.principal, db: app.db, address: request.ip };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/**
 * The one authorization seam. Every route under /api, /tiles, /open311 … declares
 * `config.permission` (checked when the route is added, so a route without one never
 * starts); each request's principal is resolved once, before validation, and the
 * permission is demanded: 401 without credentials, 403 naming what is missing.
 * Public routes skip the lookup entirely (basemap tiles stay cheap).
 */
async function authPlugin(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCookie);
  app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRoute', (route) => {
    const permission = (route.config as { permission?: unknown } | undefined)?.permission;
    const url = route.url ?? route.path;
    if (permission === undefined) {
      if (GUARDED.test(url) && route.method !== 'HEAD') throw new Error(`route ${String(route.method)} ${url} declares no config.permission`);
      return;
    }
    if (!isPermission(permission)) throw new Error(`route ${String(route.method)} ${url} declares an unknown permission "${String(permission)}"`);
  });

  const authorize = async (request: FastifyRequest, resolveEvenIfPublic = false) => {
    const permission = (request.routeOptions.config as { permission?: Permission }).permission ?? 'public';
    if (permission === 'public' && !resolveEvenIfPublic) return;
    request.principal = await resolvePrincipal(app, request);
    demand(request.principal, permission);
  };
  app.addHook('onRequest', async (request) => {
    request.principal = ANONYMOUS;
    if ((request.routeOptions.config as { credentials?: string }).credentials !== 'body') await authorize(request);
  });
  app.addHook('preValidation', async (request) => {
    // A public route that takes body credentials (anonymous Open311) still names a client that sends its key.
    if ((request.routeOptions.config as { credentials?: string }).credentials === 'body') await authorize(request, true);
  });
}

export default fp(authPlugin, { name: 'cityops-auth' });
