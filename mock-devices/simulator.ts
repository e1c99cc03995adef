/**
 * FleetSimulator: which device reports what, when. Pure-ish — no I/O, no clock: the caller
 * passes `nowTs` to `step`, so tests drive it with fake time and main.ts with Date.now().
 *
 * Invariants:
 * - each device reports every `catalogue intervalMs / rateScale`, with a stable per-device phase
 *   offset so the fleet does not report all at once;
 * - `seq` = ts·SEQ_PER_MS + seqSlot, bumped if needed so it strictly increases per device. Being
 *   time-based, a restarted simulator or a separate drill runner never goes backwards (and is
 *   never taken for duplicates) as long as clocks agree;
 * - devices touched by a running drill report every DRILL_REPORT_INTERVAL_MS (sensors switch to
 *   rapid reporting in alarm, "加密上报"), so a 60–120 s drill has enough samples for the rules'
 *   minimum durations;
 * - a command from the server (remote control, `applyCommand`) changes what the device reports
 *   from now on (signals.ts: manual mode beats the automatic behaviour) and yields a fresh reading
 *   at once (next seq), so the effect reaches the wall within a second rather than at the next
 *   heartbeat; the device's schedule restarts from that reading.
 */
import type { Asset, Device, Reading } from '../scenes/domain';
import type { DeviceCommandName } from '../scenes/device-commands';
import { DEVICE_CATALOGUE } from '../scenes/catalogue';
import { QINGDAO_ASSETS } from '../scenes/city/qingdao';
import { createRng, deriveSeed } from '../scenes/random';
import { DRILLS, type DrillName, type DrillPlan, type MetricOverride } from './drills';
import { interpolateKeyframes } from './keyframes';
import {
  commandedState,
  generateMetrics,
  initialSignalState,
  isCommandInForce,
  roundForDisplay,
  type CommandedState,
  type DeviceSignalState,
  type Rng,
} from './signals';
import { hashUnit } from './stable-hash';
import type { WeatherState } from './weather';

/** A reading as the simulator produces it; the gateway client adds the device token. */
export type SignedReadingWithoutToken = Reading;

/** seq resolution: seq = ts (ms) × SEQ_PER_MS + slot. 1.8e12 ms × 1000 stays below 2^53. */
export const SEQ_PER_MS = 1000;
/** The live simulator's seq slot; drill.ts uses DRILL_SEQ_SLOT so the two never collide within a millisecond. */
export const LIVE_SEQ_SLOT = 0;
export const DRILL_SEQ_SLOT = 500;

/** Report interval of a device while a drill scripts it, ms. */
export const DRILL_REPORT_INTERVAL_MS = 2000;
/** A step after a long pause emits at most this many overdue readings per device, then skips ahead. */
export const MAX_CATCH_UP_READINGS = 5;
/** Fastest allowed report interval whatever the rate scale, ms. */
export const MIN_REPORT_INTERVAL_MS = 100;

export interface FleetSimulatorOptions {
  fleet: readonly Device[];
  seed: number;
  /** report-rate multiplier: 2 = twice as often as the catalogue interval (default 1) */
  rateScale?: number;
  /** assets the fleet is mounted on (default: QINGDAO_ASSETS) */
  assets?: readonly Asset[];
  /** see SEQ_PER_MS (default LIVE_SEQ_SLOT) */
  seqSlot?: number;
}

interface DeviceRuntime {
  device: Device;
  asset?: Asset;
  intervalMs: number;
  /** epoch ms of the next scheduled report (NaN until the first step) */
  nextDueTs: number;
  lastSeq: number;
  signal: DeviceSignalState;
  rng: Rng;
  /** what the device was last commanded to do (cleared once its effect ended) */
  commanded?: CommandedState;
}

/** What the device answers a command with, and the reading that shows its effect when it obeyed. */
export type CommandResult = { status: 'ok'; reading: SignedReadingWithoutToken } | { status: 'failed'; message: string };

export interface ActiveDrill {
  name: DrillName;
  plan: DrillPlan;
  startTs: number;
  endTs: number;
}

export class FleetSimulator {
  private devices: DeviceRuntime[];
  private byId = new Map<string, DeviceRuntime>();
  private assets: readonly Asset[];
  private readonly rateScale: number;
  private readonly seed: number;
  private readonly seqSlot: number;
  private weather: WeatherState;
  private drill: ActiveDrill | undefined;
  /** deviceId → metric → override, for the active drill */
  private overrides = new Map<string, MetricOverride[]>();
  private drillDevices = new Set<string>();

