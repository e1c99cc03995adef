import { describe, expect, it } from 'vitest';
import { bucketsAtLevels, levelOfValue, previewThresholdChange } from './threshold-preview';

const rising = { direction: 'above' as const, limits: { yellow: 3.5, orange: 4.5, red: 5.8 } };
const falling = { direction: 'below' as const, limits: { yellow: 0.3, red: 0.1 } };

describe('threshold preview', () => {
  it('gives a value the most severe level it reached, in the rule direction', () => {
    expect(levelOfValue(3.4, rising)).toBeNull();
    expect(levelOfValue(3.5, rising)).toBe('yellow');
    expect(levelOfValue(6, rising)).toBe('red');
    expect(levelOfValue(0.2, falling)).toBe('yellow');
    expect(levelOfValue(0.05, falling)).toBe('red');
    expect(levelOfValue(0.5, falling)).toBeNull();
  });

  it('judges a rising rule on each bucket’s worst value and a falling one on its last value', () => {
    const window = { values: [3, 3, 0.05], max: [4, 6, 0.2] };
    expect(bucketsAtLevels(window, rising)).toEqual({ red: 1, orange: 0, yellow: 1, blue: 0 });
    expect(bucketsAtLevels(window, falling)).toEqual({ red: 1, orange: 0, yellow: 0, blue: 0 });
  });

  it('shows what a lower red limit would have raised over the same hours', () => {
    const window = { values: [4, 5, 5.5], max: [4.2, 5.1, 5.6] };
    const p = previewThresholdChange(window, rising, { ...rising, limits: { yellow: 3.5, orange: 4.5, red: 5.0 } });
    expect(p.current).toEqual({ red: 0, orange: 2, yellow: 1, blue: 0 });
    expect(p.proposed).toEqual({ red: 2, orange: 0, yellow: 1, blue: 0 });
    expect(p.changed).toBe(true);
    expect(previewThresholdChange(window, rising, rising).changed).toBe(false);
  });
});
