/** The walls show area warnings (issue 14): count and list on overview, emergency and water. */
import { describe, expect, it } from 'vitest';
import { SCENE_BUILDERS } from './index';
import { makeFusedState } from '../test-fixtures/fused-state';
import { scopeFusedState } from '../scope';
import { DEFAULT_AREA_WARNING_RULES, aggregateAreaWarnings } from '../storm/area-warnings';
import { MINUTE_MS, T0, makeAlert } from '../storm/fixtures/storm-fixtures';

const gauges = (n: number, district: '370202' | '370203', level: 'red' | 'orange', startMin: number) =>
  Array.from({ length: n }, (_, i) => makeAlert(`rg-${district}-${i}`, { district, level, firstTs: T0 + (startMin + i) * MINUTE_MS }));
const { warnings } = aggregateAreaWarnings(
  [...gauges(3, '370202', 'orange', 0), ...gauges(4, '370203', 'red', 5)],
  [],
  DEFAULT_AREA_WARNING_RULES,
  T0 + 30 * MINUTE_MS,
);
const state = makeFusedState({ areaWarnings: warnings });

describe('wall scenes show area warnings', () => {
  it('lists them on overview, emergency and water, most severe first, with counts instead of gauges', () => {
    for (const scene of ['overview', 'emergency', 'water'] as const) {
      const model = SCENE_BUILDERS[scene](state);
      expect(model.warnings?.map((w) => [w.district, w.level, w.alertCount, w.deviceCount, w.scene])).toEqual([
        ['370203', 'red', 4, 4, 'water'],
        ['370202', 'orange', 3, 3, 'water'],
      ]);
    }
  });

  it('leaves them off the bridge and community walls', () => {
    expect(SCENE_BUILDERS.bridge(state).warnings).toBeUndefined();
    expect(SCENE_BUILDERS.community(state).warnings).toBeUndefined();
  });

  it('shows an officer limited to districts only the warnings of those districts', () => {
    const scoped = scopeFusedState(state, { kind: 'districts', districts: ['370202'] });
    expect(SCENE_BUILDERS.water(scoped).warnings?.map((w) => w.district)).toEqual(['370202']);
    expect(scopeFusedState(state, { kind: 'handler', username: 'h1' }).areaWarnings).toEqual([]);
  });

  it('shows an empty list, not none, on a quiet day', () => {
    expect(SCENE_BUILDERS.water(makeFusedState()).warnings).toEqual([]);
  });
});