  constructor(opts: FleetSimulatorOptions) {
    const rateScale = opts.rateScale ?? 1;
    if (!(rateScale > 0)) throw new Error('rateScale must be > 0');
    this.seed = opts.seed;
    this.seqSlot = opts.seqSlot ?? LIVE_SEQ_SLOT;
    this.assets = opts.assets ?? QINGDAO_ASSETS;
    this.rateScale = rateScale;
    this.weather = { seed: opts.seed, rainOverrides: [] };
    const assetById = new Map(this.assets.map((a) => [a.id, a]));
    this.devices = opts.fleet.map((device) => {
      const rt = this.newRuntime(device, assetById);
      this.byId.set(device.id, rt);
      return rt;
    });
  }

  private newRuntime(device: Device, assetById: ReadonlyMap<string, Asset>): DeviceRuntime {
    return {
      device,
      asset: device.assetId ? assetById.get(device.assetId) : undefined,
      intervalMs: Math.max(MIN_REPORT_INTERVAL_MS, DEVICE_CATALOGUE[device.kind].intervalMs / this.rateScale),
      nextDueTs: NaN,
      lastSeq: -1,
      signal: { lastTs: 0 },
      rng: createRng(deriveSeed(this.seed, device.id)),
    };
  }

  /**
   * The registry changed: new devices start reporting at their next step, devices no longer in
   * `fleet` stop, and a device that stayed keeps its schedule, seq and signal (a changed kind starts
   * over). A running drill keeps its plan; its devices that left are skipped.
   */
  setFleet(fleet: readonly Device[], assets: readonly Asset[] = this.assets): { added: number; removed: number } {
    this.assets = assets;
    const assetById = new Map(assets.map((a) => [a.id, a]));
    const byId = new Map<string, DeviceRuntime>();
    let added = 0;
    this.devices = fleet.map((device) => {
      const old = this.byId.get(device.id);
      let rt: DeviceRuntime;
      if (old && old.device.kind === device.kind) {
        rt = old;
        rt.device = device;
        rt.asset = device.assetId ? assetById.get(device.assetId) : undefined;
      } else {
        rt = this.newRuntime(device, assetById);
        added++;
      }
      byId.set(device.id, rt);
      return rt;
    });
    const removed = [...this.byId.keys()].filter((id) => !byId.has(id) || byId.get(id) !== this.byId.get(id)).length;
    this.byId = byId;
    for (const id of this.drillDevices) if (!byId.has(id)) this.drillDevices.delete(id);
    return { added, removed };
  }

  /** Ids of the devices reported for, in fleet order. */
  deviceIds(): string[] {
    return this.devices.map((d) => d.device.id);
  }

  /** Report interval of a device outside drills, ms. */
  intervalMsOf(deviceId: string): number | undefined {
    return this.byId.get(deviceId)?.intervalMs;
  }

  /** The drill in force at nowTs (after step() has seen a later ts it is dropped). */
  activeDrill(): ActiveDrill | undefined {
    return this.drill;
  }

  /**
   * Start a drill at nowTs (replacing any running one). Returns its plan, including the alerts
   * that must follow. `plan` lets a simulator that runs only part of the fleet (drill.ts) use the
   * plan made for the whole fleet.
   */
  startDrill(
    name: DrillName,
    nowTs: number,
    plan: DrillPlan = DRILLS[name].plan(
      this.devices.map((d) => d.device),
      this.assets,
    ),
  ): DrillPlan {
    this.drill = { name, plan, startTs: nowTs, endTs: nowTs + plan.durationMs };
    this.overrides = new Map();
    for (const o of plan.overrides) {
      const list = this.overrides.get(o.deviceId) ?? [];
      list.push(o);
      this.overrides.set(o.deviceId, list);
    }
    this.drillDevices = new Set(plan.deviceIds.filter((id) => this.byId.has(id)));
    this.weather = {
      seed: this.seed,
      rainOverrides: plan.rain
        ? [{ districts: plan.rain.districts, startTs: nowTs, endTs: nowTs + plan.durationMs, keyframes: plan.rain.keyframes }]
        : [],
    };
    // Touched devices switch to rapid reporting right away.
    for (const id of this.drillDevices) {
      const rt = this.byId.get(id)!;
      if (!Number.isNaN(rt.nextDueTs)) rt.nextDueTs = Math.min(rt.nextDueTs, nowTs);
    }
    return plan;
  }

  /** End the running drill now; devices return to their natural signals. */
  stopDrill(): void {
    this.drill = undefined;
    this.overrides = new Map();
    this.drillDevices = new Set();
    this.weather = { seed: this.seed, rainOverrides: [] };
  }

