import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceCommandMessage, DeviceCommandRecord } from '../../scenes/device-commands';
import type { Device, DeviceState, Role } from '../../scenes/domain';
import { CollectingAudit } from '../audit/audit';
import { createLogger } from '../logger';
import { MemoryStore } from '../store/memory-store';
import type { StoredUser } from '../store/store';
import type { CommandChannel } from './channels';
import { TestTimerClock } from '../test/test-clock';
import { DeviceCommandService, type DeviceCommandClock } from './device-command-service';

const TIMEOUT_MS = 10_000;

/** Time and timers that move only when the test says so. */
class FakeClock extends TestTimerClock implements DeviceCommandClock {
  constructor() {
    super(1_700_000_000_000);
  }
}

class FakeChannel implements CommandChannel {
  readonly name = 'socket' as const;
  readonly delivered: DeviceCommandMessage[] = [];
  connected = new Set<string>();
  fails = false;
  reaches(deviceId: string): boolean {
    return this.connected.has(deviceId);
  }
  deliver(message: DeviceCommandMessage): Promise<boolean> {
    this.delivered.push(message);
    return Promise.resolve(!this.fails);
  }
}

const device = (id: string, overrides: Partial<Device> = {}): Device => ({
  id,
  kind: 'pump-station',
  scene: 'water',
  name: id,
  location: [120.38, 36.07],
  district: '370202',
  ...overrides,
});

const user = (username: string, role: Role, districts?: StoredUser['districts']): StoredUser => ({
  username,
  displayName: username,
  role,
  passwordHash: 'x',
  disabled: false,
  failedLogins: 0,
  lockedUntil: 0,
  createdTs: 0,
  ...(districts ? { districts } : {}),
});

const officer = { username: 'officer1', role: 'officer' as const };

