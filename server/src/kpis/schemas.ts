import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { lit } from '../cases/schemas.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const KPI_WINDOWS = ['today', '7d', '30d', 'month'] as const;
export type KpiWindow = (typeof KPI_WINDOWS)[number];
export const KPI_GROUPS = ['district', 'subdistrict', 'community', 'grid', 'department', 'category'] as const;
export type KpiGroup = (typeof KPI_GROUPS)[number];
export const KPI_SORTS = ['score', 'response_rate', 'resolution_rate', 'satisfaction_rate', 'overdue', 'cases', 'name'] as const;
export const SERIES_WINDOWS = ['24h', '30d'] as const;

/** A scoring profile: which rates rank units, and the composite's weights. */
export const ScoringProfileView = Type.Object({
  id: Type.String(),
  name_zh: Type.String(),
  name_en: Type.String(),
  rates: lit(['callback', 'administrative'] as const),
  weights: Type.Object({ response: Type.Number(), resolution: Type.Number(), satisfaction: Type.Number(), sourced: Type.Boolean() }),
  sources: Type.Array(Type.Object({ what: Type.String(), title: Type.String(), url: Type.Optional(Type.String()) })),
  unsourced: Type.Optional(Type.String()),
});
export type ScoringProfileView = Static<typeof ScoringProfileView>;

/** The figures of one unit over one window; formulas in the README ("Cases, KPIs and live push"). */
export const KpiFigures = Type.Object({
  cases: Type.Integer({ description: 'in-area, not rejected, reported in the window' }),
  response_due: Type.Integer(),
  responded_on_time: Type.Integer(),
  response_rate: Nullable(Type.Number()),
  resolution_due: Type.Integer(),
  resolved: Type.Integer(),
  resolution_rate: Nullable(Type.Number()),
  rated: Type.Integer(),
  satisfied: Type.Integer(),
  satisfaction_rate: Nullable(Type.Number()),
  open: Type.Integer(),
  overdue: Type.Integer({ description: 'open and past the due time of their current stage' }),
  closed_late: Type.Integer(),
  median_hours: Type.Object({
    register: Nullable(Type.Number()),
    dispatch: Nullable(Type.Number()),
    respond: Nullable(Type.Number()),
    handle: Nullable(Type.Number()),
    verify: Nullable(Type.Number()),
  }),
  callback: Type.Object(
    {
      callbacks: Type.Integer({ description: 'cases of the window with a callback (回访) made by as_of; the latest one counts' }),
      contacted: Type.Integer({ description: 'the citizen says the unit contacted them' }),
      solved: Type.Integer({ description: 'the citizen says the problem is solved' }),
      satisfied: Type.Integer({ description: '满意' }),
      basically_satisfied: Type.Integer({ description: '基本满意' }),
      dissatisfied: Type.Integer({ description: '不满意' }),
      response_rate: Nullable(Type.Number({ description: '响应率 = contacted / callbacks' })),
      resolution_rate: Nullable(Type.Number({ description: '解决率 = solved / callbacks' })),
      satisfaction_rate: Nullable(Type.Number({ description: '满意率 = Σ level value / callbacks that gave a level' })),
    },
    { description: "the citizen's callback answers: the rates Beijing's 接诉即办 ranks by" },
  ),
  score: Type.Number({ description: "composite score 0–100 of the response's scoring profile" }),
});
export type KpiFigures = Static<typeof KpiFigures>;

export const KpiRow = Type.Composite([
  Type.Object({
    /** Admin-unit or department id, category code, or null for the district. */
    key: Nullable(Type.Union([Type.Integer(), Type.String()])),
    name_zh: Type.String(),
    name_en: Type.String(),
    rank: Type.Integer(),
  }),
  KpiFigures,
]);
export type KpiRow = Static<typeof KpiRow>;

export const KpiQuery = Type.Object(
  {
    window: Type.Optional(lit(KPI_WINDOWS)),
    group: Type.Optional(lit(KPI_GROUPS)),
    as_of: Type.Optional(Type.String({ format: 'date-time', description: 'the moment the figures are for; default now' })),
    subdistrict_id: Type.Optional(Type.Integer({ minimum: 1 })),
    department_id: Type.Optional(Type.Integer({ minimum: 1 })),
    category: Type.Optional(Type.String({ maxLength: 64 })),
    sort: Type.Optional(lit(KPI_SORTS)),
    order: Type.Optional(lit(['asc', 'desc'] as const)),
    profile: Type.Optional(Type.String({ maxLength: 64, description: 'scoring profile id (data/standards/scoring-profiles.json); default the file\'s default' })),
  },
  { additionalProperties: false },
);
export type KpiQuery = Static<typeof KpiQuery>;

export const KpiResponse = Type.Object({
  window: lit(KPI_WINDOWS),
  group: lit(KPI_GROUPS),
  from: Type.String(),
  to: Type.String(),
  as_of: Type.String(),
  profile: ScoringProfileView,
  rows: Type.Array(KpiRow),
});
export type KpiResponse = Static<typeof KpiResponse>;

export const SeriesQuery = Type.Object(
  {
    window: Type.Optional(lit(SERIES_WINDOWS)),
    as_of: Type.Optional(Type.String({ format: 'date-time' })),
    subdistrict_id: Type.Optional(Type.Integer({ minimum: 1 })),
    department_id: Type.Optional(Type.Integer({ minimum: 1 })),
    category: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type SeriesQuery = Static<typeof SeriesQuery>;

export const SeriesPoint = Type.Object({
  start: Type.String(),
  reported: Type.Integer(),
  accepted: Type.Integer(),
  closed: Type.Integer(),
  rated: Type.Integer(),
  satisfied: Type.Integer(),
  satisfaction_rate: Nullable(Type.Number()),
});
export const SeriesResponse = Type.Object({ window: lit(SERIES_WINDOWS), bucket: lit(['hour', 'day'] as const), as_of: Type.String(), points: Type.Array(SeriesPoint) });
export type SeriesResponse = Static<typeof SeriesResponse>;

export const ProfilesResponse = Type.Object({
  default: Type.String(),
  callback_satisfaction_levels: Type.Object({ satisfied: Type.Number(), basically_satisfied: Type.Number(), dissatisfied: Type.Number() }),
  profiles: Type.Array(ScoringProfileView),
});
export type ProfilesResponse = Static<typeof ProfilesResponse>;

/** What `kpi.updated` carries: today's figures for the district and each subdistrict. */
export interface KpiSnapshot {
  window: 'today';
  as_of: string;
  district: KpiFigures;
  subdistricts: KpiRow[];
}
