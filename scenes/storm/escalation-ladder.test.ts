import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ESCALATION_LADDER,
  EscalationLadderSchema,
  dueLadderSteps,
  isSupervisionActive,
  lapsedSupervisions,
  startSupervision,
  supervisionLapseKey,
} from './escalation-ladder';
import type { DueLadderStep } from './escalation-ladder';
import { MINUTE_MS, T0, makeIncident } from './fixtures/storm-fixtures';

const ladder = DEFAULT_ESCALATION_LADDER;
/** P2: resolve within 4 h → remind at 3 h (75 %), breach at 4 h, leader at 4 h 30. */
const p2 = makeIncident('INC-1', { priority: 'P2', state: 'dispatched', assignees: ['h1'] });
const min = (m: number) => T0 + m * MINUTE_MS;

/** A server loop: fires what is due, records the keys (the event log), may "restart" between ticks. */
function runLadder(ticksMin: number[], restartAfterTick = -1): DueLadderStep[] {
  let fired = new Set<string>();
  const log: DueLadderStep[] = [];
  ticksMin.forEach((t, i) => {
    for (const step of dueLadderSteps(p2, ladder, fired, min(t))) {
      log.push(step);
      fired.add(step.key);
    }
    if (i === restartAfterTick) fired = new Set(log.map((s) => s.key)); // rebuilt from the event log
  });
  return log;
}

describe('escalation ladder', () => {
  it('reminds the assignees at 75 % of a P2 SLA, tells the duty officer at breach and the leader 30 min later', () => {
    const fired = runLadder([0, 179, 180, 239, 240, 269, 270, 300]);
    expect(fired.map((s) => [s.stepId, s.notify, s.markOverdue, (s.dueTs - T0) / MINUTE_MS])).toEqual([
      ['P2.remind', 'assignees', false, 180],
      ['P2.breach', 'duty_officer', true, 240],
      ['P2.leader', 'leader', true, 270],
    ]);
  });

  it('never fires a step twice, across a restart that rebuilds the fired keys from the log', () => {
    const fired = runLadder([180, 181, 240, 241, 300, 301], 2);
    expect(fired.map((s) => s.key)).toEqual(['INC-1:P2.remind', 'INC-1:P2.breach', 'INC-1:P2.leader']);
  });

  it('fires every step that fell due during a downtime once, in due order', () => {
    expect(dueLadderSteps(p2, ladder, new Set(), min(600)).map((s) => s.stepId)).toEqual(['P2.remind', 'P2.breach', 'P2.leader']);
  });

  it('stops once the incident is resolved or closed', () => {
    expect(dueLadderSteps({ ...p2, state: 'resolved' }, ladder, new Set(), min(600))).toEqual([]);
  });

  it('climbs the P1 ladder afresh after a reprioritise', () => {
    const p1 = { ...p2, priority: 'P1' as const, slaDueTs: T0 + 120 * MINUTE_MS };
    const fired = new Set(['INC-1:P2.remind']);
    expect(dueLadderSteps(p1, ladder, fired, min(60)).map((s) => s.key)).toEqual(['INC-1:P1.remind']);
  });

  it('is data that validates', () => {
    expect(EscalationLadderSchema.safeParse(ladder).success).toBe(true);
    expect(EscalationLadderSchema.safeParse({ P1: [{ id: 'x', when: { at: 'fraction', fraction: 1.5 }, notify: 'leader' }] }).success).toBe(false);
  });
});

describe('督办 supervision', () => {
  const leader = { username: 'leader1', role: 'leader' as const };

  it('lets a leader supervise with a note and a future deadline; it shows until the deadline or resolution', () => {
    const r = startSupervision(p2, { actor: leader, note: '请今晚处置完毕', deadlineTs: min(120), nowTs: min(10) });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.supervision).toEqual({ incidentId: 'INC-1', by: 'leader1', note: '请今晚处置完毕', deadlineTs: min(120), startedTs: min(10) });
    expect(isSupervisionActive(r.supervision, p2, min(119))).toBe(true);
    expect(isSupervisionActive(r.supervision, p2, min(120))).toBe(false);
    expect(isSupervisionActive(r.supervision, { state: 'resolved' }, min(20))).toBe(false);
  });

  it('refuses officers, empty notes, past deadlines and closed incidents', () => {
    const input = { actor: leader, note: 'n', deadlineTs: min(60), nowTs: min(10) };
    expect(startSupervision(p2, { ...input, actor: { username: 'o', role: 'officer' } })).toMatchObject({
      ok: false,
      error: { code: 'E_FORBIDDEN' },
    });
    expect(startSupervision(p2, { ...input, note: ' ' })).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    expect(startSupervision(p2, { ...input, deadlineTs: min(5) })).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    expect(startSupervision({ ...p2, state: 'closed' }, input)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
  });

  it('reports a lapsed supervision once', () => {
    const s = { incidentId: 'INC-1', by: 'leader1', note: 'n', deadlineTs: min(60), startedTs: min(0) };
    const incidents = new Map([['INC-1', p2]]);
    expect(lapsedSupervisions([s], incidents, new Set(), min(59))).toEqual([]);
    expect(lapsedSupervisions([s], incidents, new Set(), min(60))).toEqual([s]);
    expect(lapsedSupervisions([s], incidents, new Set([supervisionLapseKey(s)]), min(61))).toEqual([]);
  });
});