describe('DeviceCommandService', () => {
  let clock: FakeClock;
  let store: MemoryStore;
  let audit: CollectingAudit;
  let channel: FakeChannel;
  let devices: Map<string, Device>;
  let states: Map<string, Pick<DeviceState, 'online'>>;
  let changes: DeviceCommandRecord[];
  let service: DeviceCommandService;

  beforeEach(async () => {
    clock = new FakeClock();
    store = new MemoryStore({}, { now: clock.now });
    audit = new CollectingAudit();
    channel = new FakeChannel();
    devices = new Map([
      ['pump-1', device('pump-1')],
      ['pump-far', device('pump-far', { district: '370211' })],
      ['pump-maint', device('pump-maint', { status: 'maintenance' })],
      ['pump-retired', device('pump-retired', { status: 'retired' })],
      ['pump-http', device('pump-http')],
      ['door-1', device('door-1', { kind: 'door-sensor', scene: 'community' })],
    ]);
    states = new Map([...devices.keys()].map((id) => [id, { online: true }]));
    for (const id of devices.keys()) if (id !== 'pump-http') channel.connected.add(id);
    changes = [];
    await store.putUser(user('officer1', 'officer'));
    await store.putUser(user('scoped', 'officer', ['370202']));
    service = new DeviceCommandService({
      store,
      devices,
      states,
      audit,
      log: createLogger('silent'),
      timeoutMs: TIMEOUT_MS,
      onChange: (r) => changes.push(r),
      clock,
    });
    service.addChannel(channel);
  });

  const send = (raw: unknown, actor: { username: string; role: Role | 'system' } = officer) => service.send(actor, raw, { source: '10.0.0.1' });

  it('delivers a command once, records it as sent with its deadline, in the store, the event log and the audit log', async () => {
    const r = await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    expect(r).toMatchObject({ ok: true, command: { status: 'sent', channel: 'socket', actor: 'officer1', district: '370202' } });
    if (!r.ok) return;
    expect(r.command.deadline).toBe(clock.ts + TIMEOUT_MS);
    expect(channel.delivered).toEqual([
      { commandId: 'c1', deviceId: 'pump-1', name: 'start', params: {}, issuedAt: clock.ts, expiresAt: clock.ts + TIMEOUT_MS },
    ]);
    expect(await store.getDeviceCommand('c1')).toEqual(r.command);
    const events = await store.readEvents(0, Number.MAX_SAFE_INTEGER, 10);
    expect(events).toMatchObject([{ type: 'device.command', scene: 'water', deviceCommand: { commandId: 'c1', status: 'sent' } }]);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'officer1',
        role: 'officer',
        source: '10.0.0.1',
        action: 'device.command',
        target: 'device:pump-1',
        outcome: 'success',
        details: expect.objectContaining({ commandId: 'c1', name: 'start', params: {}, channel: 'socket' }),
      }),
    ]);
    expect(changes.map((c) => c.status)).toEqual(['sent']);
  });

  it('answers a retry with the same id and content with the stored record and never delivers it again', async () => {
    const first = await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    states.set('pump-1', { online: false });
    const retry = await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    const [a, b] = await Promise.all([
      send({ commandId: 'c2', deviceId: 'pump-1', name: 'stop' }),
      send({ commandId: 'c2', deviceId: 'pump-1', name: 'stop' }),
    ]);
    expect(retry).toEqual(first);
    expect(a).toEqual(b);
    expect(channel.delivered.map((m) => m.commandId)).toEqual(['c1']);
    expect(audit.entries.filter((e) => e.details?.duplicate === true)).toHaveLength(1);
  });

  it('refuses the same id with other content with E_CONFLICT', async () => {
    await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    expect(await send({ commandId: 'c1', deviceId: 'pump-1', name: 'stop' })).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(await send({ commandId: 'c1', deviceId: 'door-1', name: 'release' })).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
    expect(channel.delivered).toHaveLength(1);
  });

  it('refuses offline, maintenance, retired, HTTP-only and unknown devices, and bad commands, each with its code, audited as failures', async () => {
    states.set('pump-1', { online: false });
    const cases: [unknown, string][] = [
      [{ commandId: 'a', deviceId: 'pump-1', name: 'start' }, 'E_UNAVAILABLE'],
      [{ commandId: 'b', deviceId: 'pump-maint', name: 'start' }, 'E_CONFLICT'],
      [{ commandId: 'c', deviceId: 'pump-retired', name: 'start' }, 'E_CONFLICT'],
      [{ commandId: 'd', deviceId: 'pump-http', name: 'start' }, 'E_UNAVAILABLE'],
      [{ commandId: 'e', deviceId: 'nope', name: 'start' }, 'E_NOT_FOUND'],
      [{ commandId: 'f', deviceId: 'door-1', name: 'start' }, 'E_VALIDATION'],
      [{ commandId: 'g', deviceId: 'pump-1', name: 'start', extra: true }, 'E_VALIDATION'],
      [null, 'E_VALIDATION'],
    ];
    for (const [raw, code] of cases) expect(await send(raw), JSON.stringify(raw)).toMatchObject({ ok: false, error: { code } });
    const http = await send({ commandId: 'd2', deviceId: 'pump-http', name: 'start' });
    expect(!http.ok && http.error.message).toContain('no command channel');
    expect(channel.delivered).toEqual([]);
    expect(await store.listDeviceCommands('pump-1', 10)).toEqual([]);
    expect(audit.entries.filter((e) => e.outcome === 'failure')).toHaveLength(cases.length + 1);
  });

  it('forbids handlers, screens and leaders, audited as denied; lets a plan (system) send', async () => {
    for (const role of ['handler', 'screen', 'leader'] as const) {
      expect(await send({ commandId: `x-${role}`, deviceId: 'pump-1', name: 'start' }, { username: role, role })).toMatchObject({
        ok: false,
        error: { code: 'E_FORBIDDEN' },
      });
    }
    expect(audit.entries.map((e) => e.outcome)).toEqual(['denied', 'denied', 'denied']);
    const byPlan = await send({ commandId: 'p1', deviceId: 'pump-far', name: 'start' }, { username: 'plan:flood-2', role: 'system' });
    expect(byPlan).toMatchObject({ ok: true, command: { actor: 'plan:flood-2', role: 'system' } });
  });

  it('forbids a device outside an officer’s districts, for sending and for reading', async () => {
    const scoped = { username: 'scoped', role: 'officer' as const };
    expect(await send({ commandId: 's1', deviceId: 'pump-far', name: 'start' }, scoped)).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await send({ commandId: 's2', deviceId: 'pump-1', name: 'start' }, scoped)).toMatchObject({ ok: true });
    expect(await service.list(scoped, 'pump-far', 10)).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await service.list(scoped, 'pump-1', 10)).toMatchObject({ ok: true, commands: [{ commandId: 's2' }] });
    expect(await service.list({ username: 'h', role: 'handler' }, 'pump-1', 10)).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
  });

  it('moves a command to acknowledged on the device’s ok, audited as the device, and pushes the change', async () => {
    await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    clock.ts += 300;
    await service.acknowledge('pump-1', { commandId: 'c1', status: 'ok' });
    expect(await store.getDeviceCommand('c1')).toMatchObject({ status: 'acknowledged', settledAt: clock.ts });
    expect(changes.map((c) => c.status)).toEqual(['sent', 'acknowledged']);
    expect(audit.entries.at(-1)).toMatchObject({ actor: 'device:pump-1', action: 'device.command', target: 'device:pump-1', outcome: 'success' });
    const events = await store.readEvents(0, Number.MAX_SAFE_INTEGER, 10);
    expect(events.map((e) => e.deviceCommand?.status)).toEqual(['sent', 'acknowledged']);
    // the timer was cleared: the deadline passing changes nothing
    await clock.advanceTimers(TIMEOUT_MS);
    expect((await store.getDeviceCommand('c1'))?.status).toBe('acknowledged');
  });

  it('moves a command to failed on the device’s failed ack, keeping its message', async () => {
    await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    await service.acknowledge('pump-1', { commandId: 'c1', status: 'failed', message: 'motor fault' });
    expect(await store.getDeviceCommand('c1')).toMatchObject({ status: 'failed', message: 'motor fault' });
    expect(audit.entries.at(-1)).toMatchObject({ actor: 'device:pump-1', outcome: 'failure', reason: 'motor fault' });
  });

  it('ignores an ack for a command of another device, or an unknown command id', async () => {
    await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    await service.acknowledge('door-1', { commandId: 'c1', status: 'ok' });
    await service.acknowledge('pump-1', { commandId: 'never-sent', status: 'ok' });
    expect((await store.getDeviceCommand('c1'))?.status).toBe('sent');
    expect(changes).toHaveLength(1);
  });

  it('times out a command the device never acknowledged, audited as system, and keeps a late ack for the record', async () => {
    await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    await clock.advanceTimers(TIMEOUT_MS - 1);
    expect((await store.getDeviceCommand('c1'))?.status).toBe('sent');
    await clock.advanceTimers(1);
    expect(await store.getDeviceCommand('c1')).toMatchObject({ status: 'timed_out', settledAt: clock.ts });
    expect(audit.entries.at(-1)).toMatchObject({ actor: 'system', outcome: 'failure', details: expect.objectContaining({ status: 'timed_out' }) });
    await clock.advanceTimers(500);
    await service.acknowledge('pump-1', { commandId: 'c1', status: 'ok' });
    expect(await store.getDeviceCommand('c1')).toMatchObject({ status: 'timed_out', lateAck: { status: 'ok', ts: clock.ts } });
    expect(changes.map((c) => [c.status, c.lateAck?.status])).toEqual([
      ['sent', undefined],
      ['timed_out', undefined],
      ['timed_out', 'ok'],
    ]);
  });

  it('settles an ack from the record it holds without reading it back, and when another node settled it meanwhile the stored record decides', async () => {
    await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    const reads = vi.spyOn(store, 'getDeviceCommand');
    await service.acknowledge('pump-1', { commandId: 'c1', status: 'ok' });
    expect(reads).not.toHaveBeenCalled();
    expect((await store.getDeviceCommand('c1'))?.status).toBe('acknowledged');

    // c2 times out on another node (its sweep wrote the store); this node still holds it as sent
    await send({ commandId: 'c2', deviceId: 'pump-1', name: 'stop' });
    const sent = (await store.getDeviceCommand('c2'))!;
    await store.updateDeviceCommand(
      { ...sent, status: 'timed_out', settledAt: clock.ts, message: 'no acknowledgement from the device in time' },
      'sent',
    );
    reads.mockClear();
    await service.acknowledge('pump-1', { commandId: 'c2', status: 'ok' });
    expect(reads).toHaveBeenCalledTimes(1);
    // not acknowledged over the other node's timeout: kept as a late ack, as on that node
    expect(await store.getDeviceCommand('c2')).toMatchObject({ status: 'timed_out', lateAck: { status: 'ok', ts: clock.ts } });
    expect(changes.map((c) => [c.commandId, c.status, c.lateAck?.status])).toEqual([
      ['c1', 'sent', undefined],
      ['c1', 'acknowledged', undefined],
      ['c2', 'sent', undefined],
      ['c2', 'timed_out', 'ok'],
    ]);
  });

  it('answers sent without waiting for the hand-over; one that fails is recorded as failed at once and pushed', async () => {
    let handOver!: (ok: boolean) => void;
    channel.deliver = (message) => {
      channel.delivered.push(message);
      return new Promise<boolean>((resolve) => (handOver = resolve));
    };
    // the transport has not called back yet: the officer already has the answer
    const r = await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' });
    expect(r).toMatchObject({ ok: true, command: { status: 'sent' } });
    expect(channel.delivered).toHaveLength(1);
    handOver(false);
    await vi.waitFor(async () => expect((await store.getDeviceCommand('c1'))?.status).toBe('failed'));
    expect(changes.map((c) => c.status)).toEqual(['sent', 'failed']);
    expect(changes[1]).toMatchObject({ message: expect.stringContaining('socket') });
    // its timeout timer is gone: the deadline passing changes nothing
    await clock.advanceTimers(TIMEOUT_MS);
    expect(changes).toHaveLength(2);
  });

  it('a delivery that throws is a failed hand-over too', async () => {
    channel.deliver = () => Promise.reject(new Error('socket gone'));
    expect(await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' })).toMatchObject({ ok: true, command: { status: 'sent' } });
    await vi.waitFor(async () => expect((await store.getDeviceCommand('c1'))?.status).toBe('failed'));
  });

  it('does not send a command it cannot audit (fail closed), and a retry with the same id then sends it', async () => {
    audit.failNext = true;
    expect(await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' })).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE' } });
    expect(channel.delivered).toEqual([]);
    expect(await send({ commandId: 'c1', deviceId: 'pump-1', name: 'start' })).toMatchObject({ ok: true, command: { status: 'sent' } });
    expect(channel.delivered).toHaveLength(1);
  });

  it('times out at start the commands a previous run left sent past their deadline, and keeps waiting for the others', async () => {
    const old = (commandId: string, deadline: number): DeviceCommandRecord => ({
      commandId,
      deviceId: 'pump-1',
      kind: 'pump-station',
      district: '370202',
      name: 'start',
      params: {},
      actor: 'officer1',
      role: 'officer',
      channel: 'mqtt',
      status: 'sent',
      issuedAt: deadline - TIMEOUT_MS,
      deadline,
    });
    await store.createDeviceCommand(old('overdue', clock.ts - 1));
    await store.createDeviceCommand(old('waiting', clock.ts + 5_000));
    await service.start();
    expect((await store.getDeviceCommand('overdue'))?.status).toBe('timed_out');
    expect((await store.getDeviceCommand('waiting'))?.status).toBe('sent');
    await clock.advanceTimers(5_000);
    expect((await store.getDeviceCommand('waiting'))?.status).toBe('timed_out');
    service.close();
  });
});
