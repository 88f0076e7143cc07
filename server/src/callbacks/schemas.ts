import { Type, type Static } from '@sinclair/typebox';
import { lit } from '../cases/schemas.ts';
import { CALLBACK_LEVELS } from '../kpis/scoring.ts';

/** What the dispatcher records after calling the citizen back (回访). */
export const CallbackInput = Type.Object(
  {
    contacted: Type.Boolean({ description: 'the citizen says the handling unit contacted them' }),
    solved: Type.Boolean({ description: 'the citizen says the problem is solved' }),
    satisfaction: Type.Optional(lit(CALLBACK_LEVELS, '满意 satisfied, 基本满意 basically_satisfied, 不满意 dissatisfied; leave out when the citizen gives none')),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type CallbackInput = Static<typeof CallbackInput>;

export const CallbackView = Type.Object({
  id: Type.Integer(),
  case_id: Type.Integer(),
  at: Type.String(),
  actor: Type.String(),
  contacted: Type.Boolean(),
  solved: Type.Boolean(),
  satisfaction: Type.Union([lit(CALLBACK_LEVELS), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
});
export type CallbackView = Static<typeof CallbackView>;

export const CallbackList = Type.Object({ items: Type.Array(CallbackView) });
export type CallbackList = Static<typeof CallbackList>;
