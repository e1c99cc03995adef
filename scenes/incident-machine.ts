/**
 * The incident (work order, 工单) state machine: the single source of legal transitions, used by
 * the server to apply commands and by clients to decide which buttons to show.
 *
 * reported → dispatched → accepted → on_site → resolved → closed, with reject / reassign / reopen /
 * escalate paths. Every applied command bumps `version` by one and appends one history entry.
 * Pure: time comes in as `nowTs`, inputs are never mutated, errors are values with stable codes.
 */
import { INCIDENT_ACTIONS } from './domain';
import type {
  AlertLevel,
  Alert,
  DistrictCode,
  Incident,
  IncidentAction,
  IncidentSource,
  IncidentState,
  IncidentTransition,
  LngLat,
  Priority,
  Role,
  SceneId,
} from './domain';
import type { Command, IocError, Result } from './protocol';
import { STORM_INCIDENT_ACTIONS } from './storm/storm-incident';
import type { StormIncidentAction } from './storm/storm-incident';
import { DEFAULT_SLA, priorityForLevel, raisePriority, slaDeadlines } from './sla';
import type { SlaPolicy } from './sla';
import { copyDispatchImpact } from './impact/dispatch-impact';

/** Who performs a command, as verified from their token (never from the payload). */
export interface Actor {
  username: string;
  role: Role;
}

/** The username recorded for automatic steps (incidents opened from alerts). */
export const SYSTEM_ACTOR_NAME = 'system';

export type IncidentCommand = Extract<Command, { type: `incident.${string}` }>;

/** Commands that act on an existing incident (everything except create). */
export type IncidentTransitionCommand = Exclude<IncidentCommand, { type: 'incident.create' }>;

type TransitionAction = Exclude<IncidentAction, 'create'>;

export interface TransitionSpec {
  /** states the action may start from */
  from: readonly IncidentState[];
  /** resulting state; 'same' = the state does not change. `reject` goes back to 'reported' only when the last assignee rejects. */
  to: IncidentState | 'same';
  /** roles allowed to perform it */
  roles: readonly Role[];
  /** a handler may perform it only when listed in the incident's assignees (other roles are not restricted) */
  assigneeOnly: boolean;
}

const NOT_CLOSED = ['reported', 'dispatched', 'accepted', 'on_site', 'resolved'] as const satisfies readonly IncidentState[];
/** = IN_PROGRESS_INCIDENT_STATES (incident-states.ts): the storm rules act on incidents still being worked on */
const IN_PROGRESS = ['reported', 'dispatched', 'accepted', 'on_site'] as const satisfies readonly IncidentState[];

export const INCIDENT_TRANSITIONS: Record<TransitionAction, TransitionSpec> = {
  dispatch: { from: ['reported'], to: 'dispatched', roles: ['officer', 'admin'], assigneeOnly: false },
  accept: { from: ['dispatched'], to: 'accepted', roles: ['handler', 'admin'], assigneeOnly: true },
  reject: { from: ['dispatched'], to: 'reported', roles: ['handler'], assigneeOnly: true },
  en_route: { from: ['accepted'], to: 'same', roles: ['handler', 'admin'], assigneeOnly: true },
  arrive: { from: ['accepted'], to: 'on_site', roles: ['handler', 'admin'], assigneeOnly: true },
  resolve: { from: ['on_site'], to: 'resolved', roles: ['handler', 'admin'], assigneeOnly: true },
  close: { from: ['resolved'], to: 'closed', roles: ['officer', 'admin'], assigneeOnly: false },
  reopen: { from: ['resolved'], to: 'dispatched', roles: ['officer', 'admin'], assigneeOnly: false },
  reassign: { from: ['dispatched', 'accepted', 'on_site'], to: 'dispatched', roles: ['officer', 'admin'], assigneeOnly: false },
  escalate: { from: NOT_CLOSED, to: 'same', roles: ['officer', 'admin'], assigneeOnly: false },
  approve_escalation: { from: NOT_CLOSED, to: 'same', roles: ['leader', 'admin'], assigneeOnly: false },
  return_escalation: { from: NOT_CLOSED, to: 'same', roles: ['leader', 'admin'], assigneeOnly: false },
  link_alert: { from: NOT_CLOSED, to: 'same', roles: ['officer', 'admin'], assigneeOnly: false },
  note: { from: NOT_CLOSED, to: 'same', roles: ['officer', 'leader', 'admin', 'handler'], assigneeOnly: true },
  // issue 14 (storm operations): checked here (buttons, role, state), applied by the rules in
  // scenes/storm/ — see STORM_INCIDENT_ACTIONS. Steps with no roles are the system's, never a user command.
  reprioritise: { from: IN_PROGRESS, to: 'same', roles: [], assigneeOnly: false },
  merge: { from: IN_PROGRESS, to: 'same', roles: ['officer', 'admin'], assigneeOnly: false },
  merged_into: { from: IN_PROGRESS, to: 'closed', roles: [], assigneeOnly: false },
  split: { from: IN_PROGRESS, to: 'same', roles: ['officer', 'admin'], assigneeOnly: false },
  close_unresolved: { from: ['reported', 'dispatched'], to: 'closed', roles: ['officer', 'admin'], assigneeOnly: false },
  supervise: { from: IN_PROGRESS, to: 'same', roles: ['leader', 'admin'], assigneeOnly: false },
};

