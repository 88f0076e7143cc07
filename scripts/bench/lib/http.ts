// A lean HTTP client for load generators: node:http with keep-alive sockets. The load
// generator shares the machine's CPUs with the server and PostgreSQL; `fetch` spent about 2 ms
// of CPU a request (measured beside single POSTs on 2 cores), as much as the server did, so on
// a small machine it held the server's rate down. This one spends about 0.6 ms.
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  text: string;
}

export function httpClient(baseUrl: string, maxSockets = 64) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const send = (method: 'GET' | 'POST', path: string, body: string | null, headers: Record<string, string>): Promise<HttpAnswer & { bytes: Buffer }> =>
    new Promise((resolve, reject) => {
      const data = body === null ? null : Buffer.from(body);
      const req = http.request(
        { host: base.hostname, port: base.port, path, method, agent, headers: data ? { ...headers, 'content-length': String(data.length) } : headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const bytes = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, bytes, get text() { return bytes.toString(); } });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data ?? undefined);
    });
  return {
    post: (path: string, body: string, headers: Record<string, string>) => send('POST', path, body, headers),
    get: (path: string, headers: Record<string, string> = {}) => send('GET', path, null, headers),
    close: () => agent.destroy(),
  };
}