  /**
   * The device obeys a command at nowTs: its readings show the effect from now on (the catalogue's
   * `commandEffect`), and the fresh reading returned shows it at once. An unknown device or a
   * command its kind does not take is refused.
   */
  applyCommand(deviceId: string, name: DeviceCommandName, params: { position?: number }, nowTs: number): CommandResult {
    const rt = this.byId.get(deviceId);
    if (!rt) return { status: 'failed', message: `device ${deviceId} is not simulated here` };
    const next = commandedState(rt.device.kind, name, params, nowTs);
    if (!next.ok) return { status: 'failed', message: next.message };
    rt.commanded = next.state;
    return { status: 'ok', reading: this.readNow(rt, nowTs) };
  }

  /** What the device is commanded to do now (tests, status). */
  commandedOf(deviceId: string): CommandedState | undefined {
    return this.byId.get(deviceId)?.commanded;
  }

  /** A reading at nowTs outside the schedule; the schedule restarts from it (an effect that ends is reported when it ends). */
  private readNow(rt: DeviceRuntime, nowTs: number): SignedReadingWithoutToken {
    if (Number.isNaN(rt.nextDueTs)) rt.signal = initialSignalState(rt.device, { ts: nowTs, weather: this.weather, asset: rt.asset });
    const ts = Math.max(nowTs, rt.signal.lastTs);
    const reading = this.readingOf(rt, ts);
    rt.nextDueTs = ts + this.currentIntervalMs(rt, ts);
    if (rt.commanded?.untilTs !== undefined) rt.nextDueTs = Math.min(rt.nextDueTs, rt.commanded.untilTs);
    return reading;
  }

  /** All readings due at or before nowTs since the previous step, oldest first per device. */
  step(nowTs: number): SignedReadingWithoutToken[] {
    if (this.drill && nowTs > this.drill.endTs + DRILL_REPORT_INTERVAL_MS) this.stopDrill();
    const out: SignedReadingWithoutToken[] = [];
    for (const rt of this.devices) {
      if (Number.isNaN(rt.nextDueTs)) {
        // stable phase in [0, interval): the fleet's reports spread evenly over time
        rt.nextDueTs = nowTs + Math.floor(hashUnit(this.seed, `phase:${rt.device.id}`) * rt.intervalMs);
        rt.signal = initialSignalState(rt.device, { ts: nowTs, weather: this.weather, asset: rt.asset });
      }
      let emitted = 0;
      while (rt.nextDueTs <= nowTs) {
        if (emitted >= MAX_CATCH_UP_READINGS) {
          rt.nextDueTs = nowTs + rt.intervalMs;
          break;
        }
        const ts = rt.nextDueTs;
        out.push(this.readingOf(rt, ts));
        emitted++;
        rt.nextDueTs = ts + this.currentIntervalMs(rt, ts);
      }
    }
    return out;
  }

  private currentIntervalMs(rt: DeviceRuntime, ts: number): number {
    const d = this.drill;
    if (d && ts < d.endTs && this.drillDevices.has(rt.device.id)) return Math.min(rt.intervalMs, DRILL_REPORT_INTERVAL_MS);
    return rt.intervalMs;
  }

  private readingOf(rt: DeviceRuntime, ts: number): SignedReadingWithoutToken {
    if (rt.commanded && !isCommandInForce(rt.commanded, ts)) rt.commanded = undefined;
    const ctx = { ts, weather: this.weather, asset: rt.asset, ...(rt.commanded ? { commanded: rt.commanded } : {}) };
    const { metrics, state } = generateMetrics(rt.device, ctx, rt.signal, rt.rng);
    rt.signal = state;
    this.applyOverrides(rt, ts, metrics);
    const seq = Math.max(rt.lastSeq + 1, Math.floor(ts) * SEQ_PER_MS + this.seqSlot);
    rt.lastSeq = seq;
    return { deviceId: rt.device.id, ts: Math.floor(ts), seq, metrics };
  }

  private applyOverrides(rt: DeviceRuntime, ts: number, metrics: Record<string, number>): void {
    const d = this.drill;
    const list = this.overrides.get(rt.device.id);
    if (!d || !list || ts < d.startTs || ts > d.endTs) return;
    const t = ts - d.startTs;
    for (const o of list) {
      if (o.untilMs !== undefined && t > o.untilMs) continue;
      const v = interpolateKeyframes(o.keyframes, t);
      if (v === undefined) continue;
      metrics[o.metric] = roundForDisplay(v);
      // Stateful signals continue from the scripted value after the drill (rivers drain slowly).
      if (o.metric === 'level') rt.signal = { ...rt.signal, levelM: v };
      if (o.metric === 'depth') rt.signal = { ...rt.signal, depthCm: v };
    }
  }
}
