/**
 * The device side of MQTT, without the broker: who may connect (a device with its registry token),
 * what each connection may publish and subscribe to, and what a message does. One code path for
 * both modes (server/mqtt/README.md):
 * - embedded broker (broker.ts): the identity is the connection's, verified at CONNECT
 *   (`username` = device id, `password` = its token) — `publish(conn, packet)`;
 * - external broker (external-client.ts): the identity is the topic's device id plus the token the
 *   payload carries, verified for every message whatever the broker's own auth —
 *   `publishFromBroker(packet, source)`.
 * This file knows nothing of aedes or mqtt.js.
 *
 * Telemetry goes through the one ingest path (`IngestService.ingest`) before the publish is
 * answered: the QoS 1 PUBACK goes only after the outcome is known, so "acked" means "ingest
 * answered" (fused, and stored or spooled). What a message can come to (`PublishOutcome`):
 * - `ack`: acknowledge it. Also for what is dropped (bad JSON, invalid, too large, a foreign or
 *   unknown topic, retained telemetry, over the device's rate, a bad token in the payload):
 *   resending such a message cannot help, so it is acknowledged, counted and logged (at most one
 *   line per verdict per interval), like an MQTT 3.1.1 broker answers a publish its ACL denies.
 * - `refuse`: do NOT acknowledge. For QoS ≥ 1 telemetry that ingest answered E_UNAVAILABLE (the
 *   store is down past the deferred bound): the broker keeps the message and delivers it again
 *   after a reconnect. Embedded: also when the connection's credential stopped holding (token
 *   rotated, device retired) — the broker closes that connection.
 */
import type { DeviceCommandAck } from '../../scenes/device-commands';
import type { IngestVerdicts } from './telemetry-batcher';
import type { CommandAckSink } from '../device-control/channels';
import type { AuthEntry } from '../guard';
import type { Logger } from '../logger';
import type { AuditLimiter } from '../audit/audit-limiter';
import { commandAckOf, decodeJson, payloadToken, statusOf, telemetryReadings, type MqttVerdict } from './payloads';
import { parseDeviceTopic } from './topics';

export interface MqttGateLimits {
  /** largest payload handled; a larger one is dropped as `too_large`, bytes */
  maxPayloadBytes: number;
  /** deepest nesting of a JSON payload, levels */
  maxDepth: number;
  /** readings in one `{readings: [...]}` message */
  maxReadings: number;
  /** at most one log line per verdict (and per kind of refused CONNECT) this often, ms */
  logIntervalMs: number;
}

/** Why a CONNECT was refused (the label of `ioc_mqtt_connects_refused_total{reason}`). */
export type ConnectRefusal = 'bad_credentials' | 'throttled' | 'rate_limited';

export interface MqttGateDeps {
  /** the live registry (fusion.devices): a retired device is not in it */
  devices: { has(deviceId: string): boolean };
  /** the same token check as HTTP ingest (DeviceTokenVerifier) */
  verifier: { verify(deviceId: string, token: string): boolean };
  /** the ingest path; only the refusals matter to a message's PUBACK (TelemetryBatcher answers just those) */
  ingest: {
    ingest(raw: readonly unknown[], source?: string): Promise<IngestVerdicts>;
    /** resolves once the telemetry handed in so far has been ingested (TelemetryBatcher.drain) */
    drain?(): Promise<void>;
  };
  guard: { authBlocked(entry: AuthEntry, source: string): unknown; noteAuthFailure(entry: AuthEntry, source: string): void };
  /** `{"online": false}` (or the last will): the device is offline now, not after the silence timeout */
  markOffline(deviceId: string, ts: number): void;
  /** a device's verified command acknowledgement (DeviceCommandService.acknowledge) */
  acknowledge?: CommandAckSink;
  /** counts one message by verdict (`ioc_mqtt_messages_total`) */
  count(verdict: MqttVerdict): void;
  /** counts one refused CONNECT (`ioc_mqtt_connects_refused_total`) */
  countRefusedConnect?(reason: ConnectRefusal): void;
  /** security-relevant events (refused CONNECT, bad token, connection closed for its credential), rate-limited */
  audit?: AuditLimiter;
  log: Logger;
  limits: MqttGateLimits;
  now?: () => number;
}

