import { describe, expect, it } from 'vitest';
import { alertValueText } from './alert-value';

describe('alert value text', () => {
  it('rounds like the charts and adds the metric unit from the catalogue', () => {
    expect(alertValueText({ value: 5.939, deviceKind: 'water-level', metric: 'level' }, 'zh')).toBe('5.94 m');
    expect(alertValueText({ value: 78.94, deviceKind: 'rain-gauge', metric: 'rainfall' }, 'en')).toBe('78.9 mm/h');
    expect(alertValueText({ value: 3, deviceKind: 'water-level' }, 'zh')).toBe('3');
    expect(alertValueText({ deviceKind: 'water-level', metric: 'level' }, 'zh')).toBe('');
    // a pump's running flag: 1 says nothing
    expect(alertValueText({ value: 1, deviceKind: 'pump-station', metric: 'running' }, 'zh')).toBe('');
  });
});
