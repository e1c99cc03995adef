/**
 * External-broker mode (IOC_MQTT_URL) against a real Mosquitto (Debian `mosquitto`) this suite
 * starts on a free port with its own config: the server is an MQTT 5 client with shared
 * subscriptions, and every message proves its device with the token in its payload. Outside CI a
 * missing `mosquitto` binary is a loud skip naming the package; in CI it fails.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { IocServer } from '../app';
import type { Device } from '../../scenes/domain';
import type { DeviceCommandMessage } from '../../scenes/device-commands';
import { deviceToken, DEV_DEVICE_SECRET } from '../device-token';
import { startMosquitto, type TestMosquitto } from '../../tests/helpers/mosquitto';
import { freePort } from '../../tests/helpers/free-port';
import { startTestServer } from './helpers';
import type { IngestResult } from '../../scenes/protocol';
import { createLogger } from '../logger';
import { MqttDeviceGate } from '../mqtt/device-gate';
import { startExternalMqtt } from '../mqtt/external-client';
import { commandsAckTopic, commandsTopic, statusTopic, telemetryTopic } from '../mqtt/topics';

const METRICS_TOKEN = 'mqtt-external-metrics-token';
const mosquitto: TestMosquitto | null = await startMosquitto();
afterAll(async () => {
  await mosquitto?.stop();
});

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function mqttCount(server: IocServer, verdict: string): Promise<number> {
  const r = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const m = new RegExp(`^ioc_mqtt_messages_total\\{verdict="${verdict}"\\} (\\d+)`, 'm').exec(await r.text());
  if (!m) throw new Error(`no ioc_mqtt_messages_total{verdict="${verdict}"} in /metrics`);
  return Number(m[1]);
}

describe.skipIf(mosquitto === null)('MQTT through an external broker (real Mosquitto)', () => {
  const servers: IocServer[] = [];
  const open: MqttClient[] = [];
  let server: IocServer;
  let devices: Device[];

  const startServer = () =>
    startTestServer({ mqttUrl: mosquitto!.url, mqttPort: null, metricsToken: METRICS_TOKEN }).then((s) => (servers.push(s), s));

  beforeAll(async () => {
    server = await startServer();
    devices = [...server.fusion.devices.values()].filter((d) => d.kind === 'strain-gauge' && d.status === 'active');
  });

  afterAll(async () => {
    for (const c of open) c.end(true);
    for (const s of servers) await s.close();
  });

  const token = (id: string) => deviceToken(DEV_DEVICE_SECRET, id);
  const deviceAt = (i: number): Device => {
    const d = devices[i];
    if (!d) throw new Error(`no strain gauge #${i}`);
    return d;
  };

  /** A device on the external broker: it authenticates to the SERVER with the token in each payload. */
  async function device(id: string, extra: IClientOptions = {}): Promise<MqttClient> {
    const c = await connectAsync(mosquitto!.url, { clientId: `dev-${id}`, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5_000, ...extra });
    open.push(c);
    return c;
  }

  it('runs as a client of the broker, not as a broker', () => {
    expect(server.mqtt).toMatchObject({ mode: 'external', port: null, url: mosquitto!.url });
    expect(server.mqttPort).toBeNull();
  });

  it('fuses a reading that carries its device token', async () => {
    const d = deviceAt(0);
    const c = await device(d.id);
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 111 }, token: token(d.id) }), { qos: 1 });
    await waitUntil(() => server.fusion.deviceStates.get(d.id)?.lastSeq === 1, 5_000, 'the reading to be fused');
    expect(server.fusion.deviceStates.get(d.id)).toMatchObject({ online: true, metrics: { strain: 111 } });
    // a batch with the token once, on its envelope
    const readings = [2, 3].map((seq) => ({ ts: Date.now(), seq, metrics: { strain: 112 } }));
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ token: token(d.id), readings }), { qos: 1 });
    await waitUntil(() => server.fusion.deviceStates.get(d.id)?.lastSeq === 3, 5_000, 'the batch to be fused');
  });

  it('drops and counts a reading with a missing or wrong token, whatever the broker let through', async () => {
    const d = deviceAt(1);
    const c = await device(d.id);
    const before = await mqttCount(server, 'unauthorized');
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 999 } }), { qos: 1 });
    await c.publishAsync(
      telemetryTopic(d.id),
      JSON.stringify({ ts: Date.now(), seq: 2, metrics: { strain: 999 }, token: deviceToken('another-secret-entirely', d.id) }),
      { qos: 1 },
    );
    // a token of another device does not open this one's topic
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 3, metrics: { strain: 999 }, token: token(deviceAt(2).id) }), {
      qos: 1,
    });
    await waitUntil(async () => (await mqttCount(server, 'unauthorized')) === before + 3, 5_000, 'three unauthorized verdicts');
    expect(server.fusion.deviceStates.get(d.id)?.lastSeq ?? 0).toBe(0);
  });

  it('marks a device offline within a second when the broker publishes its last will', async () => {
    const d = deviceAt(3);
    const will = {
      topic: statusTopic(d.id),
      payload: Buffer.from(JSON.stringify({ online: false, token: token(d.id) })),
      qos: 1 as const,
      retain: false,
    };
    const c = await device(d.id, { will });
    await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 100 }, token: token(d.id) }), { qos: 1 });
    await waitUntil(() => server.fusion.deviceStates.get(d.id)?.online === true, 5_000, 'the device to be online');
    const t0 = Date.now();
    c.stream.destroy();
    await waitUntil(() => server.fusion.deviceStates.get(d.id)?.online === false, 1_000, 'the device to go offline');
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('delivers a command to the subscribed device, and hands on its ack only with the right token', async () => {
    const d = deviceAt(4);
    const c = await device(d.id);
    await c.subscribeAsync(commandsTopic(d.id), { qos: 1 });
    const received: DeviceCommandMessage[] = [];
    c.on('message', (topic, payload) => {
      if (topic === commandsTopic(d.id)) received.push(JSON.parse(payload.toString('utf8')) as DeviceCommandMessage);
    });
    const acked = vi.spyOn(server.deviceControl, 'acknowledge').mockImplementation(() => Promise.resolve());
    try {
      const channel = server.mqtt!.commandChannel;
      expect(channel.name).toBe('mqtt');
      expect(channel.reaches(d.id)).toBe(true);
      const now = Date.now();
      const message: DeviceCommandMessage = {
        commandId: 'cmd-ext-1',
        deviceId: d.id,
        name: 'start',
        params: {},
        issuedAt: now,
        expiresAt: now + 10_000,
      };
      expect(await channel.deliver(message)).toBe(true);
      await waitUntil(() => received.length === 1, 5_000, 'the command to reach the device');
      expect(received[0]).toEqual(message);

      const before = await mqttCount(server, 'unauthorized');
      await c.publishAsync(
        commandsAckTopic(d.id),
        JSON.stringify({ commandId: 'cmd-ext-1', status: 'ok', token: deviceToken('another-secret-entirely', d.id) }),
        {
          qos: 1,
        },
      );
      await c.publishAsync(commandsAckTopic(d.id), JSON.stringify({ commandId: 'cmd-ext-1', status: 'ok' }), { qos: 1 });
      await waitUntil(async () => (await mqttCount(server, 'unauthorized')) === before + 2, 5_000, 'two refused acks');
      expect(acked).not.toHaveBeenCalled();

      await c.publishAsync(commandsAckTopic(d.id), JSON.stringify({ commandId: 'cmd-ext-1', status: 'ok', token: token(d.id), ts: now }), { qos: 1 });
      await waitUntil(() => acked.mock.calls.length === 1, 5_000, 'the ack to reach the sink');
      // the token proved the sender; it is not handed on
      expect(acked).toHaveBeenCalledWith(d.id, { commandId: 'cmd-ext-1', status: 'ok', ts: now });
    } finally {
      acked.mockRestore();
    }
  });

  it('a command to a device nobody listens for is not delivered', async () => {
    const now = Date.now();
    const message: DeviceCommandMessage = {
      commandId: 'cmd-ext-2',
      deviceId: deviceAt(5).id,
      name: 'start',
      params: {},
      issuedAt: now,
      expiresAt: now + 10_000,
    };
    expect(await server.mqtt!.commandChannel.deliver(message)).toBe(false);
  });

  it('splits readings between two servers in the same share group, each ingested exactly once', async () => {
    const second = await startServer();
    expect(second.mqtt?.mode).toBe('external');
    const d = deviceAt(6);
    const c = await device(d.id);
    const accepted = () => server.ingest.totals.accepted + second.ingest.totals.accepted;
    const [a0, b0] = [server.ingest.totals.accepted, second.ingest.totals.accepted];
    const total = 60;
    for (let seq = 1; seq <= total; seq++) {
      await c.publishAsync(telemetryTopic(d.id), JSON.stringify({ ts: Date.now(), seq, metrics: { strain: 100 + seq }, token: token(d.id) }), {
        qos: 1,
      });
    }
    await waitUntil(() => accepted() - a0 - b0 >= total, 5_000, `${total} readings to be ingested`);
    const [a, b] = [server.ingest.totals.accepted - a0, second.ingest.totals.accepted - b0];
    expect(a + b).toBe(total);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  });
});

