import { Type, type Static } from '@sinclair/typebox';
import { OPERATION_STATUSES, PHOTO_STAGES, SITE_STATUSES, SITE_TRANSITIONS } from './workflow.ts';
import { PHOTO_FIELDS } from '../photos/schemas.ts';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_]+$' });
const Lng = Type.Number({ minimum: -180, maximum: 180 });
const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Label = Type.String({ minLength: 1, maxLength: 200 });
const literals = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

/** The most sites one operation takes, and one import adds. */
export const MAX_SITES = 2000;

/** A GeoJSON polygon (one outer ring, holes allowed); an unclosed ring, as drawn by clicks, is closed by the server. */
export const AreaInput = Type.Object(
  {
    type: Type.Literal('Polygon'),
    coordinates: Type.Array(Type.Array(Type.Tuple([Lng, Lat]), { minItems: 3, maxItems: 5000 }), { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

export const SiteInput = Type.Object({ lng: Lng, lat: Lat, label: Label }, { additionalProperties: false });
export type SiteInput = Static<typeof SiteInput>;

export const OperationInput = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    area: AreaInput,
    department_codes: Type.Array(Code, { minItems: 1, maxItems: 20, uniqueItems: true }),
    sites: Type.Optional(Type.Array(SiteInput, { maxItems: MAX_SITES })),
  },
  { additionalProperties: false },
);
export type OperationInput = Static<typeof OperationInput>;

/**
 * An import of target sites in one request: a CSV text (`lng,lat,label` per line, a header
 * line optional) or a GeoJSON FeatureCollection of points (the label from `label`, `name` or
 * `title`). `dry_run` answers what would be added and what is wrong, and adds nothing.
 */
export const ImportInput = Type.Object(
  {
    csv: Type.Optional(Type.String({ maxLength: 2_000_000 })),
    geojson: Type.Optional(Type.Unknown()),
    dry_run: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ImportInput = Static<typeof ImportInput>;

/** The phone's time when the responder acted; an action queued offline reaches the server later. */
const ClientAt = Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: "the phone's time when the action was taken" }));

export const TransitionInput = Type.Object(
  { action: literals(SITE_TRANSITIONS), note: Type.Optional(Type.String({ maxLength: 2000 })), department_code: Type.Optional(Code), client_at: ClientAt },
  { additionalProperties: false },
);
export type TransitionInput = Static<typeof TransitionInput>;

export const PhotoInput = Type.Object(
  {
    stage: literals(PHOTO_STAGES),
    /** Base64 (optionally a data: URL) of each photo; the type is judged from the bytes. */
    photos: Type.Array(Type.String({ maxLength: 30_000_000 }), { minItems: 1, maxItems: 6 }),
    department_code: Type.Optional(Code),
    client_at: ClientAt,
  },
  { additionalProperties: false },
);
export type PhotoInput = Static<typeof PhotoInput>;

export const CloseOperationInput = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export type CloseOperationInput = Static<typeof CloseOperationInput>;

export const OperationListQuery = Type.Object(
  { status: Type.Optional(literals(OPERATION_STATUSES)), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
);
export type OperationListQuery = Static<typeof OperationListQuery>;

export const Progress = Type.Object({
  total: Type.Integer(),
  pending: Type.Integer(),
  in_progress: Type.Integer(),
  cleared: Type.Integer(),
  verified: Type.Integer(),
  /** verified ÷ total (0 with no sites). */
  progress: Type.Number(),
});

export const OperationSummary = Type.Object({
  id: Type.Integer(),
  subdistrict_id: Type.Integer(),
  subdistrict_zh: Type.String(),
  subdistrict_en: Type.String(),
  title: Type.String(),
  note: NullableString,
  status: literals(OPERATION_STATUSES),
  created_by: Type.String(),
  created_at: Type.String(),
  closed_at: NullableString,
  closed_by: NullableString,
  close_note: NullableString,
  synthetic: Type.Boolean(),
  area: Type.Object({ type: Type.Literal('Polygon'), coordinates: Type.Array(Type.Array(Type.Array(Type.Number()))) }),
  departments: Type.Array(Type.Object({ id: Type.Integer(), code: Type.String(), name_zh: Type.String(), name_en: Type.String() })),
  progress: Progress,
});
export type OperationSummary = Static<typeof OperationSummary>;

export const SitePhoto = Type.Object({
  ...PHOTO_FIELDS,
  stage: literals(PHOTO_STAGES),
  uploaded_by: Type.String(),
  uploaded_at: Type.String(),
});

export const SiteView = Type.Object({
  id: Type.Integer(),
  operation_id: Type.Integer(),
  label: Type.String(),
  lng: Type.Number(),
  lat: Type.Number(),
  status: literals(SITE_STATUSES),
  status_at: Type.String(),
  added_by: Type.String(),
  added_at: Type.String(),
  started_at: NullableString,
  started_by: NullableString,
  cleared_at: NullableString,
  cleared_by: NullableString,
  verified_at: NullableString,
  verified_by: NullableString,
  sent_back_at: NullableString,
  sent_back_by: NullableString,
  sent_back_note: NullableString,
  /** The department whose responder last moved the site. */
  department_code: NullableString,
  photos: Type.Array(SitePhoto),
});
export type SiteView = Static<typeof SiteView>;

export const HistoryEntry = Type.Object({
  seq: Type.Number(),
  at: Type.String(),
  actor: Type.String(),
  type: Type.String(),
  action: NullableString,
  site_id: Type.Union([Type.Integer(), Type.Null()]),
  from: NullableString,
  to: NullableString,
  note: NullableString,
});

export const OperationDetail = Type.Intersect([OperationSummary, Type.Object({ sites: Type.Array(SiteView), history: Type.Array(HistoryEntry) })]);
export type OperationDetail = Static<typeof OperationDetail>;

/** What a site change answers: the site as it now is and the operation's progress. */
export const SiteChange = Type.Object({ site: SiteView, operation: OperationSummary });
export type SiteChange = Static<typeof SiteChange>;

/** One refused row of an import: where (1-based line of the CSV, or 0-based feature index) and why. */
export const ImportRowError = Type.Object({ row: Type.Integer(), reason: Type.String() });
export type ImportRowError = Static<typeof ImportRowError>;

export const ImportResult = Type.Object({
  dry_run: Type.Boolean(),
  /** The sites added, or (dry run) those that would be. */
  sites: Type.Array(Type.Object({ id: Type.Union([Type.Integer(), Type.Null()]), row: Type.Integer(), lng: Type.Number(), lat: Type.Number(), label: Type.String() })),
  errors: Type.Array(ImportRowError),
  operation: OperationSummary,
});
export type ImportResult = Static<typeof ImportResult>;

export const ResponderSite = Type.Intersect([SiteView, Type.Object({ operation_title: Type.String() })]);

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const SiteParams = Type.Object({ id: Type.Integer({ minimum: 1 }), siteId: Type.Integer({ minimum: 1 }) });
export const PhotoParams = Type.Object({ id: Type.Integer({ minimum: 1 }), photoId: Type.Integer({ minimum: 1 }) });
