import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { DeviceCommandRecord, DeviceCommandRequest } from '@scenes/device-commands';
import { createFakeTransport } from '../data/fake-transport';
import type { FakeTransport } from '../data/fake-transport';
import { HISTORY_KEPT_PER_DEVICE, useDeviceCommandStore } from './device-command-store';

const flush = () => new Promise((r) => setTimeout(r, 0));

function record(over: Partial<DeviceCommandRecord> = {}): DeviceCommandRecord {
  return {
    commandId: 'cmd-1',
    deviceId: 'pump-1',
    kind: 'pump-station',
    name: 'start',
    params: {},
    actor: 'officer1',
    role: 'officer',
    channel: 'socket',
    status: 'sent',
    issuedAt: 1_000,
    deadline: 11_000,
    ...over,
  };
}

function setup(): { store: ReturnType<typeof useDeviceCommandStore>; transport: FakeTransport } {
  const transport = createFakeTransport();
  const store = useDeviceCommandStore();
  store.bind(transport);
  return { store, transport };
}

/** answer the newest request of `event` */
function answer(transport: FakeTransport, event: string, reply: unknown) {
  const req = [...transport.requests].reverse().find((r) => r.event === event);
  if (!req) throw new Error(`no ${event} request`);
  transport.requests.splice(transport.requests.indexOf(req), 1);
  req.resolve(reply);
}

