import { describe, expect, it } from 'vitest';
import type { DeviceCommandRecord } from '@scenes/device-commands';
import type { AssetItem, DevicePoint } from '@scenes/scene-model';
import { chipOf, chipTone, controlBlock, controllableRows, describeCommand, filterRows, mayControl, runStateOf } from './device-control';
import { en, zh } from './messages';

const rec = (over: Partial<DeviceCommandRecord>): DeviceCommandRecord => ({
  commandId: 'c1',
  deviceId: 'pump-1',
  kind: 'pump-station',
  name: 'start',
  params: {},
  actor: 'officer1',
  role: 'officer',
  channel: 'mqtt',
  status: 'acknowledged',
  issuedAt: 1_000,
  deadline: 11_000,
  settledAt: 1_200,
  ...over,
});

describe('device control in the UI', () => {
  it('shows command buttons to officers and admins only', () => {
    expect(mayControl('officer')).toBe(true);
    expect(mayControl('admin')).toBe(true);
    for (const role of ['screen', 'leader', 'handler', null] as const) expect(mayControl(role)).toBe(false);
  });

  it('disables the buttons with the reason: connection, retired, maintenance, offline, a command being sent', () => {
    const ok = { online: true, lifecycle: undefined };
    expect(controlBlock(ok, true, null)).toBeNull();
    expect(controlBlock(ok, false, null)).toBe('disconnected');
    expect(controlBlock({ online: true, lifecycle: 'maintenance' }, true, null)).toBe('maintenance');
    expect(controlBlock({ online: false, lifecycle: 'maintenance' }, true, null)).toBe('maintenance');
    expect(controlBlock({ online: false, lifecycle: 'active' }, true, null)).toBe('offline');
    const sending = {
      kind: 'attempt' as const,
      attempt: { request: { commandId: 'x', deviceId: 'd', name: 'start' as const }, phase: 'sending' as const, startedTs: 0 },
    };
    expect(controlBlock(ok, true, sending)).toBe('sending');
  });

  it('shows sent → acknowledged | failed | timed out, and the client’s own sending / no answer / refused', () => {
    expect(chipOf(null)).toBeNull();
    expect(chipOf({ kind: 'record', record: rec({ status: 'sent' }) })).toBe('sent');
    expect(chipTone('sent')).toBe('wait');
    expect(chipTone('acknowledged')).toBe('ok');
    for (const s of ['failed', 'timed_out', 'unknown', 'refused'] as const) expect(chipTone(s)).toBe('bad');
  });

  it('names a command in the UI language, with its position', () => {
    expect(describeCommand('pump-station', 'start', {}, 'zh')).toBe('启动');
    expect(describeCommand('door-sensor', 'release', {}, 'en')).toBe('Release');
    expect(describeCommand('pump-station', 'start', { position: 40 }, 'zh')).toBe('启动 40 %');
  });

  it('takes the run state from the newer of the device’s metrics and its last acknowledged command', () => {
    expect(runStateOf('pump-station', null, 0, [])).toBeNull();
    expect(runStateOf('pump-station', { running: 1 }, 5_000, [rec({ name: 'stop', settledAt: 1_000 })])).toBe('running');
    expect(runStateOf('pump-station', { running: 1 }, 500, [rec({ name: 'stop', settledAt: 1_000 })])).toBe('stopped');
    // a failed or timed out command changed nothing
    expect(runStateOf('pump-station', { running: 0 }, 500, [rec({ status: 'failed' })])).toBe('stopped');
    expect(runStateOf('door-sensor', null, 0, [rec({ kind: 'door-sensor', name: 'release' })])).toBe('released');
  });

  it('lists the controllable devices of the model with district, online and maintenance, filterable by kind and district', () => {
    const devices: DevicePoint[] = [
      { id: 'pump-b', kind: 'pump-station', p: [120.3, 36.1], s: 'offline', a: 'pump-x' },
      { id: 'gauge-1', kind: 'rain-gauge', p: [120.3, 36.1], s: 'normal' },
      { id: 'door-a', kind: 'door-sensor', p: [120.4, 36.2], s: 'normal', m: true },
      { id: 'pump-a', kind: 'pump-station', p: [120.3, 36.1], s: 'red' },
    ];
    const assets = [{ id: 'pump-x', name: '海泊河泵站', nameEn: 'Haibohe pumps', district: '370203' }] as AssetItem[];
    const rows = controllableRows(devices, assets, () => '370212');
    expect(rows.map((r) => [r.id, r.district, r.online, r.maintenance])).toEqual([
      ['door-a', '370212', true, true],
      ['pump-a', '370212', true, false],
      ['pump-b', '370203', false, false],
    ]);
    expect(rows[2].assetName).toBe('海泊河泵站');
    expect(filterRows(rows, { kind: 'pump-station', district: 'all' }).map((r) => r.id)).toEqual(['pump-a', 'pump-b']);
    expect(filterRows(rows, { kind: 'all', district: '370203' }).map((r) => r.id)).toEqual(['pump-b']);
  });

  it('translates every device-control label into English', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const [key, value] of Object.entries(en)) expect(value, key).not.toBe('');
  });
});
