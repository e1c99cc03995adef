/**
 * Fusion: the server's in-memory picture of the city, fed by readings, alerts, incidents, handler
 * positions and registry changes, handed to the pure scene builders as a FusedState.
 *
 * A facade over named parts (server/fusion/) that never call each other — registry, sequence
 * windows, device states, rules per device, alert book, series windows, incident board, handler
 * roster, scene changes — around the pure rule engine (scenes/rule-engine.ts). No I/O: it returns
 * what changed (verdicts, alert changes) and the caller (ingest / app / registry) persists and broadcasts.
 */
import type {
  Alert,
  AlertLevel,
  Device,
  DeviceKind,
  DeviceState,
  Handler,
  Incident,
  LngLat,
  Reading,
  Rule,
  SceneId,
  ScreenSceneId,
} from '../scenes/domain';
import type { FusedState, SeriesWindow } from '../scenes/scene-model';
import type { AreaWarning } from '../scenes/storm/area-warnings';
import type { RegistryAsset } from './registry/registry-schemas';
import { evaluateReadingRules, silentOfflineRule } from '../scenes/rule-engine';
import { openAlertKey } from '../scenes/alert-lifecycle';
import { DEFAULT_RULES } from '../scenes/catalogue';
import { QINGDAO_ASSETS, QINGDAO_RESOURCES } from '../scenes/city/qingdao';
import { AlertBook, ALERT_STATUS_CHANGED, ALERT_UNCHANGED, type AlertChangeRecord } from './fusion/alert-book';
import { AssetBook } from './fusion/asset-book';
import { DeviceRegistry } from './fusion/device-registry';
import { DeviceRuleBook, type DeviceRules, type RuleResolver } from './fusion/device-rules';
import { DeviceStates } from './fusion/device-states';
import { HandlerRoster, type HandlerProfile } from './fusion/handler-roster';
import { IncidentBoard } from './fusion/incident-board';
import { DEFAULT_FUSION_OPTIONS, type FusionOptions } from './fusion/options';
import { SceneChanges } from './fusion/scene-changes';
import { SequenceWindows, type ReadingVerdict } from './fusion/sequence-window';
import { SeriesWindows, type DeviceSeries } from './fusion/series-windows';
import { AssignedResources } from './resources/resource-availability';

export { DEFAULT_FUSION_OPTIONS, type FusionOptions, type AlertChangeRecord, type HandlerProfile, type ReadingVerdict, type RuleResolver };

/** What fusion keeps per device, found with one lookup per reading: its rules and its chart windows. */
interface DeviceRuntime {
  rules: DeviceRules;
  series: DeviceSeries;
}

export class Fusion {
  private readonly seqs = new SequenceWindows();
  private readonly states = new DeviceStates();
  private readonly runtimes = new Map<string, DeviceRuntime>();
  private readonly board = new IncidentBoard();
  private readonly registry: DeviceRegistry;
  private readonly rules: DeviceRuleBook;
  private readonly book: AlertBook;
  private readonly series: SeriesWindows;
  private readonly roster: HandlerRoster;
  private readonly changes: SceneChanges;
  /** assets and resources on screen; the Qingdao demo's until the registry's are loaded (setAssets) */
  private readonly assets = new AssetBook(QINGDAO_ASSETS, QINGDAO_RESOURCES);
  /** units of each resource held by incidents (issue 17, server/resources/): screens show what is left */
  private readonly assignedResources = new AssignedResources();
  /** the live registry: active and maintenance devices (a retired device leaves it) */
  readonly devices: ReadonlyMap<string, Device>;
  readonly deviceStates: ReadonlyMap<string, DeviceState> = this.states.states;
  readonly incidents: ReadonlyMap<string, Incident> = this.board.incidents;

  /** `startTs`: process start, epoch ms — a device restored from the store is not silent before it. */
  constructor(
    devices: readonly Device[],
    rules: readonly Rule[] = DEFAULT_RULES,
    private readonly opts: FusionOptions = DEFAULT_FUSION_OPTIONS,
    private readonly startTs = Date.now(),
  ) {
    this.registry = new DeviceRegistry(devices);
    this.devices = this.registry.devices;
    this.rules = new DeviceRuleBook(rules);
    this.book = new AlertBook(opts, startTs);
    this.series = new SeriesWindows(opts);
    this.roster = new HandlerRoster(opts);
    this.changes = new SceneChanges(opts);
  }

