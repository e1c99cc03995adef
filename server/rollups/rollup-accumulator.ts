/**
 * The per-node roll-up accumulator (issue 16): every reading this node accepted is added to its
 * device metric's current minute; `drain` hands the minutes (and the hours they roll up into) to
 * the flusher and starts over. Partial by design: the store merges what every node flushed.
 *
 * Hot path (tens of thousands of readings/s): per reading a Map lookup for the device, per metric
 * one for the metric and a compare with the last minute; an aggregate object is allocated only
 * when a device metric enters a new minute, never per reading.
 */
import type { Reading } from '../../scenes/domain';
import { HOUR_MS, MINUTE_MS, addValue, mergeInto, type RollupAggregate } from '../../scenes/rollups/rollup-aggregate';
import type { RollupEntry } from '../store/rollup-store';

/** One device metric's open minutes since the last drain. */
interface MetricSlot {
  readonly deviceId: string;
  readonly metric: string;
  /** start of the minute readings arrive in now (epoch ms); NaN when drained */
  currentTs: number;
  current: RollupAggregate | null;
  /** earlier minutes of this drain (late or out-of-order readings, a minute boundary): rare */
  earlier: Map<number, RollupAggregate> | null;
}

export class RollupAccumulator {
  /** deviceId → metric → slot; slots are reused across drains (bounded by the fleet) */
  private readonly devices = new Map<string, Map<string, MetricSlot>>();
  /** slots with values since the last drain */
  private readonly dirty: MetricSlot[] = [];
  /** readings added since the last drain */
  pendingReadings = 0;

  /** Adds accepted readings (ingest's `onStored`). */
  add(readings: readonly Reading[]): void {
    for (let r = 0; r < readings.length; r++) {
      const reading = readings[r]!;
      const minuteTs = reading.ts - (reading.ts % MINUTE_MS);
      let metrics = this.devices.get(reading.deviceId);
      if (metrics === undefined) {
        metrics = new Map();
        this.devices.set(reading.deviceId, metrics);
      }
      const values = reading.metrics;
      for (const name in values) {
        const value = values[name]!;
        let slot = metrics.get(name);
        if (slot === undefined) {
          slot = { deviceId: reading.deviceId, metric: name, currentTs: Number.NaN, current: null, earlier: null };
          metrics.set(name, slot);
        }
        if (slot.currentTs === minuteTs) {
          addValue(slot.current!, value);
          continue;
        }
        this.addToOtherMinute(slot, minuteTs, value);
      }
      this.pendingReadings++;
    }
  }

  /** The slow path: a device metric's first value of a drain or of a new minute, or a late reading. */
  private addToOtherMinute(slot: MetricSlot, minuteTs: number, value: number): void {
    if (slot.current === null) {
      this.dirty.push(slot);
      slot.currentTs = minuteTs;
      slot.current = { min: value, max: value, sum: value, count: 1 };
      return;
    }
    const earlier = (slot.earlier ??= new Map());
    const found = earlier.get(minuteTs);
    if (found) {
      addValue(found, value);
      return;
    }
    if (minuteTs > slot.currentTs) {
      // a new minute: the current one joins the earlier ones
      earlier.set(slot.currentTs, slot.current);
      slot.currentTs = minuteTs;
      slot.current = { min: value, max: value, sum: value, count: 1 };
    } else {
      earlier.set(minuteTs, { min: value, max: value, sum: value, count: 1 });
    }
  }

  /**
   * Everything accumulated since the last drain as store entries: each minute, and each hour as
   * the merge of its minutes here (the store merges it with other flushes' partial hours).
   */
  drain(): RollupEntry[] {
    const entries: RollupEntry[] = [];
    for (const slot of this.dirty) {
      const { deviceId, metric } = slot;
      const minutes: [number, RollupAggregate][] = slot.earlier ? [...slot.earlier] : [];
      minutes.push([slot.currentTs, slot.current!]);
      const hours = new Map<number, RollupAggregate>();
      for (const [ts, aggregate] of minutes) {
        entries.push({ deviceId, metric, resolution: 'minute', bucketTs: ts, aggregate });
        const hourTs = ts - (ts % HOUR_MS);
        const hour = hours.get(hourTs);
        if (hour) mergeInto(hour, aggregate);
        else hours.set(hourTs, { ...aggregate });
      }
      for (const [ts, aggregate] of hours) entries.push({ deviceId, metric, resolution: 'hour', bucketTs: ts, aggregate });
      slot.current = null;
      slot.currentTs = Number.NaN;
      slot.earlier = null;
    }
    this.dirty.length = 0;
    this.pendingReadings = 0;
    return entries;
  }
}