/** Roles that may create incidents, and the source each must use (null = any source). */
const CREATE_SOURCES: Partial<Record<Role, IncidentSource | null>> = {
  officer: null,
  admin: null,
  handler: 'field_report',
};

function fail(code: IocError['code'], message: string, details?: unknown): { ok: false; error: IocError } {
  return details === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message, details } };
}

/** Role and assignee check only (no state). null = allowed. */
function checkPermission(actor: Actor, action: TransitionAction, incident: Incident): IocError | null {
  const spec = INCIDENT_TRANSITIONS[action];
  if (!spec.roles.includes(actor.role)) {
    return { code: 'E_FORBIDDEN', message: `role '${actor.role}' may not ${action} an incident` };
  }
  if (spec.assigneeOnly && actor.role === 'handler' && !incident.assignees.includes(actor.username)) {
    return { code: 'E_FORBIDDEN', message: `${actor.username} is not assigned to incident ${incident.id}` };
  }
  return null;
}

/** State check only (no role). null = the action is legal in the incident's current state. */
function checkState(action: TransitionAction, incident: Incident): IocError | null {
  const spec = INCIDENT_TRANSITIONS[action];
  if (!spec.from.includes(incident.state)) {
    return { code: 'E_CONFLICT', message: `cannot ${action} an incident in state '${incident.state}'`, details: { current: incident } };
  }
  if (action === 'escalate' && incident.escalated) {
    return { code: 'E_CONFLICT', message: 'incident is already escalated', details: { current: incident } };
  }
  if ((action === 'approve_escalation' || action === 'return_escalation') && !incident.escalated) {
    return { code: 'E_CONFLICT', message: 'incident is not escalated', details: { current: incident } };
  }
  if ((action === 'close' || action === 'close_unresolved') && incident.escalated) {
    return { code: 'E_CONFLICT', message: 'cannot close an incident awaiting a leader decision on its escalation', details: { current: incident } };
  }
  if (action === 'split' && incident.alertIds.length < 2) {
    return { code: 'E_CONFLICT', message: 'cannot split the only alert out of an incident', details: { current: incident } };
  }
  return null;
}

/**
 * Whether `actor` may perform `action` on `incident` now (role, assignment and state).
 * For 'create' pass `incident` null: true for roles allowed to create incidents.
 */
export function canPerform(actor: Actor, action: IncidentAction, incident: Incident | null): boolean {
  if (action === 'create') return actor.role in CREATE_SOURCES;
  if (incident === null) return false;
  return checkPermission(actor, action, incident) === null && checkState(action, incident) === null;
}

/** Actions `actor` can perform on `incident` now, in INCIDENT_ACTIONS order (for buttons in UIs). */
export function availableActions(actor: Actor, incident: Incident): IncidentAction[] {
  return INCIDENT_ACTIONS.filter((action) => action !== 'create' && canPerform(actor, action, incident));
}

