// Sets cityops up for a district of your own, instead of the demo city.
//   npm run district -- init --name-zh <中文名> --name-en <English name> --tz <IANA zone> --outline <file.geojson>
//                            [--code <unit code>] [--crs wgs84|gcj02|bd09] [--replace-demo]
//   npm run district -- show
// The outline becomes the district's administrative unit; subdistricts, communities, streets,
// buildings and facilities follow with `npm run import` (see the README, "Your own district").
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { wipeCity } from '../server/src/city/repository.ts';
import * as districtRepo from '../server/src/district/repository.ts';
import { getDistrict, isTimeZone } from '../server/src/district/service.ts';
import { ImportError } from '../server/src/import/errors.ts';
import { parseJsonDocument } from '../server/src/import/geojson.ts';
import { forgetImports } from '../server/src/import/repository.ts';
import { importFile } from '../server/src/import/service.ts';

const USAGE = [
  'usage: npm run district -- init --name-zh <中文名> --name-en <English name> --tz <IANA time zone> --outline <file.geojson>',
  '                                [--code <unit code>] [--crs wgs84|gcj02|bd09] [--replace-demo]',
  '       npm run district -- show',
].join('\n');

function parseArgs(argv: string[]) {
  const [command, ...rest] = argv;
  if (command !== 'init' && command !== 'show') throw new ImportError(USAGE);
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--replace-demo') out.replaceDemo = true;
    else if (['--name-zh', '--name-en', '--tz', '--outline', '--code', '--crs'].includes(a)) {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new ImportError(`${a} needs a value\n${USAGE}`);
      out[a.slice(2)] = v;
    } else throw new ImportError(`unknown argument ${a}\n${USAGE}`);
  }
  return { command, opts: out };
}

/** The outline's geometry: a Polygon or MultiPolygon, bare, in a Feature or the only feature of a collection. */
function outlineGeometry(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ImportError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: { type?: string; geometry?: unknown; features?: { geometry?: unknown }[]; crs?: unknown };
  try {
    doc = parseJsonDocument(text) as typeof doc;
  } catch (err) {
    throw err instanceof ImportError ? err.about(`${path.basename(file)} (GeoJSON): `) : err;
  }
  const geom = doc.type === 'FeatureCollection' ? (doc.features?.length === 1 ? doc.features[0]!.geometry : undefined) : doc.type === 'Feature' ? doc.geometry : doc;
  if (doc.type === 'FeatureCollection' && doc.features?.length !== 1) throw new ImportError(`${path.basename(file)}: the outline must be one feature; this collection has ${doc.features?.length ?? 0}`);
  const t = (geom as { type?: string } | undefined)?.type;
  if (t !== 'Polygon' && t !== 'MultiPolygon') throw new ImportError(`${path.basename(file)}: the outline must be a Polygon or MultiPolygon, got ${t ?? 'nothing'}`);
  return { geom, crs: doc.crs };
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run this with `npm run district`, which provisions the database');
  const { command, opts } = parseArgs(process.argv.slice(2));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (command === 'show') {
      console.log(JSON.stringify(await getDistrict(client), null, 2));
      return;
    }
    for (const k of ['name-zh', 'name-en', 'tz', 'outline']) if (typeof opts[k] !== 'string') throw new ImportError(`--${k} is required\n${USAGE}`);
    const tz = opts.tz as string;
    if (!isTimeZone(tz)) throw new ImportError(`--tz must be an IANA time zone such as Asia/Shanghai or Europe/London, got "${tz}"`);
    const code = (opts.code as string | undefined) ?? 'district';
    const { geom, crs } = outlineGeometry(opts.outline as string) as { geom: unknown; crs: unknown };

    // Another district's data (the demo city) must go first, and only when asked.
    const existing = await districtRepo.districtUnit(client, null);
    if (existing && existing.code !== code) {
      if (!opts.replaceDemo) {
        throw new ImportError(
          `the database holds another district (${existing.name_en}, code ${existing.code}); add --replace-demo to empty the city tables ` +
            '(district, streets, buildings, facilities, cases) first, or use an empty database',
        );
      }
      console.error(`[district] emptying the city tables (was ${existing.name_en}) …`);
      await wipeCity(client);
      await forgetImports(client);
    }
    const outline = {
      type: 'FeatureCollection', kind: 'admin', ...(crs ? { crs } : {}),
      features: [{ type: 'Feature', properties: { level: 'district', code, name_zh: opts['name-zh'], name_en: opts['name-en'] }, geometry: geom }],
    };
    const summary = await importFile(client, { name: path.basename(opts.outline as string), bytes: Buffer.from(JSON.stringify(outline)) }, {
      kind: 'admin', crs: opts.crs as string | undefined, log: (m) => console.error(`[district] ${m}`),
    });
    await districtRepo.saveConfig(client, { code, name_zh: opts['name-zh'] as string, name_en: opts['name-en'] as string, timezone: tz });
    const d = await getDistrict(client);
    console.error(`[district] ${d.name_zh} / ${d.name_en} (${d.timezone}), outline ${summary.tables.admin_unit?.added ? 'added' : 'updated'}; extent ${d.bbox?.map((v) => v.toFixed(4)).join(', ')}`);
    console.error('[district] next: npm run import -- <subdistricts.geojson> --kind admin, then OpenStreetMap streets and buildings (see the README)');
    console.log(JSON.stringify(d, null, 2));
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  console.error(`[district] error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
