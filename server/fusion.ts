/**
 * Fusion: the server's in-memory picture of the city, fed by readings, alerts, incidents and
 * handler positions. It owns latest state per device, rule states, open alerts, rolling chart
 * windows and the alert trend, and hands the pure scene builders a FusedState.
 *
 * Fusion itself does no I/O: it returns what changed (accepted readings, alert changes, incidents
 * to open) and the caller (ingest / app) persists and broadcasts.
 */
import {
  ALERT_LEVEL_RANK,
  SCENE_IDS,
  type Alert,
  type AlertLevel,
  type Device,
  type DeviceKind,
  type DeviceState,
  type EmergencyResource,
  type Handler,
  type HandlerStatus,
  type Incident,
  type LngLat,
  type Reading,
  type Rule,
  type SceneId,
  type ScreenSceneId,
} from '../scenes/domain';
import type { AlertTrend, FusedState, SeriesWindow } from '../scenes/scene-model';
import { evaluateRule, initialRuleState, isSilent, type RuleState } from '../scenes/rules';
import { applyRuleLevel, isAlertOpen, type AlertChange } from '../scenes/alert-lifecycle';
import { DEFAULT_RULES } from '../scenes/catalogue';
import { QINGDAO_ASSETS, QINGDAO_RESOURCES } from '../scenes/city/qingdao';
import { ClosedBucketSeries } from './closed-bucket-series';

export interface FusionOptions {
  /** width of one chart bucket, ms */
  seriesBucketMs: number;
  /** buckets kept per series */
  seriesBuckets: number;
  /** window of the per-scene alert trend, ms (24 h) */
  trendWindowMs: number;
  /** width of one trend bucket, ms (1 h) */
  trendBucketMs: number;
  /** cleared+acknowledged alerts and closed incidents stay in the scene models this long, ms */
  recentRetentionMs: number;
  /** a handler without a position report for this long counts as off duty, ms */
  handlerOffDutyAfterMs: number;
  /** after a real phone's position, simulated positions for that handler are ignored this long, ms */
  realPositionPriorityMs: number;
}

export const DEFAULT_FUSION_OPTIONS: FusionOptions = {
  seriesBucketMs: 10_000,
  seriesBuckets: 60,
  trendWindowMs: 24 * 3600_000,
  trendBucketMs: 3600_000,
  recentRetentionMs: 24 * 3600_000,
  handlerOffDutyAfterMs: 10 * 60_000,
  realPositionPriorityMs: 10 * 60_000,
};

/** Status changes remembered for incremental scene builds; past this a build starts over. */
const STATUS_LOG_MAX = 20_000;

/** Anti-replay window: a reading up to this many seqs behind the newest is checked exactly. */
const SEQ_WINDOW = 32;
/** Every seq of the window seen. */
const FULL_SEQ_MASK = 0xffffffff;

export type ReadingVerdict = 'accepted' | 'duplicate' | 'out_of_order';

export interface AlertChangeRecord {
  alert: Alert;
  change: Exclude<AlertChange, null>;
  rule: Rule;
}

interface SeqTrack {
  lastSeq: number;
  /** bit i set = seq (lastSeq - 1 - i) was seen */
  mask: number;
}

interface LiveSeries {
  window: SeriesWindow;
}

/**
 * Per-device working state of the hot path, found with one map lookup per reading: rule states by
 * the rule's index in `rules`, the `${deviceId}|${ruleId}` keys of its open alerts and its live
 * chart windows by metric — no string keys built per reading.
 */
interface DeviceRuntime {
  rules: readonly Rule[];
  ruleStates: (RuleState | undefined)[];
  alertKeys: string[];
  series: Map<string, LiveSeries>;
}

export interface HandlerProfile {
  id: string;
  name: string;
  team: string;
  skills: string[];
  home: LngLat | null;
}

