import { describe, expect, it } from 'vitest';
import { DEVICE_CATALOGUE } from './catalogue';
import {
  commandEffect,
  commandParams,
  commandRefusal,
  commandsOf,
  DEVICE_COMMANDS,
  DeviceCommandAckSchema,
  DeviceCommandRequestSchema,
  expireCommand,
  isControllable,
  settleCommand,
  type DeviceCommandRecord,
  type DeviceCommandSpec,
} from './device-commands';
import type { DeviceKind } from './domain';
import { eventInScope, scopeOf } from './scope';

const pump = { id: 'pump-1', kind: 'pump-station' as const, status: 'active' as const };
const door = { id: 'door-1', kind: 'door-sensor' as const, status: 'active' as const };
const online = { online: true };

const sent: DeviceCommandRecord = {
  commandId: 'c1',
  deviceId: 'pump-1',
  kind: 'pump-station',
  name: 'start',
  params: {},
  actor: 'officer1',
  role: 'officer',
  channel: 'mqtt',
  status: 'sent',
  issuedAt: 1_000,
  deadline: 11_000,
};

describe('command catalogue', () => {
  it('gives pump stations start/stop and doors release, and sensors nothing', () => {
    expect(commandsOf('pump-station').map((c) => c.name)).toEqual(['start', 'stop']);
    expect(commandsOf('door-sensor').map((c) => c.name)).toEqual(['release']);
    expect(isControllable('rain-gauge')).toBe(false);
    expect(commandsOf('rain-gauge')).toEqual([]);
  });

  it('names only metrics of the kind in every effect, so the device can show it', () => {
    for (const [kind, specs] of Object.entries(DEVICE_COMMANDS) as [DeviceKind, readonly DeviceCommandSpec[]][]) {
      const metrics = DEVICE_CATALOGUE[kind].metrics.map((m) => m.name);
      for (const spec of specs) for (const metric of Object.keys(spec.effect ?? {})) expect(metrics, `${kind}.${spec.name}`).toContain(metric);
    }
  });
});

describe('commandRefusal', () => {
  it('lets an online active device take a command of its kind', () => {
    expect(commandRefusal(pump, online, { name: 'start' })).toBeNull();
  });

  it('refuses a command the kind does not have before anything else (E_VALIDATION)', () => {
    expect(commandRefusal({ ...pump, status: 'retired' }, undefined, { name: 'open' })?.code).toBe('E_VALIDATION');
  });

  it('refuses a position for a command that takes none (E_VALIDATION)', () => {
    expect(commandRefusal(pump, online, { name: 'start', params: { position: 50 } })).toMatchObject({
      code: 'E_VALIDATION',
      message: expect.stringContaining('no position'),
    });
  });

  it('refuses a retired device, then one in maintenance, with E_CONFLICT, even when offline', () => {
    expect(commandRefusal({ ...pump, status: 'retired' }, { online: false }, { name: 'start' })).toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining('retired'),
    });
    expect(commandRefusal({ ...pump, status: 'maintenance' }, { online: false }, { name: 'start' })).toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining('maintenance'),
    });
  });

  it('refuses an offline device, or one never heard of, with E_UNAVAILABLE', () => {
    expect(commandRefusal(pump, { online: false }, { name: 'start' })?.code).toBe('E_UNAVAILABLE');
    expect(commandRefusal(door, undefined, { name: 'release' })?.code).toBe('E_UNAVAILABLE');
  });

  it('treats a device without a lifecycle status as active', () => {
    expect(commandRefusal({ id: 'p', kind: 'pump-station' }, online, { name: 'stop' })).toBeNull();
  });
});

describe('command parameters and effect', () => {
  it('sends no parameters for a command without a position, whatever was asked', () => {
    expect(commandParams('pump-station', { name: 'start' })).toEqual({});
  });

  it('shows the effect a device has after obeying', () => {
    expect(commandEffect('pump-station', 'start', {})).toEqual({ running: 1 });
    expect(commandEffect('pump-station', 'stop', {})).toEqual({ running: 0 });
    expect(commandEffect('door-sensor', 'release', {})).toEqual({ released: 1 });
    expect(commandEffect('door-sensor', 'start', {})).toEqual({});
  });
});

