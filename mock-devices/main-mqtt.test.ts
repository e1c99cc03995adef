/**
 * The simulator's run loop over MQTT: devices read from a real (in-process) server's registry, each
 * connected to a broker on its own connection with its registry token, readings published there.
 * The broker is a tiny aedes in the test, checking the demo tokens itself (the server's embedded
 * broker is tested on the server side).
 */
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes, type AuthenticateError } from 'aedes';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFleet } from '../scenes/fleet';
import type { IocServer } from '../server/app';
import { deviceToken, DEV_DEVICE_SECRET } from '../server/device-token';
import { startTestServer } from '../server/test/helpers';
import { resolveCliConfig } from './cli-config';
import { runFleet } from './main';
import { commandsAckTopic, commandsTopic, telemetryTopic } from './mqtt-gateway';

// 40 devices of seed 5 include a pump station and a door sensor (the remote-control test)
const FLEET = generateFleet({ count: 40, seed: 5 });

let dir: string;
let server: IocServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-sim-mqtt-'));
  server = await startTestServer({}, { devices: FLEET });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

it("runs the fleet over MQTT: one connection per registry device with its token, readings on the device's telemetry topic", async () => {
  const broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      if (username && password?.toString() === deviceToken(DEV_DEVICE_SECRET, username)) return done(null, true);
      const err = new Error('bad username or password') as AuthenticateError;
      err.returnCode = 4;
      done(err, null);
    },
  });
  const telemetryBy = new Map<string, number>();
  const clientIds = new Set<string>();
  broker.on('clientReady', (c) => clientIds.add(c.id));
  broker.on('publish', (packet, client) => {
    const m = /^ioc\/v1\/([^/]+)\/telemetry$/.exec(packet.topic);
    if (m && client?.id === `ioc-sim-${m[1]}`) telemetryBy.set(m[1], (telemetryBy.get(m[1]) ?? 0) + 1);
  });
  const tcp = createServer(broker.handle);
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const mqttUrl = `mqtt://127.0.0.1:${(tcp.address() as AddressInfo).port}`;

  const cfg = resolveCliConfig(
    { server: server.url, rate: '50', 'control-port': '0', protocol: 'mqtt', 'mqtt-url': mqttUrl },
    { NODE_ENV: 'test', IOC_SIM_TOKENS_FILE: join(dir, 'tokens.json') },
  );
  if (!cfg.ok) throw new Error(cfg.error.message);
  const logs: string[] = [];
  const abort = new AbortController();
  const running = runFleet(cfg.config, { handlers: false, signal: abort.signal, log: (l) => logs.push(l) });
  try {
    const deadline = Date.now() + 20_000;
    while (FLEET.some((d) => !telemetryBy.has(d.id))) {
      if (Date.now() > deadline) throw new Error(`not every device published; logs:\n${logs.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    abort.abort();
    await running;
    await new Promise<void>((r) => broker.close(() => r()));
    tcp.close();
  }
  expect(clientIds).toEqual(new Set(FLEET.map((d) => `ioc-sim-${d.id}`)));
  expect(telemetryTopic(FLEET[0].id)).toBe(`ioc/v1/${FLEET[0].id}/telemetry`);
  expect(logs.join('\n')).toMatch(/speaking MQTT to mqtt:\/\/127\.0\.0\.1/);
  expect(logs.at(-1)).toMatch(/stopped: \[devices\] mqtt .*accepted [1-9]/);
});

it('obeys commands over MQTT: a pump starts (a fresh reading with running = 1, then the ack), a door releases; over HTTP it says commands cannot reach', async () => {
  const pump = FLEET.find((d) => d.kind === 'pump-station')!;
  const door = FLEET.find((d) => d.kind === 'door-sensor')!;
  const broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => done(null, !!username && password?.toString() === deviceToken(DEV_DEVICE_SECRET, username)),
  });
  const seen: { topic: string; body: Record<string, unknown> }[] = [];
  const subscribed = new Set<string>();
  broker.on('subscribe', (subs) => subs.forEach((s) => subscribed.add(s.topic)));
  broker.on('publish', (packet) => {
    if (/^ioc\/v1\/[^/]+\/(telemetry|commands\/ack)$/.test(packet.topic))
      seen.push({ topic: packet.topic, body: JSON.parse(packet.payload.toString()) as Record<string, unknown> });
  });
  const tcp = createServer(broker.handle);
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const mqttUrl = `mqtt://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
  const cfg = resolveCliConfig(
    { server: server.url, rate: '1', 'control-port': '0', protocol: 'mqtt', 'mqtt-url': mqttUrl },
    { NODE_ENV: 'test', IOC_SIM_TOKENS_FILE: join(dir, 'tokens.json') },
  );
  if (!cfg.ok) throw new Error(cfg.error.message);
  const logs: string[] = [];
  const abort = new AbortController();
  const running = runFleet(cfg.config, { handlers: false, signal: abort.signal, log: (l) => logs.push(l) });
  const until = async (what: string, cond: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs:\n${logs.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const send = (deviceId: string, commandId: string, name: string) =>
    new Promise<void>((resolve) => {
      const now = Date.now();
      const body = { commandId, deviceId, name, params: {}, issuedAt: now, expiresAt: now + 10_000 };
      broker.publish(
        { cmd: 'publish', topic: commandsTopic(deviceId), payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: false, dup: false },
        () => resolve(),
      );
    });
  try {
    await until('pump and door subscribed', () => subscribed.has(commandsTopic(pump.id)) && subscribed.has(commandsTopic(door.id)));
    await send(pump.id, 'c-pump', 'start');
    await send(door.id, 'c-door', 'release');
    await until('both acked', () => seen.filter((s) => s.topic.endsWith('/ack')).length === 2);
    const ofPump = seen.filter((s) => s.topic === telemetryTopic(pump.id) || s.topic === commandsAckTopic(pump.id));
    // the reading with the effect comes before the ack
    expect(ofPump.at(-1)).toMatchObject({ topic: commandsAckTopic(pump.id), body: { commandId: 'c-pump', status: 'ok' } });
    expect(ofPump.at(-2)).toMatchObject({ topic: telemetryTopic(pump.id), body: { metrics: { running: 1 } } });
    expect(seen.find((s) => s.topic === commandsAckTopic(door.id))).toMatchObject({ body: { commandId: 'c-door', status: 'ok' } });
    expect(seen.filter((s) => s.topic === telemetryTopic(door.id)).at(-1)).toMatchObject({ body: { metrics: { released: 1 } } });
    expect(logs.join('\n')).toMatch(new RegExp(`${pump.id}: command start \\(c-pump\\) obeyed`));
  } finally {
    abort.abort();
    await running;
    await new Promise<void>((r) => broker.close(() => r()));
    tcp.close();
  }

  // over HTTP the simulator says once that commands cannot reach its devices
  const http = resolveCliConfig(
    { server: server.url, rate: '1', 'control-port': '0', protocol: 'http' },
    { NODE_ENV: 'test', IOC_SIM_TOKENS_FILE: join(dir, 'tokens.json') },
  );
  if (!http.ok) throw new Error(http.error.message);
  const httpLogs: string[] = [];
  const stop = new AbortController();
  const httpRun = runFleet(http.config, { handlers: false, signal: stop.signal, log: (l) => httpLogs.push(l) });
  const deadline = Date.now() + 20_000;
  while (!httpLogs.some((l) => /cannot send commands/.test(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await httpRun;
  expect(httpLogs.filter((l) => /over HTTP the server cannot send commands/.test(l))).toHaveLength(1);
});
