import { describe, expect, it } from 'vitest';
import { isoWithOffset } from './iso-time';

describe('isoWithOffset', () => {
  it('writes Beijing time with +08:00 and whole seconds', () => {
    expect(isoWithOffset(Date.UTC(2026, 6, 1, 0, 30, 15, 999))).toBe('2026-07-01T08:30:15+08:00');
  });
  it('rolls the date over at local midnight', () => {
    expect(isoWithOffset(Date.UTC(2026, 11, 31, 16, 0, 0))).toBe('2027-01-01T00:00:00+08:00');
  });
  it('writes a negative offset with a minus sign', () => {
    expect(isoWithOffset(Date.UTC(2026, 0, 1, 12, 0, 0), -330)).toBe('2026-01-01T06:30:00-05:30');
  });
});
