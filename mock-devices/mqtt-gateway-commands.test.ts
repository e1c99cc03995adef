/**
 * The simulator's MqttGateway receiving commands (issue 13, remote control): a tiny in-process
 * aedes broker plays the server — it publishes DeviceCommandMessages on a device's command topic
 * and records what the devices publish (acks, readings, status).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceCommandMessage } from '../scenes/device-commands';
import type { Reading } from '../scenes/domain';
import type { CommandHandler } from './command-inbox';
import { MqttGateway, commandsAckTopic, commandsTopic, statusTopic, telemetryTopic, type MqttGatewayOptions } from './mqtt-gateway';

const TOKENS = new Map([
  ['pump-1', 'token-of-pump-1-0123456789'],
  ['door-1', 'token-of-door-1-0123456789'],
]);

interface Seen {
  topic: string;
  payload: string;
  qos: number;
  clientId: string | undefined;
}

async function startBroker() {
  const broker = await Aedes.createBroker({
    authenticate: (_c, username, password, done) => {
      if (username !== undefined && TOKENS.get(username) === password?.toString()) return done(null, true);
      const err = new Error('bad username or password') as AuthenticateError;
      err.returnCode = 4;
      done(err, null);
    },
  });
  const published: Seen[] = [];
  const subscriptions: { clientId: string; topic: string; qos: number }[] = [];
  const connected = new Map<string, Client>();
  broker.on('publish', (p, client) => {
    if (!p.topic.startsWith('$SYS')) published.push({ topic: p.topic, payload: p.payload.toString(), qos: p.qos, clientId: client?.id });
  });
  broker.on('subscribe', (subs, client) => {
    for (const s of subs) subscriptions.push({ clientId: client.id, topic: s.topic, qos: s.qos });
  });
  broker.on('clientReady', (c) => connected.set(c.id, c));
  broker.on('clientDisconnect', (c) => {
    if (connected.get(c.id) === c) connected.delete(c.id);
  });
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  /** the server's side: a command down to a device, QoS 1 */
  const send = (deviceId: string, body: unknown) =>
    new Promise<void>((resolve, reject) =>
      broker.publish(
        {
          cmd: 'publish',
          topic: commandsTopic(deviceId),
          payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
          qos: 1,
          retain: false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  const acks = (deviceId: string): Record<string, unknown>[] =>
    published
      .filter((p) => p.topic === commandsAckTopic(deviceId))
      .map((p) => ({ ...(JSON.parse(p.payload) as Record<string, unknown>), qos: p.qos }));
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => tcp.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  };
  return { url: `mqtt://127.0.0.1:${(tcp.address() as AddressInfo).port}`, published, subscriptions, connected, send, acks, close };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function gateway(opts: Partial<MqttGatewayOptions> & { url: string }, lines: string[] = []): MqttGateway {
  const g = new MqttGateway({ statusIntervalMs: 0, reconnectBaseMs: 50, reconnectMaxMs: 200, log: (l) => lines.push(l), ...opts });
  cleanups.push(() => g.stop());
  return g;
}

function command(deviceId: string, commandId: string, over: Partial<DeviceCommandMessage> = {}): DeviceCommandMessage {
  const now = Date.now();
  return { commandId, deviceId, name: 'start', params: {}, issuedAt: now, expiresAt: now + 10_000, ...over };
}

/** A started gateway for pump-1 whose handler records the commands and answers with a reading. */
async function pumpGateway(extra: Partial<MqttGatewayOptions> = {}, lines: string[] = []) {
  const b = await startBroker();
  cleanups.push(b.close);
  const obeyed: DeviceCommandMessage[] = [];
  let seq = 1;
  const onCommand: CommandHandler = (deviceId, message) => {
    obeyed.push(message);
    const reading: Reading = { deviceId, ts: Date.now(), seq: seq++, metrics: { running: 1, flow: 9000 } };
    return { status: 'ok', readings: [reading] };
  };
  const g = gateway({ url: b.url, onCommand, ...extra }, lines);
  g.setTokens(new Map([['pump-1', TOKENS.get('pump-1')!]]));
  g.start();
  await until('subscribed to its commands', () => b.subscriptions.some((s) => s.clientId === 'ioc-sim-pump-1'));
  return { b, g, obeyed };
}

describe('MqttGateway commands', () => {
  it('subscribes with QoS 1 to its own command topic after each CONNACK (again after a reconnect)', async () => {
    const { b, g } = await pumpGateway();
    expect(b.subscriptions).toEqual([{ clientId: 'ioc-sim-pump-1', topic: commandsTopic('pump-1'), qos: 1 }]);
    b.connected.get('ioc-sim-pump-1')!.conn.destroy();
    await until('subscribed again', () => b.subscriptions.length === 2 && g.stats().connected === 1);
    expect(b.subscriptions[1]).toEqual({ clientId: 'ioc-sim-pump-1', topic: commandsTopic('pump-1'), qos: 1 });
  });

  it('obeys a command: the reading showing its effect goes out first, then the ack with QoS 1', async () => {
    const { b, g, obeyed } = await pumpGateway();
    const msg = command('pump-1', 'cmd-1');
    await b.send('pump-1', msg);
    await until('acked', () => b.acks('pump-1').length === 1);
    expect(obeyed).toEqual([msg]);
    const [ack] = b.acks('pump-1');
    expect(ack).toMatchObject({ commandId: 'cmd-1', status: 'ok', qos: 1 });
    expect(ack.ts).toEqual(expect.any(Number));
    expect(ack).not.toHaveProperty('token');
    expect(ack).not.toHaveProperty('message');
    const mine = b.published.filter((p) => p.clientId === 'ioc-sim-pump-1' && p.topic !== statusTopic('pump-1'));
    expect(mine.map((p) => p.topic)).toEqual([telemetryTopic('pump-1'), commandsAckTopic('pump-1')]);
    expect(JSON.parse(mine[0].payload)).toMatchObject({ metrics: { running: 1 } });
    expect(g.stats().commands).toEqual({ received: 1, obeyed: 1, failed: 0, repeated: 0, invalid: 0 });
  });

  it('answers a repeated command id with the same ack and does not act on it twice', async () => {
    const { b, g, obeyed } = await pumpGateway();
    const msg = command('pump-1', 'cmd-dup');
    await b.send('pump-1', msg);
    await b.send('pump-1', msg);
    await until('two acks', () => b.acks('pump-1').length === 2);
    const [first, second] = b.acks('pump-1');
    expect(second).toEqual(first);
    expect(obeyed).toHaveLength(1);
    expect(b.published.filter((p) => p.topic === telemetryTopic('pump-1'))).toHaveLength(1);
    expect(g.stats().commands).toMatchObject({ received: 1, obeyed: 1, repeated: 1 });
  });

  it('refuses an expired command and one naming another device, without acting', async () => {
    const { b, g, obeyed } = await pumpGateway();
    await b.send('pump-1', command('pump-1', 'cmd-old', { issuedAt: Date.now() - 20_000, expiresAt: Date.now() - 10_000 }));
    await b.send('pump-1', command('door-1', 'cmd-other'));
    await until('two acks', () => b.acks('pump-1').length === 2);
    expect(b.acks('pump-1')).toMatchObject([
      { commandId: 'cmd-old', status: 'failed', message: 'expired' },
      { commandId: 'cmd-other', status: 'failed', message: expect.stringMatching(/door-1/) as unknown },
    ]);
    expect(obeyed).toHaveLength(0);
    expect(g.stats().commands).toMatchObject({ received: 2, obeyed: 0, failed: 2 });
  });

  it('answers `failed` with the reason when the device refuses or its handler throws', async () => {
    const b = await startBroker();
    cleanups.push(b.close);
    const g = gateway({
      url: b.url,
      onCommand: (_id, m) => {
        if (m.name === 'release') return { status: 'failed', message: 'device kind pump-station has no command release' };
        throw new Error('relay stuck');
      },
    });
    g.setTokens(new Map([['pump-1', TOKENS.get('pump-1')!]]));
    g.start();
    await until('subscribed', () => b.subscriptions.length === 1);
    await b.send('pump-1', command('pump-1', 'c-1', { name: 'release' }));
    await b.send('pump-1', command('pump-1', 'c-2'));
    await until('two acks', () => b.acks('pump-1').length === 2);
    expect(b.acks('pump-1')).toMatchObject([
      { commandId: 'c-1', status: 'failed', message: 'device kind pump-station has no command release' },
      { commandId: 'c-2', status: 'failed', message: 'relay stuck' },
    ]);
  });

  it('ignores bad messages (logged rate-limited, counted), never crashes, and still obeys the next good one', async () => {
    const lines: string[] = [];
    const { b, g, obeyed } = await pumpGateway({}, lines);
    await b.send('pump-1', '{"commandId": "x",');
    await b.send('pump-1', { commandId: 'no-name', deviceId: 'pump-1' });
    await b.send('pump-1', command('pump-1', 'bad/id'));
    await b.send('pump-1', { ...command('pump-1', 'c-x'), name: 'self-destruct' });
    await b.send('pump-1', command('pump-1', 'cmd-good'));
    await until('the good one acked', () => b.acks('pump-1').length === 1);
    expect(b.acks('pump-1')[0]).toMatchObject({ commandId: 'cmd-good', status: 'ok' });
    expect(obeyed.map((m) => m.commandId)).toEqual(['cmd-good']);
    expect(g.stats().commands).toMatchObject({ invalid: 4, received: 1 });
    const badLines = lines.filter((l) => /bad command message/.test(l));
    expect(badLines).toHaveLength(1);
    expect(badLines[0]).toMatch(/pump-1.*not JSON/);
    expect(g.stats().connected).toBe(1);
  });

  it('with tokenInPayload, every payload the device publishes carries its token (status, readings, ack, last will)', async () => {
    const { b } = await pumpGateway({ tokenInPayload: true });
    const token = TOKENS.get('pump-1')!;
    await b.send('pump-1', command('pump-1', 'cmd-t'));
    await until('acked', () => b.acks('pump-1').length === 1);
    expect(b.acks('pump-1')[0]).toMatchObject({ commandId: 'cmd-t', status: 'ok', token });
    const reading = b.published.find((p) => p.topic === telemetryTopic('pump-1'))!;
    expect(JSON.parse(reading.payload)).toMatchObject({ token });
    const status = () => b.published.filter((p) => p.topic === statusTopic('pump-1')).map((p) => JSON.parse(p.payload) as unknown);
    expect(status()).toEqual([{ online: true, token }]);
    b.connected.get('ioc-sim-pump-1')!.conn.destroy();
    await until('the will', () => status().some((s) => (s as { online: boolean }).online === false));
    expect(status()).toContainEqual({ online: false, token });
  });

  it('answers `failed` when the simulator gives the gateway no command handler', async () => {
    const b = await startBroker();
    cleanups.push(b.close);
    const g = gateway({ url: b.url });
    g.setTokens(new Map([['door-1', TOKENS.get('door-1')!]]));
    g.start();
    await until('subscribed', () => b.subscriptions.length === 1);
    await b.send('door-1', command('door-1', 'c-1', { name: 'release' }));
    await until('acked', () => b.acks('door-1').length === 1);
    expect(b.acks('door-1')[0]).toMatchObject({ status: 'failed', message: 'this device takes no commands' });
  });
});
