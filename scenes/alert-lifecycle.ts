/**
 * Alert lifecycle on two axes, like ThingsBoard: active/cleared × unacknowledged/acknowledged.
 *
 * Invariants:
 * - at most one open alert per (deviceId, ruleId); "open" = not (cleared and acknowledged);
 * - a condition that comes back while its alert is still open re-activates that alert
 *   (count + 1, new last-seen) instead of creating a duplicate;
 * - inputs are never mutated: every change returns a new Alert;
 * - `ruleVersion` is the version of the rule that decided the alert's current level: set when it is
 *   raised, and again when a later rule (an edited override) changes its level or re-raises it;
 *   absent while that rule is a catalogue default. Clearing and bookkeeping keep it.
 */
import { ALERT_LEVEL_RANK } from './domain';
import type { Alert, AlertLevel, Device, Rule } from './domain';
import type { IocError } from './protocol';
import { worseLevel } from './rules';

/** What a step means for the outside world; null = nothing worth an event (bookkeeping only, or no alert). */
export type AlertChange = 'raised' | 'updated' | 'cleared' | null;

/** An alert stays open until it is both cleared and acknowledged. */
export function isAlertOpen(a: Alert): boolean {
  return !(a.cleared && a.acknowledged);
}

/** Deterministic alert id, so replays and several server nodes agree on it. */
export function alertId(deviceId: string, ruleId: string, firstTs: number): string {
  return `${deviceId}|${ruleId}|${firstTs}`;
}

/** Key of the one open alert a (device, rule) may have. */
export function openAlertKey(deviceId: string, ruleId: string): string {
  return `${deviceId}|${ruleId}`;
}

export interface ApplyRuleLevelContext {
  device: Device;
  rule: Rule;
  /** epoch ms of the evaluated sample (or of the offline check) */
  ts: number;
  /** evaluated value, metric unit */
  value?: number;
  /** metric name; defaults to the rule's metric */
  metric?: string;
}

/**
 * Fold a rule's level (from `evaluateRule` / `isSilent`) into the open alert of that (device, rule).
 * `open` may be the last known alert even if it is closed; a closed alert is never reused.
 */
export function applyRuleLevel(
  open: Alert | undefined,
  level: AlertLevel | null,
  ctx: ApplyRuleLevelContext,
): { alert: Alert | undefined; change: AlertChange } {
  const current = open && isAlertOpen(open) ? open : undefined;
  if (!current) {
    if (level === null) return { alert: undefined, change: null };
    return { alert: raiseAlert(level, ctx), change: 'raised' };
  }
  const observed = observedFields(ctx);
  if (level === null) {
    if (current.cleared) return { alert: current, change: null };
    return { alert: { ...current, cleared: true, clearedTs: ctx.ts }, change: 'cleared' };
  }
  if (current.cleared) {
    // Cleared but not yet acknowledged: the same alert comes back (dedup), it does not duplicate.
    const { clearedTs: _clearedTs, ...rest } = current;
    return {
      alert: withRuleVersion(
        { ...rest, ...observed, cleared: false, level, peakLevel: worseLevel(current.peakLevel, level) ?? level, count: current.count + 1 },
        ctx.rule,
      ),
      change: 'updated',
    };
  }
  if (current.level === level) {
    return { alert: { ...current, ...observed }, change: null };
  }
  return {
    alert: withRuleVersion({ ...current, ...observed, level, peakLevel: worseLevel(current.peakLevel, level) ?? level }, ctx.rule),
    change: 'updated',
  };
}

/** The alert (a fresh copy) stamped with the version of the rule that decided its level; none for a catalogue rule. */
function withRuleVersion(alert: Alert, rule: Rule): Alert {
  const version = ruleVersion(rule);
  if (version !== undefined) return { ...alert, ruleVersion: version };
  const { ruleVersion: _previous, ...rest } = alert;
  return rest;
}

function observedFields(ctx: ApplyRuleLevelContext): Pick<Alert, 'lastTs'> & Partial<Pick<Alert, 'value'>> {
  return ctx.value === undefined ? { lastTs: ctx.ts } : { lastTs: ctx.ts, value: ctx.value };
}

function ruleMetric(rule: Rule): string | undefined {
  return 'metric' in rule ? rule.metric : undefined;
}

