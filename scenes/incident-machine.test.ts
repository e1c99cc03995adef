import { describe, expect, it } from 'vitest';
import { INCIDENT_ACTIONS, INCIDENT_STATES, PRIORITIES, ROLES } from './domain';
import type { Alert, Incident, IncidentAction, IncidentState, Priority } from './domain';
import {
  applyIncidentCommand,
  availableActions,
  canPerform,
  checkIncidentCommand,
  isStormAction,
  createIncident,
  createIncidentFromAlert,
  INCIDENT_TRANSITIONS,
} from './incident-machine';
import type { Actor, CreateIncidentInput, IncidentCommand, IncidentTransitionCommand } from './incident-machine';
import { DEFAULT_SLA, priorityForLevel, slaDeadlines, slaProgress } from './sla';
import type { DispatchImpact } from './impact/dispatch-impact';

const T0 = 1_700_000_000_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const officer: Actor = { username: 'officer1', role: 'officer' };
const admin: Actor = { username: 'admin', role: 'admin' };
const leader: Actor = { username: 'leader1', role: 'leader' };
const screen: Actor = { username: 'wall1', role: 'screen' };
const h1: Actor = { username: 'h1', role: 'handler' };
const h2: Actor = { username: 'h2', role: 'handler' };
const h3: Actor = { username: 'h3', role: 'handler' };

type TransitionAction = Exclude<IncidentAction, 'create'>;
const TRANSITION_ACTIONS = INCIDENT_ACTIONS.filter((a): a is TransitionAction => a !== 'create');
/** steps of the system only (reprioritise on a worsening alert, the merged-away side of a merge): no command exists */
const SYSTEM_ONLY_ACTIONS = ['reprioritise', 'merged_into'] as const;
type CommandAction = Exclude<TransitionAction, (typeof SYSTEM_ONLY_ACTIONS)[number]>;
const COMMAND_ACTIONS = TRANSITION_ACTIONS.filter((a): a is CommandAction => !(SYSTEM_ONLY_ACTIONS as readonly string[]).includes(a));
/** actions applyIncidentCommand applies itself; the storm ones are applied by scenes/storm/ rules */
const MACHINE_ACTIONS = COMMAND_ACTIONS.filter((a) => !isStormAction(a));
const STORM_COMMAND_ACTIONS = COMMAND_ACTIONS.filter((a) => isStormAction(a));

let commandSeq = 0;
function nextCommandId(): string {
  commandSeq += 1;
  return `cmd-${String(commandSeq).padStart(6, '0')}`;
}

function baseInput(overrides: Partial<CreateIncidentInput> = {}): CreateIncidentInput {
  return {
    id: 'INC-1',
    commandId: 'cmd-create-1',
    actor: officer,
    nowTs: T0,
    title: '燃气泄漏',
    titleEn: 'Gas leak',
    category: 'gas-leak',
    scene: 'emergency',
    location: [120.38, 36.07],
    district: '370202',
    priority: 'P2',
    level: 'orange',
    source: 'manual',
    alertIds: [],
    ...overrides,
  };
}

function created(overrides: Partial<CreateIncidentInput> = {}): Incident {
  const r = createIncident(baseInput(overrides));
  if (!r.ok) throw new Error(r.error.message);
  return r.incident;
}

/** An incident placed directly in a state (fixture), assigned to h1. */
function inState(state: IncidentState, extra: Partial<Incident> = {}): Incident {
  return { ...created(), state, assignees: ['h1'], ...extra };
}

