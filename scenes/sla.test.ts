import { describe, expect, it } from 'vitest';
import { INCIDENT_STATES } from './domain';
import { isIncidentInProgress } from './incident-rules';
import { slaProgress } from './sla';

const T0 = 1_700_000_000_000;
const HOUR_MS = 3_600_000;

describe('SLA progress', () => {
  it('runs the clock exactly while the incident is in progress, and stops it at resolution', () => {
    const base = { createdTs: T0, slaDueTs: T0 + 2 * HOUR_MS, resolvedTs: T0 + HOUR_MS, closedTs: T0 + HOUR_MS };
    const nowTs = T0 + 3 * HOUR_MS;
    for (const state of INCIDENT_STATES) {
      const p = slaProgress({ ...base, state }, nowTs);
      if (isIncidentInProgress({ state })) expect([state, p]).toEqual([state, { fraction: 1, breached: true, remainingMs: -HOUR_MS }]);
      else expect([state, p]).toEqual([state, { fraction: 0.5, breached: false, remainingMs: HOUR_MS }]);
    }
  });

  it('stops a closed incident at its close time when it was never resolved', () => {
    const p = slaProgress({ createdTs: T0, slaDueTs: T0 + HOUR_MS, closedTs: T0 + 2 * HOUR_MS, state: 'closed' }, T0 + 5 * HOUR_MS);
    expect(p).toEqual({ fraction: 1, breached: true, remainingMs: -HOUR_MS });
  });
});