describe.skipIf(mosquitto === null)('external broker: back-pressure (real Mosquitto, gate on fake dependencies)', () => {
  it('does not acknowledge a reading ingest answered E_UNAVAILABLE; the broker delivers it again after the reconnect', async () => {
    const deviceId = 'dev-backpressure';
    const TOKEN = 'b'.repeat(43);
    const answers: IngestResult[] = [
      { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: [{ index: 0, code: 'E_UNAVAILABLE', message: 'store down, deferred queue full' }] },
    ];
    const seen: unknown[] = [];
    const stored: unknown[] = [];
    const gate = new MqttDeviceGate({
      devices: { has: (id) => id === deviceId },
      verifier: { verify: (id, token) => id === deviceId && token === TOKEN },
      ingest: {
        ingest: (raw) => {
          seen.push(raw[0]);
          const answer = answers.shift();
          if (answer) return Promise.resolve(answer);
          stored.push(raw[0]);
          return Promise.resolve({ accepted: 1, duplicates: 0, outOfOrder: 0, rejected: [] });
        },
      },
      guard: { authBlocked: () => null, noteAuthFailure: () => undefined },
      markOffline: () => undefined,
      count: () => undefined,
      log: createLogger('silent'),
      limits: { maxPayloadBytes: 4096, maxDepth: 8, maxReadings: 10, logIntervalMs: 10_000 },
    });
    const client = await startExternalMqtt({
      url: mosquitto!.url,
      shareGroup: 'backpressure',
      clientId: 'ioc-test-backpressure',
      sessionExpiryS: 60,
      reconnectMinMs: 100,
      reconnectMaxMs: 400,
      connectTimeoutMs: 5_000,
      deliverTimeoutMs: 2_000,
      maxPacketBytes: 64 * 1024,
      receiveMaximum: 100,
      gate,
      log: createLogger('silent'),
    });
    const dev = await connectAsync(mosquitto!.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      expect(client.connected()).toBe(true);
      const reading = { ts: Date.now(), seq: 1, metrics: { strain: 1 }, token: TOKEN };
      await dev.publishAsync(telemetryTopic(deviceId), JSON.stringify(reading), { qos: 1 });
      await waitUntil(() => stored.length === 1, 5_000, 'the redelivered reading to be stored');
      // seen twice (refused, then redelivered from the persistent session), stored once
      expect(seen).toHaveLength(2);
      expect(stored[0]).toMatchObject({ deviceId, seq: 1 });
    } finally {
      dev.end(true);
      await client.close();
    }
  });
});

