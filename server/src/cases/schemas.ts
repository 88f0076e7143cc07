/**
 * The cases API's schemas: server validation, the client's types (type-only imports) and,
 * later, the OpenAPI document come from these.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CASE_ACTIONS, CASE_STATUSES } from './state-machine.ts';
import { PRIORITIES } from './categories.ts';
import { ReportedAt } from '../lib/schema.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** A string from a fixed list (JSON Schema `enum`), typed as the union of its values. */
export const lit = <T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

export const CASE_SOURCES = ['hotline_12345', 'grid_patrol', 'wechat', 'sensor', 'open311'] as const;
export type CaseSource = (typeof CASE_SOURCES)[number];

/** Limits on free text, stated once so the API, Open311 and the README agree. */
export const LIMITS = { description: 2000, address: 200, external_id: 100, note: 1000, comment: 2000, actor: 100, media_url: 500, batch: 500, page: 500 } as const;

export const CaseInput = Type.Object(
  {
    source: lit(CASE_SOURCES, 'where the case came from'),
    external_id: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.external_id, description: "the source's own id; a repeat returns the first case" })),
    category: Type.String({ minLength: 1, maxLength: 64, description: 'a code from GET /api/case-categories' }),
    description: Type.String({ maxLength: LIMITS.description }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    // The service checks -90..90 itself, so that a swapped pair (lat 116) is answered as swapped.
    lat: Type.Number({ minimum: -180, maximum: 180 }),
    crs: Type.Optional(lit(['WGS84', 'GCJ02', 'BD09'] as const, 'the datum of lng/lat; stored as WGS84')),
    address: Type.Optional(Type.String({ maxLength: LIMITS.address })),
    priority: Type.Optional(lit(PRIORITIES)),
    media_url: Type.Optional(Type.String({ maxLength: LIMITS.media_url })),
    reported_at: Type.Optional(ReportedAt({ description: 'when the report was made (imports): not before 2000 nor more than a day ahead; defaults to now' })),
  },
  { additionalProperties: false },
);
export type CaseInput = Static<typeof CaseInput>;

export const CaseBatchInput = Type.Object(
  { cases: Type.Array(CaseInput, { minItems: 1, maxItems: LIMITS.batch }) },
  { additionalProperties: false },
);

export const TransitionInput = Type.Object(
  {
    action: lit(CASE_ACTIONS),
    note: Type.Optional(Type.String({ maxLength: LIMITS.note })),
    /** dispatch / reassign: the department to send the case to; dispatch defaults to the category's. */
    department_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** evaluate: the citizen's rating, 1 (very dissatisfied) … 5 (satisfied). */
    satisfaction: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
  },
  { additionalProperties: false },
);
export type TransitionInput = Static<typeof TransitionInput>;

export const CommentInput = Type.Object(
  // Who comments is the signed-in principal, never a field of the request.
  { body: Type.String({ minLength: 1, maxLength: LIMITS.comment }) },
  { additionalProperties: false },
);

export const CaseListQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(lit(CASE_STATUSES))),
    category: Type.Optional(Type.Array(Type.String({ maxLength: 64 }))),
    source: Type.Optional(Type.Array(lit(CASE_SOURCES))),
    subdistrict_id: Type.Optional(Type.Integer({ minimum: 1 })),
    community_id: Type.Optional(Type.Integer({ minimum: 1 })),
    grid_id: Type.Optional(Type.Integer({ minimum: 1 })),
    department_id: Type.Optional(Type.Integer({ minimum: 1 })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'reported at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'reported before' })),
    bbox: Type.Optional(Type.String({ pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$', description: 'minLng,minLat,maxLng,maxLat (WGS84)' })),
    overdue: Type.Optional(Type.Boolean({ description: 'only open cases past the due time of their current stage' })),
    out_of_area: Type.Optional(Type.Boolean({ description: 'true: the triage queue of points outside the district' })),
    open: Type.Optional(Type.Boolean({ description: 'true: not closed, evaluated or rejected' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.page, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
export type CaseListQuery = Static<typeof CaseListQuery>;

/** What screens need of a case: small enough to push on every change. */
export const CaseSummary = Type.Object({
  id: Type.Integer(),
  source: lit(CASE_SOURCES),
  external_id: Type.String(),
  category: Type.String(),
  category_name_zh: Type.String(),
  category_name_en: Type.String(),
  priority: lit(PRIORITIES),
  status: lit(CASE_STATUSES),
  lng: Type.Number(),
  lat: Type.Number(),
  address: Nullable(Type.String()),
  subdistrict_id: Nullable(Type.Integer()),
  community_id: Nullable(Type.Integer()),
  grid_id: Nullable(Type.Integer()),
  building_id: Nullable(Type.Integer()),
  department_id: Nullable(Type.Integer()),
  out_of_area: Type.Boolean(),
  reported_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  /** Due time of the current stage; null once the case is finished. */
  due_at: Nullable(Type.String({ format: 'date-time' })),
  /** Open and past `due_at` (at the time this summary was made). */
  overdue: Type.Boolean(),
  satisfaction: Nullable(Type.Integer()),
});
/** A case as the list endpoint and the socket events carry it. */
export type CaseSummary = Static<typeof CaseSummary>;

const Ts = Nullable(Type.String({ format: 'date-time' }));

export const CaseComment = Type.Object({ id: Type.Integer(), actor: Type.String(), body: Type.String(), created_at: Type.String() });

export const CaseHistoryEntry = Type.Object({
  seq: Type.Integer(),
  at: Type.String(),
  actor: Type.String(),
  type: Type.String(),
  action: Nullable(Type.String()),
  from: Nullable(Type.String()),
  to: Nullable(Type.String()),
  note: Nullable(Type.String()),
});

export const CaseDetail = Type.Composite([
  CaseSummary,
  Type.Object({
    description: Type.String(),
    media_url: Nullable(Type.String()),
    input_crs: Type.String(),
    status_note: Nullable(Type.String()),
    return_count: Type.Integer(),
    reopen_count: Type.Integer(),
    stages: Type.Object({
      reported_at: Type.String(),
      registered_at: Ts,
      dispatched_at: Ts,
      accepted_at: Ts,
      handled_at: Ts,
      verified_at: Ts,
      closed_at: Ts,
      evaluated_at: Ts,
      rejected_at: Ts,
    }),
    due: Type.Object({ register: Type.String(), dispatch: Type.String(), accept: Type.String(), handle: Type.String(), close: Type.String() }),
    comments: Type.Array(CaseComment),
    history: Type.Array(CaseHistoryEntry),
  }),
]);
export type CaseDetail = Static<typeof CaseDetail>;

export const CaseList = Type.Object({
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  /** The offset of the next page, or null on the last one. */
  next_offset: Nullable(Type.Integer()),
  items: Type.Array(CaseSummary),
});
export type CaseList = Static<typeof CaseList>;

export const CaseCategoryView = Type.Object({
  code: Type.String(),
  name_zh: Type.String(),
  name_en: Type.String(),
  group: Type.String(),
  department: Type.String(),
  service_code: Type.String(),
  priority: lit(PRIORITIES),
  sla_hours: Type.Object({ register: Type.Number(), dispatch: Type.Number(), respond: Type.Number(), handle: Type.Number(), verify: Type.Number() }),
});
