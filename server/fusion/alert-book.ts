/**
 * Every alert still shown (open ones and recently closed ones), the open alert per (device, rule),
 * and the per-scene trend of raised alerts. Folding a rule's level into the book goes through the
 * pure lifecycle (scenes/alert-lifecycle.ts).
 */
import { SCENE_IDS, type Alert, type AlertLevel, type Device, type Rule, type SceneId } from '../../scenes/domain';
import type { AlertTrend } from '../../scenes/scene-model';
import { applyRuleLevel, isAlertOpen, openAlertKey, type AlertChange } from '../../scenes/alert-lifecycle';

export interface AlertChangeRecord {
  alert: Alert;
  change: Exclude<AlertChange, null>;
  rule: Rule;
}

/** What storing an alert did: nothing, stored it, or stored it and its device's display status may have changed. */
export const ALERT_UNCHANGED = 0;
export const ALERT_STORED = 1;
export const ALERT_STATUS_CHANGED = 2;
export type AlertStep = typeof ALERT_UNCHANGED | typeof ALERT_STORED | typeof ALERT_STATUS_CHANGED;

export interface AlertBookOptions {
  /** window of the per-scene alert trend, ms */
  trendWindowMs: number;
  /** width of one trend bucket, ms */
  trendBucketMs: number;
}

export class AlertBook {
  /** every alert still shown, by id */
  private readonly alerts = new Map<string, Alert>();
  /** open alert per openAlertKey */
  private readonly open = new Map<string, Alert>();
  /** list() answer until the book changes: builders memoise alert work on its identity, so it is never mutated */
  private listed: Alert[] | null = null;
  readonly trend: AlertTrend;

  constructor(opts: AlertBookOptions, nowTs: number) {
    const buckets = Math.ceil(opts.trendWindowMs / opts.trendBucketMs);
    const start = Math.floor(nowTs / opts.trendBucketMs) * opts.trendBucketMs - (buckets - 1) * opts.trendBucketMs;
    this.trend = {
      bucketMs: opts.trendBucketMs,
      startTs: start,
      counts: Object.fromEntries(SCENE_IDS.map((s) => [s, new Array<number>(buckets).fill(0)])) as Record<SceneId, number[]>,
    };
  }

  restore(alerts: readonly Alert[]): void {
    this.listed = null;
    for (const a of alerts) {
      this.alerts.set(a.id, a);
      if (isAlertOpen(a)) this.open.set(openAlertKey(a.deviceId, a.ruleId), a);
      this.countTrend(a);
    }
  }

  get(id: string): Alert | undefined {
    return this.alerts.get(id);
  }

  /** Stores an alert (from rules, ack, or incident linking) and keeps the indexes right. */
  put(alert: Alert): AlertStep {
    const key = openAlertKey(alert.deviceId, alert.ruleId);
    const prev = this.alerts.get(alert.id);
    // re-putting the very same object (a cleared alert seeing another normal reading) changes nothing
    if (prev === alert) return ALERT_STORED;
    this.alerts.set(alert.id, alert);
    this.listed = null;
    if (isAlertOpen(alert)) this.open.set(key, alert);
    else if (this.open.get(key)?.id === alert.id) this.open.delete(key);
    // display statuses depend on an alert's level and whether it is cleared, not on lastTs/count
    return !prev || prev.level !== alert.level || prev.cleared !== alert.cleared ? ALERT_STATUS_CHANGED : ALERT_STORED;
  }

  /**
   * Folds a rule's level into the open alert under `key`; a change worth an event is appended to
   * `out`. Allocates nothing when there is no open alert and the level is normal (the usual case).
   */
  applyLevel(
    device: Device,
    rule: Rule,
    key: string,
    level: AlertLevel | null,
    ts: number,
    value: number | undefined,
    out: AlertChangeRecord[],
  ): AlertStep {
    const open = this.open.get(key);
    if (!open && level === null) return ALERT_UNCHANGED;
    const { alert, change } = applyRuleLevel(open, level, { device, rule, ts, value });
    if (!alert) return ALERT_UNCHANGED;
    const step = this.put(alert);
    if (change) {
      out.push({ alert, change, rule });
      if (change === 'raised') this.countTrend(alert);
    }
    return step;
  }

  /** Open alerts of a device. */
  openAlertsOf(deviceId: string): Alert[] {
    return [...this.alerts.values()].filter((a) => a.deviceId === deviceId && isAlertOpen(a));
  }

  openCount(): number {
    return this.open.size;
  }

  /** Every alert in the book: the same array until the book changes (do not mutate). */
  list(): readonly Alert[] {
    return (this.listed ??= [...this.alerts.values()]);
  }

  /** Closed alerts last seen and cleared before `horizonTs` leave the book. */
  prune(horizonTs: number): void {
    for (const [id, a] of this.alerts) {
      if (!isAlertOpen(a) && a.lastTs < horizonTs && (a.clearedTs ?? 0) < horizonTs) {
        this.alerts.delete(id);
        this.listed = null;
      }
    }
  }

  private countTrend(alert: Alert): void {
    const t = this.trend;
    const idx = Math.floor((alert.firstTs - t.startTs) / t.bucketMs);
    const counts = t.counts[alert.scene];
    if (idx >= 0 && idx < counts.length) counts[idx]! += 1;
  }

  /** Moves the trend window so its last bucket contains `nowTs`. */
  rollTrend(nowTs: number): void {
    const t = this.trend;
    const buckets = t.counts.water.length;
    const wantStart = Math.floor(nowTs / t.bucketMs) * t.bucketMs - (buckets - 1) * t.bucketMs;
    const shift = Math.round((wantStart - t.startTs) / t.bucketMs);
    if (shift <= 0) return;
    for (const s of SCENE_IDS) {
      const arr = t.counts[s];
      const kept = shift >= buckets ? [] : arr.slice(shift);
      t.counts[s] = [...kept, ...new Array<number>(buckets - kept.length).fill(0)];
    }
    t.startTs = wantStart;
  }
}
