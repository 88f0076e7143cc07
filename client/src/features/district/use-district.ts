import { useEffect, useState } from 'react';
import type { FeatureCollection } from 'geojson';
import type { District } from '../../../../server/src/district/schemas.ts';
import type { Language } from '../../app/i18n.tsx';
import { getJson } from '../../lib/api.ts';

/** The district outline from PostGIS (`/api/admin-units?level=district`). */
export function useDistrict(): { data: FeatureCollection | null; error: string | null } {
  const [data, setData] = useState<FeatureCollection | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    getJson<FeatureCollection>('/api/admin-units?level=district')
      .then((fc) => alive && setData(fc))
      .catch((err: Error) => alive && setError(err.message));
    return () => {
      alive = false;
    };
  }, []);
  return { data, error };
}

export type DistrictInfo = District;

// One request per page: every view asks for the same small, slow-changing answer.
let pending: Promise<DistrictInfo> | null = null;

/**
 * The configured district (`/api/district`): its names, time zone and the extent of its data,
 * so views frame whatever city is loaded and show its name. Null until it arrives.
 */
export function useDistrictInfo(): DistrictInfo | null {
  const [info, setInfo] = useState<DistrictInfo | null>(null);
  useEffect(() => {
    let alive = true;
    pending ??= getJson<DistrictInfo>('/api/district').catch((err: unknown) => {
      pending = null;
      throw err;
    });
    pending.then((d) => alive && setInfo(d)).catch(() => {});
    return () => {
      alive = false;
    };
  }, []);
  return info;
}

/** The district's name in the page's language ('' until known). */
export function districtName(info: DistrictInfo | null, lang: Language): string {
  if (!info) return '';
  return lang === 'en' ? info.name_en || info.name_zh : info.name_zh || info.name_en;
}
