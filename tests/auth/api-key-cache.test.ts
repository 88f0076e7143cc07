import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiClient, revokeApiClient } from '../../server/src/auth/service.ts';
import { systemPrincipal } from '../../server/src/auth/principal.ts';
import { testPool } from '../helpers/db.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../realtime/helpers.ts';

/**
 * Each process keeps the API keys it has looked up. Two servers on one database stand for two
 * nodes, and the key is revoked through a third pool, as `npm run users` would: the servers
 * can only learn of it from the log's `auth.revoked`. Their cache is kept for an hour, so a key
 * that stops working within the test was forgotten because of the revocation, not because its
 * entry aged out.
 */
describe('API keys: cached per process, forgotten everywhere when revoked', () => {
  let a: TestServer;
  let b: TestServer;
  let pool: pg.Pool;
  const ctx = () => ({ principal: systemPrincipal('tests'), db: pool });

  beforeAll(async () => {
    a = await startTestServer({ apiKeyCacheMs: 3_600_000 });
    b = await startTestServer({ apiKeyCacheMs: 3_600_000 });
    pool = testPool();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await pool.end();
  });

  /** A case POST the key may make but the body fails: 400 while the key is good, 401 once it is not; nothing is stored. */
  const statusWith = async (server: TestServer, key: string) =>
    (await fetch(`${server.url}/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: '{}' })).status;

  const newClient = async (tag: string) => {
    const name = `cache-${tag}-${Date.now().toString(36)}`;
    return { name, key: (await addApiClient(ctx(), { name, sources: ['sensor'], permissions: ['cases.create'] })).key };
  };

  it('a key revoked through the service stops working on every node', async () => {
    const c = await newClient('revoked');
    expect(await statusWith(a, c.key)).toBe(400);
    expect(await statusWith(b, c.key)).toBe(400);
    await revokeApiClient(ctx(), c.name);
    await until(async () => (await statusWith(a, c.key)) === 401 && (await statusWith(b, c.key)) === 401, 'both nodes to refuse the revoked key');
  });

  it('the cache is really in use: a row changed behind the log’s back is not seen until the entry ages out', async () => {
    // This is why revocations must go through the service (or `npm run users -- api-key revoke`).
    const c = await newClient('silent');
    expect(await statusWith(a, c.key)).toBe(400);
    await pool.query('UPDATE api_client SET revoked_at = now() WHERE name = $1', [c.name]);
    expect(await statusWith(a, c.key)).toBe(400);
    // A node that had not looked the key up yet reads the row.
    expect(await statusWith(b, c.key)).toBe(401);
  });
});
