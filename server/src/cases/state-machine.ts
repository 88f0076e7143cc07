/**
 * The closed loop of a case (发现、上报、立案、派遣、处置、核查、结案、评价) as a state machine.
 * Only the transitions listed here are legal; anything else is a 409 naming both states.
 */

export const CASE_STATUSES = ['reported', 'registered', 'dispatched', 'accepted', 'handled', 'verified', 'closed', 'evaluated', 'rejected'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_ACTIONS = ['register', 'reject', 'dispatch', 'reassign', 'return', 'accept', 'handle', 'reopen', 'verify', 'close', 'evaluate'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** Statuses in which a case is finished: nothing more is due. */
export const FINAL_STATUSES: readonly CaseStatus[] = ['closed', 'evaluated', 'rejected'];

/** People who act on cases; an admin and an intake system holding `cases.transition` may take every action. */
type Actor = 'dispatcher' | 'commander' | 'responder';

interface Transition {
  from: readonly CaseStatus[];
  to: CaseStatus;
  /** Who may take the action (within their scope: a commander's subdistrict, a responder's department). */
  who: readonly Actor[];
}

/**
 * - register: the case is accepted as a valid case (立案); reject: it is not (无效件).
 * - dispatch: sent to a department (派遣); reassign: sent to another one while with a department;
 *   return: the department hands it back (退件) and the center dispatches it again.
 * - accept: the department responds (响应); handle: it reports the work done (处置).
 * - verify: the center checks the result (核查); reopen: the check fails and it goes back.
 * - close: the case is closed (结案); evaluate: the citizen rates it (评价).
 */
export const TRANSITIONS: Readonly<Record<CaseAction, Transition>> = {
  register: { from: ['reported'], to: 'registered', who: ['dispatcher', 'commander'] },
  reject: { from: ['reported', 'registered'], to: 'rejected', who: ['dispatcher', 'commander'] },
  dispatch: { from: ['registered'], to: 'dispatched', who: ['dispatcher', 'commander'] },
  reassign: { from: ['dispatched', 'accepted'], to: 'dispatched', who: ['dispatcher', 'commander'] },
  return: { from: ['dispatched', 'accepted'], to: 'registered', who: ['dispatcher', 'responder'] },
  accept: { from: ['dispatched'], to: 'accepted', who: ['dispatcher', 'responder'] },
  handle: { from: ['accepted'], to: 'handled', who: ['dispatcher', 'responder'] },
  reopen: { from: ['handled'], to: 'accepted', who: ['dispatcher', 'commander'] },
  verify: { from: ['handled'], to: 'verified', who: ['dispatcher', 'commander'] },
  close: { from: ['verified'], to: 'closed', who: ['dispatcher'] },
  evaluate: { from: ['closed'], to: 'evaluated', who: ['dispatcher'] },
};

/** Whether a role may take an action at all (scope is checked by the repository). */
export function roleMayTake(role: string, action: CaseAction): boolean {
  return role === 'admin' || role === 'integration' || (TRANSITIONS[action].who as readonly string[]).includes(role);
}

/** The status `action` leads to from `from`, or undefined when the transition is not legal. */
export function nextStatus(from: CaseStatus, action: CaseAction): CaseStatus | undefined {
  const t = TRANSITIONS[action];
  return t.from.includes(from) ? t.to : undefined;
}

/** The actions legal from a status, in loop order. */
export function actionsFrom(status: CaseStatus): CaseAction[] {
  return CASE_ACTIONS.filter((a) => TRANSITIONS[a].from.includes(status));
}

/** Whether a case in this status counts as open (work or a check is still due). */
export function isOpen(status: CaseStatus): boolean {
  return !FINAL_STATUSES.includes(status);
}
