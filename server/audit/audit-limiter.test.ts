import { describe, expect, it } from 'vitest';
import { CollectingAudit } from './audit';
import { AuditLimiter } from './audit-limiter';

const entry = (target: string) => ({ actor: 'officer1', action: 'video.view', target, outcome: 'success' as const });
const settle = () => new Promise((resolve) => setImmediate(resolve));

function limiter(o: { retryAfterFailure?: boolean; maxKeys?: number } = {}) {
  const clock = { ts: 1_000_000 };
  const audit = new CollectingAudit();
  const errors: string[] = [];
  const l = new AuditLimiter({
    audit,
    log: { error: (_o: unknown, msg?: string) => void errors.push(msg ?? '') },
    intervalMs: 60_000,
    maxKeys: o.maxKeys ?? 100,
    retryAfterFailure: o.retryAfterFailure,
    what: 'video.view',
    now: () => clock.ts,
  });
  return { l, audit, clock, errors };
}

describe('AuditLimiter', () => {
  it('records one entry per key per interval and carries the count held back', () => {
    const { l, audit, clock } = limiter();
    expect(l.record('a', entry('camera:a'))).toBe(true);
    expect(l.record('a', entry('camera:a'))).toBe(false);
    expect(l.record('a', entry('camera:a'))).toBe(false);
    expect(l.record('b', entry('camera:b'))).toBe(true);
    clock.ts += 60_000;
    expect(l.record('a', entry('camera:a'))).toBe(true);
    expect(audit.entries.map((e) => [e.target, e.details])).toEqual([
      ['camera:a', undefined],
      ['camera:b', undefined],
      ['camera:a', { suppressedSinceLastRecord: 2 }],
    ]);
  });

  it('without retryAfterFailure a failed write still holds the key for its interval', async () => {
    const { l, audit, errors } = limiter();
    audit.failNext = true;
    expect(l.record('a', entry('camera:a'))).toBe(true);
    await settle();
    expect(errors).toEqual(['video.view could not be written']);
    expect(l.record('a', entry('camera:a'))).toBe(false);
    expect(audit.entries).toHaveLength(0);
  });

  it('with retryAfterFailure the next event of a key whose write failed is recorded', async () => {
    const { l, audit } = limiter({ retryAfterFailure: true });
    audit.failNext = true;
    l.record('a', entry('camera:a'));
    await settle();
    expect(l.record('a', entry('camera:a'))).toBe(true);
    await settle();
    expect(audit.entries.map((e) => e.target)).toEqual(['camera:a']);
  });

  it('holds new keys back when the table is full of live keys, and reuses expired ones', () => {
    const { l, clock } = limiter({ maxKeys: 2 });
    l.record('a', entry('a'));
    l.record('b', entry('b'));
    expect(l.record('c', entry('c'))).toBe(false);
    expect(l.overflowed).toBe(1);
    clock.ts += 60_000;
    expect(l.record('c', entry('c'))).toBe(true);
    expect(l.size).toBe(1);
  });
});