/** Version of an effective rule (rule-overrides.ts EffectiveRule); catalogue rules carry none. */
function ruleVersion(rule: Rule): number | undefined {
  const version = (rule as { version?: unknown }).version;
  return typeof version === 'number' ? version : undefined;
}

function raiseAlert(level: AlertLevel, ctx: ApplyRuleLevelContext): Alert {
  const { device, rule, ts } = ctx;
  const alert: Alert = {
    id: alertId(device.id, rule.id, ts),
    deviceId: device.id,
    deviceKind: device.kind,
    ruleId: rule.id,
    scene: device.scene,
    district: device.district,
    location: [device.location[0], device.location[1]],
    level,
    peakLevel: level,
    cleared: false,
    acknowledged: false,
    firstTs: ts,
    lastTs: ts,
    count: 1,
    title: rule.title,
    titleEn: rule.titleEn,
  };
  if (ctx.value !== undefined) alert.value = ctx.value;
  const version = ruleVersion(rule);
  if (version !== undefined) alert.ruleVersion = version;
  const metric = ctx.metric ?? ruleMetric(rule);
  if (metric !== undefined) alert.metric = metric;
  return alert;
}

/** Acknowledge an alert (an officer saw it). Acknowledging twice is a conflict. */
export function acknowledgeAlert(alert: Alert, actor: string, ts: number): { ok: true; alert: Alert } | { ok: false; error: IocError } {
  if (alert.acknowledged) {
    return {
      ok: false,
      error: { code: 'E_CONFLICT', message: `alert already acknowledged by ${alert.ackBy ?? 'someone'}`, details: { current: alert } },
    };
  }
  return { ok: true, alert: { ...alert, acknowledged: true, ackTs: ts, ackBy: actor } };
}

/**
 * Whether this alert should open an incident automatically: it is active, at least as severe as the
 * rule's autoIncidentLevel (red is the most severe), and has no incident yet.
 */
export function shouldOpenIncident(rule: Rule, alert: Alert): boolean {
  if (rule.autoIncidentLevel === null || alert.incidentId !== undefined || alert.cleared) return false;
  return ALERT_LEVEL_RANK[alert.level] <= ALERT_LEVEL_RANK[rule.autoIncidentLevel];
}

/** Link an alert to the incident opened for it (new object). */
export function linkAlertToIncident(alert: Alert, incidentId: string): Alert {
  return { ...alert, incidentId };
}

/**
 * Two copies of one alert folded into one (issue 15): another node's logged copy into this node's
 * (the log follower), or a copy being written into the stored one (the store's compare-and-set).
 * The two copies hold two kinds of fields:
 * - observed from readings (level, peak, lastTs, count, value, cleared): this node fuses the same
 *   readings, and an `alert.*` event is a snapshot taken when the origin saw a change — later
 *   observations of the same level (lastTs, count, value) are never logged. So the copy observed
 *   later (greater `lastTs`) wins; a snapshot must not move this node's copy backwards.
 * - decided by people (acknowledged, ackTs, ackBy) and by incident linking (incidentId): they only
 *   ever go one way, and either copy may be the one that has them (an ack on this node, then a
 *   reading-driven snapshot from a node that had not seen it yet): kept from whichever has them.
 * Answers `local` itself when the logged copy adds nothing.
 */
export function mergeAlertCopies(local: Alert | undefined, logged: Alert): Alert {
  if (!local) return logged;
  const base = logged.lastTs >= local.lastTs ? logged : local;
  const other = base === logged ? local : logged;
  let merged = base;
  if (!base.acknowledged && other.acknowledged) {
    merged = {
      ...merged,
      acknowledged: true,
      ...(other.ackTs !== undefined ? { ackTs: other.ackTs } : {}),
      ...(other.ackBy !== undefined ? { ackBy: other.ackBy } : {}),
    };
  }
  if (base.incidentId === undefined && other.incidentId !== undefined) merged = { ...merged, incidentId: other.incidentId };
  return merged === logged && sameAlert(local, logged) ? local : merged;
}

/** Field-by-field equality of two alerts (JSON-shaped: one level of arrays). */
function sameAlert(a: Alert, b: Alert): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Alert>;
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
    } else if (x !== y) return false;
  }
  return true;
}
