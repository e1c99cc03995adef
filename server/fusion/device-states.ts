/**
 * Latest state per device (online flag, newest reading's time, seq and metric values) and the set
 * of devices whose state changed since the last persistence flush.
 */
import type { DeviceState, Reading } from '../../scenes/domain';

/** What a reading did to its device's state. */
export type StateUpdate = 'came_online' | 'updated' | 'older';

export class DeviceStates {
  readonly states = new Map<string, DeviceState>();
  /** devices whose state changed since the last persistence flush */
  private readonly changed = new Set<string>();

  restore(state: DeviceState): void {
    this.states.set(state.deviceId, { ...state });
  }

  get(deviceId: string): DeviceState | undefined {
    return this.states.get(deviceId);
  }

  /**
   * A newer reading becomes the latest state: 'came_online' when the device was offline or unknown,
   * 'older' (nothing changed) when its clock is behind the latest state's.
   */
  applyReading(reading: Reading): StateUpdate {
    const prev = this.states.get(reading.deviceId);
    // newer seq but older clock: keep the seq, do not move state backwards
    if (prev && reading.ts < prev.lastTs) return 'older';
    const wasOffline = prev ? !prev.online : true;
    if (prev) {
      // updated in place: nothing keeps a device state across readings (stores copy or serialise
      // it when called), and a new object + metrics copy per reading was a tenth of the GC work
      prev.online = true;
      prev.lastTs = reading.ts;
      prev.lastSeq = reading.seq;
      for (const metric in reading.metrics) prev.metrics[metric] = reading.metrics[metric]!;
    } else {
      this.states.set(reading.deviceId, newState(reading));
    }
    this.changed.add(reading.deviceId);
    return wasOffline ? 'came_online' : 'updated';
  }

  /**
   * Start-up recovery: the reading becomes the latest state (online flag unchanged) unless it is
   * older. 'came_online' when the device had no state yet.
   */
  applyRecoveredReading(reading: Reading): StateUpdate {
    const prev = this.states.get(reading.deviceId);
    if (prev && reading.ts < prev.lastTs) return 'older';
    this.changed.add(reading.deviceId);
    if (!prev) {
      this.states.set(reading.deviceId, newState(reading));
      return 'came_online';
    }
    prev.lastTs = reading.ts;
    prev.lastSeq = reading.seq;
    for (const metric in reading.metrics) prev.metrics[metric] = reading.metrics[metric]!;
    return 'updated';
  }

  /** Marks an online device offline (a new object: a flush may hold the previous one). */
  markOffline(deviceId: string): void {
    const state = this.states.get(deviceId);
    if (!state) return;
    this.states.set(deviceId, { ...state, online: false });
    this.changed.add(deviceId);
  }

  /** A device changed kind: its metric values mean nothing any more (seq and time stay). */
  clearMetrics(deviceId: string): void {
    const state = this.states.get(deviceId);
    if (!state) return;
    this.states.set(deviceId, { ...state, metrics: {} });
    this.changed.add(deviceId);
  }

  /** Drops a device from memory (retired); its persisted state is left to the store. */
  forget(deviceId: string): void {
    this.states.delete(deviceId);
    this.changed.delete(deviceId);
  }

  /** Device states changed since the last call (for a batched store write). */
  takeChanged(): DeviceState[] {
    const out: DeviceState[] = [];
    for (const id of this.changed) {
      const s = this.states.get(id);
      if (s) out.push(s);
    }
    this.changed.clear();
    return out;
  }

  /** A failed write puts its states back so the next flush retries them. */
  requeue(states: readonly DeviceState[]): void {
    for (const s of states) this.changed.add(s.deviceId);
  }

  onlineCount(): number {
    let online = 0;
    for (const s of this.states.values()) if (s.online) online++;
    return online;
  }
}

function newState(reading: Reading): DeviceState {
  return { deviceId: reading.deviceId, online: true, lastTs: reading.ts, lastSeq: reading.seq, metrics: { ...reading.metrics } };
}