describe.skipIf(mosquitto === null)('external broker: pipelined acknowledgements (real Mosquitto, gate on fake dependencies)', () => {
  it('hands several messages to ingest at once, and acknowledges each only after ingest answered', async () => {
    const deviceId = 'pipe-1';
    const TOKEN = 'pipe-token';
    const waiting: (() => void)[] = [];
    const seen: number[] = [];
    // a closed client closes its gate: each start gets a fresh one
    const newGate = () =>
      new MqttDeviceGate({
        devices: { has: (id) => id === deviceId },
        verifier: { verify: (id, token) => id === deviceId && token === TOKEN },
        ingest: {
          ingest: (raw) =>
            new Promise((resolve) => {
              seen.push((raw[0] as { seq: number }).seq);
              waiting.push(() => resolve({ rejected: [] }));
            }),
        },
        guard: { authBlocked: () => null, noteAuthFailure: () => undefined },
        markOffline: () => undefined,
        count: () => undefined,
        log: createLogger('silent'),
        limits: { maxPayloadBytes: 4096, maxDepth: 8, maxReadings: 10, logIntervalMs: 10_000 },
      });
    const options = () => ({
      url: mosquitto!.url,
      shareGroup: 'pipelined',
      clientId: 'ioc-test-pipelined',
      sessionExpiryS: 60,
      reconnectMinMs: 100,
      reconnectMaxMs: 400,
      connectTimeoutMs: 5_000,
      deliverTimeoutMs: 2_000,
      maxPacketBytes: 64 * 1024,
      receiveMaximum: 100,
      gate: newGate(),
      log: createLogger('silent'),
    });
    let client = await startExternalMqtt(options());
    const dev = await connectAsync(mosquitto!.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      for (let seq = 1; seq <= 5; seq++)
        await dev.publishAsync(telemetryTopic(deviceId), JSON.stringify({ ts: Date.now(), seq, metrics: { strain: seq }, token: TOKEN }), { qos: 1 });
      // all five reach ingest while none has been answered: one in flight at a time would stop at 1
      await waitUntil(() => seen.length === 5, 5_000, 'five messages in ingest at once');
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      // answered last to first: the PUBACKs still leave (in order) only now
      for (const answer of waiting.splice(0).reverse()) answer();
      // a graceful close sends the held PUBACKs, then keeps the session: an unacknowledged message would come back
      await client.close();
      seen.length = 0;
      client = await startExternalMqtt(options());
      await dev.publishAsync(telemetryTopic(deviceId), JSON.stringify({ ts: Date.now(), seq: 6, metrics: { strain: 6 }, token: TOKEN }), { qos: 1 });
      await waitUntil(() => seen.includes(6), 5_000, 'the next message after the reconnect');
      for (const answer of waiting.splice(0)) answer();
      expect(seen).toEqual([6]);
    } finally {
      dev.end(true);
      await client.close();
    }
  });
});

