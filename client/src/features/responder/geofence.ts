import { distance } from '@turf/turf';
import { insideGeofence } from '../../../../server/src/whistles/workflow.ts';
import type { WhistleView } from '../../../../server/src/whistles/schemas.ts';

/** A position from the phone. */
export interface Fix {
  lng: number;
  lat: number;
  accuracy_m: number;
}

/**
 * The phone's preview of the check-in rule, with the server's own rule (`insideGeofence`): it
 * tells the responder beforehand whether the check-in will be flagged. The server measures again
 * (on the spheroid, a few centimetres from turf's sphere here) and stores the flag.
 */
export function fencePreview(site: Pick<WhistleView, 'lng' | 'lat' | 'radius_m'>, fix: Fix): { distance_m: number; inside: boolean } {
  const distance_m = distance([fix.lng, fix.lat], [site.lng, site.lat], { units: 'meters' });
  return { distance_m, inside: insideGeofence(distance_m, site.radius_m, fix.accuracy_m) };
}
