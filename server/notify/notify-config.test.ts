import { describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION_LADDER } from '../../scenes/storm/escalation-ladder';
import { ladderFromEnv, notifyConfigFromEnv } from './notify-config';

describe('IOC_ESCALATION_LADDER', () => {
  it('keeps the default ladder when unset', () => {
    expect(ladderFromEnv(undefined)).toBe(DEFAULT_ESCALATION_LADDER);
    expect(notifyConfigFromEnv({ NODE_ENV: 'test' }, false).ladder).toBe(DEFAULT_ESCALATION_LADDER);
  });

  it('replaces the priorities it names and keeps the others', () => {
    const p1 = [
      { id: 'P1.remind', when: { at: 'fraction', fraction: 0.3 }, notify: 'assignees', markOverdue: false },
      { id: 'P1.leader', when: { at: 'breach', afterMs: 0 }, notify: 'leader', markOverdue: true },
    ];
    const ladder = notifyConfigFromEnv({ NODE_ENV: 'test', IOC_ESCALATION_LADDER: JSON.stringify({ P1: p1 }) }, false).ladder;
    expect(ladder.P1).toEqual(p1);
    expect(ladder.P2).toEqual(DEFAULT_ESCALATION_LADDER.P2);
  });

  it('refuses what is not a ladder, naming the setting', () => {
    expect(() => ladderFromEnv('{')).toThrow(/IOC_ESCALATION_LADDER: not JSON/);
    expect(() => ladderFromEnv(JSON.stringify({ P1: [{ id: 'x', when: { at: 'fraction', fraction: 1.5 }, notify: 'assignees' }] }))).toThrow(
      /IOC_ESCALATION_LADDER: P1/,
    );
    expect(() => ladderFromEnv(JSON.stringify({ P9: [] }))).toThrow(/IOC_ESCALATION_LADDER/);
    const twice = { id: 'a', when: { at: 'breach', afterMs: 0 }, notify: 'leader' };
    expect(() => ladderFromEnv(JSON.stringify({ P2: [twice, twice] }))).toThrow(/same id/);
  });
});
