/**
 * Offline detection (Fusion.checkSilence): a device that reported and then fell silent for longer
 * than its offline rule allows goes offline once and raises that rule's alert; its next reading
 * brings it back and clears the alert.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FUSION_OPTIONS, Fusion, type AlertChangeRecord } from '../fusion';
import { generateFleet } from '../../scenes/fleet';
import type { Device, DeviceState, OfflineRule } from '../../scenes/domain';

const T0 = 1_763_700_000_000;
const fleet = generateFleet({ count: 100 });
const gas = fleet.find((d) => d.kind === 'gas-detector')!;
const otherGas = fleet.filter((d) => d.kind === 'gas-detector')[1]!;

function setup(devices: readonly Device[] = fleet) {
  const fusion = new Fusion(devices, undefined, undefined, T0);
  const offline = fusion.rulesFor('gas-detector').find((r): r is OfflineRule => r.type === 'offline')!;
  const read = (d: Device, ts: number, seq: number, lel = 1) => fusion.applyReading({ deviceId: d.id, ts, seq, metrics: { lel } }, []);
  return { fusion, offline, read };
}

describe('Fusion.checkSilence', () => {
  it('takes a device offline once it was silent longer than its offline rule, and raises that rule’s alert once', () => {
    const { fusion, offline, read } = setup();
    read(gas, T0, 1);
    const out: AlertChangeRecord[] = [];
    expect(fusion.checkSilence(T0 + offline.silenceMs, out)).toBe(0);
    expect(out).toEqual([]);
    expect(fusion.deviceStates.get(gas.id)!.online).toBe(true);

    expect(fusion.checkSilence(T0 + offline.silenceMs + 1, out)).toBe(1);
    expect(fusion.deviceStates.get(gas.id)!.online).toBe(false);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      change: 'raised',
      rule: { id: offline.id },
      alert: { deviceId: gas.id, ruleId: offline.id, level: offline.level },
    });
    expect(fusion.openAlertsOf(gas.id).map((a) => a.ruleId)).toEqual([offline.id]);

    const again: AlertChangeRecord[] = [];
    expect(fusion.checkSilence(T0 + 10 * offline.silenceMs, again)).toBe(0);
    expect(again).toEqual([]);
  });

  it('leaves devices that reported within their silence alone, and never alarms for a device that never reported', () => {
    const { fusion, offline, read } = setup();
    read(gas, T0, 1);
    read(otherGas, T0 + offline.silenceMs, 1);
    const out: AlertChangeRecord[] = [];
    expect(fusion.checkSilence(T0 + offline.silenceMs + 1, out)).toBe(1);
    expect(out.map((c) => c.alert.deviceId)).toEqual([gas.id]);
    expect(fusion.deviceStates.get(otherGas.id)!.online).toBe(true);
    expect(fusion.stats().online).toBe(1);
  });

  it('brings a silent device back with its next reading and clears its offline alert', () => {
    const { fusion, offline, read } = setup();
    read(gas, T0, 1);
    fusion.checkSilence(T0 + offline.silenceMs + 1, []);
    const epoch = fusion.fusedState(T0).statusEpoch!;
    const out: AlertChangeRecord[] = [];
    expect(fusion.applyReading({ deviceId: gas.id, ts: T0 + offline.silenceMs + 2, seq: 2, metrics: { lel: 1 } }, out)).toBe('accepted');
    expect(fusion.deviceStates.get(gas.id)!.online).toBe(true);
    expect(out).toMatchObject([{ change: 'cleared', alert: { ruleId: offline.id, cleared: true } }]);
    expect(fusion.statusChangedSince(epoch)).toEqual(new Set([gas.id]));
  });

  it('gives a device restored from the store the startup grace plus its silence, counted from process start, not from its last reading', () => {
    const fusion = new Fusion(fleet, undefined, undefined, T0);
    const grace = DEFAULT_FUSION_OPTIONS.offlineStartupGraceMs;
    expect(grace).toBeGreaterThan(0);
    const offline = fusion.rulesFor('gas-detector').find((r): r is OfflineRule => r.type === 'offline')!;
    const stale: DeviceState = { deviceId: gas.id, online: true, lastTs: T0 - 100 * offline.silenceMs, lastSeq: 5, metrics: { lel: 1 } };
    fusion.restore([stale], [], []);
    // the fleet reconnecting after a restart: one silence later is not yet an outage
    expect(fusion.checkSilence(T0 + offline.silenceMs + 1, [])).toBe(0);
    expect(fusion.checkSilence(T0 + grace + offline.silenceMs, [])).toBe(0);
    const out: AlertChangeRecord[] = [];
    expect(fusion.checkSilence(T0 + grace + offline.silenceMs + 1, out)).toBe(1);
    expect(out[0]!.alert.firstTs).toBe(T0 + grace + offline.silenceMs + 1);
  });

  it('without a startup grace a restored device is silent from process start', () => {
    const fusion = new Fusion(fleet, undefined, { ...DEFAULT_FUSION_OPTIONS, offlineStartupGraceMs: 0 }, T0);
    const offline = fusion.rulesFor('gas-detector').find((r): r is OfflineRule => r.type === 'offline')!;
    fusion.restore([{ deviceId: gas.id, online: true, lastTs: T0 - 100 * offline.silenceMs, lastSeq: 5, metrics: { lel: 1 } }], [], []);
    expect(fusion.checkSilence(T0 + offline.silenceMs, [])).toBe(0);
    expect(fusion.checkSilence(T0 + offline.silenceMs + 1, [])).toBe(1);
  });

  it('counts a device heard since the start from its reading: the grace is only for devices not yet back', () => {
    const fusion = new Fusion(fleet, undefined, undefined, T0);
    const offline = fusion.rulesFor('gas-detector').find((r): r is OfflineRule => r.type === 'offline')!;
    fusion.restore([{ deviceId: gas.id, online: true, lastTs: T0 - 1000, lastSeq: 5, metrics: { lel: 1 } }], [], []);
    fusion.applyReading({ deviceId: gas.id, ts: T0 + 1000, seq: 6, metrics: { lel: 1 } }, []);
    expect(fusion.checkSilence(T0 + 1000 + offline.silenceMs, [])).toBe(0);
    expect(fusion.checkSilence(T0 + 1000 + offline.silenceMs + 1, [])).toBe(1);
  });

  it('marks the device’s scene and the overview dirty and queues the offline state for persistence', () => {
    const { fusion, offline, read } = setup();
    read(gas, T0, 1);
    fusion.takeChangedStates();
    fusion.takeDirtyScenes();
    fusion.checkSilence(T0 + offline.silenceMs + 1, []);
    expect(new Set(fusion.takeDirtyScenes())).toEqual(new Set([gas.scene, 'overview']));
    expect(fusion.takeChangedStates()).toMatchObject([{ deviceId: gas.id, online: false }]);
  });

  it('raises no offline alert for a device in maintenance', () => {
    const { fusion, offline, read } = setup();
    read(gas, T0, 1);
    fusion.upsertDevice({ ...gas, status: 'maintenance' }, T0);
    const out: AlertChangeRecord[] = [];
    expect(fusion.checkSilence(T0 + 10 * offline.silenceMs, out)).toBe(0);
    expect(out).toEqual([]);
  });
});
