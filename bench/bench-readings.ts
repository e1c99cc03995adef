/**
 * Readings the load generators send (pure): values that stay inside every threshold rule (so the
 * background load raises no alerts), one value that crosses a red limit at once (alarm probes),
 * and the pre-encoded JSON a sender concatenates without calling JSON.stringify per reading.
 */
import { DEFAULT_RULES, DEVICE_CATALOGUE } from '../scenes/catalogue';
import { QINGDAO_RULE_OVERRIDES } from '../scenes/city/qingdao';
import { applyRulePatch } from '../scenes/rule-overrides';
import { rawThresholdLevel } from '../scenes/rules';
import type { DeviceKind, ThresholdRule } from '../scenes/domain';

/** Positions in a metric's physical range tried, in order, for a value that raises nothing. */
const SAFE_FRACTIONS = [0.5, 0.4, 0.6, 0.3, 0.2, 0.7, 0.1, 0.05, 0.8, 0.9, 0.01, 0];
/** Decimals kept in generated values. */
const VALUE_DECIMALS = 3;
/** How far past the red limit an alarm probe's value goes (fraction of the limit). */
const ALARM_OVERSHOOT_FRACTION = 0.2;

/**
 * The threshold rules a device of `kind` may alarm on for `metric`: the catalogue's, and each at the
 * limits the demo city's seeded per-asset overrides give it (a river's own warning level). A value
 * safe only against the catalogue sat above some rivers' warning levels: one minute into a bench
 * their gauges raised yellow and blue alerts (an alert storm in every screen frame, not load).
 */
export function thresholdRules(kind: DeviceKind, metric: string): ThresholdRule[] {
  const base = DEFAULT_RULES.filter((r): r is ThresholdRule => r.type === 'threshold' && r.deviceKind === kind && r.metric === metric);
  const overridden = base.flatMap((r) =>
    QINGDAO_RULE_OVERRIDES.filter((o) => o.ruleId === r.id && o.patch.limits).map((o) => applyRulePatch(r, o.patch)),
  );
  return [...base, ...overridden];
}

/** Metric values of `kind` that reach no threshold rule (flags 0). Throws when none exists. */
export function safeMetrics(kind: DeviceKind): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of DEVICE_CATALOGUE[kind].metrics) {
    if (spec.flag) {
      out[spec.name] = 0;
      continue;
    }
    const rules = thresholdRules(kind, spec.name);
    const value = SAFE_FRACTIONS.map((f) => Number((spec.min + (spec.max - spec.min) * f).toFixed(VALUE_DECIMALS))).find((v) =>
      rules.every((r) => rawThresholdLevel(r, v) === null),
    );
    if (value === undefined) throw new Error(`no safe value for ${kind}.${spec.name}`);
    out[spec.name] = value;
  }
  return out;
}

/** The first "above" threshold rule with a red limit and no minimum duration: one reading raises it. */
export function instantRedRule(): ThresholdRule {
  const rule = DEFAULT_RULES.find(
    (r): r is ThresholdRule => r.type === 'threshold' && r.direction === 'above' && r.minDurationMs === 0 && r.limits.red !== undefined,
  );
  if (!rule) throw new Error('no instant red threshold rule in DEFAULT_RULES');
  return rule;
}

/** Metrics of one reading that raises `rule` at red immediately. */
export function alarmMetrics(rule: ThresholdRule): Record<string, number> {
  const red = rule.limits.red!;
  return { ...safeMetrics(rule.deviceKind), [rule.metric]: Number((red * (1 + ALARM_OVERSHOOT_FRACTION)).toFixed(VALUE_DECIMALS)) };
}

/** `{"deviceId":…,"token":…,"metrics":…,"seq":` — completed by `encodeSignedReading`. */
export function signedReadingPrefix(deviceId: string, token: string, metrics: Record<string, number>): string {
  return `{"deviceId":${JSON.stringify(deviceId)},"token":${JSON.stringify(token)},"metrics":${JSON.stringify(metrics)},"seq":`;
}

export function encodeSignedReading(prefix: string, seq: number, ts: number): string {
  return `${prefix}${seq},"ts":${ts}}`;
}

/**
 * Bytes one client receives for one reading under naive broadcast with Socket.IO over WebSocket:
 * engine.io type char + `2["reading",{deviceId,ts,seq,metrics}]` (no token).
 */
export function naiveReadingFrameBytes(deviceId: string, metrics: Record<string, number>, seq: number, ts: number): number {
  return 1 + Buffer.byteLength(`2["reading",${JSON.stringify({ deviceId, ts, seq, metrics })}]`);
}