/** A valid command of each action for incident INC-1. */
function commandFor(action: CommandAction, extra: Record<string, unknown> = {}): IncidentTransitionCommand {
  const base = { commandId: nextCommandId(), incidentId: 'INC-1' };
  const byAction: Record<CommandAction, IncidentTransitionCommand> = {
    dispatch: { ...base, type: 'incident.dispatch', assignees: ['h1'] },
    accept: { ...base, type: 'incident.accept' },
    reject: { ...base, type: 'incident.reject', note: '不在辖区' },
    en_route: { ...base, type: 'incident.en_route' },
    arrive: { ...base, type: 'incident.arrive', location: [120.381, 36.071] },
    resolve: { ...base, type: 'incident.resolve', note: '已关阀处置', photos: ['photo-1'] },
    close: { ...base, type: 'incident.close' },
    reopen: { ...base, type: 'incident.reopen', note: '复核未通过' },
    reassign: { ...base, type: 'incident.reassign', assignees: ['h2'] },
    escalate: { ...base, type: 'incident.escalate', note: '需要消防支援' },
    approve_escalation: { ...base, type: 'incident.approve_escalation' },
    return_escalation: { ...base, type: 'incident.return_escalation', note: '现场力量足够' },
    note: { ...base, type: 'incident.note', note: '已通知物业' },
    link_alert: { ...base, type: 'incident.link_alert', alertId: 'gas-1|gas.lel.threshold|1' },
    merge: { ...base, type: 'incident.merge', sourceIncidentId: 'INC-2' },
    split: { ...base, type: 'incident.split', alertId: 'a2' },
    close_unresolved: { ...base, type: 'incident.close_unresolved', outcome: 'false_alarm', reason: '传感器误报' },
    supervise: { ...base, type: 'incident.supervise', note: '请今日办结', deadlineTs: T0 + HOUR_MS },
  };
  return { ...byAction[action], ...extra } as IncidentTransitionCommand;
}

/** An actor allowed by role (and assignment) to perform each action on an incident assigned to h1. */
const ACTOR_FOR: Record<CommandAction, Actor> = {
  dispatch: officer,
  accept: h1,
  reject: h1,
  en_route: h1,
  arrive: h1,
  resolve: h1,
  close: officer,
  reopen: officer,
  reassign: officer,
  escalate: officer,
  approve_escalation: leader,
  return_escalation: leader,
  note: officer,
  link_alert: officer,
  merge: officer,
  split: officer,
  close_unresolved: officer,
  supervise: leader,
};

/** Fixture for the state table: approvals need a pending escalation. */
function tableFixture(action: TransitionAction, state: IncidentState): Incident {
  return inState(state, {
    escalated: action === 'approve_escalation' || action === 'return_escalation',
    // a split needs a second alert to leave behind
    ...(action === 'split' ? { alertIds: ['a1', 'a2'] } : {}),
  });
}

function apply(
  incident: Incident,
  action: CommandAction,
  actor: Actor = ACTOR_FOR[action],
  extra: Record<string, unknown> = {},
  ts = T0 + MINUTE_MS,
) {
  return applyIncidentCommand(incident, commandFor(action, extra), actor, ts);
}

/** What the console sends with 随派单发送: a 500 m range and one assigned team. */
function sampleDispatchImpact(): DispatchImpact {
  return {
    radiusM: 500,
    center: [120.38, 36.07],
    counts: { communities: 2, shelters: 1, shelterFreePlaces: 300, facilities: null, otherAssets: 4, devices: 12, alertingDevices: 2 },
    resources: [{ name: '市南消防救援站', nameEn: 'Shinan Fire Station', quantity: 7, unit: 'member' }],
  };
}

function must(r: ReturnType<typeof applyIncidentCommand>): Incident {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.incident;
}

describe('state table: every action from every state', () => {
  const cases = MACHINE_ACTIONS.flatMap((action) => INCIDENT_STATES.map((state) => [action, state] as const));

  it.each(cases)('%s from %s succeeds exactly when the state is legal, with the right target state', (action, state) => {
    const spec = INCIDENT_TRANSITIONS[action];
    const incident = tableFixture(action, state);
    const r = apply(incident, action);
    if (spec.from.includes(state)) {
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const expectedTo = spec.to === 'same' ? state : spec.to;
      expect(r.incident.state).toBe(expectedTo);
      expect(r.incident.version).toBe(incident.version + 1);
      expect(r.incident.history).toHaveLength(incident.history.length + 1);
      expect(r.incident.history.at(-1)).toMatchObject({ action, from: state, to: expectedTo, actor: ACTOR_FOR[action].username });
    } else {
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe('E_CONFLICT');
      expect(r.error.message).toContain(state);
    }
  });

  it('lists closed as a dead end: nothing applies to a closed incident', () => {
    expect(availableActions(admin, inState('closed'))).toEqual([]);
  });
});

