import net from 'node:net';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl, testPool } from '../helpers/db.ts';
import { loginCookie } from '../helpers/auth.ts';
import { exitOf, freePort, spawnTs, waitForOutput } from '../helpers/process.ts';

describe('the server process', () => {
  it('says in one line which port is taken and how to choose another', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const child = spawnTs('server/src/server.ts', { DATABASE_URL: testDatabaseUrl(), PORT: String(port), HOST: '127.0.0.1' });
      expect(await exitOf(child)).toBe(1);
      expect(child.output()).toContain(`port ${port} is already in use`);
      expect(child.output()).toContain('set PORT');
    } finally {
      blocker.close();
    }
  });

  it('shuts down cleanly on SIGTERM, closing open sockets', async () => {
    const port = await freePort();
    const child = spawnTs('server/src/server.ts', { DATABASE_URL: testDatabaseUrl(), PORT: String(port), HOST: '127.0.0.1' });
    await waitForOutput(child, /ready: http/);
    const pool = testPool();
    const cookie = await loginCookie(`http://127.0.0.1:${port}`, pool, 'viewer').finally(() => pool.end());
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
    expect(await disconnected).toBeTruthy();
    socket.close();
  });
});

describe('database setup', () => {
  it('says the database is unreachable, and where', async () => {
    const child = spawnTs('scripts/setup-db.ts', { DATABASE_URL: 'postgres://cityops@127.0.0.1:1/cityops', CITYOPS_LOCAL_CLUSTER: '' });
    expect(await exitOf(child)).toBe(1);
    expect(child.output()).toContain('cannot reach PostgreSQL at 127.0.0.1:1: connection refused');
  });

  it('does not create a database it was pointed at with DATABASE_URL', async () => {
    const u = new URL(testDatabaseUrl());
    u.pathname = '/cityops_does_not_exist';
    const child = spawnTs('scripts/setup-db.ts', { DATABASE_URL: u.toString(), CITYOPS_LOCAL_CLUSTER: '' });
    expect(await exitOf(child)).toBe(1);
    expect(child.output()).toContain('the database "cityops_does_not_exist" does not exist');
  });
});
