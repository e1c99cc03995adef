/**
 * Remote control end to end (issue 13) over Socket.IO: a real server, an officer on `/live`, a
 * pump station on `/device` (socket.io-client). The officer's `device:command` reaches the device
 * as `command`, its `command:ack` settles the command and the officer hears `acknowledged`; a
 * device that never answers is `timed_out` after the (short, test) timeout; REST sends the same
 * way and refuses a handler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Device } from '../../scenes/domain';
import type { DeviceCommandMessage, DeviceCommandRecord } from '../../scenes/device-commands';
import type { IngestResult, LogEvent, Result } from '../../scenes/protocol';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { emitAck, ingest, liveSocket, login, sign, startTestServer } from './helpers';

/** short enough for a test, long enough for a loaded machine to ack in time */
const TIMEOUT_MS = 1_500;

let server: IocServer;
let officerToken: string;
let officer: Socket;
const sockets: Socket[] = [];
let pumps: Device[];
/** readings' seq: increasing for every device however often it reconnects */
let seq = 0;

beforeAll(async () => {
  server = await startTestServer({ deviceCommandTimeoutMs: TIMEOUT_MS });
  pumps = [...server.fusion.devices.values()].filter((d) => d.kind === 'pump-station' && (d.status ?? 'active') === 'active');
  if (pumps.length < 4) throw new Error('the test fleet needs four active pump stations');
  officerToken = await login(server, 'officer1');
  officer = await liveSocket(server, officerToken);
  sockets.push(officer);
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await server?.close();
});

/** A device on `/device` that reported once (so it is online). */
async function onlineDevice(device: Device): Promise<Socket> {
  const s = io(`${server.url}/device`, {
    auth: { deviceId: device.id, token: deviceToken(DEV_DEVICE_SECRET, device.id) },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', (e) => reject(e));
  });
  const reading = { deviceId: device.id, ts: Date.now(), seq: ++seq, metrics: { running: 0, flow: 0 } };
  const r = await emitAck<Result<IngestResult>>(s, 'readings', { readings: sign([reading]) });
  expect(r).toMatchObject({ ok: true, accepted: 1 });
  return s;
}

/** The first `device:command` push on `socket` that matches. */
function nextPush(socket: Socket, match: (r: DeviceCommandRecord) => boolean, timeoutMs = 5_000): Promise<DeviceCommandRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('device:command', on);
      reject(new Error('no matching device:command push'));
    }, timeoutMs);
    const on = (r: DeviceCommandRecord) => {
      if (!match(r)) return;
      clearTimeout(timer);
      socket.off('device:command', on);
      resolve(r);
    };
    socket.on('device:command', on);
  });
}