describe('role matrix', () => {
  it('never lets a screen do anything', () => {
    expect(canPerform(screen, 'create', null)).toBe(false);
    expect(createIncident(baseInput({ actor: screen })).ok).toBe(false);
    for (const action of COMMAND_ACTIONS) {
      for (const state of INCIDENT_STATES) {
        const incident = tableFixture(action, state);
        expect(canPerform(screen, action, incident)).toBe(false);
        const r = apply(incident, action, screen);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
      }
    }
  });

  it('lets a handler act only on incidents assigned to them', () => {
    for (const action of ['accept', 'reject', 'note'] as const) {
      const incident = inState('dispatched');
      expect(canPerform(h1, action, incident)).toBe(true);
      expect(canPerform(h2, action, incident)).toBe(false);
      const r = apply(incident, action, h2);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('E_FORBIDDEN');
    }
    expect(availableActions(h2, inState('accepted'))).toEqual([]);
    expect(availableActions(h1, inState('accepted'))).toEqual(['en_route', 'arrive', 'note']);
  });

  it('never lets a handler dispatch, close, reopen, reassign, escalate or approve', () => {
    for (const action of ['dispatch', 'close', 'reopen', 'reassign', 'escalate', 'approve_escalation', 'return_escalation'] as const) {
      for (const state of INCIDENT_STATES) expect(canPerform(h1, action, tableFixture(action, state))).toBe(false);
    }
  });

  it('limits a leader to escalation decisions, notes and supervision (督办)', () => {
    const allowed = new Set<IncidentAction>();
    for (const action of TRANSITION_ACTIONS) {
      for (const state of INCIDENT_STATES) if (canPerform(leader, action, tableFixture(action, state))) allowed.add(action);
    }
    expect([...allowed].sort()).toEqual(['approve_escalation', 'note', 'return_escalation', 'supervise']);
    expect(canPerform(leader, 'create', null)).toBe(false);
  });

  it('lets officers, admins and handlers create incidents, handlers only as field reports', () => {
    expect(canPerform(officer, 'create', null)).toBe(true);
    expect(canPerform(admin, 'create', null)).toBe(true);
    expect(canPerform(h1, 'create', null)).toBe(true);
    const handlerManual = createIncident(baseInput({ actor: h1, source: 'manual' }));
    expect(handlerManual.ok).toBe(false);
    if (!handlerManual.ok) expect(handlerManual.error.code).toBe('E_FORBIDDEN');
    const fieldReport = createIncident(baseInput({ actor: h1, source: 'field_report' }));
    expect(fieldReport.ok && fieldReport.incident.reportedBy).toBe('h1');
    const leaderCreate = createIncident(baseInput({ actor: leader }));
    expect(!leaderCreate.ok && leaderCreate.error.code).toBe('E_FORBIDDEN');
  });

  it('keeps the role matrix and canPerform consistent with applyIncidentCommand', () => {
    for (const role of ROLES) {
      const actor: Actor = { username: 'h1', role };
      for (const action of MACHINE_ACTIONS) {
        for (const state of INCIDENT_STATES) {
          const incident = tableFixture(action, state);
          expect(apply(incident, action, actor).ok, `${role} ${action} ${state}`).toBe(canPerform(actor, action, incident));
        }
      }
    }
  });
});