export interface CreateIncidentInput {
  id: string;
  commandId: string;
  actor: Actor;
  /** epoch ms */
  nowTs: number;
  title: string;
  titleEn?: string;
  category: string;
  scene: SceneId;
  location: LngLat;
  district: DistrictCode;
  priority: Priority;
  level: AlertLevel | null;
  source: IncidentSource;
  alertIds: string[];
  deviceId?: string;
  note?: string;
  photos?: string[];
  sla?: Record<Priority, SlaPolicy>;
}

/** Open a new incident in state 'reported' (version 1, one 'create' history entry). */
export function createIncident(input: CreateIncidentInput): Result<{ incident: Incident }> {
  const { actor } = input;
  if (!(actor.role in CREATE_SOURCES)) return fail('E_FORBIDDEN', `role '${actor.role}' may not create incidents`);
  const requiredSource = CREATE_SOURCES[actor.role];
  if (requiredSource && input.source !== requiredSource) {
    return fail('E_FORBIDDEN', `role '${actor.role}' may only create incidents from a ${requiredSource}`);
  }
  if (input.title.trim() === '') return fail('E_VALIDATION', 'title must not be empty');
  if (input.category.trim() === '') return fail('E_VALIDATION', 'category must not be empty');
  return { ok: true, incident: buildIncident(input, actor.username) };
}

function buildIncident(input: Omit<CreateIncidentInput, 'actor'>, reportedBy: string): Incident {
  const { nowTs } = input;
  const entry: IncidentTransition = {
    action: 'create',
    from: null,
    to: 'reported',
    actor: reportedBy,
    ts: nowTs,
    commandId: input.commandId,
    ...(input.note !== undefined ? { note: input.note } : {}),
  };
  return {
    id: input.id,
    version: 1,
    state: 'reported',
    priority: input.priority,
    level: input.level,
    scene: input.scene,
    category: input.category,
    title: input.title,
    ...(input.titleEn !== undefined ? { titleEn: input.titleEn } : {}),
    district: input.district,
    location: [input.location[0], input.location[1]],
    source: input.source,
    alertIds: [...new Set(input.alertIds)],
    ...(input.deviceId !== undefined ? { deviceId: input.deviceId } : {}),
    assignees: [],
    escalated: false,
    createdTs: nowTs,
    updatedTs: nowTs,
    ...slaDeadlines(input.priority, nowTs, input.sla ?? DEFAULT_SLA),
    reportedBy,
    photos: [...(input.photos ?? [])],
    history: [entry],
  };
}

/** Open an incident for an alert automatically: actor 'system', source 'alert', priority from the alert level. */
export function createIncidentFromAlert(
  alert: Alert,
  input: { id: string; commandId: string; nowTs: number; category: string; sla?: Record<Priority, SlaPolicy> },
): Incident {
  return buildIncident(
    {
      id: input.id,
      commandId: input.commandId,
      nowTs: input.nowTs,
      title: alert.title,
      titleEn: alert.titleEn,
      category: input.category,
      scene: alert.scene,
      location: alert.location,
      district: alert.district,
      priority: priorityForLevel(alert.level),
      level: alert.level,
      source: 'alert',
      alertIds: [alert.id],
      deviceId: alert.deviceId,
      ...(input.sla ? { sla: input.sla } : {}),
    },
    SYSTEM_ACTOR_NAME,
  );
}

/** The incident action a command performs. */
export function actionOfCommand(cmd: IncidentCommand): IncidentAction {
  return cmd.type.slice('incident.'.length) as IncidentAction;
}

function requireNote(note: string | undefined, action: TransitionAction): IocError | null {
  return note === undefined || note.trim() === '' ? { code: 'E_VALIDATION', message: `a note is required to ${action}` } : null;
}

function checkAssignees(assignees: readonly string[]): IocError | null {
  if (assignees.length === 0) return { code: 'E_VALIDATION', message: 'at least one assignee is required' };
  if (new Set(assignees).size !== assignees.length) return { code: 'E_VALIDATION', message: 'assignees must not repeat' };
  return null;
}