describe.skipIf(mosquitto === null)('external broker: unreachable at start', () => {
  it('starts the server anyway, and reads devices once the broker answers', async () => {
    const port = await freePort();
    const server = await startTestServer({ mqttUrl: `mqtt://127.0.0.1:${port}`, mqttPort: null, mqttReconnectMinMs: 100, mqttReconnectMaxMs: 200 });
    let late: TestMosquitto | null = null;
    const clients: MqttClient[] = [];
    try {
      expect(server.mqtt?.mode).toBe('external');
      expect(server.mqtt!.commandChannel.reaches('any')).toBe(false);
      expect((await fetch(`${server.url}/healthz`)).ok).toBe(true);
      late = await startMosquitto({ port });
      await waitUntil(() => server.mqtt!.commandChannel.reaches('any'), 5_000, 'the server to connect to the late broker');
      const d = [...server.fusion.devices.values()].find((x) => x.kind === 'strain-gauge' && x.status === 'active')!;
      const c = await connectAsync(late!.url, { protocolVersion: 5, reconnectPeriod: 0 });
      clients.push(c);
      const body = JSON.stringify({ ts: Date.now(), seq: 1, metrics: { strain: 100 }, token: deviceToken(DEV_DEVICE_SECRET, d.id) });
      await c.publishAsync(telemetryTopic(d.id), body, { qos: 1 });
      await waitUntil(() => server.fusion.deviceStates.get(d.id)?.lastSeq === 1, 5_000, 'the reading to be fused');
    } finally {
      for (const c of clients) c.end(true);
      await server.close();
      await late?.stop();
    }
  });
});