export class Fusion {
  readonly devices = new Map<string, Device>();
  readonly deviceStates = new Map<string, DeviceState>();
  private readonly seq = new Map<string, SeqTrack>();
  private readonly runtimes = new Map<string, DeviceRuntime>();
  /** open alert per `${deviceId}|${ruleId}` */
  private readonly openAlerts = new Map<string, Alert>();
  /** every alert still shown: open ones and recently closed ones, by id */
  private readonly alerts = new Map<string, Alert>();
  readonly incidents = new Map<string, Incident>();
  private readonly handlers = new Map<string, Handler>();
  /** last position time per handler from a real phone (not the simulator) */
  private readonly realPositionTs = new Map<string, number>();
  private readonly liveSeries = new Map<string, LiveSeries>();
  /** what scene builders see: replaced whole when a bucket closes, so charts change at bucket rate */
  /** closed buckets only, copied lazily per bucket period */
  private readonly publishedSeries = new ClosedBucketSeries(this.liveSeries);
  private publishedBucketStart = 0;
  private readonly rulesByKind = new Map<DeviceKind, Rule[]>();
  private readonly trend: AlertTrend;
  private resources: EmergencyResource[] = QINGDAO_RESOURCES.map((r) => ({ ...r }));
  /** devices whose state changed since the last persistence flush */
  private readonly changedStates = new Set<string>();
  /** bumped whenever a device's display status may change (online flag, alerts): see FusedState.statusEpoch */
  private statusEpoch = 0;
  /** device whose status changed at each epoch since `statusLogStartEpoch` (bounded) */
  private statusLog: string[] = [];
  /** the epoch before the first entry of statusLog; older epochs are unknown (full rebuild) */
  private statusLogStartEpoch = 0;
  /** scenes whose model may have changed since the last build */
  readonly dirty = new Set<ScreenSceneId>();
  private readonly startTs: number;

  constructor(
    devices: readonly Device[],
    private readonly rules: readonly Rule[] = DEFAULT_RULES,
    private readonly opts: FusionOptions = DEFAULT_FUSION_OPTIONS,
    nowTs = Date.now(),
  ) {
    this.startTs = nowTs;
    for (const d of devices) this.devices.set(d.id, d);
    for (const r of rules) {
      const list = this.rulesByKind.get(r.deviceKind) ?? [];
      list.push(r);
      this.rulesByKind.set(r.deviceKind, list);
    }
    const buckets = Math.ceil(opts.trendWindowMs / opts.trendBucketMs);
    const start = Math.floor(nowTs / opts.trendBucketMs) * opts.trendBucketMs - (buckets - 1) * opts.trendBucketMs;
    this.trend = {
      bucketMs: opts.trendBucketMs,
      startTs: start,
      counts: Object.fromEntries(SCENE_IDS.map((s) => [s, new Array<number>(buckets).fill(0)])) as Record<SceneId, number[]>,
    };
  }

  // ------------------------------------------------------------------------------------------
  // restore from the store at start

  restore(states: readonly DeviceState[], alerts: readonly Alert[], incidents: readonly Incident[]): void {
    for (const s of states) {
      if (!this.devices.has(s.deviceId)) continue;
      this.deviceStates.set(s.deviceId, { ...s });
      // the window below lastSeq was not persisted: count it as seen, so a reading acknowledged
      // before the restart and resent after it is a duplicate (the price: a never-seen reading
      // arriving out of order just after a restart is dropped as a duplicate too)
      this.seq.set(s.deviceId, { lastSeq: s.lastSeq, mask: s.lastSeq >= 0 ? FULL_SEQ_MASK : 0 });
    }
    for (const a of alerts) {
      this.alerts.set(a.id, a);
      if (isAlertOpen(a)) this.openAlerts.set(`${a.deviceId}|${a.ruleId}`, a);
      this.countTrend(a);
    }
    for (const i of incidents) this.incidents.set(i.id, i);
    this.bumpStatus(null);
    for (const s of ['overview', ...SCENE_IDS] as const) this.dirty.add(s);
  }

  registerHandlers(profiles: readonly HandlerProfile[]): void {
    for (const p of profiles) {
      const prev = this.handlers.get(p.id);
      this.handlers.set(p.id, {
        id: p.id,
        name: p.name,
        team: p.team,
        skills: p.skills,
        location: prev?.location ?? p.home,
        locationTs: prev?.locationTs ?? 0,
        status: prev?.status ?? 'off_duty',
      });
    }
  }

  rulesFor(kind: DeviceKind): Rule[] {
    return this.rulesByKind.get(kind) ?? [];
  }

