// Boots the server: reads the configuration, listens, and shuts down cleanly on SIGINT/SIGTERM.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { createServer } from './create-server.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`[cityops] error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const server = await createServer(config);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    server.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000).unref();
    await server.close();
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await server.listen({ port: config.port, host: config.host });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`[cityops] error: port ${config.port} is already in use (is cityops already running?); set PORT to use another port`);
      await server.close();
      process.exit(1);
    }
    throw err;
  }
  const shown = config.host === '0.0.0.0' ? 'localhost' : config.host;
  console.error(`[cityops] ready: http://${shown}:${config.port}/  (/wall, /command, /responder, /planner)`);
  // The demo's wall opens without signing in: its URL carries the display token.
  const demo = path.resolve(import.meta.dirname, '../../.cityops/demo-accounts.json');
  if (process.env.CITYOPS_DEMO !== '0' && existsSync(demo)) {
    try {
      const { wall_url } = JSON.parse(readFileSync(demo, 'utf8')) as { wall_url?: string };
      if (wall_url) console.error(`[cityops] the wall: ${wall_url}\n[cityops] demo sign-ins (one per role): ${path.relative(process.cwd(), demo)}`);
    } catch {
      // an unreadable file only loses the hint
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
