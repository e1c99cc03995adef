import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { DEV_DEVICE_SECRET } from '../server/device-token';
import type { IngestResult, SignedReading } from '../scenes/protocol';
import { resolveCliConfig } from './cli-config';
import { MqttGateway, statusTopic, telemetryTopic, type MqttGatewayOptions } from './mqtt-gateway';
import type { SignedReadingWithoutToken } from './simulator';
import { openTransport } from './transport-choice';

interface SeenPublish {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  clientId: string | undefined;
}

/** A tiny broker: authenticates username = device id / password = its token, records every device publish. */
async function startBroker(tokens: ReadonlyMap<string, string>) {
  const broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      if (username !== undefined && tokens.get(username) === password?.toString()) return done(null, true);
      const err = new Error('bad username or password') as AuthenticateError;
      err.returnCode = 4;
      done(err, null);
    },
  });
  const published: SeenPublish[] = [];
  const authAttempts: string[] = [];
  const connected = new Map<string, Client>();
  const clientIds: string[] = [];
  broker.on('publish', (packet, client) => {
    if (packet.topic.startsWith('$SYS')) return;
    published.push({ topic: packet.topic, payload: packet.payload.toString(), qos: packet.qos, retain: packet.retain, clientId: client?.id });
  });
  broker.on('connackSent', (_packet, client) => authAttempts.push(client.id));
  broker.on('clientReady', (client) => {
    connected.set(client.id, client);
    clientIds.push(client.id);
  });
  broker.on('clientDisconnect', (client) => {
    if (connected.get(client.id) === client) connected.delete(client.id);
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  };
  return { broker, url, published, authAttempts, connected, clientIds, close };
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function readingsOf(ids: readonly string[], perDevice: number, fromTs = 1_000): SignedReadingWithoutToken[] {
  const out: SignedReadingWithoutToken[] = [];
  for (let i = 0; i < perDevice; i++)
    for (const deviceId of ids) out.push({ deviceId, ts: fromTs + i, seq: (fromTs + i) * 1000, metrics: { level_m: i } });
  return out;
}

const TOKENS = new Map([
  ['dev-a', 'token-of-dev-a-0123456789'],
  ['dev-b', 'token-of-dev-b-0123456789'],
  ['dev-c', 'token-of-dev-c-0123456789'],
]);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function gateway(opts: Partial<MqttGatewayOptions> & { url: string }, lines: string[] = []): MqttGateway {
  const g = new MqttGateway({
    statusIntervalMs: 0,
    reconnectBaseMs: 50,
    reconnectMaxMs: 200,
    stopGraceMs: 5_000,
    log: (l) => lines.push(l),
    ...opts,
  });
  cleanups.push(() => g.stop());
  return g;
}

describe('MqttGateway', () => {
  it('connects each device on its own connection with its id and token, and publishes its readings with QoS 1 to its telemetry topic', async () => {
    const b = await startBroker(TOKENS);
    cleanups.push(b.close);
    const g = gateway({ url: b.url });
    g.setTokens(TOKENS);
    g.start();
    g.enqueue(readingsOf([...TOKENS.keys()], 4));
    await until('12 readings PUBACKed', () => g.stats().accepted === 12);

    expect(new Set(b.clientIds)).toEqual(new Set(['ioc-sim-dev-a', 'ioc-sim-dev-b', 'ioc-sim-dev-c']));
    expect(g.stats()).toMatchObject({ sent: 12, accepted: 12, rejected: 0, dropped: 0, pendingReadings: 0, devices: 3, connected: 3 });
    for (const [id] of TOKENS) {
      const telemetry = b.published.filter((p) => p.topic === telemetryTopic(id));
      expect(telemetry).toHaveLength(4);
      for (const p of telemetry) {
        expect(p).toMatchObject({ qos: 1, retain: false, clientId: `ioc-sim-${id}` });
        const body = JSON.parse(p.payload) as Record<string, unknown>;
        expect(body).toMatchObject({ deviceId: id, metrics: { level_m: expect.any(Number) } });
        expect(body.token).toBeUndefined();
      }
      // in order per device
      const seqs = telemetry.map((p) => (JSON.parse(p.payload) as { seq: number }).seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      const status = b.published.filter((p) => p.topic === statusTopic(id));
      expect(status[0]).toMatchObject({ payload: '{"online":true}', qos: 1, retain: false });
    }
  });

  it('never has more than maxConnecting first CONNECTs awaiting their CONNACK (a slow server is not flooded past its per-address cap)', async () => {
    const many = new Map<string, string>(Array.from({ length: 12 }, (_, i) => [`dev-${i}`, `token-of-dev-${i}-0123456789`]));
    const held: (() => void)[] = [];
    let pendingMax = 0;
    const broker = await Aedes.createBroker({
      // the broker answers CONNECT only when the test says so
      authenticate: (_c, u, p, done) => {
        held.push(() => done(null, many.get(u ?? '') === p?.toString()));
        pendingMax = Math.max(pendingMax, held.length);
      },
    });
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    });
    const g = gateway({ url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, connectRatePerS: 10_000, maxConnecting: 3 });
    g.setTokens(many);
    g.start();
    await until('3 CONNECTs held', () => held.length === 3);
    // a few ramp ticks later, still 3: the ramp waits for CONNACKs
    await new Promise((r) => setTimeout(r, 200));
    expect(held).toHaveLength(3);
    while (g.stats().connected < 12) {
      held.splice(0).forEach((answer) => answer());
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(pendingMax).toBe(3);
    expect(g.stats()).toMatchObject({ connected: 12 });
  });

  it('carries the token in the payload when asked to (an external broker does not authenticate devices for the server)', async () => {
    const b = await startBroker(TOKENS);
    cleanups.push(b.close);
    const g = gateway({ url: b.url, tokenInPayload: true });
    g.setTokens(new Map([['dev-a', TOKENS.get('dev-a')!]]));
    g.start();
    g.enqueue(readingsOf(['dev-a'], 1));
    await until('PUBACKed', () => g.stats().accepted === 1);
    const p = b.published.find((x) => x.topic === telemetryTopic('dev-a'))!;
    expect((JSON.parse(p.payload) as SignedReading).token).toBe(TOKENS.get('dev-a'));
  });

  it('reports a device whose CONNECT is refused as E_UNAUTHORIZED and does not retry it with the same token', async () => {
    const b = await startBroker(TOKENS);
    cleanups.push(b.close);
    const refused: [string, string][] = [];
    const lines: string[] = [];
    const g = gateway({ url: b.url, onRejected: (id, code) => refused.push([id, code]) }, lines);
    g.setTokens(new Map([...TOKENS, ['dev-x', 'a-stale-token-0123456789']]));
    g.start();
    await until('the stale device refused', () => refused.length > 0);
    expect(refused).toEqual([['dev-x', 'E_UNAUTHORIZED']]);
    g.enqueue(readingsOf(['dev-a', 'dev-x'], 2));
    await until('dev-a delivered, the others connected', () => g.stats().accepted === 2 && g.stats().connected === 3);
    expect(g.stats()).toMatchObject({ rejected: 2, connected: 3 });
    expect(b.authAttempts.filter((id) => id === 'ioc-sim-dev-x')).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/refused the CONNECT of dev-x/);
    // once forgotten, its readings are not sent at all (as over HTTP)
    g.forgetToken('dev-x');
    g.enqueue(readingsOf(['dev-x'], 1, 5_000));
    expect(g.stats().withoutToken).toBe(1);
  });

  it('leaves a last will: a device connection destroyed makes the broker publish {"online":false}, and the device reconnects', async () => {
    const b = await startBroker(TOKENS);
    cleanups.push(b.close);
    const g = gateway({ url: b.url });
    g.setTokens(new Map([['dev-a', TOKENS.get('dev-a')!]]));
    g.start();
    await until('dev-a connected', () => g.stats().connected === 1 && b.connected.has('ioc-sim-dev-a'));
    const before = b.clientIds.length;
    b.connected.get('ioc-sim-dev-a')!.conn.destroy();
    await until('the will is published', () => b.published.some((p) => p.topic === statusTopic('dev-a') && p.payload === '{"online":false}'));
    const will = b.published.find((p) => p.topic === statusTopic('dev-a') && p.payload === '{"online":false}')!;
    expect(will).toMatchObject({ qos: 1, retain: false });
    const onlines = () => b.published.filter((p) => p.topic === statusTopic('dev-a') && p.payload === '{"online":true}').length;
    await until('dev-a back and online again', () => b.clientIds.length > before && g.stats().connected === 1 && onlines() === 2);
    expect(g.stats().failedAttempts).toBeGreaterThanOrEqual(1);
  });

  it('sends the will when the simulator drops a device (token forgotten), and says goodbye on a clean stop', async () => {
    const b = await startBroker(TOKENS);
    cleanups.push(b.close);
    const lines: string[] = [];
    const g = gateway({ url: b.url }, lines);
    g.setTokens(TOKENS);
    g.start();
    await until('all connected', () => g.stats().connected === 3);
    g.forgetToken('dev-b');
    await until('dev-b will', () => b.published.some((p) => p.topic === statusTopic('dev-b') && p.payload === '{"online":false}'));
    await g.stop();
    for (const id of ['dev-a', 'dev-c'])
      expect(b.published.filter((p) => p.topic === statusTopic(id)).map((p) => p.payload)).toEqual(['{"online":true}', '{"online":false}']);
    await until('all disconnected', () => b.connected.size === 0);
    // closing on purpose is neither a failure nor a lost connection
    expect(g.stats().failedAttempts).toBe(0);
    expect(lines.join('\n')).not.toMatch(/lost/);
  });

  it('keeps readings queued while the broker is away and delivers them once it is back; the queue per device is bounded', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const g = gateway({ url: `mqtt://127.0.0.1:${port}`, maxPendingPerDevice: 5, reconnectBaseMs: 50, reconnectMaxMs: 100 }, lines);
    g.setTokens(new Map([['dev-a', TOKENS.get('dev-a')!]]));
    g.start();
    g.enqueue(readingsOf(['dev-a'], 8));
    expect(g.stats()).toMatchObject({ pendingReadings: 5, dropped: 3, sent: 0 });
    await until('a failed connect', () => g.stats().failedAttempts > 0);
    expect(lines.join('\n')).toMatch(/ECONNREFUSED/);

    // the broker comes up on that port
    const broker = await Aedes.createBroker({ authenticate: (_c, u, p, done) => done(null, TOKENS.get(u ?? '') === p?.toString()) });
    const seen: string[] = [];
    broker.on('publish', (packet) => {
      if (packet.topic === telemetryTopic('dev-a')) seen.push(packet.payload.toString());
    });
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    cleanups.push(async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      server.close();
    });
    await until('the 5 kept readings delivered', () => g.stats().accepted === 5);
    expect(seen.map((p) => (JSON.parse(p) as { ts: number }).ts)).toEqual([1003, 1004, 1005, 1006, 1007]);
  });

  it('publishes a reading again after a reconnect when its PUBACK never came (same seq: a duplicate the server drops)', async () => {
    const broker = await Aedes.createBroker({
      authenticate: (_c, u, p, done) => done(null, TOKENS.get(u ?? '') === p?.toString()),
    });
    const attempts: number[] = [];
    broker.authorizePublish = (client, packet, callback) => {
      if (packet.topic !== telemetryTopic('dev-a')) return callback(null);
      attempts.push((JSON.parse(packet.payload.toString()) as { seq: number }).seq);
      // the first time: the connection dies before the broker acknowledges
      if (attempts.length === 1) return void client?.conn.destroy();
      callback(null);
    };
    const tcp = createServer(broker.handle);
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      tcp.close();
    });
    const g = gateway({ url: `mqtt://127.0.0.1:${(tcp.address() as AddressInfo).port}` });
    g.setTokens(new Map([['dev-a', TOKENS.get('dev-a')!]]));
    g.start();
    g.enqueue(readingsOf(['dev-a'], 1));
    await until('PUBACKed after the reconnect', () => g.stats().accepted === 1);
    expect(attempts).toEqual([1_000_000, 1_000_000]);
    expect(g.stats()).toMatchObject({ sent: 1, accepted: 1, dropped: 0 });
  });

  it('reconnects a device with its new token when the registry rotates it', async () => {
    const tokens = new Map(TOKENS);
    const b = await startBroker(tokens);
    cleanups.push(b.close);
    const g = gateway({ url: b.url });
    g.setTokens(new Map([['dev-a', TOKENS.get('dev-a')!]]));
    g.start();
    await until('connected', () => g.stats().connected === 1);
    tokens.set('dev-a', 'rotated-token-of-dev-a-0123');
    g.setTokens(new Map([['dev-a', 'rotated-token-of-dev-a-0123']]));
    g.enqueue(readingsOf(['dev-a'], 1));
    await until('delivered on the new connection', () => g.stats().accepted === 1);
    expect(b.clientIds.filter((id) => id === 'ioc-sim-dev-a')).toHaveLength(2);
  });
});

