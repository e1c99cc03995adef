/**
 * What a threshold change would have done: the device's recent buckets judged against the limits
 * in force and against the proposed ones. Deliberately a preview, not the evaluator: it looks at
 * each bucket's worst value and ignores hysteresis and minimum duration (the evaluator,
 * scenes/rules.ts, applies those), so it counts buckets that would have been over a limit.
 */
import { ALERT_LEVELS, ALERT_LEVEL_RANK } from '@scenes/domain';
import type { AlertLevel, Rule } from '@scenes/domain';
import type { SeriesWindow } from '@scenes/scene-model';

type ThresholdLike = Pick<Extract<Rule, { type: 'threshold' }>, 'direction' | 'limits'>;

/** The most severe level whose limit `value` is at or past (direction-aware); null = none. */
export function levelOfValue(value: number, rule: ThresholdLike): AlertLevel | null {
  const bySeverity = [...ALERT_LEVELS].sort((a, b) => ALERT_LEVEL_RANK[a] - ALERT_LEVEL_RANK[b]);
  for (const level of bySeverity) {
    const limit = rule.limits[level];
    if (limit === undefined) continue;
    if (rule.direction === 'above' ? value >= limit : value <= limit) return level;
  }
  return null;
}

export type LevelCounts = Record<AlertLevel, number>;

/**
 * Buckets of the window at each level (its worst value for a rising rule, its last value for a
 * falling one, as the window keeps only max and last).
 */
export function bucketsAtLevels(window: Pick<SeriesWindow, 'values' | 'max'>, rule: ThresholdLike): LevelCounts {
  const counts: LevelCounts = { red: 0, orange: 0, yellow: 0, blue: 0 };
  const values = rule.direction === 'above' ? window.max : window.values;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const level = levelOfValue(v, rule);
    if (level !== null) counts[level] += 1;
  }
  return counts;
}

export interface ThresholdPreview {
  current: LevelCounts;
  proposed: LevelCounts;
  /** true when any level's count differs */
  changed: boolean;
}

export function previewThresholdChange(
  window: Pick<SeriesWindow, 'values' | 'max'>,
  current: ThresholdLike,
  proposed: ThresholdLike,
): ThresholdPreview {
  const a = bucketsAtLevels(window, current);
  const b = bucketsAtLevels(window, proposed);
  return { current: a, proposed: b, changed: ALERT_LEVELS.some((l) => a[l] !== b[l]) };
}