describe('remote control over Socket.IO', () => {
  it('takes an officer’s start to the device, and its ack back to the officer as acknowledged', async () => {
    const pump = pumps[0]!;
    const device = await onlineDevice(pump);
    device.on('command', (m: DeviceCommandMessage) => {
      device.emit('command:ack', { commandId: m.commandId, status: 'ok' });
    });
    const received = new Promise<DeviceCommandMessage>((resolve) => device.once('command', resolve));
    const acknowledged = nextPush(officer, (r) => r.commandId === 'e2e-start-1' && r.status === 'acknowledged');
    const answer = await emitAck<Result<{ command: DeviceCommandRecord }>>(officer, 'device:command', {
      commandId: 'e2e-start-1',
      deviceId: pump.id,
      name: 'start',
    });
    expect(answer).toMatchObject({ ok: true, command: { commandId: 'e2e-start-1', status: 'sent', channel: 'socket', actor: 'officer1' } });
    expect(await received).toMatchObject({ commandId: 'e2e-start-1', deviceId: pump.id, name: 'start', params: {} });
    expect(await acknowledged).toMatchObject({ status: 'acknowledged', deviceId: pump.id });
    // a retry with the same id answers the stored record and never reaches the device again
    let again = 0;
    device.on('command', () => again++);
    const retry = await emitAck<Result<{ command: DeviceCommandRecord }>>(officer, 'device:command', {
      commandId: 'e2e-start-1',
      deviceId: pump.id,
      name: 'start',
    });
    expect(retry).toMatchObject({ ok: true, command: { status: 'acknowledged' } });
    const listed = await emitAck<Result<{ commands: DeviceCommandRecord[] }>>(officer, 'device:commands', { deviceId: pump.id });
    expect(listed).toMatchObject({ ok: true, commands: [{ commandId: 'e2e-start-1', status: 'acknowledged' }] });
    const events = await server.store.readEvents(answer.ok ? answer.command.issuedAt : 0, Date.now(), 100);
    expect(events.filter((e: LogEvent) => e.deviceCommand?.commandId === 'e2e-start-1').map((e) => e.deviceCommand?.status)).toEqual([
      'sent',
      'acknowledged',
    ]);
    expect(again).toBe(0);
  });

  it('ignores an ack a device sends for another device’s command', async () => {
    const [a, b] = [pumps[1]!, pumps[2]!];
    const deviceA = await onlineDevice(a);
    const deviceB = await onlineDevice(b);
    const received = new Promise<DeviceCommandMessage>((resolve) => deviceA.once('command', resolve));
    const sent = await emitAck<Result<{ command: DeviceCommandRecord }>>(officer, 'device:command', {
      commandId: 'e2e-cross-1',
      deviceId: a.id,
      name: 'stop',
    });
    expect(sent).toMatchObject({ ok: true });
    await received;
    expect(await emitAck<Result<object>>(deviceB, 'command:ack', { commandId: 'e2e-cross-1', status: 'ok' })).toMatchObject({ ok: true });
    expect((await server.store.getDeviceCommand('e2e-cross-1'))?.status).toBe('sent');
    // and a device cannot name another device in its ack at all
    expect(await emitAck<Result<object>>(deviceB, 'command:ack', { commandId: 'e2e-cross-1', status: 'ok', deviceId: a.id })).toMatchObject({
      ok: false,
      error: { code: 'E_VALIDATION' },
    });
  });

  it('times out a command the device never acknowledges, and the officer hears timed_out', async () => {
    const pump = pumps[2]!;
    await onlineDevice(pump);
    const timedOut = nextPush(officer, (r) => r.commandId === 'e2e-silent-1' && r.status === 'timed_out', TIMEOUT_MS + 5_000);
    const sent = await emitAck<Result<{ command: DeviceCommandRecord }>>(officer, 'device:command', {
      commandId: 'e2e-silent-1',
      deviceId: pump.id,
      name: 'start',
    });
    expect(sent).toMatchObject({ ok: true, command: { status: 'sent' } });
    const record = await timedOut;
    expect(record.settledAt! - record.issuedAt).toBeGreaterThanOrEqual(TIMEOUT_MS);
  });

  it('refuses an online device that reports over HTTP only: no command channel reaches it (E_UNAVAILABLE)', async () => {
    const pump = pumps[3]!;
    const reading = { deviceId: pump.id, ts: Date.now(), seq: ++seq, metrics: { running: 0, flow: 0 } };
    expect((await ingest(server, sign([reading]))).status).toBe(200);
    const r = await emitAck<Result<object>>(officer, 'device:command', { commandId: 'e2e-http-1', deviceId: pump.id, name: 'start' });
    expect(r).toMatchObject({ ok: false, error: { code: 'E_UNAVAILABLE', message: expect.stringContaining('no command channel') } });
  });
});

describe('remote control over REST', () => {
  const post = (token: string, deviceId: string, body: unknown) =>
    fetch(`${server.url}/api/devices/${deviceId}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });

  it('answers 202 with the command as sent, and lists it newest first', async () => {
    const pump = pumps[1]!;
    const device = await onlineDevice(pump);
    const received = new Promise<DeviceCommandMessage>((resolve) => device.once('command', resolve));
    const r = await post(officerToken, pump.id, { commandId: 'rest-start-1', name: 'start' });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ command: { commandId: 'rest-start-1', deviceId: pump.id, status: 'sent' } });
    expect(await received).toMatchObject({ commandId: 'rest-start-1' });
    const list = await fetch(`${server.url}/api/devices/${pump.id}/commands?limit=1`, { headers: { authorization: `Bearer ${officerToken}` } });
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ commands: [{ commandId: 'rest-start-1' }] });
  });

  it('refuses a handler with 403, a body naming a device with 400, and an unknown device with 404', async () => {
    const handlerToken = await login(server, 'handler1');
    const pump = pumps[1]!;
    expect((await post(handlerToken, pump.id, { commandId: 'rest-h-1', name: 'start' })).status).toBe(403);
    expect((await post(officerToken, pump.id, { commandId: 'rest-b-1', name: 'start', deviceId: pumps[0]!.id })).status).toBe(400);
    expect((await post(officerToken, 'no-such-device', { commandId: 'rest-n-1', name: 'start' })).status).toBe(404);
    const audited = await server.audit.query({ action: 'device.command', actor: 'handler1' }, { limit: 10, scanMax: 10_000 });
    expect(audited.records).toEqual([expect.objectContaining({ target: `device:${pump.id}`, outcome: 'denied' })]);
  });
});
