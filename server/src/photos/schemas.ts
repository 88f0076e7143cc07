import { Type } from '@sinclair/typebox';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

/**
 * What every stored field photo answers with (a whistle report's, an operation site's): where
 * to fetch it, what it is, and what its EXIF said against the site. Domains add their own
 * fields (an operation's before/after stage) beside these.
 */
export const PHOTO_FIELDS = {
  id: Type.Integer(),
  url: Type.String(),
  mime: Type.String(),
  bytes: Type.Integer(),
  width: Type.Union([Type.Integer(), Type.Null()]),
  height: Type.Union([Type.Integer(), Type.Null()]),
  exif_taken_at: NullableString,
  exif_distance_m: NullableNumber,
  exif_mismatch: Type.Boolean(),
  exif_issues: Type.Array(Type.String()),
};