describe('storm actions (issue 14): checked here, applied by the rules in scenes/storm/', () => {
  const STORM_SPECS = {
    merge: { roles: ['officer', 'admin'], from: ['reported', 'dispatched', 'accepted', 'on_site'] },
    split: { roles: ['officer', 'admin'], from: ['reported', 'dispatched', 'accepted', 'on_site'] },
    close_unresolved: { roles: ['officer', 'admin'], from: ['reported', 'dispatched'] },
    supervise: { roles: ['leader', 'admin'], from: ['reported', 'dispatched', 'accepted', 'on_site'] },
  } as const;

  it.each(STORM_COMMAND_ACTIONS.map((a) => [a] as const))('%s: allowed exactly for its roles and states', (action) => {
    const spec = STORM_SPECS[action as keyof typeof STORM_SPECS];
    for (const role of ROLES) {
      for (const state of INCIDENT_STATES) {
        const actor: Actor = { username: 'someone', role };
        const incident = tableFixture(action, state);
        const expected = (spec.roles as readonly string[]).includes(role) && (spec.from as readonly string[]).includes(state);
        expect(canPerform(actor, action, incident), `${role} ${action} ${state}`).toBe(expected);
        expect(checkIncidentCommand(incident, commandFor(action), actor) === null, `${role} ${action} ${state}`).toBe(expected);
      }
    }
  });

  it('never offers the system steps (reprioritise, merged_into) to anyone', () => {
    for (const role of ROLES) {
      for (const state of INCIDENT_STATES) {
        for (const action of SYSTEM_ONLY_ACTIONS) expect(canPerform({ username: 'x', role }, action, inState(state))).toBe(false);
      }
    }
  });

  it('offers an officer the storm buttons on a reported incident, and a leader 督办', () => {
    const inc = inState('reported', { assignees: [], alertIds: ['a1', 'a2'] });
    expect(availableActions(officer, inc)).toEqual(['dispatch', 'escalate', 'link_alert', 'note', 'merge', 'split', 'close_unresolved']);
    expect(availableActions(leader, inc)).toEqual(['note', 'supervise']);
    expect(availableActions(officer, inState('accepted'))).not.toContain('close_unresolved');
  });

  it('does not offer split for an incident with one alert, nor an unresolved close while an escalation is pending', () => {
    expect(canPerform(officer, 'split', inState('reported', { alertIds: ['a1'] }))).toBe(false);
    expect(canPerform(officer, 'close_unresolved', inState('reported', { escalated: true }))).toBe(false);
  });

  it('runs the common checks first, then refuses to apply a storm command itself with E_VALIDATION', () => {
    const inc = tableFixture('close_unresolved', 'reported');
    const stale = apply(inc, 'close_unresolved', officer, { expectedVersion: inc.version + 1 });
    expect(!stale.ok && stale.error.code).toBe('E_CONFLICT');
    const byHandler = apply(inc, 'close_unresolved', h1);
    expect(!byHandler.ok && byHandler.error.code).toBe('E_FORBIDDEN');
    const legal = apply(inc, 'close_unresolved', officer);
    expect(!legal.ok && legal.error.code).toBe('E_VALIDATION');
  });
});

describe('happy path', () => {
  it('goes reported → dispatched → accepted → on_site → resolved → closed, recording every step', () => {
    let inc = created();
    expect(inc).toMatchObject({ state: 'reported', version: 1, reportedBy: 'officer1', assignees: [], escalated: false });
    expect(inc.history).toEqual([{ action: 'create', from: null, to: 'reported', actor: 'officer1', ts: T0, commandId: 'cmd-create-1' }]);

    inc = must(apply(inc, 'dispatch', officer, { assignees: ['h1', 'h2'] }, T0 + 1 * MINUTE_MS));
    expect(inc).toMatchObject({ state: 'dispatched', assignees: ['h1', 'h2'], version: 2, updatedTs: T0 + MINUTE_MS });
    expect(inc.history.at(-1)!.assignees).toEqual(['h1', 'h2']);

    inc = must(apply(inc, 'accept', h2, {}, T0 + 2 * MINUTE_MS));
    inc = must(apply(inc, 'en_route', h2, {}, T0 + 3 * MINUTE_MS));
    expect(inc.state).toBe('accepted');
    inc = must(apply(inc, 'arrive', h2, { location: [120.3801, 36.0701] }, T0 + 10 * MINUTE_MS));
    expect(inc.state).toBe('on_site');
    expect(inc.history.at(-1)!.location).toEqual([120.3801, 36.0701]);

    inc = must(apply(inc, 'resolve', h2, { note: '已修复', photos: ['p1', 'p2'] }, T0 + 40 * MINUTE_MS));
    expect(inc).toMatchObject({ state: 'resolved', resolvedTs: T0 + 40 * MINUTE_MS, photos: ['p1', 'p2'] });
    expect(inc.history.at(-1)!.note).toBe('已修复');

    inc = must(apply(inc, 'close', officer, {}, T0 + 50 * MINUTE_MS));
    expect(inc).toMatchObject({ state: 'closed', closedTs: T0 + 50 * MINUTE_MS, version: 7 });
    expect(inc.history.map((h) => h.action)).toEqual(['create', 'dispatch', 'accept', 'en_route', 'arrive', 'resolve', 'close']);
    expect(inc.history.map((h) => h.to)).toEqual(['reported', 'dispatched', 'accepted', 'accepted', 'on_site', 'resolved', 'closed']);
    expect(new Set(inc.history.map((h) => h.commandId)).size).toBe(7);
  });

  it('never mutates the incident it is given', () => {
    const inc = inState('dispatched');
    const snapshot = structuredClone(inc);
    for (const action of COMMAND_ACTIONS) apply(inc, action);
    expect(inc).toEqual(snapshot);
  });

  it('reopens a resolved incident to the same handlers when verification fails', () => {
    const resolved = must(apply(inState('on_site'), 'resolve'));
    const reopened = must(apply(resolved, 'reopen'));
    expect(reopened).toMatchObject({ state: 'dispatched', assignees: ['h1'] });
    expect(reopened.resolvedTs).toBeUndefined();
  });
});

