import { describe, expect, it } from 'vitest';
import type { Incident, IncidentAction, IncidentState, IncidentTransition } from '../../scenes/domain';
import type { AuditRecord } from './audit';
import { commandAuditFact, crosscheckIncidents, type CommandAuditFact, type CrosscheckInput } from './incident-crosscheck';

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const DAY_MS = 24 * 3600_000;

type StepSpec = [action: IncidentAction, actor: string, to: IncidentState];

/** An incident whose history is `steps` (one minute apart from `startTs`), at version = steps. */
function incident(id: string, steps: StepSpec[], startTs = T0): Incident {
  const history: IncidentTransition[] = steps.map(([action, actor, to], i) => ({
    action,
    from: i === 0 ? null : steps[i - 1]![2],
    to,
    actor,
    ts: startTs + i * 60_000,
    commandId: `${id}-c${i + 1}`,
  }));
  const last = history[history.length - 1]!;
  return {
    id,
    version: history.length,
    state: last.to,
    priority: 'P2',
    level: null,
    scene: 'emergency',
    category: 'gas-leak',
    title: id,
    district: '370202',
    location: [120.38, 36.07],
    source: 'manual',
    alertIds: [],
    assignees: [],
    escalated: false,
    createdTs: startTs,
    updatedTs: last.ts,
    reportedBy: history[0]!.actor,
    photos: [],
    history,
  } as unknown as Incident;
}

let seq = 0;
/** The audit facts the server wrote for each person's step (a second after it). */
function factsOf(inc: Incident): CommandAuditFact[] {
  return inc.history
    .map((s, i) => ({ s, version: i + 1 }))
    .filter(({ s }) => s.actor !== 'system')
    .map(({ s, version }) => ({
      seq: ++seq,
      ts: s.ts + 1000,
      actor: s.actor,
      incidentId: inc.id,
      commandId: s.commandId,
      type: `incident.${s.action}`,
      version,
      state: s.to,
      duplicate: false,
    }));
}

const FLOW: StepSpec[] = [
  ['create', 'officer1', 'reported'],
  ['dispatch', 'officer1', 'dispatched'],
  ['accept', 'handler1', 'accepted'],
];

function input(incidents: Incident[], facts: CommandAuditFact[], over: Partial<CrosscheckInput> = {}): CrosscheckInput {
  return {
    incidents,
    facts,
    judgedFromTs: T0 - DAY_MS,
    clockMarginMs: 60_000,
    nowTs: T0 + DAY_MS,
    closedRetentionMs: 184 * DAY_MS,
    ...over,
  };
}

describe('commandAuditFact', () => {
  const base: AuditRecord = {
    seq: 7,
    ts: T0,
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    actor: 'officer1',
    action: 'command',
    target: 'incident:INC-1',
    outcome: 'success',
    details: { type: 'incident.dispatch', commandId: 'c-1', version: 2, state: 'dispatched' },
  };

  it('reads the incident, command id, version and state of an applied command', () => {
    expect(commandAuditFact(base)).toEqual({
      seq: 7,
      ts: T0,
      actor: 'officer1',
      incidentId: 'INC-1',
      commandId: 'c-1',
      type: 'incident.dispatch',
      version: 2,
      state: 'dispatched',
      duplicate: false,
    });
    expect(commandAuditFact({ ...base, details: { ...base.details, duplicate: true } })?.duplicate).toBe(true);
  });

  it('ignores refused commands, alert commands and other actions', () => {
    expect(commandAuditFact({ ...base, outcome: 'failure' })).toBeNull();
    expect(commandAuditFact({ ...base, outcome: 'denied' })).toBeNull();
    expect(commandAuditFact({ ...base, target: 'alert:A-1' })).toBeNull();
    expect(commandAuditFact({ ...base, action: 'auth.login' })).toBeNull();
    expect(commandAuditFact({ ...base, details: {} })).toBeNull();
  });
});

