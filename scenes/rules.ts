/**
 * Rule evaluation: one pure step per (device, rule) and sample.
 *
 * The caller (server fusion) keeps one `RuleState` per (device, rule) and feeds every accepted
 * sample of the rule's metric through `evaluateRule`; the returned `level` is then handed to
 * `applyRuleLevel` (alert-lifecycle.ts). Nothing here reads the clock: time comes in with the
 * sample, so replaying the same samples always yields the same levels.
 */
import { ALERT_LEVEL_RANK, ALERT_LEVELS } from './domain';
import type { AlertLevel, EventRule, OfflineRule, RateRule, ThresholdRule } from './domain';

/** Rate rules keep at most this many samples in their window (memory bound per device and rule). */
export const RATE_MAX_SAMPLES = 120;

/**
 * A rate is only computed once the samples span at least this fraction of the rule's window,
 * so two noisy samples a second apart cannot fake a steep rise.
 */
export const RATE_MIN_SPAN_FRACTION = 0.5;

/** Milliseconds per minute: rate limits are expressed per minute. */
export const MS_PER_MINUTE = 60_000;

/** An event metric at or above this value means "the event is happening" (1 = true, 0 = false). */
export const EVENT_ACTIVE_MIN_VALUE = 1;

/** Evaluation state of one rule on one device. Plain JSON, so it can be persisted as is. */
export interface RuleState {
  /** level in force (null = normal) */
  level: AlertLevel | null;
  /** most severe candidate level waiting for the rule's minDurationMs (null = none) */
  pendingLevel: AlertLevel | null;
  /** epoch ms since which `pendingLevel`'s raw condition has held continuously (0 = none) */
  pendingSinceTs: number;
  /** recent [epoch ms, value] samples for rate rules, oldest first, at most RATE_MAX_SAMPLES */
  samples: [number, number][];
  /** epoch ms of the newest evaluated sample (0 = none); older samples are ignored */
  lastTs: number;
  /**
   * Threshold rules: per level, epoch ms since which its raw condition has held continuously.
   * Optional so states persisted before this field existed still load.
   */
  conditionSinceTs?: Partial<Record<AlertLevel, number>>;
}

export function initialRuleState(): RuleState {
  return { level: null, pendingLevel: null, pendingSinceTs: 0, samples: [], lastTs: 0, conditionSinceTs: {} };
}

export interface RuleOutcome {
  state: RuleState;
  /** level in force after this sample (null = normal) */
  level: AlertLevel | null;
  /** the value that was evaluated (metric unit; for rate rules the rate in metric unit per minute); absent if the sample was ignored */
  value?: number;
}

/** true when `a` is strictly more severe than `b` (null = normal, the least severe). */
export function isMoreSevere(a: AlertLevel | null, b: AlertLevel | null): boolean {
  if (a === null) return false;
  if (b === null) return true;
  return ALERT_LEVEL_RANK[a] < ALERT_LEVEL_RANK[b];
}

/** The more severe of two levels (null = normal). */
export function worseLevel(a: AlertLevel | null, b: AlertLevel | null): AlertLevel | null {
  return isMoreSevere(b, a) ? b : a;
}

/** Levels from most severe (red) to least (blue). */
const LEVELS_BY_SEVERITY: readonly AlertLevel[] = [...ALERT_LEVELS].sort((a, b) => ALERT_LEVEL_RANK[a] - ALERT_LEVEL_RANK[b]);

/**
 * Raw threshold level of a value, ignoring duration and hysteresis: the most severe level whose
 * limit is reached (`value >= limit` for 'above', `value <= limit` for 'below').
 */
export function rawThresholdLevel(rule: ThresholdRule, value: number): AlertLevel | null {
  for (const level of LEVELS_BY_SEVERITY) {
    const limit = rule.limits[level];
    if (limit !== undefined && reachesLimit(rule, value, limit)) return level;
  }
  return null;
}

function reachesLimit(rule: ThresholdRule, value: number, limit: number): boolean {
  return rule.direction === 'above' ? value >= limit : value <= limit;
}

/** A level already in force is kept until the value goes past its limit by more than the hysteresis. */
function staysWithinHysteresis(rule: ThresholdRule, value: number, limit: number): boolean {
  return rule.direction === 'above' ? value >= limit - rule.hysteresis : value <= limit + rule.hysteresis;
}

/**
 * Evaluate one sample. Out-of-order samples (ts older than the last evaluated one) and non-finite
 * values are ignored: the previous state and level are returned unchanged.
 */