describe('reject', () => {
  it('returns the incident to reported when the only assignee rejects', () => {
    const inc = must(apply(inState('dispatched'), 'reject', h1, { note: '不在辖区' }));
    expect(inc).toMatchObject({ state: 'reported', assignees: [] });
    expect(inc.history.at(-1)).toMatchObject({ action: 'reject', from: 'dispatched', to: 'reported', note: '不在辖区', assignees: [] });
  });

  it('keeps the incident dispatched without the rejecting handler when others remain', () => {
    const inc = must(apply(inState('dispatched', { assignees: ['h1', 'h2'] }), 'reject', h1));
    expect(inc).toMatchObject({ state: 'dispatched', assignees: ['h2'] });
    const again = apply(inc, 'accept', h1);
    expect(!again.ok && again.error.code).toBe('E_FORBIDDEN');
    expect(must(apply(inc, 'accept', h2)).state).toBe('accepted');
  });

  it('requires a note', () => {
    const r = apply(inState('dispatched'), 'reject', h1, { note: '  ' });
    expect(!r.ok && r.error.code).toBe('E_VALIDATION');
  });
});

describe('dispatch and reassign', () => {
  it('refuses duplicated or empty assignee lists with E_VALIDATION', () => {
    const dup = apply(inState('reported', { assignees: [] }), 'dispatch', officer, { assignees: ['h1', 'h1'] });
    expect(!dup.ok && dup.error.code).toBe('E_VALIDATION');
    const empty = apply(inState('accepted'), 'reassign', officer, { assignees: [] });
    expect(!empty.ok && empty.error.code).toBe('E_VALIDATION');
  });

  it('reassigns an accepted incident back to dispatched with new assignees, locking out the old handler', () => {
    const inc = must(apply(inState('on_site'), 'reassign', officer, { assignees: ['h2', 'h3'] }));
    expect(inc).toMatchObject({ state: 'dispatched', assignees: ['h2', 'h3'] });
    expect(inc.history.at(-1)).toMatchObject({ action: 'reassign', from: 'on_site', to: 'dispatched', assignees: ['h2', 'h3'] });
    expect(canPerform(h1, 'accept', inc)).toBe(false);
    expect(canPerform(h3, 'accept', inc)).toBe(true);
  });

  it('keeps the impact block sent with a dispatch or reassignment on its history entry, leaving the note as typed', () => {
    const impact = sampleDispatchImpact();
    const dispatched = must(apply(inState('reported', { assignees: [] }), 'dispatch', officer, { note: '带上燃气检测仪', impact }));
    expect(dispatched.history.at(-1)).toMatchObject({ action: 'dispatch', note: '带上燃气检测仪', impact });
    // the stored block shares nothing with the command (inputs are never aliased into the state)
    impact.resources[0]!.quantity = 99;
    expect(dispatched.history.at(-1)!.impact!.resources[0]!.quantity).toBe(7);
    const reassigned = must(apply(dispatched, 'reassign', officer, { assignees: ['h2'], impact: sampleDispatchImpact() }));
    expect(reassigned.history.at(-1)).toMatchObject({ action: 'reassign', impact: { radiusM: 500 } });
  });

  it('dispatches without an impact block as before: the history entry has no impact key', () => {
    const inc = must(apply(inState('reported', { assignees: [] }), 'dispatch', officer));
    expect(inc.state).toBe('dispatched');
    expect('impact' in inc.history.at(-1)!).toBe(false);
  });
});

