import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../scenes/domain';
import { DEFAULT_RULES } from '../scenes/catalogue';
import { rawThresholdLevel } from '../scenes/rules';
import { SignedReadingSchema } from '../scenes/protocol';
import {
  alarmMetrics,
  encodeSignedReading,
  instantRedRule,
  naiveReadingFrameBytes,
  safeMetrics,
  signedReadingPrefix,
  thresholdRules,
} from './bench-readings';

describe('benchmark readings', () => {
  it('finds values for every device kind that reach no threshold rule', () => {
    for (const kind of DEVICE_KINDS) {
      const metrics = safeMetrics(kind);
      for (const rule of DEFAULT_RULES) {
        if (rule.type !== 'threshold' || rule.deviceKind !== kind) continue;
        expect(rawThresholdLevel(rule, metrics[rule.metric]), `${kind}.${rule.metric}`).toBeNull();
      }
    }
  });

  it('finds values that also stay inside the limits the demo city seeds per asset (each river its own warning level)', () => {
    const rivers = thresholdRules('water-level', 'level');
    // the catalogue's rule and one variant per seeded river override
    expect(rivers.length).toBeGreaterThan(1);
    const level = safeMetrics('water-level').level;
    for (const rule of rivers) expect(rawThresholdLevel(rule, level), `level ${level} against ${JSON.stringify(rule.limits)}`).toBeNull();
  });

  it('builds an alarm reading that reaches red on a rule without minimum duration', () => {
    const rule = instantRedRule();
    expect(rule.minDurationMs).toBe(0);
    expect(rawThresholdLevel(rule, alarmMetrics(rule)[rule.metric])).toBe('red');
  });

  it('pre-encodes signed readings that parse and validate', () => {
    const text = encodeSignedReading(signedReadingPrefix('gas-001', 'x'.repeat(43), { lel: 5 }), 7, 1_700_000_000_000);
    const parsed = SignedReadingSchema.safeParse(JSON.parse(text));
    expect(parsed.success).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ deviceId: 'gas-001', seq: 7, ts: 1_700_000_000_000, metrics: { lel: 5 } });
  });

  it('sizes a naive broadcast frame as the encoded reading without its token', () => {
    const bytes = naiveReadingFrameBytes('d1', { a: 1 }, 1, 2);
    expect(bytes).toBe(1 + '2["reading",{"deviceId":"d1","ts":2,"seq":1,"metrics":{"a":1}}]'.length);
  });
});
