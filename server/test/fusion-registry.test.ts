/**
 * Fusion takes the registry and the rules live: devices appear, change, go into maintenance and
 * retire without a restart, and a new rule resolver applies from each device's next reading.
 */
import { describe, expect, it } from 'vitest';
import { Fusion, type AlertChangeRecord, type RuleResolver } from '../fusion';
import { IngestService } from '../ingest';
import { DeviceTokenVerifier, DEV_DEVICE_SECRET } from '../device-token';
import { MemoryStore } from '../store/memory-store';
import { generateFleet } from '../../scenes/fleet';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { Device, Rule, ThresholdRule } from '../../scenes/domain';
import { SCENE_BUILDERS } from '../../scenes/builders/index';
import { sign } from './helpers';

const T0 = 1_763_700_000_000;
const fleet = generateFleet({ count: 100 });
const gas = fleet.find((d) => d.kind === 'gas-detector')!;
const LEL_RULE = DEFAULT_RULES.find((r): r is ThresholdRule => r.id === 'emergency.lel.threshold')!;
const charger = fleet.find((d) => d.kind === 'ev-charger')!;
const TEMP_RULE = DEFAULT_RULES.find((r): r is ThresholdRule => r.id === 'community.ev-temperature.threshold')!;

function setup(devices: readonly Device[] = fleet) {
  const fusion = new Fusion(devices, undefined, undefined, T0);
  let seq = 0;
  const read = (d: Device, ts: number, metrics: Record<string, number>) => {
    const out: AlertChangeRecord[] = [];
    const verdict = fusion.applyReading({ deviceId: d.id, ts, seq: ++seq, metrics }, out);
    return { verdict, out };
  };
  return { fusion, read };
}

/** The catalogue's rules, with one rule replaced for one device. */
function overriding(deviceId: string, rule: Rule & { version?: number; enabled?: boolean }): RuleResolver {
  return (d) => DEFAULT_RULES.filter((r) => r.deviceKind === d.kind).map((r) => (d.id === deviceId && r.id === rule.id ? rule : r));
}

describe('upsertDevice', () => {
  it('puts a new device on the map and in the scene it belongs to, and fuses its readings at once', () => {
    const { fusion, read } = setup(fleet.filter((d) => d.id !== gas.id));
    const before = fusion.fusedState(T0).devices;
    expect(before.has(gas.id)).toBe(false);
    fusion.takeDirtyScenes();
    expect(fusion.upsertDevice(gas, T0)).toEqual([]);
    expect(new Set(fusion.takeDirtyScenes())).toEqual(new Set([gas.scene, 'overview']));
    const after = fusion.fusedState(T0).devices;
    expect(after).not.toBe(before); // builders' memos key on the registry's identity
    expect(after.get(gas.id)).toEqual(gas);
    expect(before.has(gas.id)).toBe(false); // a published registry is never mutated
    expect(read(gas, T0, { lel: 30 }).out).toMatchObject([{ change: 'raised', alert: { deviceId: gas.id, level: 'red' } }]);
  });

  it('edits a device in place: same rules and rule states, new name and location', () => {
    const { fusion, read } = setup();
    read(charger, T0, { temperature: 65 }); // yellow pending for minDurationMs
    fusion.upsertDevice({ ...charger, name: 'renamed', location: [120.4, 36.2] }, T0);
    expect(fusion.devices.get(charger.id)!.name).toBe('renamed');
    expect(fusion.fusedState(T0).devices.get(charger.id)!.location).toEqual([120.4, 36.2]);
    expect(read(charger, T0 + TEMP_RULE.minDurationMs, { temperature: 66 }).out).toMatchObject([{ change: 'raised', alert: { level: 'yellow' } }]);
  });

  it('resets a device whose kind changed: its open alerts clear, its old metrics and charts go', () => {
    const { fusion, read } = setup();
    read(gas, T0, { lel: 30 });
    fusion.tick(T0 + 60_000);
    const changes = fusion.upsertDevice({ ...gas, kind: 'smoke-detector', scene: 'community' }, T0 + 1);
    expect(changes).toMatchObject([{ change: 'cleared', alert: { deviceId: gas.id, ruleId: LEL_RULE.id, cleared: true } }]);
    expect(fusion.deviceStates.get(gas.id)!.metrics).toEqual({});
    expect(fusion.seriesOf(gas.id, 'lel')).toBeUndefined();
    expect(fusion.rulesOf(gas.id).every((r) => r.deviceKind === 'smoke-detector')).toBe(true);
    expect(read(gas, T0 + 2, { smoke: 1 }).out).toMatchObject([{ change: 'raised', alert: { ruleId: 'community.smoke.event' } }]);
  });
});

