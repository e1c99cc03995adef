/**
 * End to end over MQTT (issue 13, "Real components"): a real server with its embedded broker, the
 * simulator's own MqttGateway (one connection per device, as `npm run devices` runs it) and an
 * officer's `/live` socket.
 * (a) a device publishes red-level readings over MQTT → fused → a red alert reaches the officer;
 * (b) the officer sends a pump `start` → the simulated pump receives it on its command topic →
 *     acks → the officer is pushed `acknowledged` → the pump's reading in fusion shows running = 1;
 * (c) a gateway connection dropped without DISCONNECT → its last will marks the device offline
 *     within about a second.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { IocServer } from '../app';
import type { Device, ThresholdRule } from '../../scenes/domain';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { DeviceCommandRecord } from '../../scenes/device-commands';
import type { Result, SceneJoinResult } from '../../scenes/protocol';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { MqttGateway } from '../../mock-devices/mqtt-gateway';
import { FleetSimulator } from '../../mock-devices/simulator';
import { DeltaCollector, emitAck, liveSocket, login, startTestServer } from './helpers';

const strainRule = DEFAULT_RULES.find((r) => r.id === 'bridge.strain.threshold') as ThresholdRule;

let server: IocServer;
let mqttUrl: string;
let officer: Socket;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startTestServer({ mqttPort: 0, mqttPortExplicit: true });
  mqttUrl = `mqtt://127.0.0.1:${server.mqttPort}`;
  officer = await liveSocket(server, await login(server, 'officer1'));
});

afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  officer?.close();
  await server?.close();
});

function deviceOf(kind: Device['kind'], skip = 0): Device {
  const d = [...server.fusion.devices.values()].filter((x) => x.kind === kind && x.status === 'active')[skip];
  if (!d) throw new Error(`no active ${kind} device #${skip}`);
  return d;
}

async function waitUntil(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The simulator's gateway for these devices, with their registry (demo) tokens. */
function gatewayFor(devices: readonly Device[], onCommand?: ConstructorParameters<typeof MqttGateway>[0]['onCommand']): MqttGateway {
  const g = new MqttGateway({ url: mqttUrl, statusIntervalMs: 0, reconnectBaseMs: 100, reconnectMaxMs: 200, log: () => {}, onCommand });
  g.setTokens(new Map(devices.map((d) => [d.id, deviceToken(DEV_DEVICE_SECRET, d.id)])));
  g.start();
  stops.push(() => g.stop());
  return g;
}

describe('devices over MQTT, end to end', () => {
  it('(a) red-level readings published over MQTT are fused and raise a red alert on an officer’s /live socket', async () => {
    const gauge = deviceOf('strain-gauge');
    const deltas = new DeltaCollector(officer);
    const join = await emitAck<SceneJoinResult>(officer, 'scene:join', { scene: 'bridge' });
    expect(join.ok).toBe(true);
    const g = gatewayFor([gauge]);
    const over = strainRule.limits.red! + 40;
    const now = Date.now();
    const steps = Math.ceil(strainRule.minDurationMs / 5000) + 2;
    g.enqueue(
      Array.from({ length: steps }, (_, i) => ({ deviceId: gauge.id, ts: now - steps * 5000 + i * 5000, seq: 1 + i, metrics: { strain: over } })),
    );
    await waitUntil('all readings PUBACKed', () => g.stats().accepted === steps);
    expect(server.fusion.deviceStates.get(gauge.id)).toMatchObject({ online: true, lastSeq: steps, metrics: { strain: over } });
    await deltas.waitFor((d) => !!d.delta.alerts?.put?.some((a) => a.deviceId === gauge.id && a.level === 'red'));
  });

  it('(c) a gateway connection dropped without DISCONNECT: the last will marks the device offline within a second', async () => {
    const gauge = deviceOf('strain-gauge', 1);
    const g = gatewayFor([gauge]);
    g.enqueue([{ deviceId: gauge.id, ts: Date.now(), seq: 1, metrics: { strain: 100 } }]);
    await waitUntil('online', () => server.fusion.deviceStates.get(gauge.id)?.online === true);
    const t0 = Date.now();
    expect(g.cutConnection(gauge.id)).toBe(true);
    await waitUntil('offline', () => server.fusion.deviceStates.get(gauge.id)?.online === false, 1_000);
    const tookMs = Date.now() - t0;
    expect(tookMs).toBeLessThan(1_000);
    // the device reconnects by itself, and its next reading brings it back
    await waitUntil('reconnected', () => g.stats().connected === 1);
    g.enqueue([{ deviceId: gauge.id, ts: Date.now(), seq: 2, metrics: { strain: 100 } }]);
    await waitUntil('online again', () => server.fusion.deviceStates.get(gauge.id)?.online === true);
  });

  it('(b) an officer’s pump `start` reaches the simulated pump, is acknowledged to the officer, and the pump’s next reading shows running = 1', async () => {
    const pump = deviceOf('pump-station');
    const sim = new FleetSimulator({ fleet: [pump], seed: 11 });
    const received: string[] = [];
    const g = gatewayFor([pump], (deviceId, message) => {
      received.push(message.commandId);
      const r = sim.applyCommand(deviceId, message.name, message.params, Date.now());
      return r.status === 'ok' ? { status: 'ok', readings: [r.reading] } : r;
    });
    // the pump reports (a device must be online to be commanded)
    g.enqueue([{ deviceId: pump.id, ts: Date.now(), seq: 1, metrics: { running: 0, flow: 0 } }]);
    await waitUntil('the pump online', () => server.fusion.deviceStates.get(pump.id)?.online === true);

    const pushes: DeviceCommandRecord[] = [];
    officer.on('device:command', (c: DeviceCommandRecord) => pushes.push(c));
    /** the officer's click: sent, then the push that settles it; returns the round trip, ms */
    const click = async (name: 'start' | 'stop', commandId = `cmd-${randomUUID()}`) => {
      const t0 = Date.now();
      const sent = await emitAck<Result<{ command: DeviceCommandRecord }>>(officer, 'device:command', { commandId, deviceId: pump.id, name });
      expect(sent).toMatchObject({ ok: true, command: { commandId, deviceId: pump.id, name, actor: 'officer1', channel: 'mqtt' } });
      await waitUntil(`${name} acknowledged to the officer`, () => pushes.some((c) => c.commandId === commandId && c.status === 'acknowledged'));
      return { commandId, ms: Date.now() - t0 };
    };

    // manual stop first, so the start below is seen to change something whatever the simulated rain
    await click('stop');
    expect(server.fusion.deviceStates.get(pump.id)?.metrics).toMatchObject({ running: 0, flow: 0 });
    const seqBefore = server.fusion.deviceStates.get(pump.id)!.lastSeq;
    const start = await click('start');
    const state = server.fusion.deviceStates.get(pump.id)!;
    expect(state.metrics.running).toBe(1);
    expect(state.metrics.flow).toBeGreaterThan(0);
    expect(state.lastSeq).toBeGreaterThan(seqBefore);
    expect(start.ms).toBeLessThan(2_000);
    expect(received).toHaveLength(2);
    expect(g.stats().commands).toMatchObject({ received: 2, obeyed: 2, failed: 0 });

    // a retry with the same command id is answered from the record, not delivered again
    const retry = await emitAck<Result<{ command: DeviceCommandRecord }>>(officer, 'device:command', {
      commandId: start.commandId,
      deviceId: pump.id,
      name: 'start',
    });
    expect(retry).toMatchObject({ ok: true, command: { commandId: start.commandId, status: 'acknowledged' } });
    expect(received).toHaveLength(2);
  });
});