  restore(states: readonly DeviceState[], alerts: readonly Alert[], incidents: readonly Incident[]): void {
    for (const s of states) {
      if (!this.devices.has(s.deviceId)) continue;
      this.states.restore(s);
      this.seqs.restore(s.deviceId, s.lastSeq);
    }
    this.book.restore(alerts);
    this.board.restore(incidents);
    this.changes.bumpStatus(null);
    this.changes.markAllDirty();
  }

  // --- registry and rules, live: the returned alert changes are persisted and broadcast like any other

  /** A device appears or is edited in place; a kind change resets its rules, charts and values; maintenance clears its alerts. */
  upsertDevice(device: Device, nowTs = Date.now()): AlertChangeRecord[] {
    if (device.status === 'retired') return this.retireDevice(device.id, nowTs);
    const out: AlertChangeRecord[] = [];
    const prev = this.devices.get(device.id);
    const rt = this.runtimes.get(device.id);
    if (prev && prev.kind !== device.kind) {
      this.clearOpenAlerts(prev, nowTs, out);
      this.forgetRuntime(device.id);
      this.states.clearMetrics(device.id);
    } else if (prev && device.status === 'maintenance' && prev.status !== 'maintenance') {
      this.clearOpenAlerts(prev, nowTs, out);
      if (rt) rt.rules = this.rules.create(device); // back from maintenance with fresh rule states
    } else if (rt) this.rules.invalidate(rt.rules);
    this.registry.put(device);
    this.changes.bumpStatus(device.id);
    this.changes.markDirty(device.scene);
    if (prev) this.changes.markDirty(prev.scene);
    return out;
  }

  /** A device leaves the map and the KPIs; its alerts stay in the book (open ones cleared). */
  retireDevice(id: string, nowTs = Date.now()): AlertChangeRecord[] {
    const device = this.devices.get(id);
    if (!device) return [];
    const out: AlertChangeRecord[] = [];
    this.clearOpenAlerts(device, nowTs, out);
    this.registry.remove(id);
    this.forgetRuntime(id);
    this.states.forget(id);
    this.seqs.forget(id);
    this.changes.bumpStatus(id);
    this.changes.markDirty(device.scene);
    return out;
  }

  private forgetRuntime(id: string): void {
    const rt = this.runtimes.get(id);
    if (rt) this.series.forget(rt.series);
    this.runtimes.delete(id);
  }

  /** Replaces every asset and resource with the registry's (start-up); every scene is rebuilt. */
  setAssets(records: readonly RegistryAsset[]): void {
    this.assets.replaceAll(records);
    this.changes.markAllDirty();
  }

  /** An asset or resource appears, is edited, or (retired record) leaves the screens. */
  upsertAsset(record: RegistryAsset): void {
    for (const scene of this.assets.put(record)) this.changes.markDirty(scene);
  }

  /** An asset or resource leaves the screens (its devices stay, unmounted on screen). */
  removeAsset(id: string): void {
    for (const scene of this.assets.remove(id)) this.changes.markDirty(scene);
  }

  /** Units assigned per resource id over all incidents (issue 17): the emergency scene shows what is left. */
  setResourceAssignments(assigned: ReadonlyMap<string, number>): void {
    if (this.assignedResources.set(assigned)) this.changes.markDirty('emergency');
  }

  /** Effective rules per device from now on (null: the catalogue's), in force from each device's next reading. */
  setRules = (resolve: RuleResolver | null): void => this.rules.setResolver(resolve);
  /** The catalogue's rules for a kind. */
  rulesFor = (kind: DeviceKind): Rule[] => this.rules.defaultsFor(kind);
  ruleById = (id: string): Rule | undefined => this.rules.defaultById(id);

