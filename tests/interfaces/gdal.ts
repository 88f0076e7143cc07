import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An HTTP header GDAL sends with every request (`GDAL_HTTP_HEADERS`), e.g. an integration client's key. */
let httpHeaders = '';
export function gdalHeaders(headers: Record<string, string>): void {
  httpHeaders = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
}

/** Runs GDAL's ogrinfo (Debian gdal-bin, installed by the test bootstrap) and returns its output. */
export async function ogrinfo(args: string[]): Promise<string> {
  const { stdout } = await run('ogrinfo', args, {
    maxBuffer: 256 * 1024 * 1024,
    // No proxies, no config files from the machine, and a clear failure instead of a hang.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GDAL_HTTP_TIMEOUT: '120',
      NO_PROXY: '*',
      CPL_VSIL_CURL_ALLOWED_EXTENSIONS: '',
      ...(httpHeaders ? { GDAL_HTTP_HEADERS: httpHeaders } : {}),
    },
  });
  return stdout;
}

export interface OgrLayerSummary {
  name: string;
  geometry: string;
  count: number;
  fields: string[];
}

/** The layers of `ogrinfo -so -al` output: name, geometry type, feature count and field names. */
export function parseSummaries(out: string): OgrLayerSummary[] {
  return out
    .split(/\n(?=Layer name: )/)
    .filter((b) => b.startsWith('Layer name: '))
    .map((block) => {
      const lines = block.split('\n');
      const get = (key: string) => lines.find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2).trim() ?? '';
      const wktEnd = lines.findIndex((l) => l.startsWith('Data axis to CRS axis mapping'));
      const fields = lines
        .slice(wktEnd + 1)
        .map((l) => /^([A-Za-z0-9_]+): [A-Za-z]/.exec(l)?.[1])
        .filter((x): x is string => Boolean(x));
      return { name: get('Layer name'), geometry: get('Geometry'), count: Number(get('Feature Count')), fields };
    });
}

/** Feature ids in the order `ogrinfo -al` printed them (`OGRFeature(layer):id`). */
export function featureIds(out: string): number[] {
  return [...out.matchAll(/^OGRFeature\([^)]*\):(\d+)$/gm)].map((m) => Number(m[1]));
}
