/**
 * MqttGateway: the simulator's devices speak MQTT the way real sensors do — one broker connection
 * per device (clientId `ioc-sim-<deviceId>`, username = device id, password = its token), a last
 * will on `ioc/v1/{deviceId}/status` so a dropped connection marks the device offline at once, and
 * each reading published with QoS 1 to `ioc/v1/{deviceId}/telemetry` as `{deviceId, ts, seq, metrics}`.
 *
 * Invariants:
 * - memory is bounded per device: at most `maxInflightPerDevice` publishes await their PUBACK and
 *   at most `maxPendingPerDevice` readings wait behind them; beyond that the OLDEST waiting reading is
 *   dropped and counted (fresh telemetry is worth more than stale);
 * - a publish not acknowledged when its connection drops stays in the mqtt client's outgoing store
 *   and is sent again (DUP) after the reconnect — `seq` makes a duplicate harmless on the server;
 * - readings of one device go out in order over its one connection;
 * - connections open at most `connectRatePerS` per second, and at most `maxConnecting` at once await
 *   their CONNACK (a broker refuses a flood of CONNECTs, or of unauthenticated connections, from
 *   one address: City IOC holds 256 per address) and reconnect with jittered exponential back-off, so a restarted server is not
 *   hit by every device in the same millisecond;
 * - a CONNECT refused for bad credentials is not retried with the same token: `onRejected` tells the
 *   caller (which re-reads the registry), exactly as the HTTP client does for E_UNAUTHORIZED;
 * - commands: after each CONNACK a device subscribes (QoS 1) to its own `ioc/v1/{deviceId}/commands`
 *   (clean sessions: nothing survives a reconnect, so it subscribes again each time); each message
 *   goes through the CommandInbox (validated, expired ones refused, acted on once per command id) and
 *   its ack is published QoS 1 on `ioc/v1/{deviceId}/commands/ack`. A bad message is logged
 *   (rate-limited) and ignored; it never takes the gateway down;
 * - with `tokenInPayload` every payload a device publishes (telemetry, status, its last will, acks)
 *   carries its token: an external broker does not authenticate devices for the server.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { CommandInbox, type CommandHandler } from './command-inbox';
import type { Reading } from '../scenes/domain';
import { commandsAckTopic, commandsTopic, statusTopic, telemetryTopic } from '../server/mqtt/topics';
import type { GatewayStats } from './gateway-client';
import { DeviceTokenBook, emptyTransportTotals, type ReadingTransport } from './reading-transport';
import type { SignedReadingWithoutToken } from './simulator';

export const MQTT_GATEWAY_DEFAULTS = {
  /** MQTT keepalive, s (the broker drops a connection silent for 1.5× this) */
  keepaliveS: 30,
  /** no CONNACK within this long = a failed attempt, ms */
  connectTimeoutMs: 10_000,
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 30_000,
  /** new connections opened per second at most (2,000 devices connect in 4 s) */
  connectRatePerS: 500,
  /** first connections awaiting their CONNACK at most (under the server's 256 unauthenticated per address) */
  maxConnecting: 128,
  /** publishes awaiting their PUBACK, per device */
  maxInflightPerDevice: 20,
  /** readings waiting behind those, per device, before the oldest is dropped */
  maxPendingPerDevice: 100,
  /** on stop, how long connected devices get to publish `{"online":false}` and disconnect, ms */
  stopGraceMs: 1_000,
  statusIntervalMs: 10_000,
} as const;

/** How often the connect ramp opens its next few connections, ms. */
const CONNECT_TICK_MS = 50;
/** One line per kind of trouble at most this often, ms: 2,000 devices losing the broker is one event, not 2,000 lines. */
const LOG_EVERY_MS = 10_000;

/** The topic scheme is the server's (server/mqtt/topics.ts): one definition for both ends. */
export { commandsAckTopic, commandsTopic, statusTopic, telemetryTopic };
export const STATUS_ONLINE_PAYLOAD = '{"online":true}';
export const STATUS_OFFLINE_PAYLOAD = '{"online":false}';