  /** The rules in force for a device (none for an unknown one). */
  rulesOf(deviceId: string): readonly Rule[] {
    const device = this.devices.get(deviceId);
    return device ? this.rules.refresh(this.runtimeOf(device).rules, device).engine.rules : [];
  }

  // --- readings ----------------------------------------------------------------------------------

  /** A reading's verdict by its seq, changing nothing. Duplicate: seen, or too far behind to tell. */
  classify(reading: Reading): ReadingVerdict {
    return this.seqs.classify(reading.deviceId, reading.seq);
  }

  /**
   * Applies a validated, authenticated reading. `verdict`: its `classify` answer when the caller has
   * it (ingest), so a seq is checked once. Out-of-order readings are recorded as seen but never move
   * state backwards; a device in maintenance keeps state and charts but evaluates no rules.
   */
  applyReading(reading: Reading, alertChanges: AlertChangeRecord[], verdict: ReadingVerdict = this.classify(reading)): ReadingVerdict {
    const device = this.devices.get(reading.deviceId);
    if (!device || verdict === 'duplicate') return 'duplicate';
    this.seqs.record(reading.deviceId, reading.seq, verdict);
    if (verdict === 'out_of_order') return verdict;
    const update = this.states.applyReading(reading);
    if (update === 'older') return 'out_of_order'; // newer seq, older clock
    this.changes.markDirty(device.scene);
    if (update === 'came_online') this.changes.bumpStatus(reading.deviceId);
    const rt = this.runtimeOf(device);
    for (const metric in reading.metrics) this.series.record(rt.series, metric, reading.ts, reading.metrics[metric]!);
    if (device.status === 'maintenance') return 'accepted';
    const dr = this.currentRules(device, rt, reading.ts, alertChanges);
    const { rules, evaluated, levels, values } = dr.engine;
    evaluateReadingRules(dr.engine, reading, update === 'came_online');
    for (let i = 0; i < rules.length; i++) {
      if (!evaluated[i]) continue;
      const value = values[i]!;
      this.applyLevel(device, rules[i]!, dr.alertKeys[i]!, levels[i]!, reading.ts, Number.isNaN(value) ? undefined : value, alertChanges);
    }
    return 'accepted';
  }

  /** Start-up recovery: a reading accepted before a crash is marked seen and may become the latest state; no rules run. Idempotent. */
  noteRecoveredReading(reading: Reading): void {
    if (!this.devices.has(reading.deviceId)) return;
    const verdict = this.classify(reading);
    this.seqs.record(reading.deviceId, reading.seq, verdict);
    if (verdict === 'accepted' && this.states.applyRecoveredReading(reading) === 'came_online') this.changes.bumpStatus(reading.deviceId);
  }

  /** Offline rules: devices silent too long go offline (once) and raise their offline alert. Returns how many went offline. */
  checkSilence(nowTs: number, out: AlertChangeRecord[]): number {
    let wentOffline = 0;
    for (const [id, state] of this.states.states) {
      const device = state.online ? this.devices.get(id) : undefined;
      if (!device || device.status === 'maintenance') continue;
      const dr = this.currentRules(device, this.runtimeOf(device), nowTs, out);
      // a device not heard since process start (restored from the store) is silent only from the
      // end of the startup grace: the fleet reconnecting after a restart is not an outage
      const since = state.lastTs >= this.startTs ? state.lastTs : this.startTs + this.opts.offlineStartupGraceMs;
      const i = silentOfflineRule(dr.engine, since, nowTs);
      if (i < 0) continue;
      const rule = dr.engine.rules[i] as Rule & { level: AlertLevel };
      this.states.markOffline(id);
      this.changes.bumpStatus(id);
      this.applyLevel(device, rule, dr.alertKeys[i]!, rule.level, nowTs, undefined, out);
      this.changes.markDirty(device.scene);
      wentOffline++;
    }
    return wentOffline;
  }