describe('escalation', () => {
  it('escalates without changing state, then a leader approves and raises priority one step', () => {
    const esc = must(apply(inState('accepted', { priority: 'P3' }), 'escalate'));
    expect(esc).toMatchObject({ state: 'accepted', escalated: true, priority: 'P3' });
    const approved = must(apply(esc, 'approve_escalation', leader));
    expect(approved).toMatchObject({ state: 'accepted', escalated: false, priority: 'P2' });
  });

  it('keeps P1 at P1 on approval', () => {
    const esc = must(apply(inState('dispatched', { priority: 'P1' }), 'escalate'));
    expect(must(apply(esc, 'approve_escalation', leader)).priority).toBe('P1');
  });

  it('returns an escalation with a note and keeps the priority', () => {
    const esc = must(apply(inState('reported', { priority: 'P2', assignees: [] }), 'escalate'));
    const returned = must(apply(esc, 'return_escalation', leader));
    expect(returned).toMatchObject({ escalated: false, priority: 'P2' });
    expect(returned.history.at(-1)!.note).toBe('现场力量足够');
  });

  it('refuses to escalate twice, to decide on a non-escalated incident, or to close while a decision is pending', () => {
    const esc = must(apply(inState('resolved'), 'escalate'));
    expect((apply(esc, 'escalate') as { error: { code: string } }).error.code).toBe('E_CONFLICT');
    expect((apply(inState('resolved'), 'approve_escalation') as { error: { code: string } }).error.code).toBe('E_CONFLICT');
    expect((apply(esc, 'close') as { error: { code: string } }).error.code).toBe('E_CONFLICT');
    expect(availableActions(officer, esc)).not.toContain('close');
    expect(availableActions(leader, esc)).toEqual(['approve_escalation', 'return_escalation', 'note']);
  });
});

describe('compare-and-set and command checks', () => {
  it('rejects a stale expectedVersion with E_CONFLICT carrying the current incident', () => {
    const inc = inState('dispatched');
    const stale = apply(inc, 'accept', h1, { expectedVersion: inc.version - 1 });
    expect(stale.ok).toBe(false);
    if (!stale.ok) {
      expect(stale.error.code).toBe('E_CONFLICT');
      expect(stale.error.details).toEqual({ current: inc });
    }
    expect(apply(inc, 'accept', h1, { expectedVersion: inc.version }).ok).toBe(true);
  });

  it('lets exactly one of two concurrent conflicting commands win', () => {
    const inc = inState('dispatched', { assignees: ['h1', 'h2'] });
    const first = must(apply(inc, 'accept', h1, { expectedVersion: inc.version }));
    const second = apply(first, 'reject', h2, { expectedVersion: inc.version });
    expect(!second.ok && second.error.code).toBe('E_CONFLICT');
  });

  it('refuses a command aimed at another incident, and incident.create', () => {
    const wrong = apply(inState('dispatched'), 'accept', h1, { incidentId: 'INC-2' });
    expect(!wrong.ok && wrong.error.code).toBe('E_VALIDATION');
    const create = applyIncidentCommand(
      inState('reported'),
      {
        type: 'incident.create',
        commandId: nextCommandId(),
        title: 't',
        category: 'c',
        scene: 'water',
        location: [120, 36],
        priority: 'P3',
      } as IncidentCommand,
      officer,
      T0,
    );
    expect(!create.ok && create.error.code).toBe('E_VALIDATION');
  });
});

