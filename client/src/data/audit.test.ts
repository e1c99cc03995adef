import { describe, expect, it } from 'vitest';
import { EMPTY_AUDIT_FILTER, auditQueryString, beijingLocalToEpoch, beijingStamp } from './audit';

describe('audit data module', () => {
  it('sends only the filters that are filled in, trimmed', () => {
    expect(auditQueryString(EMPTY_AUDIT_FILTER)).toBe('');
    const q = new URLSearchParams(
      auditQueryString(
        { ...EMPTY_AUDIT_FILTER, actor: ' officer1 ', action: 'auth', outcome: 'denied', target: 'incident:', from: 5 },
        { cursor: '7-0', limit: 100 },
      ),
    );
    expect(Object.fromEntries(q)).toEqual({
      from: '5',
      actor: 'officer1',
      action: 'auth',
      outcome: 'denied',
      target: 'incident:',
      cursor: '7-0',
      limit: '100',
    });
  });

  it('reads datetime-local values as Beijing wall time and shows timestamps in it', () => {
    const ts = beijingLocalToEpoch('2026-11-21T08:00');
    expect(ts).toBe(Date.UTC(2026, 10, 21, 0, 0));
    expect(beijingStamp(ts!)).toBe('2026-11-21 08:00:00');
    expect(beijingStamp(Date.UTC(2026, 10, 21, 20, 30, 5))).toBe('2026-11-22 04:30:05');
    expect(beijingLocalToEpoch('')).toBeNull();
    expect(beijingLocalToEpoch('yesterday')).toBeNull();
  });
});