/** What CONNECT gets: accepted, refused for its credentials, or refused because its source failed too often. */
export type ConnectVerdict = 'accepted' | 'bad_credentials' | 'throttled';

export type PublishOutcome = 'ack' | 'refuse';

/** The part of a PUBLISH (or of a last will) the gate reads. */
export interface InboundPublish {
  topic: string;
  payload: Buffer | string;
  qos: number;
  retain: boolean;
}

/** Who a message is from, as far as the server has verified it. */
export interface DeviceIdentity {
  deviceId: string;
  /** the CONNECT password (embedded) or the payload's `token` ('' when it carries none) */
  token: string;
  /** remote address of the connection (embedded) or the external broker's URL (external) */
  source: string;
  /** `connection`: verified at CONNECT, a credential that stops holding ends the connection; `payload`: verified per message */
  via: 'connection' | 'payload';
}

interface DeviceConnection {
  deviceId: string;
  token: string;
  source: string;
}

export class MqttDeviceGate {
  /** keyed by the broker's client object: identity lives exactly as long as the connection */
  private readonly connections = new WeakMap<object, DeviceConnection>();
  /** connections per device that subscribed to its `commands` topic (the embedded command channel's reach) */
  private readonly listening = new Map<string, Set<object>>();
  /** open connections per device (embedded): a registry change re-checks exactly these */
  private readonly open = new Map<string, Set<object>>();
  private readonly lastLogTs = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private readonly now: () => number;
  private closing = false;

  constructor(private readonly d: MqttGateDeps) {
    this.now = d.now ?? Date.now;
  }

  /** CONNECT: `username` = device id, `password` = that device's token. */
  authenticate(conn: object, source: string, username: string | undefined, password: Buffer | string | undefined): ConnectVerdict {
    if (this.d.guard.authBlocked('mqtt', source)) {
      this.d.countRefusedConnect?.('throttled');
      this.logLimited('connect_throttled', { source }, 'MQTT CONNECT refused: too many failed authentications from this address');
      this.d.audit?.record(`connect_throttled|${source}`, {
        actor: 'anonymous',
        source,
        action: 'device.connect_refused',
        outcome: 'denied',
        reason: 'E_RATE_LIMIT: too many failed device authentications from this address',
        details: { transport: 'mqtt' },
      });
      return 'throttled';
    }
    const token = password === undefined ? '' : typeof password === 'string' ? password : password.toString('utf8');
    if (typeof username !== 'string' || !this.d.devices.has(username) || !this.d.verifier.verify(username, token)) {
      this.d.guard.noteAuthFailure('mqtt', source);
      this.d.countRefusedConnect?.('bad_credentials');
      const tried = typeof username === 'string' ? username.slice(0, 80) : undefined;
      this.logLimited('connect_refused', { source, username: tried }, 'MQTT CONNECT refused: unknown device or bad token');
      this.auditBadCredential(source, tried, 'connect');
      return 'bad_credentials';
    }
    this.connections.set(conn, { deviceId: username, token, source });
    let conns = this.open.get(username);
    if (!conns) this.open.set(username, (conns = new Set()));
    conns.add(conn);
    return 'accepted';
  }

  /** A connection refused before CONNECT because its address opens connections too fast. */
  connectRateLimited(source: string): void {
    this.d.countRefusedConnect?.('rate_limited');
    this.logLimited(
      'connect_rate_limited',
      { source },
      'MQTT connection refused: this address opens connections faster than IOC_MQTT_CONNECT_RATE_PER_S',
    );
  }

  /** The device a connection authenticated as (undefined before CONNECT succeeded). */
  deviceOf(conn: object): string | undefined {
    return this.connections.get(conn)?.deviceId;
  }

  /** SUBSCRIBE: a device may subscribe to its own `commands` topic only (no wildcards). */
  maySubscribe(conn: object, topic: string): boolean {
    const c = this.connections.get(conn);
    const t = parseDeviceTopic(topic);
    return c !== undefined && t !== null && t.deviceId === c.deviceId && t.kind === 'commands';
  }

