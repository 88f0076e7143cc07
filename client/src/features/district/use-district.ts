import { useEffect, useState } from 'react';
import type { FeatureCollection } from 'geojson';
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