  /**
   * A device said it is gone (an MQTT `{"online": false}` or its connection's last will): offline
   * now, with its offline alert, as `checkSilence` would do after the silence timeout. A device in
   * maintenance, already offline, or without an offline rule is left alone. Its next reading
   * brings it back online as usual.
   */
  markOffline(deviceId: string, nowTs: number, out: AlertChangeRecord[]): boolean {
    const state = this.states.get(deviceId);
    const device = state?.online ? this.devices.get(deviceId) : undefined;
    if (!device || device.status === 'maintenance') return false;
    const dr = this.currentRules(device, this.runtimeOf(device), nowTs, out);
    this.states.markOffline(deviceId);
    this.changes.bumpStatus(deviceId);
    const i = dr.engine.rules.findIndex((r) => r.type === 'offline');
    if (i >= 0) {
      const rule = dr.engine.rules[i] as Rule & { level: AlertLevel };
      this.applyLevel(device, rule, dr.alertKeys[i]!, rule.level, nowTs, undefined, out);
    }
    this.changes.markDirty(device.scene);
    return true;
  }

  /**
   * Issue 15: another node raised this device's offline alert (its silence check or the device's
   * MQTT last will). The device is offline here too; the alert itself arrives beside it from the log
   * (`putAlert`), so none is raised here — its id is the origin's.
   */
  markOfflineFromLog(deviceId: string): boolean {
    const state = this.states.get(deviceId);
    const device = state?.online ? this.devices.get(deviceId) : undefined;
    if (!device) return false;
    this.states.markOffline(deviceId);
    this.changes.bumpStatus(deviceId);
    this.changes.markDirty(device.scene);
    return true;
  }

  /** Whether `ruleId` is an offline rule of the device (issue 15: another node's offline alert). */
  isOfflineRule(deviceId: string, ruleId: string): boolean {
    return this.rulesOf(deviceId).some((r) => r.id === ruleId && r.type === 'offline');
  }

  private runtimeOf(device: Device): DeviceRuntime {
    let rt = this.runtimes.get(device.id);
    if (!rt) {
      rt = { rules: this.rules.create(device), series: this.series.create(device.id) };
      this.runtimes.set(device.id, rt);
    }
    return rt;
  }

  /** The device's rules, resolved again after a change; open alerts of rules that stopped applying are cleared first. */
  private currentRules(device: Device, rt: DeviceRuntime, ts: number, out: AlertChangeRecord[]): DeviceRules {
    const dr = this.rules.refresh(rt.rules, device);
    if (dr.dropped.length > 0) {
      for (const rule of this.rules.takeDropped(dr)) this.applyLevel(device, rule, openAlertKey(device.id, rule.id), null, ts, undefined, out);
    }
    return dr;
  }

  private clearOpenAlerts(device: Device, ts: number, out: AlertChangeRecord[]): void {
    for (const a of this.book.openAlertsOf(device.id)) {
      const rule = this.runtimes.get(device.id)?.rules.engine.rules.find((r) => r.id === a.ruleId) ?? this.rules.defaultById(a.ruleId);
      if (rule) this.applyLevel(device, rule, openAlertKey(device.id, a.ruleId), null, ts, undefined, out);
      else if (!a.cleared) this.putAlert({ ...a, cleared: true, clearedTs: ts });
    }
  }

  private applyLevel(
    device: Device,
    rule: Rule,
    key: string,
    level: AlertLevel | null,
    ts: number,
    value: number | undefined,
    out: AlertChangeRecord[],
  ): void {
    const step = this.book.applyLevel(device, rule, key, level, ts, value, out);
    if (step === ALERT_UNCHANGED) return;
    if (step === ALERT_STATUS_CHANGED) this.changes.bumpStatus(device.id);
    this.changes.markDirty(device.scene);
  }

  /** Stores an alert (from ack or incident linking) and keeps the indexes right. */
  putAlert(alert: Alert): void {
    if (this.book.put(alert) === ALERT_STATUS_CHANGED) this.changes.bumpStatus(alert.deviceId);
    this.changes.markDirty(alert.scene);
  }

  getAlert = (id: string): Alert | undefined => this.book.get(id);
  /** every alert in the book (open, and recently finished), for bulk commands; do not mutate */
  listAlerts = (): readonly Alert[] => this.book.list();

