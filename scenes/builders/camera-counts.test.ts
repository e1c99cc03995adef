import { describe, expect, it } from 'vitest';
import type { Device, DeviceState } from '../domain';
import type { FusedState, Kpi } from '../scene-model';
import { FIXTURE_EXPECTED, makeFusedState } from '../test-fixtures/fused-state';
import { buildBridgeScene, buildEmergencyScene, buildOverviewScene } from './index';

function camera(id: string, extra: Partial<Device> = {}): Device {
  return { id, kind: 'camera', scene: 'emergency', name: id, location: [120.27, 36.14], district: '370211', ...extra };
}

function state(online: boolean): DeviceState {
  return { deviceId: '', online, lastTs: 0, lastSeq: 1, metrics: { videoLoss: 0 } };
}

/**
 * The fixture city plus three cameras: one online, one offline that watches bridge-a, one retired
 * (retired cameras are off the map and out of every count).
 */
function withCameras(): FusedState {
  const base = makeFusedState();
  const devices = new Map(base.devices);
  const deviceStates = new Map(base.deviceStates);
  for (const [d, online] of [
    [camera('cam-1'), true],
    [camera('cam-2', { assetId: 'bridge-a' }), false],
    [camera('cam-3', { status: 'retired' }), true],
  ] as const) {
    devices.set(d.id, d);
    deviceStates.set(d.id, { ...state(online), deviceId: d.id });
  }
  return { ...base, devices, deviceStates };
}

function kpi(kpis: readonly Kpi[], id: string): Kpi {
  const found = kpis.find((k) => k.id === id);
  if (!found) throw new Error(`no kpi ${id}`);
  return found;
}

describe('cameras in the scene models', () => {
  it('are no device dots: the camera layer draws them', () => {
    const s = withCameras();
    for (const model of [buildEmergencyScene(s), buildOverviewScene(s)]) {
      expect(
        model.devices.filter((d) => d.kind === 'camera'),
        model.scene,
      ).toEqual([]);
    }
    expect(buildOverviewScene(s).devices).toHaveLength(FIXTURE_EXPECTED.deviceCount);
  });

  it('leave the overview’s device count and online rate to the sensors', () => {
    const kpis = buildOverviewScene(withCameras()).kpis;
    expect(kpi(kpis, 'devicesOnline').value).toBe(FIXTURE_EXPECTED.onlineCount);
    expect(kpi(kpis, 'onlineRate').value).toBe(FIXTURE_EXPECTED.onlineRatePct);
  });

  it('are counted on their own on the emergency scene: online of those in service', () => {
    const cameras = kpi(buildEmergencyScene(withCameras()).kpis, 'camerasOnline');
    expect([cameras.value, cameras.unit]).toEqual([1, '/2']);
    // a view without cameras has no figure, not "0 of 0"
    expect(kpi(buildEmergencyScene(makeFusedState()).kpis, 'camerasOnline').value).toBeNull();
  });

  it('do not change the status or health of the asset they watch', () => {
    const bridgeA = buildBridgeScene(withCameras()).assets.find((a) => a.id === 'bridge-a');
    expect(bridgeA?.health).toBe(FIXTURE_EXPECTED.bridgeHealth['bridge-a']);
    expect(bridgeA?.status).toBe('red');
  });

  it('leave the reused device points untouched when only a camera changed', () => {
    const s = withCameras();
    const first = buildEmergencyScene({ ...s, statusEpoch: 1, statusChangedSince: () => new Set() });
    const deviceStates = new Map(s.deviceStates);
    deviceStates.set('cam-1', { ...state(false), deviceId: 'cam-1' });
    const next = { ...s, deviceStates, statusEpoch: 2, statusChangedSince: () => new Set(['cam-1']) };
    const second = buildEmergencyScene(next);
    expect(second.devices).toBe(first.devices);
    expect(kpi(second.kpis, 'camerasOnline').value).toBe(0);
    expect(kpi(buildOverviewScene(next).kpis, 'devicesOnline').value).toBe(FIXTURE_EXPECTED.onlineCount);
  });
});
