// Imports a city's own data into the database, in one transaction.
//   npm run import -- <file> [--kind facilities|admin|parks|renovation|osm] [--crs wgs84|gcj02|bd09]
//                            [--replace] [--skip-invalid]
// GeoJSON (.geojson/.json) holds facilities, pocket parks, renovation projects or admin units;
// OpenStreetMap (.osm XML or .pbf) holds streets, buildings and POIs. See the README for the
// property mapping.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ImportError, describeIssue } from '../server/src/import/errors.ts';
import { IMPORT_KINDS, importFile, type ImportKind } from '../server/src/import/service.ts';

const USAGE = 'usage: npm run import -- <file> [--kind facilities|admin|parks|renovation|osm] [--crs wgs84|gcj02|bd09] [--replace] [--skip-invalid]';

function parseArgs(argv: string[]) {
  const out: { file?: string; kind?: ImportKind; crs?: string; replace: boolean; skipInvalid: boolean } = { replace: false, skipInvalid: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--kind') {
      const k = argv[++i];
      if (!IMPORT_KINDS.includes(k as ImportKind)) throw new ImportError(`--kind must be one of ${IMPORT_KINDS.join(', ')}, got "${k ?? ''}"`);
      out.kind = k as ImportKind;
    } else if (a === '--crs') out.crs = argv[++i] ?? '';
    else if (a === '--replace') out.replace = true;
    else if (a === '--skip-invalid') out.skipInvalid = true;
    else if (a.startsWith('--')) throw new ImportError(`unknown option ${a}\n${USAGE}`);
    else if (out.file) throw new ImportError(`one file at a time, got "${out.file}" and "${a}"`);
    else out.file = a;
  }
  if (!out.file) throw new ImportError(USAGE);
  return out;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run this with `npm run import`, which provisions the database');
  const args = parseArgs(process.argv.slice(2));
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(args.file!);
  } catch (err) {
    throw new ImportError(`cannot read ${args.file}: ${(err as Error).message}`);
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const summary = await importFile(client, { name: path.basename(args.file!), bytes }, {
      kind: args.kind, crs: args.crs, replace: args.replace, skipInvalid: args.skipInvalid,
      log: (m) => console.error(`[import] ${m}`),
    });
    for (const r of summary.repaired) console.error(`[import] ${describeIssue(r).trim()}`);
    for (const s of summary.skipped) console.error(`[import] skipped ${describeIssue(s).trim()}`);
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  console.error(`[import] error: ${err instanceof Error ? err.message : String(err)}`);
  console.error('[import] nothing was written');
  process.exit(1);
});