  ruleById(id: string): Rule | undefined {
    return this.rules.find((r) => r.id === id);
  }

  // ------------------------------------------------------------------------------------------
  // readings

  /**
   * Classifies a reading by its seq without changing anything.
   * Duplicate: this (device, seq) was seen, or is too far behind to tell.
   */
  classify(reading: Reading): ReadingVerdict {
    const t = this.seq.get(reading.deviceId);
    if (!t) return 'accepted';
    if (reading.seq > t.lastSeq) return 'accepted';
    if (reading.seq === t.lastSeq) return 'duplicate';
    const back = t.lastSeq - reading.seq - 1;
    if (back >= SEQ_WINDOW) return 'duplicate';
    return (t.mask >>> back) & 1 ? 'duplicate' : 'out_of_order';
  }

  /**
   * Applies one reading that passed validation and auth. Returns its verdict and the alert changes
   * it caused. Out-of-order readings are recorded as seen but never move state backwards.
   */
  applyReading(reading: Reading, alertChanges: AlertChangeRecord[]): ReadingVerdict {
    const device = this.devices.get(reading.deviceId);
    if (!device) return 'duplicate';
    const verdict = this.classify(reading);
    if (verdict === 'duplicate') return verdict;
    const t = this.seq.get(reading.deviceId);
    if (verdict === 'out_of_order') {
      // t exists here: out_of_order needs a previous seq
      const back = t!.lastSeq - reading.seq - 1;
      t!.mask |= 1 << back;
      return verdict;
    }
    this.advanceSeq(reading, t);

    const prev = this.deviceStates.get(reading.deviceId);
    if (prev && reading.ts < prev.lastTs) {
      // newer seq but older clock: keep the seq, do not move state backwards
      return 'out_of_order';
    }
    const wasOffline = prev ? !prev.online : true;
    if (prev) {
      // updated in place: nothing keeps a device state across readings (stores copy or serialise
      // it when called), and a new object + metrics copy per reading was a tenth of the GC work
      prev.online = true;
      prev.lastTs = reading.ts;
      prev.lastSeq = reading.seq;
      for (const metric in reading.metrics) prev.metrics[metric] = reading.metrics[metric]!;
    } else {
      const state: DeviceState = {
        deviceId: reading.deviceId,
        online: true,
        lastTs: reading.ts,
        lastSeq: reading.seq,
        metrics: { ...reading.metrics },
      };
      this.deviceStates.set(reading.deviceId, state);
    }
    this.changedStates.add(reading.deviceId);
    this.markDirty(device.scene);
    if (wasOffline) this.bumpStatus(reading.deviceId);

    const rt = this.runtimeOf(device);
    for (const metric in reading.metrics) this.recordSeries(rt, reading.deviceId, metric, reading.ts, reading.metrics[metric]!);

    for (let i = 0; i < rt.rules.length; i++) {
      const rule = rt.rules[i]!;
      if (rule.type === 'offline') {
        if (wasOffline) this.applyLevel(device, rule, rt.alertKeys[i]!, null, reading.ts, undefined, undefined, alertChanges);
        continue;
      }
      const value = reading.metrics[rule.metric];
      if (value === undefined) continue;
      const outcome = evaluateRule(rule, rt.ruleStates[i] ?? initialRuleState(), { ts: reading.ts, value });
      rt.ruleStates[i] = outcome.state;
      this.applyLevel(device, rule, rt.alertKeys[i]!, outcome.level, reading.ts, value, rule.metric, alertChanges);
    }
    return 'accepted';
  }

