import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../server/src/create-server.ts';
import { loadConfig } from '../../server/src/config.ts';
import { testDatabaseUrl } from '../helpers/db.ts';

type OpenApi = { openapi: string; paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }>; description?: string }> }>> };

describe('the API document', () => {
  let server: FastifyInstance;
  let base: string;
  const routes: RouteOptions[] = [];

  beforeAll(async () => {
    // The server as the boot file builds it; its route catalog holds every route registered.
    const config = { ...loadConfig({ DATABASE_URL: testDatabaseUrl() }), port: 0, host: '127.0.0.1', logLevel: 'silent' as const };
    server = await createServer(config);
    await server.listen({ port: 0, host: '127.0.0.1' });
    routes.push(...(server.routeCatalog as unknown as RouteOptions[]));
    const a = server.server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lists every registered route, each with a response schema', async () => {
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as OpenApi;
    expect(doc.openapi).toMatch(/^3\./);
    const own = routes.filter(
      (r) => !(r.schema as { hide?: boolean } | undefined)?.hide && !r.url.startsWith('/docs') && ([] as string[]).concat(r.method).some((m) => m !== 'HEAD'),
    );
    expect(own.length).toBeGreaterThan(40);
    const missing: string[] = [];
    for (const r of own) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const method of ([] as string[]).concat(r.method).filter((m) => m !== 'HEAD')) {
        const op = doc.paths[path]?.[method.toLowerCase()];
        const responses = Object.values(op?.responses ?? {});
        // A body with its schema, or a declared empty answer (204 No Content) with its description.
        const described =
          responses.some((res) => res.content && Object.values(res.content).some((c) => c.schema)) || (op?.responses?.['204'] !== undefined && Object.keys(op.responses).length === 1);
        if (!described) missing.push(`${method} ${r.url}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('serves a browsable page whose scripts and styles all come from this server', async () => {
    const res = await fetch(`${base}/docs/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(2);
    for (const ref of refs) expect(ref, ref).not.toMatch(/^(https?:)?\/\//);
    for (const ref of refs.filter((r) => /\.(js|css)$/.test(r))) {
      const asset = await fetch(new URL(ref, `${base}/docs/`));
      expect(asset.status, ref).toBe(200);
    }
    const init = await (await fetch(`${base}/docs/static/swagger-initializer.js`)).text();
    expect(init).toContain('validatorUrl: null');
    // The document itself comes from this server, next to the page.
    expect(init).toContain("resolveUrl('./json')");
  });
});