/**
 * Commands whose effect does not depend on the incident's other fields: a note appended, an alert
 * linked. Without `expectedVersion` such a command is applied to whatever version is current, so a
 * concurrent change is no reason to refuse it (the server re-applies it on a version conflict).
 */
export function isCommutativeCommand(type: IncidentTransitionCommand['type']): boolean {
  return type === 'incident.note' || type === 'incident.link_alert';
}

/** Whether `action` is applied by a rule in scenes/storm/ rather than by applyIncidentCommand. */
export function isStormAction(action: IncidentAction): action is StormIncidentAction {
  return (STORM_INCIDENT_ACTIONS as readonly string[]).includes(action);
}

/**
 * The checks every command on an existing incident passes, in order: it targets this incident
 * (E_VALIDATION), role and assignment (E_FORBIDDEN), expectedVersion (E_CONFLICT with
 * details.current), the current state (E_CONFLICT). null = go ahead. The server runs it before a
 * storm rule (close_unresolved, merge, split, supervise) so those answer like every other command.
 */
export function checkIncidentCommand(incident: Incident, cmd: IncidentTransitionCommand, actor: Actor): IocError | null {
  if (cmd.incidentId !== incident.id) return { code: 'E_VALIDATION', message: `command targets incident ${cmd.incidentId}, not ${incident.id}` };
  const action = actionOfCommand(cmd) as TransitionAction;
  const forbidden = checkPermission(actor, action, incident);
  if (forbidden) return forbidden;
  if (cmd.expectedVersion !== undefined && cmd.expectedVersion !== incident.version) {
    return {
      code: 'E_CONFLICT',
      message: `incident ${incident.id} is at version ${incident.version}, not ${cmd.expectedVersion}`,
      details: { current: incident },
    };
  }
  return checkState(action, incident);
}

/** Commands applied by the rules in scenes/storm/ (they need a second incident, an alert, or a storm rule's own checks). */
export type StormIncidentCommand = Extract<IncidentTransitionCommand, { type: `incident.${StormIncidentAction}` }>;

/** Commands applyIncidentCommand applies itself. */
export type MachineIncidentCommand = Exclude<IncidentTransitionCommand, StormIncidentCommand>;

export function isStormCommand(cmd: IncidentTransitionCommand): cmd is StormIncidentCommand {
  return isStormAction(actionOfCommand(cmd));
}

/**
 * Apply one command to an incident. Checks, in order: the command targets this incident (E_VALIDATION),
 * role and assignment (E_FORBIDDEN), expectedVersion (E_CONFLICT with details.current), the current
 * state (E_CONFLICT), then the command's input (E_VALIDATION). Storm commands (merge, split,
 * close_unresolved, supervise) pass the same checks and are then refused with E_VALIDATION: the
 * rules in scenes/storm/ apply them.
 */
export function applyIncidentCommand(incident: Incident, cmd: IncidentCommand, actor: Actor, nowTs: number): Result<{ incident: Incident }> {
  if (cmd.type === 'incident.create') return fail('E_VALIDATION', 'incident.create opens a new incident; use createIncident');
  const refused = checkIncidentCommand(incident, cmd, actor);
  if (refused) return { ok: false, error: refused };
  if (isStormCommand(cmd)) return fail('E_VALIDATION', `${cmd.type} is applied by the storm rules (scenes/storm/), not by applyIncidentCommand`);
  const action = actionOfCommand(cmd) as TransitionAction;

  const outcome = transition(incident, cmd, actor);
  if ('error' in outcome) return { ok: false, error: outcome.error };

  const { next, entryExtra } = outcome;
  const entry: IncidentTransition = {
    action,
    from: incident.state,
    to: next.state,
    actor: actor.username,
    ts: nowTs,
    commandId: cmd.commandId,
    ...(cmd.note !== undefined ? { note: cmd.note } : {}),
    ...entryExtra,
  };
  const stamped: Incident = {
    ...next,
    version: incident.version + 1,
    updatedTs: nowTs,
    history: [...incident.history, entry],
    ...(action === 'resolve' ? { resolvedTs: nowTs } : {}),
    ...(action === 'close' ? { closedTs: nowTs } : {}),
  };
  return { ok: true, incident: stamped };
}