  /**
   * Start-up recovery: a reading that was accepted before a crash (read back from the readings
   * stream after the device states' cursor, or from the ingest spool) is marked as seen in its
   * device's sequence window and, when it is the newest, becomes the latest state. Rules are NOT
   * evaluated: its alerts were raised (and stored) when it first arrived. Idempotent.
   */
  noteRecoveredReading(reading: Reading): void {
    if (!this.devices.has(reading.deviceId)) return;
    const verdict = this.classify(reading);
    if (verdict === 'duplicate') return;
    const t = this.seq.get(reading.deviceId);
    if (verdict === 'out_of_order') {
      t!.mask |= 1 << (t!.lastSeq - reading.seq - 1);
      return;
    }
    this.advanceSeq(reading, t);
    const prev = this.deviceStates.get(reading.deviceId);
    if (prev && reading.ts < prev.lastTs) return;
    if (prev) {
      prev.lastTs = reading.ts;
      prev.lastSeq = reading.seq;
      for (const metric in reading.metrics) prev.metrics[metric] = reading.metrics[metric]!;
    } else {
      this.deviceStates.set(reading.deviceId, {
        deviceId: reading.deviceId,
        online: true,
        lastTs: reading.ts,
        lastSeq: reading.seq,
        metrics: { ...reading.metrics },
      });
      this.bumpStatus(reading.deviceId);
    }
    this.changedStates.add(reading.deviceId);
  }

  private advanceSeq(reading: Reading, t: SeqTrack | undefined): void {
    if (!t) {
      this.seq.set(reading.deviceId, { lastSeq: reading.seq, mask: 0 });
      return;
    }
    const shift = reading.seq - t.lastSeq;
    // JS shifts are mod 32, so the window edge is handled explicitly
    t.mask = shift > SEQ_WINDOW ? 0 : shift === SEQ_WINDOW ? 0x80000000 : ((t.mask << shift) | (1 << (shift - 1))) >>> 0;
    t.lastSeq = reading.seq;
  }

  private runtimeOf(device: Device): DeviceRuntime {
    let rt = this.runtimes.get(device.id);
    if (!rt) {
      const rules = this.rulesFor(device.kind);
      rt = { rules, ruleStates: new Array(rules.length), alertKeys: rules.map((r) => `${device.id}|${r.id}`), series: new Map() };
      this.runtimes.set(device.id, rt);
    }
    return rt;
  }

  private applyLevel(
    device: Device,
    rule: Rule,
    key: string,
    level: AlertLevel | null,
    ts: number,
    value: number | undefined,
    metric: string | undefined,
    out: AlertChangeRecord[],
  ): void {
    const open = this.openAlerts.get(key);
    if (!open && level === null) return;
    const { alert, change } = applyRuleLevel(open, level, { device, rule, ts, value, metric });
    if (!alert) return;
    this.putAlert(alert);
    if (change) {
      out.push({ alert, change, rule });
      if (change === 'raised') this.countTrend(alert);
    }
  }

  /** Stores an alert (from rules, ack, or incident linking) and keeps the indexes right. */
  putAlert(alert: Alert): void {
    const key = `${alert.deviceId}|${alert.ruleId}`;
    const prev = this.alerts.get(alert.id);
    // display statuses depend on an alert's level and whether it is cleared, not on lastTs/count
    if (!prev || prev.level !== alert.level || prev.cleared !== alert.cleared) this.bumpStatus(alert.deviceId);
    this.alerts.set(alert.id, alert);
    if (isAlertOpen(alert)) this.openAlerts.set(key, alert);
    else if (this.openAlerts.get(key)?.id === alert.id) this.openAlerts.delete(key);
    this.markDirty(alert.scene);
  }

  /**
   * A device's display status may have changed (null: any device's). Logged per epoch so scene
   * builders can patch their previous device points instead of rebuilding them all.
   */
  private bumpStatus(deviceId: string | null): void {
    this.statusEpoch++;
    if (deviceId === null) {
      this.statusLog = [];
      this.statusLogStartEpoch = this.statusEpoch;
      return;
    }
    this.statusLog.push(deviceId);
    if (this.statusLog.length > STATUS_LOG_MAX) {
      const drop = this.statusLog.length - STATUS_LOG_MAX;
      this.statusLog.splice(0, drop);
      this.statusLogStartEpoch += drop;
    }
  }

  /** Devices whose status may have changed after `epoch`; null when the log no longer reaches back. */
  statusChangedSince(epoch: number): ReadonlySet<string> | null {
    if (epoch < this.statusLogStartEpoch || epoch > this.statusEpoch) return null;
    return new Set(this.statusLog.slice(epoch - this.statusLogStartEpoch));
  }