/** `{"online": …}`, with the device token when the broker needs it in the payload. */
export function statusPayload(online: boolean, token?: string): string {
  if (token === undefined) return online ? STATUS_ONLINE_PAYLOAD : STATUS_OFFLINE_PAYLOAD;
  return JSON.stringify({ online, token });
}

/** CONNACK return codes (3.1.1: 4 bad username or password, 5 not authorised; 5.0: 0x86, 0x87) meaning "wrong credentials". */
const AUTH_REFUSED_CODES: ReadonlySet<number> = new Set([4, 5, 0x86, 0x87]);

export interface MqttGatewayOptions {
  /** broker URL, e.g. mqtt://127.0.0.1:1884 */
  url: string;
  /** demo fleet secret: tokens derived from it for devices `setTokens` did not name (tests) */
  deviceSecret?: string;
  /**
   * Also put the device token in each telemetry payload. The embedded broker authenticates the
   * connection and needs none; through an external broker (IOC_MQTT_URL on the server) the server
   * verifies the token carried in the reading, as for HTTP ingest.
   */
  tokenInPayload?: boolean;
  keepaliveS?: number;
  connectTimeoutMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  connectRatePerS?: number;
  maxConnecting?: number;
  maxInflightPerDevice?: number;
  maxPendingPerDevice?: number;
  stopGraceMs?: number;
  /** 0 = no periodic status line */
  statusIntervalMs?: number;
  log?: (line: string) => void;
  /** a device whose CONNECT was refused for its credentials (code E_UNAUTHORIZED) */
  onRejected?: (deviceId: string, code: string) => void;
  /** obeys a command from the server (absent: every command is answered `failed`) */
  onCommand?: CommandHandler;
}

/** Commands received over the devices' command topics. */
export interface MqttCommandStats {
  /** distinct commands answered (ok or failed) */
  received: number;
  /** of those, handed to the device's handler (which may still refuse, e.g. a command its kind lacks) */
  obeyed: number;
  /** of those, answered `failed` (refused by the device, expired, another device's) */
  failed: number;
  /** a command id seen before: the same ack again, not acted on */
  repeated: number;
  /** not a valid command message: ignored */
  invalid: number;
}

export interface MqttGatewayStats extends GatewayStats {
  /** devices the gateway holds a connection (or a place in the connect ramp) for */
  devices: number;
  /** of those, connected now */
  connected: number;
  commands: MqttCommandStats;
}

type LinkState = 'waiting' | 'connecting' | 'connected' | 'refused';

/** One device's connection and its bounded queues. */
interface DeviceLink {
  deviceId: string;
  token: string;
  state: LinkState;
  client?: MqttClient;
  /** readings not yet published, oldest first */
  pending: Reading[];
  /** published, PUBACK not yet received */
  inflight: number;
  /** failed attempts since the last CONNACK (drives the back-off) */
  failures: number;
  /** false once the link is closed: late callbacks of its client are ignored */
  open: boolean;
}

/** Exponential back-off with ±50 % jitter, so many devices do not reconnect in lockstep. */
function backoffMs(base: number, max: number, failures: number): number {
  const ms = Math.min(max, base * 2 ** Math.max(0, failures - 1));
  return Math.round(ms * (0.5 + Math.random()));
}

export class MqttGateway implements ReadingTransport {
  private readonly opts: Required<Omit<MqttGatewayOptions, 'log' | 'onRejected' | 'deviceSecret' | 'onCommand'>>;
  private readonly log: (line: string) => void;
  private readonly onRejected?: (deviceId: string, code: string) => void;
  private readonly tokens: DeviceTokenBook;
  private readonly links = new Map<string, DeviceLink>();
  /** links waiting for their turn in the connect ramp, in order */
  private connectQueue: DeviceLink[] = [];
  private connectTimer: ReturnType<typeof setInterval> | undefined;
  private statusTimer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  private totals = emptyTransportTotals();
  private readonly commandTotals: MqttCommandStats = { received: 0, obeyed: 0, failed: 0, repeated: 0, invalid: 0 };
  private readonly inbox: CommandInbox;
  private lastStatus = { ts: Date.now(), sent: 0, rejected: 0, dropped: 0 };
  /** per kind of log line: when it was last printed, and how many were held back since */
  private readonly logGate = new Map<string, { ts: number; held: number }>();
  /** the most recent connection error, for the caller's "why not MQTT" line */
  private lastError: string | undefined;
  private everConnected = false;
  private firstConnectWaiters: ((connected: boolean) => void)[] = [];