type TransitionOutcome = { next: Incident; entryExtra: Partial<Pick<IncidentTransition, 'assignees' | 'location' | 'impact'>> } | { error: IocError };

/** The state-specific part of a command, after permission, version and state checks passed. */
function transition(incident: Incident, cmd: MachineIncidentCommand, actor: Actor): TransitionOutcome {
  switch (cmd.type) {
    case 'incident.dispatch':
    case 'incident.reassign': {
      const invalid = checkAssignees(cmd.assignees);
      if (invalid) return { error: invalid };
      const assignees = [...cmd.assignees];
      // the impact block rides on the history entry as sent (display only); the note stays the officer's text
      return {
        next: { ...incident, state: 'dispatched', assignees },
        entryExtra: { assignees: [...assignees], ...(cmd.impact ? { impact: copyDispatchImpact(cmd.impact) } : {}) },
      };
    }
    case 'incident.accept':
      return { next: { ...incident, state: 'accepted' }, entryExtra: {} };
    case 'incident.reject': {
      const invalid = requireNote(cmd.note, 'reject');
      if (invalid) return { error: invalid };
      const assignees = incident.assignees.filter((a) => a !== actor.username);
      const state: IncidentState = assignees.length === 0 ? 'reported' : 'dispatched';
      return { next: { ...incident, state, assignees }, entryExtra: { assignees: [...assignees] } };
    }
    case 'incident.en_route':
      return { next: { ...incident }, entryExtra: {} };
    case 'incident.arrive':
      return {
        next: { ...incident, state: 'on_site' },
        entryExtra: cmd.location ? { location: [cmd.location[0], cmd.location[1]] } : {},
      };
    case 'incident.resolve': {
      const invalid = requireNote(cmd.note, 'resolve');
      if (invalid) return { error: invalid };
      return { next: { ...incident, state: 'resolved', photos: [...incident.photos, ...(cmd.photos ?? [])] }, entryExtra: {} };
    }
    case 'incident.close':
      return { next: { ...incident, state: 'closed' }, entryExtra: {} };
    case 'incident.reopen': {
      const invalid = requireNote(cmd.note, 'reopen');
      if (invalid) return { error: invalid };
      // Verification failed: the work goes back to the same handlers; it is no longer resolved.
      const { resolvedTs: _resolvedTs, ...rest } = incident;
      return { next: { ...rest, state: 'dispatched' }, entryExtra: {} };
    }
    case 'incident.escalate': {
      const invalid = requireNote(cmd.note, 'escalate');
      if (invalid) return { error: invalid };
      return { next: { ...incident, escalated: true }, entryExtra: {} };
    }
    case 'incident.approve_escalation':
      return { next: { ...incident, escalated: false, priority: raisePriority(incident.priority) }, entryExtra: {} };
    case 'incident.return_escalation': {
      const invalid = requireNote(cmd.note, 'return_escalation');
      if (invalid) return { error: invalid };
      return { next: { ...incident, escalated: false }, entryExtra: {} };
    }
    case 'incident.note': {
      const invalid = requireNote(cmd.note, 'note');
      if (invalid) return { error: invalid };
      return { next: { ...incident }, entryExtra: {} };
    }
    case 'incident.link_alert': {
      if (incident.alertIds.includes(cmd.alertId)) {
        return { error: { code: 'E_CONFLICT', message: `alert ${cmd.alertId} is already linked to ${incident.id}`, details: { current: incident } } };
      }
      return { next: { ...incident, alertIds: [...incident.alertIds, cmd.alertId] }, entryExtra: {} };
    }
    default: {
      const unreachable: never = cmd;
      return { error: { code: 'E_VALIDATION', message: `unknown command ${(unreachable as { type: string }).type}` } };
    }
  }
}