export function evaluateRule(rule: ThresholdRule | RateRule | EventRule, prev: RuleState, sample: { ts: number; value: number }): RuleOutcome {
  if (sample.ts < prev.lastTs || !Number.isFinite(sample.value) || !Number.isFinite(sample.ts)) {
    return { state: prev, level: prev.level };
  }
  switch (rule.type) {
    case 'threshold':
      return evaluateThreshold(rule, prev, sample);
    case 'rate':
      return evaluateRate(rule, prev, sample);
    case 'event':
      return evaluateEvent(rule, prev, sample);
    default: {
      const unreachable: never = rule;
      throw new Error(`unknown rule type ${(unreachable as { type: string }).type}`);
    }
  }
}

function evaluateThreshold(rule: ThresholdRule, prev: RuleState, sample: { ts: number; value: number }): RuleOutcome {
  const { ts, value } = sample;
  const prevSince = prev.conditionSinceTs ?? {};
  const since: Partial<Record<AlertLevel, number>> = {};
  for (const level of LEVELS_BY_SEVERITY) {
    const limit = rule.limits[level];
    if (limit !== undefined && reachesLimit(rule, value, limit)) since[level] = prevSince[level] ?? ts;
  }

  // Levels no more severe than the current one are held while within hysteresis of their limit.
  let held: AlertLevel | null = null;
  if (prev.level !== null) {
    for (const level of LEVELS_BY_SEVERITY) {
      if (isMoreSevere(level, prev.level)) continue;
      const limit = rule.limits[level];
      if (limit !== undefined && staysWithinHysteresis(rule, value, limit)) {
        held = level;
        break;
      }
    }
  }

  // More severe levels are entered only after their raw condition held for minDurationMs.
  let entered: AlertLevel | null = null;
  for (const level of LEVELS_BY_SEVERITY) {
    const startTs = since[level];
    if (startTs !== undefined && isMoreSevere(level, prev.level) && ts - startTs >= rule.minDurationMs) {
      entered = level;
      break;
    }
  }

  const level = worseLevel(held, entered);
  let pendingLevel: AlertLevel | null = null;
  let pendingSinceTs = 0;
  for (const candidate of LEVELS_BY_SEVERITY) {
    const startTs = since[candidate];
    if (startTs !== undefined && isMoreSevere(candidate, level)) {
      pendingLevel = candidate;
      pendingSinceTs = startTs;
      break;
    }
  }

  return {
    state: { level, pendingLevel, pendingSinceTs, samples: prev.samples, lastTs: ts, conditionSinceTs: since },
    level,
    value,
  };
}

function evaluateRate(rule: RateRule, prev: RuleState, sample: { ts: number; value: number }): RuleOutcome {
  const oldestKeptTs = sample.ts - rule.windowMs;
  // samples are oldest first and never older than lastTs, so the window is a suffix of them
  const old = prev.samples;
  let from = Math.max(0, old.length - (RATE_MAX_SAMPLES - 1));
  while (from < old.length && old[from]![0] < oldestKeptTs) from++;
  const samples = old.slice(from);
  samples.push([sample.ts, sample.value]);
  const [firstTs, firstValue] = samples[0]!;
  const spanMs = sample.ts - firstTs;
  const next = (level: AlertLevel | null): RuleState => ({
    level,
    pendingLevel: prev.pendingLevel,
    pendingSinceTs: prev.pendingSinceTs,
    samples,
    lastTs: sample.ts,
    conditionSinceTs: prev.conditionSinceTs,
  });
  if (spanMs <= 0 || spanMs < rule.windowMs * RATE_MIN_SPAN_FRACTION) return { state: next(null), level: null };
  const ratePerMin = (sample.value - firstValue) / (spanMs / MS_PER_MINUTE);
  const exceeded = rule.limitPerMin < 0 ? ratePerMin <= rule.limitPerMin : ratePerMin >= rule.limitPerMin;
  const level = exceeded ? rule.level : null;
  return { state: next(level), level, value: ratePerMin };
}

function evaluateEvent(rule: EventRule, prev: RuleState, sample: { ts: number; value: number }): RuleOutcome {
  const level = sample.value >= EVENT_ACTIVE_MIN_VALUE ? rule.level : null;
  return { state: { ...prev, level, lastTs: sample.ts }, level, value: sample.value };
}

/**
 * Offline rule: true when the device has sent nothing for longer than `rule.silenceMs`.
 * `lastReadingTs` 0 (never heard from) counts as silent.
 */
export function isSilent(rule: OfflineRule, lastReadingTs: number, nowTs: number): boolean {
  return nowTs - lastReadingTs > rule.silenceMs;
}
