import { Type } from '@sinclair/typebox';
import { Described } from '../lib/response-schemas.ts';

/** Response schemas of the coverage routes (the API document); inner shapes are the service's. */
const Threshold = Described('the walking threshold used', { metres: Type.Number(), minutes: Type.Union([Type.Number(), Type.Null()]), speed: Type.Number(), key: Type.String() });
const Figures = Described('population and buildings covered', {
  population: Type.Number(),
  population_covered: Type.Number(),
  share: Type.Number(),
  buildings: Type.Number(),
  buildings_covered: Type.Number(),
});

export const Kinds = Described('the life-circle kinds, circles, limits and defaults', {
  kinds: Type.Array(Type.Unknown()),
  circles: Type.Array(Type.Unknown()),
  limits: Type.Unknown(),
  defaults: Type.Unknown(),
});
export const Coverage = Described('population within the threshold of a kind, for the district and per unit', {
  kind: Type.String(),
  threshold: Threshold,
  facilities: Type.Number(),
  facilities_off_network: Type.Number(),
  district: Figures,
  units: Type.Array(Type.Unknown()),
});
export const Reach = Described('walking metres from one node to every node within the threshold', {
  node: Type.Number(),
  threshold: Threshold,
  nodes: Type.Record(Type.String(), Type.Number()),
});
export const WhatIf = Described('coverage before and after the change', {
  kind: Type.String(),
  threshold: Threshold,
  before: Type.Unknown(),
  after: Type.Unknown(),
  delta: Type.Unknown(),
  units: Type.Array(Type.Unknown()),
});
export const Siting = Described('proposed sites by greedy maximum coverage', {
  kind: Type.String(),
  threshold: Threshold,
  method: Type.String(),
  before: Type.Unknown(),
  sites: Type.Array(Type.Unknown()),
});
export const Checklist = Described('the life-circle checklist per community', { rule: Type.String(), communities: Type.Array(Type.Unknown()) });
export const Adopted = Described('the planned facility as stored', {
  id: Type.Number(),
  kind: Type.String(),
  name: Type.String(),
  lon: Type.Number(),
  lat: Type.Number(),
  status: Type.Literal('planned'),
  place: Type.Unknown({ description: 'the nearest named street and the community around the site' }),
});
export const Planned = Described('planned facilities with who adopted each and when', { facilities: Type.Array(Type.Unknown()) });
export const Complaints = Described('related complaints per community beside the coverage, ranked by score', {
  kind: Type.String(),
  threshold: Threshold,
  categories: Type.Array(Type.String()),
  category_names: Type.Array(Type.Unknown({ description: 'code, name_zh and name_en of each category' })),
  reasons: Type.Array(Type.String()),
  window: Type.Unknown(),
  rule: Type.String(),
  district: Type.Unknown(),
  communities: Type.Array(Type.Unknown()),
  points: Type.Array(Type.Unknown({ description: '[lon, lat] of each related complaint' })),
});
