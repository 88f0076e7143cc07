// Boots the server: reads the configuration, listens, and shuts down cleanly on SIGINT/SIGTERM.
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
  console.error(`[cityops] ready: ${config.publicUrl}/wall  (also /command, /responder, /planner; listening on ${config.host}:${config.port})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