describe('crosscheckIncidents', () => {
  it('agrees with an untouched history, and ignores system steps and retried commands', () => {
    const a = incident('INC-A', FLOW);
    const b = incident('INC-B', [['create', 'system', 'reported'], ...FLOW.slice(1)]);
    const retry: CommandAuditFact = { ...factsOf(a)[1]!, seq: 900, ts: T0 + 600_000, duplicate: true, version: 3, state: 'accepted' };
    const r = crosscheckIncidents(input([a, b], [...factsOf(a), ...factsOf(b), retry]));
    expect(r).toEqual({ agreeing: 2, notJudged: 0, stepsNotJudged: 0, disagreements: [] });
  });

  it('names a person step without an audit record (inserted)', () => {
    const a = incident('INC-A', FLOW);
    const facts = factsOf(a).filter((f) => f.commandId !== 'INC-A-c3');
    const r = crosscheckIncidents(input([a], facts));
    expect(r.agreeing).toBe(0);
    expect(r.disagreements).toEqual([
      expect.objectContaining({
        incidentId: 'INC-A',
        kind: 'unaudited_step',
        commandId: 'INC-A-c3',
        message: 'incident INC-A step INC-A-c3 (accept by handler1) has no audit record',
      }),
    ]);
  });

  it('names a step whose actor was edited, even to system', () => {
    const a = incident('INC-A', FLOW);
    const facts = factsOf(a);
    const edited = structuredClone(a);
    edited.history[1]!.actor = 'officer2';
    const r = crosscheckIncidents(input([edited], facts));
    expect(r.disagreements).toHaveLength(1);
    expect(r.disagreements[0]).toMatchObject({ kind: 'actor_changed', commandId: 'INC-A-c2', seq: facts[1]!.seq });
    expect(r.disagreements[0]!.message).toBe(
      `incident INC-A step INC-A-c2 (dispatch by officer2) was done by officer1 according to audit record seq ${facts[1]!.seq}`,
    );
    const hidden = structuredClone(a);
    hidden.history[2]!.actor = 'system';
    expect(crosscheckIncidents(input([hidden], facts)).disagreements[0]).toMatchObject({ kind: 'actor_changed', commandId: 'INC-A-c3' });
  });

  it('names a deleted step, also when the version was lowered to match', () => {
    const a = incident('INC-A', FLOW);
    const facts = factsOf(a);
    const cut = structuredClone(a);
    cut.history.splice(1, 1);
    cut.version = 2;
    const r = crosscheckIncidents(input([cut], facts));
    // the first disagreement in time: the dispatch step that is gone (the accept is now out of place)
    expect(r.disagreements).toEqual([
      expect.objectContaining({
        kind: 'deleted_step',
        commandId: 'INC-A-c2',
        message: `incident INC-A lacks step INC-A-c2 (incident.dispatch by officer1, audit record seq ${facts[1]!.seq}): the step was deleted`,
      }),
    ]);
  });

  it('names a rolled-back incident (an older copy written back)', () => {
    const a = incident('INC-A', FLOW);
    const facts = factsOf(a);
    const older = incident('INC-A', FLOW.slice(0, 2));
    const r = crosscheckIncidents(input([older], facts));
    expect(r.disagreements[0]).toMatchObject({ kind: 'deleted_step', commandId: 'INC-A-c3' });
    // without the step's record (e.g. it was a retry), the version alone still tells
    const viaRetry = facts.map((f) => (f.commandId === 'INC-A-c3' ? { ...f, duplicate: true } : f));
    const v = crosscheckIncidents(input([older], viaRetry));
    expect(v.disagreements[0]).toMatchObject({ kind: 'rolled_back' });
    expect(v.disagreements[0]!.message).toMatch(
      /^incident INC-A is at version 2 but audit record seq \d+ \(incident.accept by handler1\) saw version 3: rolled back$/,
    );
  });

  it('names a step whose target state was edited, and a step moved out of place', () => {
    const a = incident('INC-A', FLOW);
    const facts = factsOf(a);
    const changed = structuredClone(a);
    changed.history[2]!.to = 'on_site';
    expect(crosscheckIncidents(input([changed], facts)).disagreements[0]).toMatchObject({ kind: 'step_changed', commandId: 'INC-A-c3' });
    // a forged system step before the handler's: the handler's step no longer sits at the version it made
    const forged = structuredClone(a);
    forged.history.splice(2, 0, { ...forged.history[1]!, actor: 'system', action: 'note', commandId: 'forged', to: 'dispatched' });
    forged.version = 4;
    expect(crosscheckIncidents(input([forged], facts)).disagreements[0]).toMatchObject({ kind: 'out_of_place', commandId: 'INC-A-c3' });
  });

  it('names a step copied from another incident', () => {
    const a = incident('INC-A', FLOW);
    const b = incident('INC-B', FLOW.slice(0, 2));
    const copied = structuredClone(b);
    copied.history.push({ ...a.history[2]! });
    copied.version = 3;
    const r = crosscheckIncidents(input([a, copied], [...factsOf(a), ...factsOf(b)]));
    expect(r.agreeing).toBe(1);
    expect(r.disagreements).toEqual([expect.objectContaining({ incidentId: 'INC-B', kind: 'other_incident', commandId: 'INC-A-c3' })]);
  });

  it('accepts a step vouched for only by the same person retrying it (its first audit write failed)', () => {
    const a = incident('INC-A', FLOW);
    const facts = factsOf(a).map((f) => (f.commandId === 'INC-A-c3' ? { ...f, duplicate: true } : f));
    expect(crosscheckIncidents(input([a], facts)).disagreements).toEqual([]);
    const byOther = facts.map((f) => (f.commandId === 'INC-A-c3' ? { ...f, actor: 'handler2' } : f));
    expect(crosscheckIncidents(input([a], byOther)).disagreements[0]).toMatchObject({ kind: 'unaudited_step' });
  });

  it('does not judge steps older than the retained range of the chain', () => {
    const old = incident('INC-OLD', FLOW, T0 - 30 * DAY_MS);
    const recent = incident('INC-NEW', FLOW);
    const r = crosscheckIncidents(input([old, recent], factsOf(recent), { judgedFromTs: T0 - DAY_MS }));
    expect(r).toEqual({ agreeing: 1, notJudged: 1, stepsNotJudged: 3, disagreements: [] });
    // an incident older than the range with a newer, unaudited step: that step is judged
    const grown = structuredClone(old);
    grown.history.push({ ...recent.history[2]!, commandId: 'late', ts: T0 });
    grown.version = 4;
    const g = crosscheckIncidents(input([grown], [], { judgedFromTs: T0 - DAY_MS }));
    expect(g.disagreements).toEqual([expect.objectContaining({ kind: 'unaudited_step', commandId: 'late' })]);
    expect(g.stepsNotJudged).toBe(3);
    // an empty chain judges nothing
    expect(crosscheckIncidents(input([recent], [], { judgedFromTs: null }))).toMatchObject({ notJudged: 1, disagreements: [] });
    // within the clock margin of the range's start: not judged
    expect(crosscheckIncidents(input([recent], [], { judgedFromTs: T0 + 30_000 })).disagreements).toHaveLength(1);
    expect(crosscheckIncidents(input([recent], [], { judgedFromTs: T0 + 30_000 })).stepsNotJudged).toBe(2);
  });

  it('names an audited incident missing from the store unless it closed longer than retention ago', () => {
    const closedFlow: StepSpec[] = [...FLOW, ['arrive', 'handler1', 'on_site'], ['resolve', 'handler1', 'resolved'], ['close', 'officer1', 'closed']];
    const a = incident('INC-A', closedFlow);
    const facts = factsOf(a);
    const gone = crosscheckIncidents(input([], facts));
    expect(gone.disagreements).toEqual([expect.objectContaining({ incidentId: 'INC-A', kind: 'incident_deleted' })]);
    expect(gone.disagreements[0]!.message).toMatch(
      /^incident INC-A is missing from the store, but audit record seq \d+ \(incident.close by officer1\)/,
    );
    expect(crosscheckIncidents(input([], facts, { nowTs: T0 + 185 * DAY_MS })).disagreements).toEqual([]);
    const open = incident('INC-B', FLOW);
    expect(crosscheckIncidents(input([], factsOf(open), { nowTs: T0 + 400 * DAY_MS })).disagreements).toEqual([
      expect.objectContaining({ incidentId: 'INC-B', kind: 'incident_deleted' }),
    ]);
  });
});
