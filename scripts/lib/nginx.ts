import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const NGINX = process.env.CITYOPS_NGINX ?? '/usr/sbin/nginx';

/** The nginx configuration of a local cluster: one loopback port in front of the given upstream ports, WebSockets included. */
export function nginxConfig(dir: string, listenPort: number, upstreamPorts: number[], host = '127.0.0.1'): string {
  const t = (name: string) => path.join(dir, name);
  return `worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${t('nginx.pid')};
error_log ${t('error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream cityops {
${upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}
  }
  server {
    listen ${host}:${listenPort};
    location / {
      proxy_pass http://cityops;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502;
      proxy_connect_timeout 2s;
      proxy_read_timeout 1h;
    }
  }
}
`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Nginx {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/**
 * Starts Debian's nginx in the foreground with a configuration of its own in a temporary
 * folder, listening on loopback (`listenPort`, or a free port) in front of `upstreamPorts`.
 */
export async function startNginx(upstreamPorts: number[], listenPort?: number, host = '127.0.0.1'): Promise<Nginx> {
  if (!existsSync(NGINX)) throw new Error(`nginx is not installed at ${NGINX}: apt-get install nginx-light (npm test installs it when run as root)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cityops-nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d));
  const port = listenPort ?? (await freePort());
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, upstreamPorts, host));
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Ready when the port accepts connections.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${safeRead(path.join(dir, 'error.log'))}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host === '0.0.0.0' ? '127.0.0.1' : host, () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 200) throw new Error(`nginx did not listen on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGQUIT');
      }),
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
