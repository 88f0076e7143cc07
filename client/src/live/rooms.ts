/** The fields of the signed-in principal that decide its rooms. */
export interface Viewer {
  role: string;
  subdistrict_id: number | null;
  department_id: number | null;
  permissions: string[];
}

/**
 * The rooms a page follows, as the server grants them (`roomsFor` in server/src/auth/principal.ts):
 * a commander its subdistrict, a responder its department, everyone else who reads cases or
 * whistles the wall's; nobody any room who reads neither. A page whose server cannot be reached
 * (no principal yet: a wall running on its cache) asks for the wall's.
 */
export function roomsForViewer(me: Viewer | null): string[] {
  if (!me) return ['wall'];
  if (!me.permissions.includes('cases.read') && !me.permissions.includes('whistles.read')) return [];
  if (me.role === 'commander' && me.subdistrict_id) return [`subdistrict:${me.subdistrict_id}`];
  if (me.role === 'responder' && me.department_id) return [`department:${me.department_id}`];
  return ['wall'];
}