describe('retireDevice', () => {
  it('takes a device off the map and out of the counts but keeps its alerts, cleared', () => {
    const { fusion, read } = setup();
    read(gas, T0, { lel: 30 });
    const alertId = fusion.openAlertsOf(gas.id)[0]!.id;
    fusion.takeDirtyScenes();
    const changes = fusion.retireDevice(gas.id, T0 + 1);
    expect(changes).toMatchObject([{ change: 'cleared', alert: { id: alertId, cleared: true, clearedTs: T0 + 1 } }]);
    expect(fusion.getAlert(alertId)).toMatchObject({ cleared: true, acknowledged: false });
    expect(fusion.devices.has(gas.id)).toBe(false);
    expect(fusion.fusedState(T0).devices.has(gas.id)).toBe(false);
    expect(fusion.deviceStates.has(gas.id)).toBe(false);
    expect(fusion.stats()).toMatchObject({ devices: fleet.length - 1, online: 0 });
    expect(new Set(fusion.takeDirtyScenes())).toEqual(new Set([gas.scene, 'overview']));
    expect(read(gas, T0 + 2, { lel: 30 }).verdict).toBe('duplicate'); // not fused
    expect(fusion.retireDevice(gas.id)).toEqual([]);
  });

  it('also happens through upsertDevice with status retired', () => {
    const { fusion } = setup();
    fusion.upsertDevice({ ...gas, status: 'retired' }, T0);
    expect(fusion.devices.has(gas.id)).toBe(false);
  });

  it('makes ingest refuse the device’s readings as unknown (E_NOT_FOUND)', async () => {
    const { fusion } = setup();
    const svc = new IngestService(new MemoryStore(), fusion, new DeviceTokenVerifier(DEV_DEVICE_SECRET), () => undefined, {
      maxClockSkewMs: 60_000,
      maxDeferredReadings: 1000,
      now: () => T0,
    });
    fusion.retireDevice(gas.id, T0);
    const result = await svc.ingest(sign([{ deviceId: gas.id, ts: T0, seq: 1, metrics: { lel: 1 } }]));
    expect(result.rejected).toMatchObject([{ index: 0, code: 'E_NOT_FOUND' }]);
  });
});

describe('maintenance', () => {
  it('clears a device’s open alerts when it enters maintenance and raises none while it is there', () => {
    const { fusion, read } = setup();
    read(gas, T0, { lel: 30 });
    const changes = fusion.upsertDevice({ ...gas, status: 'maintenance' }, T0 + 1);
    expect(changes).toMatchObject([{ change: 'cleared', alert: { ruleId: LEL_RULE.id } }]);
    const during = read(gas, T0 + 2, { lel: 40 });
    expect(during).toEqual({ verdict: 'accepted', out: [] });
    expect(fusion.deviceStates.get(gas.id)!.metrics.lel).toBe(40); // still reports
    expect(fusion.openAlertsOf(gas.id).every((a) => a.cleared)).toBe(true);

    fusion.upsertDevice({ ...gas, status: 'active' }, T0 + 3);
    expect(read(gas, T0 + 4, { lel: 40 }).out).toMatchObject([{ change: 'updated', alert: { cleared: false, level: 'red' } }]);
  });
});