describe('choosing the protocol', () => {
  function fakeIngest() {
    const bodies: { readings: SignedReading[] }[] = [];
    const fetchImpl = (async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body)) as { readings: SignedReading[] };
      bodies.push(body);
      const result: IngestResult = { accepted: body.readings.length, duplicates: 0, outOfOrder: 0, rejected: [] };
      return new Response(JSON.stringify(result), { status: 200 });
    }) as typeof fetch;
    return { fetchImpl, bodies };
  }

  it('auto: speaks MQTT when the broker accepts a device', async () => {
    const b = await startBroker(TOKENS);
    cleanups.push(b.close);
    const http = fakeIngest();
    const lines: string[] = [];
    const { transport, protocol } = await openTransport({
      protocol: 'auto',
      serverUrl: 'http://127.0.0.1:9',
      mqttUrl: b.url,
      tokens: TOKENS,
      log: (l) => lines.push(l),
      onRejected: () => {},
      fetchImpl: http.fetchImpl,
      mqtt: { statusIntervalMs: 0 },
    });
    cleanups.push(() => transport.stop());
    expect(protocol).toBe('mqtt');
    transport.enqueue(readingsOf(['dev-a'], 2));
    await until('PUBACKed', () => transport.stats().accepted === 2);
    expect(http.bodies).toHaveLength(0);
  });

  it('auto: falls back to HTTP with a loud line saying why when nothing listens at the broker URL', async () => {
    const port = await freePort();
    const http = fakeIngest();
    const lines: string[] = [];
    const { transport, protocol } = await openTransport({
      protocol: 'auto',
      serverUrl: 'http://127.0.0.1:9',
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      tokens: TOKENS,
      log: (l) => lines.push(l),
      onRejected: () => {},
      fetchImpl: http.fetchImpl,
      probeMs: 500,
    });
    cleanups.push(() => transport.stop());
    expect(protocol).toBe('http');
    expect(lines.join('\n')).toMatch(new RegExp(`FALLING BACK TO HTTP.*127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    transport.enqueue(readingsOf(['dev-a'], 2));
    await until('POSTed', () => http.bodies.length === 1);
    expect(http.bodies[0].readings.map((r) => r.token)).toEqual([TOKENS.get('dev-a'), TOKENS.get('dev-a')]);
  });

  it('auto: waits out the probe time for a broker that starts listening a moment after the server answers', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const opening = openTransport({
      protocol: 'auto',
      serverUrl: 'http://127.0.0.1:9',
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      tokens: TOKENS,
      log: (l) => lines.push(l),
      onRejected: () => {},
      fetchImpl: fakeIngest().fetchImpl,
      probeMs: 5_000,
      mqtt: { statusIntervalMs: 0, reconnectBaseMs: 100, reconnectMaxMs: 200 },
    });
    await until('a refused connect', () => lines.some((l) => /ECONNREFUSED/.test(l)));
    const broker = await Aedes.createBroker();
    const tcp = createServer(broker.handle);
    await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', r));
    cleanups.push(async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      tcp.close();
    });
    const { transport, protocol } = await opening;
    cleanups.push(() => transport.stop());
    expect(protocol).toBe('mqtt');
  });

  it('auto: falls back to HTTP when the broker accepts no device within the probe time', async () => {
    // a listener that never answers CONNECT
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    silent.on('connection', (s) => cleanups.push(() => void s.destroy()));
    const lines: string[] = [];
    const { transport, protocol } = await openTransport({
      protocol: 'auto',
      serverUrl: 'http://127.0.0.1:9',
      mqttUrl: `mqtt://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      tokens: TOKENS,
      log: (l) => lines.push(l),
      onRejected: () => {},
      fetchImpl: fakeIngest().fetchImpl,
      probeMs: 300,
    });
    cleanups.push(() => transport.stop());
    expect(protocol).toBe('http');
    expect(lines.join('\n')).toMatch(/FALLING BACK TO HTTP.*no CONNACK/);
  });

  it('mqtt: insists on MQTT even when the broker is not up yet', async () => {
    const port = await freePort();
    const { transport, protocol } = await openTransport({
      protocol: 'mqtt',
      serverUrl: 'http://127.0.0.1:9',
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      tokens: TOKENS,
      log: () => {},
      onRejected: () => {},
      mqtt: { statusIntervalMs: 0 },
    });
    cleanups.push(() => transport.stop());
    expect(protocol).toBe('mqtt');
  });

  it('reads --protocol / IOC_SIM_PROTOCOL and --mqtt-url / IOC_MQTT_URL_SIM, defaulting to auto on the server host at IOC_MQTT_PORT or 1884', () => {
    const env = { NODE_ENV: 'test' };
    const cfg = (flags: Parameters<typeof resolveCliConfig>[0], e: NodeJS.ProcessEnv = env) => {
      const r = resolveCliConfig(flags, e);
      if (!r.ok) throw new Error(r.error.message);
      return r.config;
    };
    expect(cfg({ server: 'http://10.0.0.5:8080' })).toMatchObject({ protocol: 'auto', mqttUrl: 'mqtt://10.0.0.5:1884', mqttTokenInPayload: false });
    expect(cfg({}, { ...env, IOC_MQTT_PORT: '2883' }).mqttUrl).toBe('mqtt://127.0.0.1:2883');
    expect(cfg({}, { ...env, IOC_SIM_PROTOCOL: 'http', IOC_MQTT_URL_SIM: 'mqtt://broker:1883' })).toMatchObject({
      protocol: 'http',
      mqttUrl: 'mqtt://broker:1883',
    });
    expect(
      cfg({ protocol: 'mqtt', 'mqtt-url': 'mqtts://b:8883', 'mqtt-token-in-payload': true }, { ...env, IOC_SIM_PROTOCOL: 'http' }),
    ).toMatchObject({
      protocol: 'mqtt',
      mqttUrl: 'mqtts://b:8883',
      mqttTokenInPayload: true,
    });
    // IOC_MQTT_PORT=0 turns the server's broker off: auto speaks HTTP, mqtt needs a URL
    expect(cfg({}, { ...env, IOC_MQTT_PORT: '0' }).protocol).toBe('http');
    expect(cfg({ 'mqtt-url': 'mqtt://b:1883' }, { ...env, IOC_MQTT_PORT: '0' }).protocol).toBe('auto');
    const off = resolveCliConfig({ protocol: 'mqtt' }, { ...env, IOC_MQTT_PORT: '0' });
    expect(off.ok ? '' : off.error.message).toMatch(/--mqtt-url/);
    const bad = resolveCliConfig({ protocol: 'coap' }, env);
    expect(bad.ok ? '' : bad.error.code).toBe('E_VALIDATION');
    const badUrl = resolveCliConfig({ 'mqtt-url': 'http://x' }, env);
    expect(badUrl.ok ? '' : badUrl.error.message).toMatch(/mqtt\(s\):\/\//);
  });
});

// readings of the demo fleet signed with the demo secret also work without setTokens (standalone use)
describe('MqttGateway with the demo secret', () => {
  it('derives a device token from the demo secret for devices not named by setTokens', async () => {
    const { deviceToken } = await import('../server/device-token');
    const tokens = new Map([['dev-d', deviceToken(DEV_DEVICE_SECRET, 'dev-d')]]);
    const b = await startBroker(tokens);
    cleanups.push(b.close);
    const g = gateway({ url: b.url, deviceSecret: DEV_DEVICE_SECRET });
    g.start();
    g.enqueue(readingsOf(['dev-d'], 2));
    await until('PUBACKed', () => g.stats().accepted === 2);
  });
});