describe('device command store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('sends a command with a fresh UUID command id and shows it as sending until the server answers', async () => {
    const { store, transport } = setup();
    const done = store.send({ deviceId: 'pump-1', name: 'start' });
    const sent = transport.requests[0];
    expect(sent.event).toBe('device:command');
    const req = sent.payload as DeviceCommandRequest;
    expect(req.commandId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(req).toEqual({ commandId: req.commandId, deviceId: 'pump-1', name: 'start' });
    expect(store.latestOf('pump-1')).toMatchObject({ kind: 'attempt', attempt: { phase: 'sending' } });

    answer(transport, 'device:command', { ok: true, command: record({ commandId: req.commandId }) });
    await done;
    expect(store.latestOf('pump-1')).toMatchObject({ kind: 'record', record: { commandId: req.commandId, status: 'sent' } });
    expect(store.attempts.size).toBe(0);
  });

  it('moves the command to acknowledged when the server pushes the device’s ack', async () => {
    const { store, transport } = setup();
    const done = store.send({ deviceId: 'pump-1', name: 'start' });
    const id = (transport.requests[0].payload as DeviceCommandRequest).commandId;
    answer(transport, 'device:command', { ok: true, command: record({ commandId: id }) });
    await done;
    transport.emitServer('device:command', record({ commandId: id, status: 'acknowledged', settledAt: 1_500 }));
    expect(store.latestOf('pump-1')).toMatchObject({ kind: 'record', record: { status: 'acknowledged' } });
  });

  it('never moves a settled command back to sent (a late answer after the push)', async () => {
    const { store, transport } = setup();
    const done = store.send({ deviceId: 'pump-1', name: 'start' });
    const id = (transport.requests[0].payload as DeviceCommandRequest).commandId;
    // the push of the timeout overtakes the ack of the send
    transport.emitServer('device:command', record({ commandId: id, status: 'timed_out', settledAt: 12_000 }));
    answer(transport, 'device:command', { ok: true, command: record({ commandId: id, status: 'sent' }) });
    await done;
    expect(store.records.get(id)?.status).toBe('timed_out');
    expect(store.commandsOf('pump-1')).toHaveLength(1);
  });

  it('retries a command whose answer was lost with the SAME command id', async () => {
    const { store, transport } = setup();
    const first = store.send({ deviceId: 'pump-1', name: 'stop' });
    const id = (transport.requests[0].payload as DeviceCommandRequest).commandId;
    answer(transport, 'device:command', { ok: false, error: { code: 'E_INTERNAL', message: 'no answer to device:command within 10000 ms' } });
    await first;
    expect(store.latestOf('pump-1')).toMatchObject({ kind: 'attempt', attempt: { phase: 'unknown' } });

    const again = store.retry('pump-1');
    expect(transport.requests).toHaveLength(1);
    expect((transport.requests[0].payload as DeviceCommandRequest).commandId).toBe(id);
    answer(transport, 'device:command', { ok: true, command: record({ commandId: id, name: 'stop' }) });
    await again;
    expect(store.latestOf('pump-1')).toMatchObject({ kind: 'record', record: { commandId: id } });
  });

  it('keeps a typed refusal (offline, maintenance, forbidden) as refused with the server’s message, and does not offer a retry', async () => {
    const { store, transport } = setup();
    const done = store.send({ deviceId: 'pump-1', name: 'start' });
    answer(transport, 'device:command', { ok: false, error: { code: 'E_UNAVAILABLE', message: 'device pump-1 is offline' } });
    await done;
    expect(store.latestOf('pump-1')).toMatchObject({ kind: 'attempt', attempt: { phase: 'refused', error: { code: 'E_UNAVAILABLE' } } });
    expect(await store.retry('pump-1')).toBeNull();
    expect(transport.requests).toHaveLength(0);
    store.dismiss('pump-1');
    expect(store.latestOf('pump-1')).toBeNull();
  });

  it('does not send a second command to a device while its first is still being sent', async () => {
    const { store, transport } = setup();
    void store.send({ deviceId: 'pump-1', name: 'start' });
    await store.send({ deviceId: 'pump-1', name: 'start' });
    expect(transport.requests).toHaveLength(1);
  });

  it('lists a device’s commands newest first, merged with pushes, bounded per device', async () => {
    const { store, transport } = setup();
    const loading = store.load('pump-1');
    expect(transport.requests[0]).toMatchObject({ event: 'device:commands', payload: { deviceId: 'pump-1', limit: 20 } });
    answer(transport, 'device:commands', {
      ok: true,
      commands: [
        record({ commandId: 'c-2', issuedAt: 2_000, status: 'failed', message: 'motor fault' }),
        record({ commandId: 'c-1', issuedAt: 1_000 }),
      ],
    });
    expect(await loading).toBeNull();
    transport.emitServer('device:command', record({ commandId: 'c-3', issuedAt: 3_000 }));
    expect(store.commandsOf('pump-1').map((r) => r.commandId)).toEqual(['c-3', 'c-2', 'c-1']);

    for (let i = 0; i < HISTORY_KEPT_PER_DEVICE + 5; i++)
      transport.emitServer('device:command', record({ commandId: `n-${i}`, issuedAt: 10_000 + i }));
    expect(store.commandsOf('pump-1')).toHaveLength(HISTORY_KEPT_PER_DEVICE);
    expect(store.commandsOf('pump-1')[0].commandId).toBe(`n-${HISTORY_KEPT_PER_DEVICE + 4}`);
    expect(store.records.size).toBe(HISTORY_KEPT_PER_DEVICE);
  });

  it('after a reconnect lists again the devices it follows, which settles a command whose answer was lost', async () => {
    const { store, transport } = setup();
    const done = store.send({ deviceId: 'pump-1', name: 'start' });
    const id = (transport.requests[0].payload as DeviceCommandRequest).commandId;
    answer(transport, 'device:command', { ok: false, error: { code: 'E_INTERNAL', message: 'no answer' } });
    await done;
    transport.disconnect();
    transport.connect(true);
    await flush();
    answer(transport, 'device:commands', { ok: true, commands: [record({ commandId: id, status: 'acknowledged', settledAt: 1_200 })] });
    await flush();
    expect(store.latestOf('pump-1')).toMatchObject({ kind: 'record', record: { commandId: id, status: 'acknowledged' } });
  });

  it('remembers only newer observed metrics of a device', () => {
    const { store } = setup();
    store.noteObserved('pump-1', { metrics: { running: 1 }, ts: 2_000 });
    store.noteObserved('pump-1', { metrics: { running: 0 }, ts: 1_000 });
    expect(store.observed.get('pump-1')?.metrics.running).toBe(1);
  });
});