  constructor(options: MqttGatewayOptions) {
    const d = MQTT_GATEWAY_DEFAULTS;
    this.opts = {
      url: options.url,
      tokenInPayload: options.tokenInPayload ?? false,
      keepaliveS: options.keepaliveS ?? d.keepaliveS,
      connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
      reconnectBaseMs: options.reconnectBaseMs ?? d.reconnectBaseMs,
      reconnectMaxMs: options.reconnectMaxMs ?? d.reconnectMaxMs,
      connectRatePerS: options.connectRatePerS ?? d.connectRatePerS,
      maxConnecting: options.maxConnecting ?? d.maxConnecting,
      maxInflightPerDevice: options.maxInflightPerDevice ?? d.maxInflightPerDevice,
      maxPendingPerDevice: options.maxPendingPerDevice ?? d.maxPendingPerDevice,
      stopGraceMs: options.stopGraceMs ?? d.stopGraceMs,
      statusIntervalMs: options.statusIntervalMs ?? d.statusIntervalMs,
    };
    this.log = options.log ?? ((line) => console.log(line));
    this.onRejected = options.onRejected;
    this.tokens = new DeviceTokenBook(options.deviceSecret);
    this.inbox = new CommandInbox(options.onCommand);
  }

  setTokens(tokens: ReadonlyMap<string, string>): void {
    this.tokens.replace(tokens);
    // a device whose token changed reconnects with the new one; one no longer named stops
    for (const link of [...this.links.values()]) {
      if (this.tokens.tokenOf(link.deviceId) === link.token) continue;
      this.closeLink(link);
      if (!this.tokens.has(link.deviceId)) this.inbox.forget(link.deviceId);
    }
    for (const [id, token] of this.tokens.entries()) if (!this.links.has(id)) this.openLink(id, token);
  }

  forgetToken(deviceId: string): void {
    this.tokens.forget(deviceId);
    this.inbox.forget(deviceId);
    const link = this.links.get(deviceId);
    if (link) this.closeLink(link);
  }

  enqueue(readings: readonly SignedReadingWithoutToken[]): void {
    const touched = new Set<DeviceLink>();
    for (const r of readings) {
      let link = this.links.get(r.deviceId);
      if (!link) {
        const token = this.tokens.tokenOf(r.deviceId);
        if (token === undefined) {
          this.totals.withoutToken++;
          continue;
        }
        link = this.openLink(r.deviceId, token);
      }
      if (link.state === 'refused') {
        this.totals.rejected++;
        continue;
      }
      link.pending.push(r);
      if (link.pending.length > this.opts.maxPendingPerDevice) {
        link.pending.shift();
        this.totals.dropped++;
      }
      touched.add(link);
    }
    for (const link of touched) this.publishReady(link);
  }

  stats(): MqttGatewayStats {
    let pendingReadings = 0;
    let pendingDevices = 0;
    let connected = 0;
    for (const link of this.links.values()) {
      const n = link.pending.length + link.inflight;
      pendingReadings += n;
      if (n > 0) pendingDevices++;
      if (link.state === 'connected') connected++;
    }
    // "batches" has no meaning per reading: it counts devices with something waiting
    return {
      ...this.totals,
      pendingBatches: pendingDevices,
      pendingReadings,
      devices: this.links.size,
      connected,
      commands: { ...this.commandTotals },
    };
  }