describe('request and ack schemas', () => {
  it('accepts a request with a position 0..100 and refuses unknown fields and other positions', () => {
    expect(DeviceCommandRequestSchema.safeParse({ commandId: 'c1', deviceId: 'd1', name: 'open', params: { position: 40 } }).success).toBe(true);
    expect(DeviceCommandRequestSchema.safeParse({ commandId: 'c1', deviceId: 'd1', name: 'open', params: { position: 101 } }).success).toBe(false);
    expect(DeviceCommandRequestSchema.safeParse({ commandId: 'c1', deviceId: 'd1', name: 'start', extra: 1 }).success).toBe(false);
    expect(DeviceCommandRequestSchema.safeParse({ commandId: '__proto__', deviceId: 'd1', name: 'start' }).success).toBe(false);
    expect(DeviceCommandRequestSchema.safeParse({ commandId: 'c1', deviceId: 'd1', name: 'explode' }).success).toBe(false);
  });

  it('accepts an ok or failed ack and refuses anything else', () => {
    expect(DeviceCommandAckSchema.safeParse({ commandId: 'c1', status: 'ok' }).success).toBe(true);
    expect(DeviceCommandAckSchema.safeParse({ commandId: 'c1', status: 'failed', message: 'jammed' }).success).toBe(true);
    expect(DeviceCommandAckSchema.safeParse({ commandId: 'c1', status: 'done' }).success).toBe(false);
    expect(DeviceCommandAckSchema.safeParse({ commandId: 'c1', status: 'ok', deviceId: 'other' }).success).toBe(false);
  });
});

describe('settleCommand', () => {
  it('moves a sent command to acknowledged on ok, with the time it settled', () => {
    expect(settleCommand(sent, { status: 'ok' }, 2_000)).toEqual({ ...sent, status: 'acknowledged', settledAt: 2_000 });
  });

  it('moves a sent command to failed on a failed ack, keeping the device message', () => {
    expect(settleCommand(sent, { status: 'failed', message: 'motor fault' }, 2_000)).toEqual({
      ...sent,
      status: 'failed',
      settledAt: 2_000,
      message: 'motor fault',
    });
  });

  it('never settles a command twice: a second ack returns the record unchanged', () => {
    const acked = settleCommand(sent, { status: 'ok' }, 2_000);
    expect(settleCommand(acked, { status: 'failed' }, 3_000)).toBe(acked);
  });

  it('keeps a late ack after a timeout for the record, status unchanged, and only the first one', () => {
    const timedOut = expireCommand(sent, sent.deadline);
    const late = settleCommand(timedOut, { status: 'ok' }, 12_000);
    expect(late).toEqual({ ...timedOut, lateAck: { status: 'ok', ts: 12_000 } });
    expect(settleCommand(late, { status: 'failed' }, 13_000)).toBe(late);
  });
});

describe('expireCommand', () => {
  it('leaves a sent command alone before its deadline', () => {
    expect(expireCommand(sent, sent.deadline - 1)).toBe(sent);
  });

  it('times out a sent command at its deadline, saying why', () => {
    expect(expireCommand(sent, sent.deadline)).toMatchObject({ status: 'timed_out', settledAt: sent.deadline, message: expect.any(String) });
  });

  it('never times out a settled command', () => {
    const acked = settleCommand(sent, { status: 'ok' }, 2_000);
    expect(expireCommand(acked, 99_000)).toBe(acked);
  });
});

describe('device command events and data scope', () => {
  const event = (district?: '370202') => ({ deviceCommand: { ...sent, ...(district ? { district } : {}) } });

  it('shows a command event to the whole city and to officers of its device’s district only', () => {
    expect(eventInScope(scopeOf({ role: 'admin', username: 'a' }), event('370202'))).toBe(true);
    expect(eventInScope(scopeOf({ role: 'officer', username: 'o', districts: ['370202'] }), event('370202'))).toBe(true);
    expect(eventInScope(scopeOf({ role: 'officer', username: 'o', districts: ['370211'] }), event('370202'))).toBe(false);
  });

  it('never shows a command event to a handler, nor one without a district to a scoped officer', () => {
    expect(eventInScope(scopeOf({ role: 'handler', username: 'h' }), event('370202'))).toBe(false);
    expect(eventInScope(scopeOf({ role: 'officer', username: 'o', districts: ['370202'] }), event())).toBe(false);
  });
});
