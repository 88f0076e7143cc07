import { Type, type Static } from '@sinclair/typebox';
import { CALL_STATES } from './workflow.ts';
import { PHOTO_FIELDS } from '../photos/schemas.ts';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const NullableBoolean = Type.Union([Type.Boolean(), Type.Null()]);
const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_]+$' });
/** The phone's own time of an action (it may have been queued offline); stored next to the server's. */
const ClientAt = Type.Optional(Type.String({ format: 'date-time', maxLength: 40 }));

export const Department = Type.Object({ id: Type.Integer(), code: Type.String(), name_zh: Type.String(), name_en: Type.String(), kind: Type.String() });

export const WhistleInput = Type.Object(
  {
    case_id: Type.Optional(Type.Integer({ minimum: 1 })),
    lng: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    department_codes: Type.Array(Code, { minItems: 1, maxItems: 20, uniqueItems: true }),
    deadline_minutes: Type.Integer({ minimum: 1, maximum: 24 * 60 }),
    radius_m: Type.Optional(Type.Number({ minimum: 10, maximum: 2000 })),
  },
  { additionalProperties: false },
);
export type WhistleInput = Static<typeof WhistleInput>;

export const CallView = Type.Object({
  department_id: Type.Integer(),
  department_code: Type.String(),
  department_zh: Type.String(),
  department_en: Type.String(),
  state: Type.Union(CALL_STATES.map((s) => Type.Literal(s))),
  flagged: Type.Boolean(),
  accepted_at: NullableString,
  checked_in_at: NullableString,
  checked_in_client_at: NullableString,
  checked_in_lng: NullableNumber,
  checked_in_lat: NullableNumber,
  distance_m: NullableNumber,
  accuracy_m: NullableNumber,
  inside: NullableBoolean,
  on_time: NullableBoolean,
  missing_at: NullableString,
  flag_accepted_at: NullableString,
  flag_accepted_by: NullableString,
  flag_note: NullableString,
  grade: Type.Union([Type.Integer(), Type.Null()]),
  grade_note: NullableString,
});

export const WhistleView = Type.Object({
  id: Type.Integer(),
  case_id: Type.Union([Type.Integer(), Type.Null()]),
  subdistrict_id: Type.Union([Type.Integer(), Type.Null()]),
  subdistrict_zh: NullableString,
  subdistrict_en: NullableString,
  title_zh: Type.String(),
  title_en: Type.String(),
  note: NullableString,
  status: Type.String(),
  called_by: Type.String(),
  called_at: Type.String(),
  deadline_at: Type.String(),
  escalate_at: NullableString,
  escalated_at: NullableString,
  closed_at: NullableString,
  closed_by: NullableString,
  radius_m: Type.Number(),
  lng: Type.Number(),
  lat: Type.Number(),
  synthetic: Type.Boolean(),
  calls: Type.Array(CallView),
});
export type WhistleView = Static<typeof WhistleView>;

export const PhotoView = Type.Object(PHOTO_FIELDS);

export const ReportView = Type.Object({
  id: Type.Integer(),
  department_code: Type.String(),
  actor: Type.String(),
  note: Type.String(),
  client_at: NullableString,
  server_at: Type.String(),
  photos: Type.Array(PhotoView),
});

export const HistoryEntry = Type.Object({ seq: Type.Number(), at: Type.String(), actor: Type.String(), type: Type.String(), department_code: NullableString, note: NullableString });

export const WhistleDetail = Type.Intersect([WhistleView, Type.Object({ reports: Type.Array(ReportView), history: Type.Array(HistoryEntry) })]);
export type WhistleDetail = Static<typeof WhistleDetail>;

export const WhistleListQuery = Type.Object(
  { status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('closed')])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
);
export type WhistleListQuery = Static<typeof WhistleListQuery>;

/** A responder acts for its own department; an admin names the department it acts for. */
const ForDepartment = { department_code: Type.Optional(Code), client_at: ClientAt };

export const AcceptInput = Type.Object(ForDepartment, { additionalProperties: false });
export type AcceptInput = Static<typeof AcceptInput>;

export const CheckInInput = Type.Object(
  { ...ForDepartment, lng: Type.Number({ minimum: -180, maximum: 180 }), lat: Type.Number({ minimum: -90, maximum: 90 }), accuracy_m: Type.Number({ minimum: 0, maximum: 100_000 }) },
  { additionalProperties: false },
);
export type CheckInInput = Static<typeof CheckInInput>;

export const ReportInput = Type.Object(
  {
    ...ForDepartment,
    note: Type.String({ minLength: 1, maxLength: 4000 }),
    /** Base64 (optionally a data: URL) of each photo; the type is judged from the bytes. */
    photos: Type.Optional(Type.Array(Type.String({ maxLength: 30_000_000 }), { maxItems: 6 })),
  },
  { additionalProperties: false },
);
export type ReportInput = Static<typeof ReportInput>;

export const AcceptCheckInInput = Type.Object({ department_code: Code, note: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
export type AcceptCheckInInput = Static<typeof AcceptCheckInInput>;

export const CloseInput = Type.Object(
  {
    grades: Type.Array(Type.Object({ department_code: Code, score: Type.Integer({ minimum: 1, maximum: 5 }), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 20,
    }),
  },
  { additionalProperties: false },
);
export type CloseInput = Static<typeof CloseInput>;

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const PhotoParams = Type.Object({ id: Type.Integer({ minimum: 1 }), photoId: Type.Integer({ minimum: 1 }) });
/** `Idempotency-Key`: an offline queue resending the same action gets the first answer again. */

const NullableRate = Type.Union([Type.Number(), Type.Null()]);
export const DepartmentRanking = Type.Object({
  as_of: Type.String(),
  period_days: Type.Integer(),
  weights: Type.Object({ cases: Type.Number(), on_time: Type.Number(), grade: Type.Number() }),
  departments: Type.Array(
    Type.Object({
      rank: Type.Integer(),
      id: Type.Integer(),
      code: Type.String(),
      name_zh: Type.String(),
      name_en: Type.String(),
      score: Type.Number(),
      case_score: Type.Number(),
      cases: Type.Integer(),
      calls_due: Type.Integer(),
      on_time: Type.Integer(),
      on_time_rate: NullableRate,
      missing: Type.Integer(),
      graded: Type.Integer(),
      mean_grade: NullableRate,
      grade_rate: NullableRate,
    }),
  ),
});