  /** Device states changed since the last call (for a batched store write). */
  takeChangedStates(): DeviceState[] {
    const out: DeviceState[] = [];
    for (const id of this.changedStates) {
      const s = this.deviceStates.get(id);
      if (s) out.push(s);
    }
    this.changedStates.clear();
    return out;
  }

  /** A failed write puts its states back so the next flush retries them. */
  requeueChangedStates(states: readonly DeviceState[]): void {
    for (const s of states) this.changedStates.add(s.deviceId);
  }

  getAlert(id: string): Alert | undefined {
    return this.alerts.get(id);
  }

  /** Offline rules: devices silent too long go offline (once) and raise their offline alert. */
  checkSilence(nowTs: number, out: AlertChangeRecord[]): number {
    let wentOffline = 0;
    for (const [id, state] of this.deviceStates) {
      if (!state.online) continue;
      const device = this.devices.get(id);
      if (!device) continue;
      const rt = this.runtimeOf(device);
      for (let i = 0; i < rt.rules.length; i++) {
        const rule = rt.rules[i]!;
        if (rule.type !== 'offline') continue;
        // a device restored from the store gets a grace period from process start
        if (!isSilent(rule, Math.max(state.lastTs, this.startTs), nowTs)) continue;
        this.deviceStates.set(id, { ...state, online: false });
        this.changedStates.add(id);
        this.bumpStatus(id);
        this.applyLevel(device, rule, rt.alertKeys[i]!, rule.level, nowTs, undefined, undefined, out);
        this.markDirty(device.scene);
        wentOffline++;
        break;
      }
    }
    return wentOffline;
  }

  private recordSeries(rt: DeviceRuntime, deviceId: string, metric: string, ts: number, value: number): void {
    const bucketMs = this.opts.seriesBucketMs;
    const bucket = Math.floor(ts / bucketMs) * bucketMs;
    let s = rt.series.get(metric);
    if (!s) {
      s = { window: { bucketMs, ts: [], values: [], max: [] } };
      rt.series.set(metric, s);
      this.liveSeries.set(`${deviceId}.${metric}`, s);
    }
    const w = s.window;
    const last = w.ts.length - 1;
    if (last >= 0 && w.ts[last] === bucket) {
      w.values[last] = value;
      if (value > w.max[last]!) w.max[last] = value;
      return;
    }
    if (last >= 0 && bucket < w.ts[last]!) return; // older than the newest bucket: charts only move forward
    w.ts.push(bucket);
    w.values.push(value);
    w.max.push(value);
    if (w.ts.length > this.opts.seriesBuckets) {
      w.ts.shift();
      w.values.shift();
      w.max.shift();
    }
  }

  /** Live (unpublished) window, for device detail cards. */
  seriesOf(deviceId: string, metric: string): SeriesWindow | undefined {
    const w = this.liveSeries.get(`${deviceId}.${metric}`)?.window;
    return w ? { bucketMs: w.bucketMs, ts: [...w.ts], values: [...w.values], max: [...w.max] } : undefined;
  }

  private countTrend(alert: Alert): void {
    const t = this.trend;
    const idx = Math.floor((alert.firstTs - t.startTs) / t.bucketMs);
    const counts = t.counts[alert.scene];
    if (idx >= 0 && idx < counts.length) counts[idx]! += 1;
  }

