import { useEffect, useState } from 'react';
import type { Fix } from './geofence.ts';

export type PositionState = { status: 'waiting' } | { status: 'fix'; fix: Fix; at: number } | { status: 'error'; code: 'denied' | 'unavailable' | 'unsupported' };

/** The phone's position while the view is open (GPS works offline too), for the distance to each site. */
export function usePosition(): PositionState {
  const [state, setState] = useState<PositionState>({ status: 'waiting' });
  useEffect(() => {
    if (!('geolocation' in navigator)) {
      setState({ status: 'error', code: 'unsupported' });
      return;
    }
    const id = navigator.geolocation.watchPosition(
      (p) => setState({ status: 'fix', fix: { lng: p.coords.longitude, lat: p.coords.latitude, accuracy_m: p.coords.accuracy }, at: p.timestamp }),
      (err) => setState({ status: 'error', code: err.code === err.PERMISSION_DENIED ? 'denied' : 'unavailable' }),
      { enableHighAccuracy: true, maximumAge: 10_000, timeout: 30_000 },
    );
    return () => navigator.geolocation.clearWatch(id);
  }, []);
  return state;
}