describe('setRules', () => {
  it('applies a changed rule from the next reading, without a restart, and the alert records its version', () => {
    const { fusion, read } = setup();
    expect(read(gas, T0, { lel: 1 }).out).toEqual([]);
    fusion.setRules(overriding(gas.id, { ...LEL_RULE, limits: { yellow: 5, orange: 8, red: 12 }, version: 3 }));
    const { out } = read(gas, T0 + 1, { lel: 15 });
    expect(out).toMatchObject([{ change: 'raised', alert: { level: 'red', ruleVersion: 3 } }]);
    expect(fusion.rulesOf(gas.id).find((r) => r.id === LEL_RULE.id)).toMatchObject({ limits: { red: 12 } });
  });

  it('only changes the devices the resolver changes', () => {
    const { fusion, read } = setup();
    const other = fleet.filter((d) => d.kind === 'gas-detector')[1]!;
    fusion.setRules(overriding(gas.id, { ...LEL_RULE, limits: { red: 12 }, version: 1 }));
    const { out } = read(other, T0, { lel: 15 });
    expect(out).toMatchObject([{ alert: { level: 'yellow' } }]);
    expect(out[0]!.alert.ruleVersion).toBeUndefined(); // a catalogue rule has no version
  });

  it('keeps the evaluation state of unchanged rules and resets a changed rule', () => {
    const { fusion, read } = setup();
    read(charger, T0, { temperature: 65 }); // yellow pending for minDurationMs
    fusion.setRules(overriding(charger.id, TEMP_RULE)); // same definition
    expect(read(charger, T0 + TEMP_RULE.minDurationMs, { temperature: 65 }).out).toMatchObject([{ change: 'raised' }]);

    const fresh = setup();
    fresh.read(charger, T0, { temperature: 65 });
    fresh.fusion.setRules(overriding(charger.id, { ...TEMP_RULE, hysteresis: 1, version: 1 }));
    expect(fresh.read(charger, T0 + TEMP_RULE.minDurationMs, { temperature: 65 }).out).toEqual([]); // pending restarted
    expect(fresh.read(charger, T0 + 2 * TEMP_RULE.minDurationMs, { temperature: 65 }).out).toMatchObject([{ change: 'raised' }]);
  });

  it('clears the open alert of a rule that was disabled, at the device’s next reading', () => {
    const { fusion, read } = setup();
    read(gas, T0, { lel: 30 });
    fusion.setRules(overriding(gas.id, { ...LEL_RULE, enabled: false, version: 2 }));
    const { out } = read(gas, T0 + 1, { lel: 30 });
    expect(out).toMatchObject([{ change: 'cleared', alert: { ruleId: LEL_RULE.id } }]);
    expect(fusion.rulesOf(gas.id).some((r) => r.id === LEL_RULE.id)).toBe(false);
    expect(read(gas, T0 + 2, { lel: 30 }).out).toEqual([]);
  });

  it('resolves a device’s rules once per change, not per reading', () => {
    const { fusion, read } = setup();
    let calls = 0;
    const resolve: RuleResolver = (d) => {
      calls++;
      return DEFAULT_RULES.filter((r) => r.deviceKind === d.kind);
    };
    fusion.setRules(resolve);
    for (let i = 0; i < 50; i++) read(gas, T0 + i, { lel: 1 });
    expect(calls).toBe(1);
    fusion.setRules(resolve);
    for (let i = 50; i < 100; i++) read(gas, T0 + i, { lel: 1 });
    expect(calls).toBe(2);
  });

  it('falls back to the kind’s catalogue rules when the resolver throws', () => {
    const { fusion, read } = setup();
    fusion.setRules(() => {
      throw new Error('broken override');
    });
    expect(read(gas, T0, { lel: 30 }).out).toMatchObject([{ change: 'raised', alert: { level: 'red' } }]);
  });
});

describe('scene models', () => {
  const pointOf = (fusion: Fusion, d: Device) => SCENE_BUILDERS[d.scene](fusion.fusedState(T0)).devices.find((p) => p.id === d.id);

  it('show a new device at the next build and drop a retired one, even when builds reuse their previous points', () => {
    const { fusion, read } = setup(fleet.filter((d) => d.id !== gas.id));
    read(charger, T0, { temperature: 20 });
    expect(pointOf(fusion, gas)).toBeUndefined();
    fusion.upsertDevice(gas, T0);
    expect(pointOf(fusion, gas)).toMatchObject({ id: gas.id, s: 'offline' });
    read(gas, T0, { lel: 1 });
    expect(pointOf(fusion, gas)).toMatchObject({ s: 'normal' });
    fusion.retireDevice(gas.id, T0);
    expect(pointOf(fusion, gas)).toBeUndefined();
  });

  it('mark a device in maintenance as such', () => {
    const { fusion } = setup();
    expect(pointOf(fusion, gas)!.m).toBeUndefined();
    fusion.upsertDevice({ ...gas, status: 'maintenance' }, T0);
    expect(pointOf(fusion, gas)!.m).toBe(true);
  });
});