  private rollTrend(nowTs: number): void {
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

  // ------------------------------------------------------------------------------------------
  // incidents and handlers

  putIncident(incident: Incident): void {
    const prev = this.incidents.get(incident.id);
    if (prev && prev.version > incident.version) return; // never move backwards
    this.incidents.set(incident.id, incident);
    this.markDirty(incident.scene);
    this.markDirty('emergency');
    const involved = new Set([...(prev?.assignees ?? []), ...incident.assignees]);
    if (involved.size > 0) this.refreshHandlerStatus(involved);
  }

  /**
   * Records a handler's position. A simulated position (demo simulator) is ignored while a real
   * phone reported for that handler recently, so the simulator never drags a real person around.
   * Returns false for an unknown handler; 'ignored' when a simulated report lost to a real one.
   */
  updateHandlerPosition(id: string, location: LngLat, ts: number, simulated = false): boolean | 'ignored' {
    const h = this.handlers.get(id);
    if (!h) return false;
    if (simulated && ts - (this.realPositionTs.get(id) ?? -Infinity) < this.opts.realPositionPriorityMs) return 'ignored';
    if (!simulated) this.realPositionTs.set(id, ts);
    this.handlers.set(id, { ...h, location, locationTs: ts, status: this.handlerStatusOf(id, ts, ts) });
    this.markDirty('emergency');
    this.markDirty('overview');
    return true;
  }

  private handlerStatusOf(id: string, locationTs: number, nowTs: number): HandlerStatus {
    for (const i of this.incidents.values()) {
      if (i.state !== 'closed' && i.state !== 'resolved' && i.state !== 'reported' && i.assignees.includes(id)) return 'busy';
    }
    return nowTs - locationTs > this.opts.handlerOffDutyAfterMs ? 'off_duty' : 'idle';
  }

  private refreshHandlerStatus(ids: Iterable<string>, nowTs = Date.now()): void {
    for (const id of ids) {
      const h = this.handlers.get(id);
      if (!h) continue;
      const status = this.handlerStatusOf(id, h.locationTs, nowTs);
      if (status !== h.status) {
        this.handlers.set(id, { ...h, status });
        this.markDirty('emergency');
      }
    }
  }

  listHandlers(): Handler[] {
    return [...this.handlers.values()];
  }

  getHandler(id: string): Handler | undefined {
    return this.handlers.get(id);
  }

  // ------------------------------------------------------------------------------------------
  // scene input

  markDirty(scene: SceneId | ScreenSceneId): void {
    this.dirty.add(scene);
    if (scene !== 'overview') this.dirty.add('overview');
  }

  /** Periodic housekeeping: trend roll, series publication, retention, handler off-duty. */
  tick(nowTs: number): void {
    this.rollTrend(nowTs);
    const bucketStart = Math.floor(nowTs / this.opts.seriesBucketMs) * this.opts.seriesBucketMs;
    if (bucketStart !== this.publishedBucketStart) {
      this.publishedBucketStart = bucketStart;
      this.publishedSeries.setCutoff(bucketStart);
      for (const s of SCENE_IDS) this.markDirty(s);
    }
    const horizon = nowTs - this.opts.recentRetentionMs;
    for (const [id, a] of this.alerts) {
      if (!isAlertOpen(a) && a.lastTs < horizon && (a.clearedTs ?? 0) < horizon) this.alerts.delete(id);
    }
    for (const [id, i] of this.incidents) {
      if (i.state === 'closed' && (i.closedTs ?? i.updatedTs) < horizon) this.incidents.delete(id);
    }
    for (const h of this.handlers.values()) {
      if (h.status === 'idle' && nowTs - h.locationTs > this.opts.handlerOffDutyAfterMs) this.refreshHandlerStatus([h.id], nowTs);
    }
  }

  fusedState(nowTs: number): FusedState {
    return {
      nowTs,
      devices: this.devices,
      deviceStates: this.deviceStates,
      alerts: [...this.alerts.values()],
      incidents: [...this.incidents.values()],
      handlers: [...this.handlers.values()],
      assets: QINGDAO_ASSETS,
      resources: this.resources,
      series: this.publishedSeries,
      alertTrend: this.trend,
      statusEpoch: this.statusEpoch,
      statusChangedSince: (epoch: number) => this.statusChangedSince(epoch),
    };
  }

  openAlertsOf(deviceId: string): Alert[] {
    return [...this.alerts.values()].filter((a) => a.deviceId === deviceId && isAlertOpen(a));
  }

  stats(): { devices: number; online: number; openAlerts: number; openIncidents: number } {
    let online = 0;
    for (const s of this.deviceStates.values()) if (s.online) online++;
    let openIncidents = 0;
    for (const i of this.incidents.values()) if (i.state !== 'closed') openIncidents++;
    return { devices: this.devices.size, online, openAlerts: this.openAlerts.size, openIncidents };
  }
}

export function worstLevel(levels: Iterable<AlertLevel>): AlertLevel | null {
  let worst: AlertLevel | null = null;
  for (const l of levels) if (!worst || ALERT_LEVEL_RANK[l] < ALERT_LEVEL_RANK[worst]) worst = l;
  return worst;
}
