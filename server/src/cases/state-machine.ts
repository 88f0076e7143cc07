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

/** Request fields an action may carry beyond `action`. */
export type TransitionField = 'note' | 'satisfaction' | 'department_code';

/**
 * What an action does to a column: `now` stamps the time, `clear` empties it (a stage taken
 * back), `increment` counts, `department` / `satisfaction` store the value the service resolved.
 */
export type ColumnEffect = 'now' | 'clear' | 'increment' | 'department' | 'satisfaction';

interface Transition {
  from: readonly CaseStatus[];
  to: CaseStatus;
  /** Who may take the action (within their scope: a commander's subdistrict, a responder's department). */
  who: readonly Actor[];
  /** Fields the request must carry, with the reason shown when one is missing. */
  requires?: Readonly<Partial<Record<TransitionField, string>>>;
  /** Fields the request may carry (besides `note`, which every action may). */
  accepts?: readonly TransitionField[];
  /** The columns the action sets; every action also sets status, updated_at and (given a note) status_note. */
  sets: Readonly<Record<string, ColumnEffect>>;
}

/**
 * - register: the case is accepted as a valid case (立案); reject: it is not (无效件).
 * - dispatch: sent to a department (派遣); reassign: sent to another one while with a department;
 *   return: the department hands it back (退件) and the center dispatches it again.
 * - accept: the department responds (响应); handle: it reports the work done (处置).
 * - verify: the center checks the result (核查); reopen: the check fails and it goes back.
 * - close: the case is closed (结案); evaluate: the citizen rates it (评价).
 * Returning or reassigning clears the stages after registration so response time counts from
 * the new dispatch; reopening clears the handling time.
 */
export const TRANSITIONS: Readonly<Record<CaseAction, Transition>> = {
  register: { from: ['reported'], to: 'registered', who: ['dispatcher', 'commander'], sets: { registered_at: 'now' } },
  reject: {
    from: ['reported', 'registered'],
    to: 'rejected',
    who: ['dispatcher', 'commander'],
    requires: { note: 'a note giving the reason is required to reject a case' },
    sets: { rejected_at: 'now' },
  },
  dispatch: { from: ['registered'], to: 'dispatched', who: ['dispatcher', 'commander'], accepts: ['department_code'], sets: { dispatched_at: 'now', department_id: 'department' } },
  reassign: {
    from: ['dispatched', 'accepted'],
    to: 'dispatched',
    who: ['dispatcher', 'commander'],
    requires: { department_code: 'department_code is required to reassign a case' },
    accepts: ['department_code'],
    sets: { dispatched_at: 'now', accepted_at: 'clear', department_id: 'department' },
  },
  return: {
    from: ['dispatched', 'accepted'],
    to: 'registered',
    who: ['dispatcher', 'responder'],
    requires: { note: 'a note giving the reason is required to return a case' },
    sets: { dispatched_at: 'clear', accepted_at: 'clear', return_count: 'increment' },
  },
  accept: { from: ['dispatched'], to: 'accepted', who: ['dispatcher', 'responder'], sets: { accepted_at: 'now' } },
  handle: { from: ['accepted'], to: 'handled', who: ['dispatcher', 'responder'], sets: { handled_at: 'now' } },
  reopen: {
    from: ['handled'],
    to: 'accepted',
    who: ['dispatcher', 'commander'],
    requires: { note: 'a note giving the reason is required to reopen a case' },
    sets: { handled_at: 'clear', reopen_count: 'increment' },
  },
  verify: { from: ['handled'], to: 'verified', who: ['dispatcher', 'commander'], sets: { verified_at: 'now' } },
  close: { from: ['verified'], to: 'closed', who: ['dispatcher'], sets: { closed_at: 'now' } },
  evaluate: {
    from: ['closed'],
    to: 'evaluated',
    who: ['dispatcher'],
    requires: { satisfaction: 'satisfaction is required to evaluate a case (1 = very dissatisfied … 5 = satisfied)' },
    accepts: ['satisfaction'],
    sets: { evaluated_at: 'now', satisfaction: 'satisfaction' },
  },
};

/** The actions that accept a field, for the message refusing it elsewhere. */
export function actionsAccepting(field: TransitionField): CaseAction[] {
  return CASE_ACTIONS.filter((a) => TRANSITIONS[a].accepts?.includes(field));
}

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
