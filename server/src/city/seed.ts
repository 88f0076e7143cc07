import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data');

export interface SeedOptions {
  seed: number;
  log?: (msg: string) => void;
}

/** True when the database holds no city yet (no district). */
export async function cityIsEmpty(client: pg.ClientBase): Promise<boolean> {
  const { rowCount } = await client.query("SELECT 1 FROM admin_unit WHERE level = 'district' LIMIT 1");
  return !rowCount;
}

/**
 * Loads the demo city into an empty database, in one transaction so a failure leaves it empty.
 * For now: the real district outline. The generated city (subdistricts, network, buildings,
 * facilities) builds on this.
 */
export async function seedDemoCity(client: pg.ClientBase, opts: SeedOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  const outline = JSON.parse(readFileSync(path.join(DATA_DIR, 'admin', 'xicheng-district.geojson'), 'utf8'));
  const feature = outline.features[0];
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO admin_unit (level, code, name_zh, name_en, geom)
       VALUES ('district', $1, $2, $3, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4), 4326)))`,
      [feature.properties.code, feature.properties.name_zh, feature.properties.name_en, JSON.stringify(feature.geometry)],
    );
    await client.query(`INSERT INTO city_meta (key, value) VALUES ('seed', $1)`, [JSON.stringify(opts.seed)]);
    await client.query('COMMIT');
    log('loaded the district outline');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}