  /** Area warnings in force (issue 14), set by server/storm/warning-service.ts; the scenes that show them are rebuilt. */
  private areaWarnings: readonly AreaWarning[] = [];
  setAreaWarnings(warnings: readonly AreaWarning[]): void {
    this.areaWarnings = warnings;
    for (const scene of ['overview', 'emergency', 'water'] as const) this.changes.markDirty(scene);
  }
  openAlertsOf = (deviceId: string): Alert[] => this.book.openAlertsOf(deviceId);
  /** Device states changed since the last call (for a batched store write). */
  takeChangedStates = (): DeviceState[] => this.states.takeChanged();
  /** A failed write puts its states back so the next flush retries them. */
  requeueChangedStates = (states: readonly DeviceState[]): void => this.states.requeue(states);
  /** Live (unpublished) window, copied, for device detail cards. */
  seriesOf = (deviceId: string, metric: string): SeriesWindow | undefined => this.series.seriesOf(deviceId, metric);

  // --- incidents and handlers --------------------------------------------------------------------

  putIncident(incident: Incident): void {
    const prev = this.board.put(incident);
    if (prev === false) return;
    this.changes.markDirty(incident.scene);
    this.changes.markDirty('emergency');
    const involved = new Set([...(prev?.assignees ?? []), ...incident.assignees]);
    if (involved.size > 0) this.roster.refresh(involved, this.incidents.values(), Date.now());
  }

  /** The roster becomes these handler accounts (HandlerRoster.sync): server/handler-roster-sync.ts. */
  syncHandlers = (profiles: readonly HandlerProfile[]): void => {
    if (this.roster.sync(profiles, this.incidents.values())) this.changes.markAllDirty();
  };

  /** See HandlerRoster.updatePosition: false for an unknown handler, 'ignored' when a simulated report lost to a real one. */
  updateHandlerPosition(id: string, location: LngLat, ts: number, simulated = false): boolean | 'ignored' {
    const result = this.roster.updatePosition(id, location, ts, simulated, this.incidents.values());
    if (result === true) this.changes.markDirty('emergency');
    return result;
  }

  listHandlers = (): Handler[] => this.roster.list();
  getHandler = (id: string): Handler | undefined => this.roster.get(id);

  // --- scene input -------------------------------------------------------------------------------

  markDirty = (scene: SceneId | ScreenSceneId): void => this.changes.markDirty(scene);
  /** Scenes that may have changed since last taken (only those among `only`, when given); taking clears them. */
  takeDirtyScenes = (only?: readonly ScreenSceneId[]): ScreenSceneId[] => this.changes.takeDirty(only);
  isSceneDirty = (scene: ScreenSceneId): boolean => this.changes.isDirty(scene);
  statusChangedSince = (epoch: number): ReadonlySet<string> | null => this.changes.statusChangedSince(epoch);

  /** Periodic housekeeping: trend roll, series publication, retention, handler off-duty. */
  tick(nowTs: number): void {
    this.book.rollTrend(nowTs);
    if (this.series.publish(nowTs)) this.changes.markAllDirty();
    this.book.prune(nowTs - this.opts.recentRetentionMs);
    this.board.prune(nowTs - this.opts.recentRetentionMs);
    if (this.roster.sweepOffDuty(this.incidents.values(), nowTs)) this.changes.markDirty('emergency');
  }

  fusedState(nowTs: number): FusedState {
    return {
      nowTs,
      devices: this.registry.publish(),
      deviceStates: this.states.states,
      alerts: this.book.list(),
      incidents: [...this.incidents.values()],
      handlers: this.roster.list(),
      ...this.assignedResources.applyTo(this.assets.publish()),
      series: this.series.published,
      alertTrend: this.book.trend,
      statusEpoch: this.changes.statusEpoch,
      statusChangedSince: this.statusChangedSince,
      areaWarnings: this.areaWarnings,
    };
  }

  stats(): { devices: number; online: number; openAlerts: number; openIncidents: number } {
    return {
      devices: this.devices.size,
      online: this.states.onlineCount(),
      openAlerts: this.book.openCount(),
      openIncidents: this.board.openCount(),
    };
  }
}
