import { Type, type Static } from '@sinclair/typebox';

/** The district the data describes: its names, time zone and extent, for framing the views. */
export const District = Type.Object(
  {
    code: Type.Union([Type.String(), Type.Null()], { description: 'code of the district-level administrative unit' }),
    name_zh: Type.String(),
    name_en: Type.String(),
    timezone: Type.String({ description: 'IANA time zone, e.g. Asia/Shanghai' }),
    bbox: Type.Union([Type.Tuple([Type.Number(), Type.Number(), Type.Number(), Type.Number()]), Type.Null()], {
      description: '[west, south, east, north] of the loaded data (district outline, streets, buildings), WGS84',
    }),
    configured: Type.Boolean({ description: 'true when set up with `npm run district -- init`, false for the demo city' }),
  },
  { additionalProperties: false },
);
export type District = Static<typeof District>;

export const NoQuery = Type.Object({}, { additionalProperties: false });