describe('incidents from alerts', () => {
  const alert: Alert = {
    id: `gd-7|gas-high|${T0}`,
    deviceId: 'gd-7',
    deviceKind: 'gas-detector',
    ruleId: 'gas-high',
    scene: 'emergency',
    district: '370203',
    location: [120.36, 36.09],
    level: 'red',
    peakLevel: 'red',
    cleared: false,
    acknowledged: false,
    firstTs: T0,
    lastTs: T0,
    count: 1,
    value: 25,
    metric: 'lel',
    title: '燃气浓度超限',
    titleEn: 'Gas concentration high',
  };

  it('opens a P1 incident by the system for a red alert, with the alert linked', () => {
    const inc = createIncidentFromAlert(alert, { id: 'INC-9', commandId: 'auto-gd-7', nowTs: T0 + 1000, category: 'gas-leak' });
    expect(inc).toMatchObject({
      id: 'INC-9',
      state: 'reported',
      version: 1,
      priority: 'P1',
      level: 'red',
      source: 'alert',
      reportedBy: 'system',
      alertIds: [alert.id],
      deviceId: 'gd-7',
      scene: 'emergency',
      district: '370203',
      title: '燃气浓度超限',
      slaDueTs: T0 + 1000 + 2 * HOUR_MS,
      slaResponseDueTs: T0 + 1000 + 15 * MINUTE_MS,
    });
    expect(inc.history[0]).toMatchObject({ action: 'create', actor: 'system', commandId: 'auto-gd-7' });
  });
});

describe('SLA', () => {
  it('maps alert levels to priorities red → P1 … blue → P4', () => {
    expect((['red', 'orange', 'yellow', 'blue'] as const).map(priorityForLevel)).toEqual(['P1', 'P2', 'P3', 'P4']);
  });

  it.each(PRIORITIES.map((p) => [p] as [Priority]))('sets %s deadlines from the default policy at creation', (priority) => {
    const inc = created({ priority });
    expect(inc.slaResponseDueTs).toBe(T0 + DEFAULT_SLA[priority].responseMs);
    expect(inc.slaDueTs).toBe(T0 + DEFAULT_SLA[priority].resolveMs);
  });

  it('uses tighter deadlines for more urgent priorities', () => {
    const due = PRIORITIES.map((p) => slaDeadlines(p, T0).slaDueTs);
    expect(due).toEqual([...due].sort((a, b) => a - b));
    expect(slaDeadlines('P1', T0)).toEqual({ slaResponseDueTs: T0 + 15 * MINUTE_MS, slaDueTs: T0 + 2 * HOUR_MS });
  });

  it('honours a custom SLA policy', () => {
    const sla = { ...DEFAULT_SLA, P2: { responseMs: MINUTE_MS, resolveMs: HOUR_MS } };
    expect(created({ priority: 'P2', sla }).slaDueTs).toBe(T0 + HOUR_MS);
  });

  it('reports the fraction of time used, clamped, and breach after the deadline', () => {
    const inc = created({ priority: 'P1' }); // 2 h to resolve
    expect(slaProgress(inc, T0)).toEqual({ fraction: 0, breached: false, remainingMs: 2 * HOUR_MS });
    expect(slaProgress(inc, T0 + HOUR_MS)).toEqual({ fraction: 0.5, breached: false, remainingMs: HOUR_MS });
    expect(slaProgress(inc, T0 + 3 * HOUR_MS)).toEqual({ fraction: 1, breached: true, remainingMs: -HOUR_MS });
    expect(slaProgress(inc, T0 - MINUTE_MS).fraction).toBe(0);
  });

  it('stops the SLA clock when the incident is resolved', () => {
    const resolved = { ...created({ priority: 'P1' }), state: 'resolved' as const, resolvedTs: T0 + 30 * MINUTE_MS };
    expect(slaProgress(resolved, T0 + 5 * HOUR_MS)).toEqual({ fraction: 0.25, breached: false, remainingMs: 90 * MINUTE_MS });
  });
});
