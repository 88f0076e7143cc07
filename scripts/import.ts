// Imports a city's own data into the database, in one transaction, as one batch that can be undone.
//   npm run import -- <file> [--kind facilities|admin|parks|renovation|osm] [--crs wgs84|gcj02|bd09]
//                            [--dry-run] [--replace | --replace-in <unit code>] [--yes] [--max-delete N]
//                            [--clip | --allow-outside] [--skip-invalid]
//   npm run import -- --undo [--dry-run]
// GeoJSON (.geojson/.json) holds facilities, parks, renovation projects or admin units;
// OpenStreetMap (.osm/.xml, .pbf, Overpass .json) holds streets, buildings and POIs. See the README.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ImportError, describeIssue } from '../server/src/import/errors.ts';
import { IMPORT_KINDS, importFile, undoLatest, type ImportKind, type ImportOptions } from '../server/src/import/service.ts';

const USAGE = [
  'usage: npm run import -- <file> [--kind facilities|admin|parks|renovation|osm] [--crs wgs84|gcj02|bd09]',
  '                        [--dry-run] [--replace | --replace-in <unit code>] [--yes] [--max-delete N]',
  '                        [--clip | --allow-outside] [--skip-invalid]',
  '       npm run import -- --undo [--dry-run]',
].join('\n');

function parseArgs(argv: string[]) {
  const out: ImportOptions & { file?: string; undo: boolean } = { undo: false };
  const value = (i: number, flag: string) => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new ImportError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--kind') {
      const k = value(++i, a);
      if (!IMPORT_KINDS.includes(k as ImportKind)) throw new ImportError(`--kind must be one of ${IMPORT_KINDS.join(', ')}, got "${k}"`);
      out.kind = k as ImportKind;
    } else if (a === '--crs') out.crs = value(++i, a);
    else if (a === '--replace') out.replace = true;
    else if (a === '--replace-in') out.replaceIn = value(++i, a);
    else if (a === '--dry-run') out.dryRun = true;
    else if (a === '--yes') out.yes = true;
    else if (a === '--max-delete') {
      const n = Number(value(++i, a));
      if (!Number.isInteger(n) || n < 0) throw new ImportError(`--max-delete must be a whole number, got "${argv[i]}"`);
      out.maxDelete = n;
    } else if (a === '--allow-outside') out.allowOutside = true;
    else if (a === '--clip') out.clip = true;
    else if (a === '--skip-invalid') out.skipInvalid = true;
    else if (a === '--undo') out.undo = true;
    else if (a.startsWith('--')) throw new ImportError(`unknown option ${a}\n${USAGE}`);
    else if (out.file) throw new ImportError(`one file at a time, got "${out.file}" and "${a}"`);
    else out.file = a;
  }
  if (out.undo && out.file) throw new ImportError('--undo takes no file: it undoes the latest import');
  if (!out.undo && !out.file) throw new ImportError(USAGE);
  return out;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run this with `npm run import`, which provisions the database');
  const args = parseArgs(process.argv.slice(2));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const say = (m: string) => console.error(`[import] ${m}`);
  try {
    if (args.undo) {
      const u = await undoLatest(client, { dryRun: args.dryRun });
      say(`${u.dryRun ? 'would undo' : 'undid'} import ${u.batch} of ${u.file} (${u.imported_at})`);
      for (const [t, c] of Object.entries(u.tables)) if (c.removed || c.restored) say(`  ${t}: ${c.removed} removed, ${c.restored} restored`);
      console.log(JSON.stringify(u, null, 2));
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(args.file!);
    } catch (err) {
      throw new ImportError(`cannot read ${args.file}: ${(err as Error).message}`);
    }
    const summary = await importFile(client, { name: path.basename(args.file!), bytes }, { ...args, log: say });
    for (const r of summary.repaired) say(describeIssue(r).trim());
    for (const s of summary.skipped) say(`skipped ${describeIssue(s).trim()}`);
    if (summary.dryRun) say('dry run: nothing was written');
    else say(`done: import ${summary.batch}; \`npm run import -- --undo\` takes it back`);
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
