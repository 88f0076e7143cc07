/**
 * The rooms an event about a subdistrict's joint work goes to (a whistle, a clearance
 * operation): the wall, the subdistrict, and every department taking part. One rule, so the
 * domains' events reach the same screens.
 */
export function scopedRooms(subdistrictId: number | null, departmentIds: readonly number[]): string[] {
  const rooms = ['wall'];
  if (subdistrictId) rooms.push(`subdistrict:${subdistrictId}`);
  for (const id of departmentIds) rooms.push(`department:${id}`);
  return rooms;
}
