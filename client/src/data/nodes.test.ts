import { describe, expect, it } from 'vitest';
import { NODE_HEARTBEAT_LATE_MS, ageSeconds, heartbeatAgeMs, heartbeatLate } from './nodes';

describe('nodes data module', () => {
  it("measures a heartbeat's age against the answering node's clock, never below zero", () => {
    expect(heartbeatAgeMs({ heartbeatTs: 10_000 }, 13_500)).toBe(3_500);
    // another node's clock a little ahead of the answering one
    expect(heartbeatAgeMs({ heartbeatTs: 14_000 }, 13_500)).toBe(0);
  });

  it('marks a heartbeat late only beyond the bound', () => {
    expect(heartbeatLate(NODE_HEARTBEAT_LATE_MS)).toBe(false);
    expect(heartbeatLate(NODE_HEARTBEAT_LATE_MS + 1)).toBe(true);
    expect(heartbeatLate(0)).toBe(false);
    expect(heartbeatLate(2_001, 2_000)).toBe(true);
  });

  it('shows ages in whole seconds, rounded down', () => {
    expect(ageSeconds(0)).toBe(0);
    expect(ageSeconds(999)).toBe(0);
    expect(ageSeconds(5_999)).toBe(5);
    expect(ageSeconds(-20)).toBe(0);
  });
});