  /** Open the connections (through the ramp) and the status line. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.kickConnectRamp();
    if (this.opts.statusIntervalMs > 0) {
      this.lastStatus = { ts: Date.now(), sent: 0, rejected: 0, dropped: 0 };
      this.statusTimer = setInterval(() => this.log(this.statusLine()), this.opts.statusIntervalMs);
      this.statusTimer.unref?.();
    }
  }

  /**
   * A network fault on one device's connection (tests, drills): its socket is destroyed without
   * DISCONNECT, so the broker publishes its last will; the device reconnects with back-off as after
   * any lost connection. False when the device holds no connection now.
   */
  cutConnection(deviceId: string): boolean {
    const link = this.links.get(deviceId);
    if (!link?.client || link.state !== 'connected') return false;
    link.client.stream.destroy();
    return true;
  }

  /**
   * Resolves once any device is connected (CONNACK accepted), or after `timeoutMs` with the reason
   * none was (the last connection error, e.g. ECONNREFUSED, or no CONNACK) — the "does the server
   * offer MQTT" question of `--protocol auto`. A refused TCP connect does not end the wait early:
   * the server's broker may start listening a moment after its HTTP port answers.
   */
  async waitForFirstConnect(timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.everConnected) return { ok: true };
    if (this.links.size === 0) return { ok: false, reason: 'no device with a token to connect with' };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connected = await new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      this.firstConnectWaiters.push(resolve);
    });
    clearTimeout(timer);
    if (connected) return { ok: true };
    return { ok: false, reason: this.lastError ?? `no CONNACK from ${this.opts.url} within ${timeoutMs} ms` };
  }

  async stop(drainMs = 0): Promise<void> {
    if (drainMs > 0 && this.running) {
      const deadline = Date.now() + drainMs;
      while (this.stats().pendingReadings > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    this.running = false;
    if (this.connectTimer) clearInterval(this.connectTimer);
    this.connectTimer = undefined;
    this.connectQueue = [];
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    // a device switched off cleanly says so and disconnects (no will); the rest are cut after the grace period
    const goodbyes = [...this.links.values()]
      .filter((l) => l.state === 'connected' && l.client)
      .map(
        (l) =>
          new Promise<void>((resolve) => {
            const client = l.client!;
            client.publish(statusTopic(l.deviceId), this.statusOf(l, false), { qos: 1, retain: false }, () => client.end(false, {}, () => resolve()));
          }),
      );
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(goodbyes), new Promise<void>((r) => (grace = setTimeout(r, this.opts.stopGraceMs)))]);
    clearTimeout(grace);
    for (const link of [...this.links.values()]) this.closeLink(link);
  }

  statusLine(nowTs = Date.now()): string {
    const s = this.stats();
    const dtS = Math.max(0.001, (nowTs - this.lastStatus.ts) / 1000);
    const line =
      `[devices] mqtt ${s.connected}/${s.devices} connected, ${((s.sent - this.lastStatus.sent) / dtS).toFixed(1)} readings/s sent, ` +
      `${s.rejected - this.lastStatus.rejected} rejected, ${s.dropped - this.lastStatus.dropped} dropped ` +
      `(totals: sent ${s.sent}, accepted ${s.accepted}, rejected ${s.rejected}, dropped ${s.dropped}, connection failures ${s.failedAttempts}; pending ${s.pendingReadings})`;
    this.lastStatus = { ts: nowTs, sent: s.sent, rejected: s.rejected, dropped: s.dropped };
    return line;
  }

  private openLink(deviceId: string, token: string): DeviceLink {
    const link: DeviceLink = { deviceId, token, state: 'waiting', pending: [], inflight: 0, failures: 0, open: true };
    this.links.set(deviceId, link);
    this.connectQueue.push(link);
    if (this.running) this.kickConnectRamp();
    return link;
  }

  /** Readings still queued or in flight on a closed link are counted as dropped. */
  private closeLink(link: DeviceLink): void {
    if (!link.open) return;
    link.open = false;
    this.links.delete(link.deviceId);
    this.totals.dropped += link.pending.length + link.inflight;
    link.pending = [];
    link.inflight = 0;
    // force: no DISCONNECT, so the broker publishes the will (the device is gone); a stop says goodbye first
    link.client?.end(true);
    link.client = undefined;
  }

  private kickConnectRamp(): void {
    if (this.connectTimer || this.connectQueue.length === 0) return;
    const perTick = Math.max(1, Math.ceil((this.opts.connectRatePerS * CONNECT_TICK_MS) / 1000));
    const tick = () => {
      // a server slow to answer CONNECT (starting up, busy) is not handed more than it can hold
      let connecting = 0;
      for (const l of this.links.values()) if (l.state === 'connecting') connecting++;
      for (let i = 0; i < perTick && this.connectQueue.length > 0 && connecting < this.opts.maxConnecting; i++, connecting++) {
        const link = this.connectQueue.shift()!;
        if (link.open && link.state === 'waiting') this.connectLink(link);
      }
      if (this.connectQueue.length === 0 && this.connectTimer) {
        clearInterval(this.connectTimer);
        this.connectTimer = undefined;
      }
    };
    this.connectTimer = setInterval(tick, CONNECT_TICK_MS);
    tick();
  }

  private connectLink(link: DeviceLink): void {
    const { deviceId } = link;
    const options: IClientOptions = {
      clientId: `ioc-sim-${deviceId}`,
      username: deviceId,
      password: link.token,
      protocolVersion: 4,
      clean: true,
      keepalive: this.opts.keepaliveS,
      connectTimeout: this.opts.connectTimeoutMs,
      reconnectPeriod: backoffMs(this.opts.reconnectBaseMs, this.opts.reconnectMaxMs, 1),
      // a refusal other than bad credentials (e.g. server unavailable) is retried with back-off
      reconnectOnConnackError: true,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: statusTopic(deviceId), payload: Buffer.from(this.statusOf(link, false)), qos: 1, retain: false },
    };
    link.state = 'connecting';
    const client = connect(this.opts.url, options);
    link.client = client;
    client.on('connect', () => {
      if (!link.open) return;
      link.state = 'connected';
      link.failures = 0;
      client.options.reconnectPeriod = backoffMs(this.opts.reconnectBaseMs, this.opts.reconnectMaxMs, 1);
      client.publish(statusTopic(deviceId), this.statusOf(link, true), { qos: 1, retain: false });
      this.subscribeCommands(link, client);
      this.noteFirstConnect();
      this.publishReady(link);
    });
    client.on('message', (topic, payload) => {
      if (link.open && link.client === client && topic === commandsTopic(deviceId)) this.onCommandMessage(link, client, payload);
    });
    // mqtt.js reconnects every `reconnectPeriod`; raising it before each attempt makes that a back-off
    client.on('reconnect', () => {
      if (!link.open) return;
      link.failures++;
      client.options.reconnectPeriod = backoffMs(this.opts.reconnectBaseMs, this.opts.reconnectMaxMs, link.failures + 1);
    });
    client.on('close', () => {
      // a stopping gateway closes its connections on purpose: no failure
      if (!link.open || !this.running || link.state === 'refused') return;
      this.totals.failedAttempts++;
      if (link.state === 'connected')
        this.logLimited('lost', `[devices] mqtt connection of ${deviceId} to ${this.opts.url} lost; reconnecting with back-off`);
      link.state = 'connecting';
    });
    client.on('error', (err: Error & { code?: string | number }) => {
      if (!link.open) return;
      if (typeof err.code === 'number' && AUTH_REFUSED_CODES.has(err.code)) return this.refuse(link, err.message);
      this.lastError = `${this.opts.url}: ${err.message}`;
      this.logLimited('error', `[devices] mqtt ${this.lastError}; retrying with back-off`);
    });
  }

  private statusOf(link: DeviceLink, online: boolean): string {
    return statusPayload(online, this.opts.tokenInPayload ? link.token : undefined);
  }

  /** Subscribe (again: clean sessions) to the device's own command topic. */
  private subscribeCommands(link: DeviceLink, client: MqttClient): void {
    client.subscribe(commandsTopic(link.deviceId), { qos: 1 }, (err, granted) => {
      if (!link.open || link.client !== client) return;
      const refused = err ?? (granted?.some((g) => g.qos === 128) ? new Error('SUBACK refused (0x80)') : undefined);
      if (refused)
        this.logLimited('subscribe', `[devices] mqtt: ${link.deviceId} cannot subscribe to its commands (${refused.message}); it receives none`);
    });
  }

  /** One message on a device's command topic: decide (inbox) and publish the ack. */
  private onCommandMessage(link: DeviceLink, client: MqttClient, payload: Buffer): void {
    const result = this.inbox.receive(link.deviceId, payload, Date.now());
    if (result.kind === 'invalid') {
      this.commandTotals.invalid++;
      this.logLimited('bad-command', `[devices] mqtt: ignored a bad command message for ${link.deviceId} (${result.reason.slice(0, 200)})`);
      return;
    }
    const { ack } = result;
    // the effect first: the reading and then the ack go out in this order on the one connection
    if (result.readings.length > 0) this.enqueue(result.readings);
    if (result.repeated) this.commandTotals.repeated++;
    else {
      this.commandTotals.received++;
      if (result.acted) this.commandTotals.obeyed++;
      if (ack.status === 'failed') this.commandTotals.failed++;
    }
    const body = this.opts.tokenInPayload ? { ...ack, token: link.token } : ack;
    client.publish(commandsAckTopic(link.deviceId), JSON.stringify(body), { qos: 1, retain: false }, (err) => {
      if (err) this.logLimited('ack', `[devices] mqtt: the ack of command ${ack.commandId} for ${link.deviceId} was not delivered (${err.message})`);
    });
  }

  /** Wrong credentials: stop this device (its queue counts as rejected) and tell the caller. */
  private refuse(link: DeviceLink, message: string): void {
    link.state = 'refused';
    this.lastError = `${this.opts.url} refused the CONNECT of ${link.deviceId} (${message})`;
    this.logLimited('refused', `[devices] mqtt: ${this.lastError}; not retried with this token`);
    this.totals.rejected += link.pending.length + link.inflight;
    link.pending = [];
    link.inflight = 0;
    link.client?.end(true);
    link.client = undefined;
    this.onRejected?.(link.deviceId, 'E_UNAUTHORIZED');
  }

  private noteFirstConnect(): void {
    if (this.everConnected) return;
    this.everConnected = true;
    for (const w of this.firstConnectWaiters.splice(0)) w(true);
  }

  /** Publish waiting readings while the connection is up and the in-flight window has room. */
  private publishReady(link: DeviceLink): void {
    const client = link.client;
    if (!client || link.state !== 'connected') return;
    while (link.pending.length > 0 && link.inflight < this.opts.maxInflightPerDevice) {
      const r = link.pending.shift()!;
      const payload = this.opts.tokenInPayload ? { ...r, token: link.token } : r;
      link.inflight++;
      this.totals.sent++;
      client.publish(telemetryTopic(link.deviceId), JSON.stringify(payload), { qos: 1, retain: false }, (err) => {
        // a closed link already counted what it had in flight
        if (!link.open || link.client !== client) return;
        link.inflight--;
        if (err) this.totals.dropped++;
        else this.totals.accepted++;
        this.publishReady(link);
      });
    }
  }

  /** Avoid flooding the log with the same trouble from every device and every retry. */
  private logLimited(kind: string, line: string): void {
    const now = Date.now();
    const gate = this.logGate.get(kind);
    if (gate && now - gate.ts < LOG_EVERY_MS) {
      gate.held++;
      return;
    }
    this.log(gate && gate.held > 0 ? `${line} (+${gate.held} similar)` : line);
    this.logGate.set(kind, { ts: now, held: 0 });
  }
}
