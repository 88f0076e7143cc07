import { TRANSITIONS, type CaseAction, type CaseStatus } from '../../server/src/cases/state-machine.ts';

/** Actions that bring a new (reported) case to each status, the shortest way. */
export const PATH_TO: Record<CaseStatus, CaseAction[]> = {
  reported: [],
  registered: ['register'],
  dispatched: ['register', 'dispatch'],
  accepted: ['register', 'dispatch', 'accept'],
  handled: ['register', 'dispatch', 'accept', 'handle'],
  verified: ['register', 'dispatch', 'accept', 'handle', 'verify'],
  closed: ['register', 'dispatch', 'accept', 'handle', 'verify', 'close'],
  evaluated: ['register', 'dispatch', 'accept', 'handle', 'verify', 'close', 'evaluate'],
  rejected: ['reject'],
};

/** The body a legal action needs (reasons, a rating, another department). */
export function bodyFor(action: CaseAction, otherDepartment: string): Record<string, unknown> {
  switch (action) {
    case 'reject':
    case 'return':
    case 'reopen':
      return { action, note: `reason for ${action}` };
    case 'evaluate':
      return { action, satisfaction: 4 };
    case 'reassign':
      return { action, department_code: otherDepartment };
    default:
      return { action };
  }
}

/** Every (from, action) pair the state machine allows. */
export const LEGAL = Object.entries(TRANSITIONS).flatMap(([action, t]) => t.from.map((from) => ({ from, action: action as CaseAction, to: t.to })));
