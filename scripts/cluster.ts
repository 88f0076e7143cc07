// `npm run cluster -- --nodes 2 [--port 8080]`: runs N server processes on one database behind
// Debian's nginx, as a deployment would (WebSockets through nginx, any node for any request).
// The nodes listen on free loopback ports; nginx listens on --port (default PORT or 8080).
// Ctrl-C stops nginx and every node.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNginx } from './lib/nginx.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}

async function startNode(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'server/src/server.ts')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      process.stderr.write(`[node :${port}] ${d}`);
      if (d.toString().includes('ready:')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the node on port ${port} exited with ${code}`)));
  });
  return child;
}

async function main(): Promise<void> {
  const nodes = arg('nodes', 2);
  const port = arg('port', Number(process.env.PORT || 8080));
  const ports = await Promise.all(Array.from({ length: nodes }, () => freePort()));
  const children: ChildProcess[] = [];
  for (const p of ports) children.push(await startNode(p));
  const lb = await startNginx(ports, port, process.env.HOST || '127.0.0.1');
  console.error(`[cityops] cluster of ${nodes} nodes (ports ${ports.join(', ')}) behind nginx: ${lb.url}/wall`);
  const stop = async () => {
    await lb.stop();
    await Promise.all(children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM'))))));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(`[cityops] error: ${(err as Error).message}`);
  process.exit(1);
});
