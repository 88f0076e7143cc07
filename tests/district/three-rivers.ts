/**
 * A real OpenStreetMap extract of a place other than Beijing: Three Rivers, Michigan, as the
 * iD editor's walkthrough ships it (`data/intro_graph.json` in the npm package
 * @openstreetmap/id; © OpenStreetMap contributors, ODbL). Fetched with npm at run time into
 * node_modules/.cache, never committed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/process.ts';

const PACKAGE = '@openstreetmap/id@2.42.2';
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'cityops-fixtures');

interface Entity { id: string; loc?: [number, number]; nodes?: string[]; members?: { id: string; type: string; role: string }[]; tags?: Record<string, string> }
export type IntroGraph = Record<string, Entity>;

/** The walkthrough's graph: entities keyed n<id>, w<id>, r<id>. */
export function loadIntroGraph(): IntroGraph {
  const file = path.join(CACHE, 'package', 'data', 'intro_graph.json');
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true });
    execFileSync('npm', ['pack', PACKAGE, '--pack-destination', CACHE, '--silent'], { cwd: CACHE, stdio: ['ignore', 'ignore', 'inherit'] });
    const tgz = readdirSync(CACHE).find((f) => f.endsWith('.tgz'))!;
    execFileSync('tar', ['-xzf', path.join(CACHE, tgz), '-C', CACHE, 'package/data/intro_graph.json']);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as IntroGraph;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const num = (id: string) => id.slice(1);
const tagXml = (t?: Record<string, string>) => Object.entries(t ?? {}).map(([k, v]) => `<tag k="${esc(k)}" v="${esc(v)}"/>`).join('');

/** The graph as OSM XML, the format a user downloads from openstreetmap.org. */
export function toOsmXml(g: IntroGraph): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="iD intro graph">'];
  const all = Object.values(g);
  for (const e of all) if (e.id.startsWith('n')) out.push(`<node id="${num(e.id)}" lat="${e.loc![1]}" lon="${e.loc![0]}">${tagXml(e.tags)}</node>`);
  for (const e of all) if (e.id.startsWith('w')) out.push(`<way id="${num(e.id)}">${e.nodes!.map((n) => `<nd ref="${num(n)}"/>`).join('')}${tagXml(e.tags)}</way>`);
  for (const e of all) if (e.id.startsWith('r')) out.push(`<relation id="${num(e.id)}">${(e.members ?? []).map((m) => `<member type="${m.type}" ref="${num(m.id)}" role="${esc(m.role)}"/>`).join('')}${tagXml(e.tags)}</relation>`);
  out.push('</osm>');
  return out.join('\n');
}

/** The city's own boundary (relation "Three Rivers", admin_level 8): its one outer way, as a GeoJSON polygon. */
export function cityOutline(g: IntroGraph): { type: 'Polygon'; coordinates: [number, number][][] } {
  const rel = Object.values(g).find((e) => e.tags?.boundary === 'administrative' && e.tags?.name === 'Three Rivers')!;
  const outer = rel.members!.filter((m) => m.role === 'outer');
  if (outer.length !== 1) throw new Error(`expected one outer way, got ${outer.length}`);
  return { type: 'Polygon', coordinates: [g[outer[0]!.id]!.nodes!.map((n) => g[n]!.loc!)] };
}