  /** Delivery to a client: only its own `commands` topic ever reaches a device. */
  mayReceive(conn: object, topic: string): boolean {
    return this.maySubscribe(conn, topic);
  }

  /** A granted subscription (maySubscribe said yes): the device can now be sent commands. */
  subscribed(conn: object, topic: string): void {
    const c = this.connections.get(conn);
    if (!c || !this.maySubscribe(conn, topic)) return;
    let set = this.listening.get(c.deviceId);
    if (!set) this.listening.set(c.deviceId, (set = new Set()));
    set.add(conn);
  }

  /** UNSUBSCRIBE from the commands topic, or the connection ended. */
  stoppedListening(conn: object): void {
    const c = this.connections.get(conn);
    if (!c) return;
    const set = this.listening.get(c.deviceId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.listening.delete(c.deviceId);
  }

  /** The device holds a connection subscribed to its commands topic. */
  reaches(deviceId: string): boolean {
    return !this.closing && (this.listening.get(deviceId)?.size ?? 0) > 0;
  }

  /** The connection ended (embedded broker's clientDisconnect): it no longer listens nor counts as open. */
  disconnected(conn: object): void {
    this.stoppedListening(conn);
    this.forgetOpen(conn);
  }

  /**
   * The registry changed a device (token rotated, device retired or deleted): its open connections
   * whose credential no longer holds are answered here — audited, forgotten — and handed back for
   * the broker to close now, not at their next message.
   */
  revoked(deviceId: string): object[] {
    const conns = this.open.get(deviceId);
    if (!conns || this.closing) return [];
    const ended: object[] = [];
    for (const conn of [...conns]) {
      const c = this.connections.get(conn);
      if (!c) {
        conns.delete(conn);
        continue;
      }
      if (this.credentialHolds({ deviceId, token: c.token, source: c.source, via: 'connection' })) continue;
      this.d.count('unauthorized');
      this.auditRevoked(c.source, deviceId);
      this.stoppedListening(conn);
      this.forgetOpen(conn);
      this.connections.delete(conn);
      ended.push(conn);
    }
    return ended;
  }

  private forgetOpen(conn: object): void {
    const c = this.connections.get(conn);
    if (!c) return;
    const set = this.open.get(c.deviceId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.open.delete(c.deviceId);
  }

  /** From now on nothing is handled (shutdown: the broker closing connections is not devices dying). */
  close(): void {
    this.closing = true;
    this.listening.clear();
    this.open.clear();
  }

  /**
   * Embedded broker: a PUBLISH from `conn`, or its last will as the connection dies. After a
   * `refuse` the broker closes the connection: the gate forgets it, so its last will is not taken
   * for a dying device (the server ended it; the device reconnects).
   */
  async publish(conn: object | null, packet: InboundPublish): Promise<PublishOutcome> {
    if (this.closing) return 'refuse';
    const c = conn ? this.connections.get(conn) : undefined;
    // a will aedes replays for a client that is gone has no identity to check: not ours to handle
    if (!conn || !c) return 'refuse';
    const outcome = await this.handle(packet, c.source, c);
    if (outcome === 'refuse') {
      this.stoppedListening(conn);
      this.forgetOpen(conn);
      this.connections.delete(conn);
    }
    return outcome;
  }

  /** External broker: a message the server's subscription received; the identity is in topic and payload. */
  async publishFromBroker(packet: InboundPublish, source: string): Promise<PublishOutcome> {
    if (this.closing) return 'refuse';
    return this.handle(packet, source, null);
  }

  private async handle(packet: InboundPublish, source: string, conn: DeviceConnection | null): Promise<PublishOutcome> {
    const topic = parseDeviceTopic(packet.topic);
    const about = { deviceId: conn?.deviceId ?? topic?.deviceId, source, topic: packet.topic };
    if (!topic) return this.drop('unknown_topic', about, 'topic outside ioc/v1/{deviceId}/…');
    // another device's topics, or its own `commands` (down: only the server publishes there)
    if ((conn && topic.deviceId !== conn.deviceId) || topic.kind === 'commands')
      return this.drop('foreign_topic', about, 'not a topic this device may publish to');
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (size > this.d.limits.maxPayloadBytes) return this.drop('too_large', about, `payload over ${this.d.limits.maxPayloadBytes} bytes`);
    // a retained reading would be replayed as news to every later subscriber
    if (topic.kind === 'telemetry' && packet.retain) return this.drop('retained', about, 'retained telemetry');
    const json = decodeJson(packet.payload, this.d.limits.maxDepth);
    if (!json.ok) return this.drop(json.verdict, about, json.reason);
    const who: DeviceIdentity = conn
      ? { deviceId: conn.deviceId, token: conn.token, source, via: 'connection' }
      : { deviceId: topic.deviceId, token: payloadToken(json.value) ?? '', source, via: 'payload' };
    switch (topic.kind) {
      case 'telemetry':
        return this.telemetry(who, json.value, packet);
      case 'status': {
        const s = statusOf(json.value);
        if (!s.ok) return this.drop(s.verdict, about, s.reason);
        if (!this.credentialHolds(who)) return this.credentialFailed(who, packet);
        // the device's earlier readings first: one fused after this would bring it back online
        if (!s.value.online) {
          await this.d.ingest.drain?.();
          this.d.markOffline(who.deviceId, this.now());
        }
        this.d.count('ok');
        return 'ack';
      }
      case 'commands_ack': {
        const a = commandAckOf(json.value);
        if (!a.ok) return this.drop(a.verdict, about, a.reason);
        if (!this.credentialHolds(who)) return this.credentialFailed(who, packet);
        // the token proved who sent it; it goes no further
        const { token: _token, ...ack } = a.value;
        void _token;
        // the readings the device sent before its ack (the command's effect) are fused first
        await this.d.ingest.drain?.();
        this.acknowledge(who.deviceId, ack);
        this.d.count('ok');
        return 'ack';
      }
      default: {
        const never: never = topic.kind;
        return never;
      }
    }
  }

  private async telemetry(who: DeviceIdentity, body: unknown, packet: InboundPublish): Promise<PublishOutcome> {
    const about = { deviceId: who.deviceId, source: who.source, topic: packet.topic };
    const decoded = telemetryReadings(body, who.deviceId, who.token, this.d.limits);
    if (!decoded.ok) return this.drop(decoded.verdict, about, decoded.reason);
    let result: IngestVerdicts;
    try {
      result = await this.d.ingest.ingest(decoded.value, who.source);
    } catch (err) {
      // ingest does not throw for the store; anything else is a bug, and the message is not acked
      this.d.log.error({ err, deviceId: who.deviceId }, 'MQTT telemetry: ingest failed');
      this.d.count('unavailable');
      return 'refuse';
    }
    if (result.rejected.length === 0) {
      this.d.count('ok');
      return 'ack';
    }
    let unavailable = false;
    let rateLimited = false;
    let unauthorized = false;
    for (const r of result.rejected) {
      if (r.code === 'E_UNAVAILABLE') unavailable = true;
      else if (r.code === 'E_RATE_LIMIT') rateLimited = true;
      else if (r.code === 'E_UNAUTHORIZED' || r.code === 'E_NOT_FOUND') unauthorized = true;
    }
    if (unavailable) {
      this.d.count('unavailable');
      this.logLimited(
        'unavailable',
        { deviceId: who.deviceId, qos: packet.qos },
        'MQTT telemetry not acknowledged: store unavailable and the deferred queue is full',
      );
      // QoS 0 has no acknowledgement to withhold: the message is lost either way
      return packet.qos > 0 ? 'refuse' : 'ack';
    }
    if (rateLimited) return this.drop('rate_limited', about, 'device or source over its readings budget');
    // the identity's own credential does not hold (rotated token, retired device, bad payload token)
    if (unauthorized && !this.credentialHolds(who)) return this.credentialFailed(who, packet);
    const first = result.rejected[0]!;
    return this.drop('invalid', about, `${first.code}: ${first.message}`);
  }

  private auditRevoked(source: string, deviceId: string): void {
    this.logLimited('credential_revoked', { deviceId }, 'MQTT connection closed: its device token no longer holds');
    this.d.audit?.record(`closed|${source}|${deviceId}`, {
      actor: `device:${deviceId}`,
      source,
      action: 'device.connection_closed',
      target: `device:${deviceId}`,
      outcome: 'denied',
      reason: 'E_UNAUTHORIZED: the device token no longer holds (rotated, or the device retired)',
      details: { transport: 'mqtt' },
    });
  }

  private credentialHolds(who: DeviceIdentity): boolean {
    return this.d.devices.has(who.deviceId) && this.d.verifier.verify(who.deviceId, who.token);
  }

  /**
   * The identity's credential does not hold. A connection (verified at CONNECT) whose token was
   * rotated or whose device was retired is ended; a bad token in a payload is dropped.
   */
  private credentialFailed(who: DeviceIdentity, packet: InboundPublish): PublishOutcome {
    this.d.count('unauthorized');
    if (who.via === 'connection') {
      this.auditRevoked(who.source, who.deviceId);
      return 'refuse';
    }
    this.logLimited(
      'unauthorized',
      { deviceId: who.deviceId, source: who.source, topic: packet.topic.slice(0, 200) },
      'MQTT message dropped: unauthorized (unknown device, or a missing or bad token in the payload)',
    );
    this.auditBadCredential(who.source, who.deviceId, 'payload');
    return 'ack';
  }

  /**
   * One record per (source, device) per interval. Ids not in the registry share one key per source:
   * made-up ids cannot multiply the records (bounded by the registry, not by what an attacker sends).
   */
  private auditBadCredential(source: string, deviceId: string | undefined, where: 'connect' | 'payload'): void {
    const known = deviceId !== undefined && this.d.devices.has(deviceId) ? deviceId : undefined;
    this.d.audit?.record(`refused|${source}|${known ?? '?'}`, {
      actor: known !== undefined ? `device:${known}` : 'anonymous',
      source,
      action: 'device.connect_refused',
      ...(known !== undefined ? { target: `device:${known}` } : {}),
      outcome: 'failure',
      reason: known === undefined ? 'E_UNAUTHORIZED: unknown device' : 'E_UNAUTHORIZED: bad token',
      details: {
        transport: where === 'connect' ? 'mqtt' : 'mqtt-external',
        ...(known === undefined && deviceId !== undefined ? { triedDeviceId: deviceId.slice(0, 80) } : {}),
      },
    });
  }

  private acknowledge(deviceId: string, ack: DeviceCommandAck): void {
    try {
      // the sink may answer a promise (the service persists the settlement): a rejection is logged here
      const pending: unknown = this.d.acknowledge?.(deviceId, ack);
      if (pending instanceof Promise) pending.catch((err: unknown) => this.d.log.error({ err, deviceId }, 'MQTT command ack: the sink failed'));
    } catch (err) {
      // the sink never throws by contract; a bug there must not cost the device its connection
      this.d.log.error({ err, deviceId }, 'MQTT command ack: the sink threw');
    }
  }

  private drop(verdict: MqttVerdict, about: { deviceId?: string; source: string; topic: string }, reason: string): PublishOutcome {
    this.d.count(verdict);
    this.logLimited(verdict, { ...about, topic: about.topic.slice(0, 200), reason }, `MQTT message dropped: ${verdict}`);
    return 'ack';
  }

  /** One warn line per key per interval; the lines held back are counted in the next one. */
  private logLimited(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    const last = this.lastLogTs.get(key);
    if (last !== undefined && now - last < this.d.limits.logIntervalMs) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return;
    }
    this.lastLogTs.set(key, now);
    const held = this.suppressed.get(key) ?? 0;
    this.suppressed.delete(key);
    this.d.log.warn({ ...fields, ...(held > 0 ? { suppressedSinceLastLine: held } : {}) }, message);
  }
}
