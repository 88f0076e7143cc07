/** What the views need to know about the district: its names, time zone and extent. */
import type pg from 'pg';
import * as repo from './repository.ts';
import type { District } from './schemas.ts';

/** The demo city's time zone, and the default of a district set up without one. */
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export async function getDistrict(db: Pick<pg.ClientBase, 'query'>): Promise<District> {
  const config = await repo.getConfig(db);
  const unit = await repo.districtUnit(db, config?.code ?? null);
  return {
    code: config?.code ?? unit?.code ?? null,
    name_zh: config?.name_zh ?? unit?.name_zh ?? '',
    name_en: config?.name_en ?? unit?.name_en ?? '',
    timezone: config?.timezone ?? DEFAULT_TIMEZONE,
    bbox: await repo.dataExtent(db),
    configured: config !== null,
  };
}

/** True when the name is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
