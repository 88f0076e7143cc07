import { buildSetClause, roleMayTake, type SetValue, type WorkflowActor } from '../lib/workflow.ts';

/**
 * A clearance operation's workflow (专项整治, 街巷整治) as one declarative table, in the same
 * form as the whistle's (server/src/whistles/workflow.ts): for each action, the states it may
 * start from, the state it leads to, who may take it, what it requires and the columns it
 * sets. The service validates against the table and the repository builds the UPDATE from it.
 *
 * Each target site goes
 *   pending → in_progress (a responder of an involved department, with a before photo)
 *           → cleared     (the same, with an after photo taken since the site last went in progress)
 *           → verified    (the commander) — or back to in_progress (the commander sends it back, saying why).
 * The operation is open until its commander closes it.
 */

export const SITE_STATUSES = ['pending', 'in_progress', 'cleared', 'verified'] as const;
export type SiteStatus = (typeof SITE_STATUSES)[number];

export const OPERATION_STATUSES = ['open', 'closed'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export const PHOTO_STAGES = ['before', 'after'] as const;
export type PhotoStage = (typeof PHOTO_STAGES)[number];

interface SiteAction {
  from: readonly SiteStatus[];
  /** The status after the action; null when it stays (a photo is added). */
  to: SiteStatus | null;
  who: readonly WorkflowActor[];
  /** A photo of this stage must be on the site: `ever`, or taken since the site entered its present status. */
  requires?: { photo: PhotoStage; since: 'ever' | 'status' };
  /** The action must say why (a note). */
  note?: 'required';
  sets: Readonly<Record<string, SetValue<never>>>;
}

export const SITE_ACTIONS = {
  /** A responder adds photos of the site as found (before the work, or while it runs). */
  photo_before: { from: ['pending', 'in_progress'], to: null, who: ['responder'], sets: {} },
  /** A responder adds photos of the site as left; they count towards clearing only while it is in progress. */
  photo_after: { from: ['in_progress'], to: null, who: ['responder'], sets: {} },
  /** A responder starts work on a site it has photographed. */
  start: {
    from: ['pending'],
    to: 'in_progress',
    who: ['responder'],
    requires: { photo: 'before', since: 'ever' },
    sets: { started_at: { now: true }, started_by: { param: 'actor' }, department_id: { param: 'department_id' } },
  },
  /** A responder reports the site cleared, with an after photo. */
  clear: {
    from: ['in_progress'],
    to: 'cleared',
    who: ['responder'],
    requires: { photo: 'after', since: 'status' },
    sets: { cleared_at: { now: true }, cleared_by: { param: 'actor' }, department_id: { param: 'department_id' } },
  },
  /** The commander checks the cleared site and accepts it (验收). */
  verify: { from: ['cleared'], to: 'verified', who: ['commander'], sets: { verified_at: { now: true }, verified_by: { param: 'actor' } } },
  /** The commander does not accept the clearing and sends the site back, saying why. */
  send_back: {
    from: ['cleared'],
    to: 'in_progress',
    who: ['commander'],
    note: 'required',
    sets: { sent_back_at: { now: true }, sent_back_by: { param: 'actor' }, sent_back_note: { param: 'note' } },
  },
} as const satisfies Record<string, SiteAction>;

export type SiteActionName = keyof typeof SITE_ACTIONS;
/** The actions that move a site (`POST …/sites/:siteId/transitions`); photos have their own route. */
export const SITE_TRANSITIONS = ['start', 'clear', 'verify', 'send_back'] as const satisfies readonly SiteActionName[];
export type SiteTransition = (typeof SITE_TRANSITIONS)[number];

interface OperationAction {
  from: readonly OperationStatus[];
  to: OperationStatus;
  who: readonly WorkflowActor[];
  sets: Readonly<Record<string, SetValue<never>>>;
}

export const OPERATION_ACTIONS = {
  /** A commander opens an operation over an area of its subdistrict. */
  create: { from: [], to: 'open', who: ['commander'], sets: {} },
  /** The commander adds target sites (a click on the map, or a CSV / GeoJSON import). */
  add_sites: { from: ['open'], to: 'open', who: ['commander'], sets: {} },
  /** The commander closes the operation; with sites not yet verified, only saying why. */
  close: { from: ['open'], to: 'closed', who: ['commander'], sets: { status: { param: 'to' }, closed_at: { now: true }, closed_by: { param: 'actor' }, close_note: { param: 'note' } } },
} as const satisfies Record<string, OperationAction>;

export type OperationActionName = keyof typeof OPERATION_ACTIONS;

/** Whether a role may take an action at all (scope is checked against the row, in SQL). */
export function roleMayTakeSiteAction(role: string, action: SiteActionName): boolean {
  return roleMayTake(role, SITE_ACTIONS[action].who);
}
export function roleMayTakeOperationAction(role: string, action: OperationActionName): boolean {
  return roleMayTake(role, OPERATION_ACTIONS[action].who);
}

/** The facts about a site the table's conditions look at. */
export interface SiteFacts {
  status: SiteStatus;
  /** Before photos on the site, ever. */
  before_photos: number;
  /** After photos taken since the site entered its present status. */
  after_photos_since_status: number;
}

/** Whether an action must say why (a request without the note is a 400, whatever the state). */
export function needsNote(action: SiteActionName): boolean {
  return (SITE_ACTIONS[action] as SiteAction).note === 'required';
}

/** Why an action may not be taken on a site in its present state; null when it may. */
export function refuseSiteAction(action: SiteActionName, site: SiteFacts): string | null {
  const a: SiteAction = SITE_ACTIONS[action];
  if (!a.from.includes(site.status)) return `it is ${site.status}, and ${action} is taken only from ${a.from.join(' or ')}`;
  if (a.requires) {
    const n = a.requires.photo === 'before' ? site.before_photos : site.after_photos_since_status;
    if (n === 0) {
      return a.requires.since === 'ever'
        ? `it has no ${a.requires.photo} photo yet; upload one first (POST …/photos with stage "${a.requires.photo}")`
        : `it has no ${a.requires.photo} photo since it went in progress; upload one first (POST …/photos with stage "${a.requires.photo}")`;
    }
  }
  return null;
}

export function refuseOperationAction(action: OperationActionName, status: OperationStatus): string | null {
  const a: OperationAction = OPERATION_ACTIONS[action];
  if (!a.from.includes(status)) return `it is ${status}, and ${action.replace('_', ' ')} is taken only when ${a.from.join(' or ')}`;
  return null;
}

/** The action that takes a photo of a stage. */
export const photoAction = (stage: PhotoStage): SiteActionName => (stage === 'before' ? 'photo_before' : 'photo_after');

/** The SET list of a site action's UPDATE (the status and its time are added from `to`). */
export function siteSetClause(action: SiteActionName, offset: number): { sql: string; params: string[] } {
  return buildSetClause(SITE_ACTIONS[action].sets as Readonly<Record<string, SetValue<never>>>, offset, {});
}
export function operationSetClause(action: OperationActionName, offset: number): { sql: string; params: string[] } {
  return buildSetClause(OPERATION_ACTIONS[action].sets as Readonly<Record<string, SetValue<never>>>, offset, {});
}

/** How close an EXIF position must be to a site (plus the photos' own slack) before it counts as off the site. */
export const SITE_RADIUS_M = 100;
