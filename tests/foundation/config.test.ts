import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/src/config.ts';

describe('configuration', () => {
  it('defaults to port 8080 on the loopback interface', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://x@localhost/y' });
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.logLevel).toBe('info');
  });

  it('names PORT when it is not a port number', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x@localhost/y', PORT: 'eighty' })).toThrow(
      new ConfigError('PORT must be a port number between 0 and 65535, got "eighty"'),
    );
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x@localhost/y', PORT: '70000' })).toThrow(/PORT/);
  });

  it('says how to get a database when DATABASE_URL is missing', () => {
    expect(() => loadConfig({})).toThrow(/DATABASE_URL is not set.*npm start/);
  });

  it('refuses an unknown log level', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x@localhost/y', CITYOPS_LOG_LEVEL: 'loud' })).toThrow(/CITYOPS_LOG_LEVEL/);
  });
});
