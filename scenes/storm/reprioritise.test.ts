import { describe, expect, it } from 'vitest';
import { recomputeSlaAfterEscalation, reprioritiseForAlert } from './reprioritise';
import { MINUTE_MS, T0, makeIncident } from './fixtures/storm-fixtures';

const HOUR_MS = 60 * MINUTE_MS;

describe('reprioritise on worsening', () => {
  const licun = makeIncident('INC-licun', { priority: 'P2', level: 'orange', alertIds: ['wl-licun'], category: 'flood' });

  it('raises a P2 incident to P1 when its linked alert turns red, as a system step with P1 deadlines', () => {
    const next = reprioritiseForAlert(licun, { alertLevel: 'red', alertId: 'wl-licun', ts: T0 + 20 * MINUTE_MS, commandId: 'rp-1' });
    expect(next).toMatchObject({ priority: 'P1', level: 'red', version: 2, updatedTs: T0 + 20 * MINUTE_MS });
    expect(next?.slaDueTs).toBe(T0 + 2 * HOUR_MS);
    expect(next?.slaResponseDueTs).toBe(T0 + 15 * MINUTE_MS);
    expect(next?.history.at(-1)).toEqual({
      action: 'reprioritise',
      from: 'reported',
      to: 'reported',
      actor: 'system',
      ts: T0 + 20 * MINUTE_MS,
      commandId: 'rp-1',
      note: 'P2 → P1 (alert red)',
    });
  });

  it('never lowers the priority automatically', () => {
    expect(reprioritiseForAlert(licun, { alertLevel: 'yellow', alertId: 'wl-licun', ts: T0, commandId: 'rp-2' })).toBeNull();
    expect(reprioritiseForAlert(licun, { alertLevel: 'orange', alertId: 'wl-licun', ts: T0, commandId: 'rp-3' })).toBeNull();
  });

  it('ignores alerts not linked and incidents no longer in progress', () => {
    expect(reprioritiseForAlert(licun, { alertLevel: 'red', alertId: 'other', ts: T0, commandId: 'rp-4' })).toBeNull();
    expect(reprioritiseForAlert({ ...licun, state: 'resolved' }, { alertLevel: 'red', alertId: 'wl-licun', ts: T0, commandId: 'rp-5' })).toBeNull();
  });

  it('never loosens a deadline that was already tighter', () => {
    const tight = { ...licun, slaDueTs: T0 + HOUR_MS };
    expect(reprioritiseForAlert(tight, { alertLevel: 'red', alertId: 'wl-licun', ts: T0, commandId: 'rp-6' })?.slaDueTs).toBe(T0 + HOUR_MS);
  });

  it('recomputes the deadlines after an approved escalation raised the priority', () => {
    const approved = { ...makeIncident('INC-2', { priority: 'P3' }), priority: 'P2' as const };
    const next = recomputeSlaAfterEscalation(approved);
    expect(next.slaDueTs).toBe(T0 + 4 * HOUR_MS);
    expect(next.slaResponseDueTs).toBe(T0 + 30 * MINUTE_MS);
  });
});
