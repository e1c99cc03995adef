import { describe, expect, it } from 'vitest';
import { closeWithoutResolving, slaCompliance, withResolvedOutcome } from './close-unresolved';
import { MINUTE_MS, T0, makeIncident } from './fixtures/storm-fixtures';
import type { Actor } from '../incident-machine';
import type { IncidentOutcome } from './storm-incident';

const officer: Actor = { username: 'officer1', role: 'officer' };
const DAY_MS = 24 * 60 * MINUTE_MS;

describe('closing without resolving', () => {
  it('closes a reported false alarm at once, with outcome, reason and history', () => {
    const r = closeWithoutResolving(makeIncident('INC-1'), {
      outcome: 'false_alarm',
      reason: ' 传感器故障 ',
      actor: officer,
      ts: T0 + MINUTE_MS,
      commandId: 'c1',
    });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.incident).toMatchObject({ state: 'closed', outcome: 'false_alarm', outcomeReason: '传感器故障', closedTs: T0 + MINUTE_MS, version: 2 });
    expect(r.incident.history.at(-1)).toMatchObject({
      action: 'close_unresolved',
      from: 'reported',
      to: 'closed',
      actor: 'officer1',
      note: 'false_alarm: 传感器故障',
    });
  });

  it('closes a dispatched one and names the assignees to tell', () => {
    const r = closeWithoutResolving(makeIncident('INC-1', { state: 'dispatched', assignees: ['h1', 'h2'] }), {
      outcome: 'cancelled',
      reason: '报警人撤销',
      actor: officer,
      ts: T0,
      commandId: 'c2',
    });
    expect(r.ok && r.toldAssignees).toEqual(['h1', 'h2']);
    expect(r.ok && r.incident.assignees).toEqual([]);
  });

  it('requires a reason, an officer and a state before acceptance', () => {
    const input = { outcome: 'duplicate' as const, reason: 'dup', actor: officer, ts: T0, commandId: 'c3' };
    expect(closeWithoutResolving(makeIncident('a'), { ...input, reason: '  ' })).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    expect(closeWithoutResolving(makeIncident('a'), { ...input, actor: { username: 'h', role: 'handler' } })).toMatchObject({
      ok: false,
      error: { code: 'E_FORBIDDEN' },
    });
    for (const state of ['accepted', 'on_site', 'resolved', 'closed'] as const)
      expect(closeWithoutResolving(makeIncident('a', { state }), input)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(closeWithoutResolving(makeIncident('a', { escalated: true }), input)).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
  });
});

describe('SLA compliance', () => {
  const onTime = makeIncident('ok', { state: 'closed', resolvedTs: T0 + 60 * MINUTE_MS, closedTs: T0 + 70 * MINUTE_MS });
  const late = makeIncident('late', { state: 'resolved', resolvedTs: T0 + 5 * 60 * MINUTE_MS });
  const falseAlarm = { ...makeIncident('fa', { state: 'closed', closedTs: T0 + MINUTE_MS }), outcome: 'false_alarm' as const };

  it('is null on a day with nothing resolved — never 100 %', () => {
    expect(slaCompliance([falseAlarm], T0, T0 + DAY_MS)).toEqual({
      rate: null,
      resolved: 0,
      onTime: 0,
      closedUnresolved: { false_alarm: 1, duplicate: 0, cancelled: 0 },
    });
    expect(slaCompliance([], T0, T0 + DAY_MS).rate).toBeNull();
  });

  it('counts resolved incidents only and keeps unresolved closes apart', () => {
    expect(slaCompliance([onTime, late, falseAlarm], T0, T0 + DAY_MS)).toEqual({
      rate: 50,
      resolved: 2,
      onTime: 1,
      closedUnresolved: { false_alarm: 1, duplicate: 0, cancelled: 0 },
    });
  });

  it('leaves out incidents resolved outside the period', () => {
    expect(slaCompliance([onTime], T0 + DAY_MS, T0 + 2 * DAY_MS).rate).toBeNull();
  });

  it('records a normal close as resolved', () => {
    const closed: { state: 'closed'; outcome?: IncidentOutcome } = { state: 'closed' };
    expect(withResolvedOutcome(closed).outcome).toBe('resolved');
    expect(withResolvedOutcome({ state: 'closed' as const, outcome: 'cancelled' as const }).outcome).toBe('cancelled');
  });
});
