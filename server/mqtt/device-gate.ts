/**
 * The device side of the embedded MQTT broker, without the broker: who may connect (a device with
 * its registry token), what each connection may publish and subscribe to, and what a publish does.
 * server/mqtt/broker.ts plugs these answers into aedes' hooks; this file knows nothing of aedes.
 *
 * Telemetry goes through the one ingest path (`IngestService.ingest`) before the publish is
 * answered: aedes writes a QoS 1 PUBACK only after `authorizePublish` calls back, so "acked" means
 * "ingest answered" (fused, and stored or spooled). What a publish can come to (`PublishOutcome`):
 * - `ack`: let the broker acknowledge it. Also for what is dropped (bad JSON, invalid, too large,
 *   a foreign or unknown topic, retained telemetry, over the device's rate): resending such a
 *   message cannot help, so it is acknowledged, counted and logged (at most one line per verdict
 *   per interval), like an MQTT 3.1.1 broker answers a publish its ACL denies.
 * - `refuse`: close the connection WITHOUT an acknowledgement. For QoS ≥ 1 telemetry that ingest
 *   answered E_UNAVAILABLE (the store is down past the deferred bound): the client keeps the
 *   message and sends it again after reconnecting (aedes has no negative PUBACK for MQTT 3.1.1).
 *   Also when the connection's credential stopped holding (token rotated, device retired).
 */
import type { IngestResult } from '../../scenes/protocol';
import type { AuthEntry } from '../guard';
import type { Logger } from '../logger';
import { decodeJson, decodeStatus, decodeTelemetry, type MqttVerdict } from './payloads';
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

export interface MqttGateDeps {
  /** the live registry (fusion.devices): a retired device is not in it */
  devices: { has(deviceId: string): boolean };
  /** the same token check as HTTP ingest (DeviceTokenVerifier) */
  verifier: { verify(deviceId: string, token: string): boolean };
  ingest: { ingest(raw: readonly unknown[], source?: string): Promise<IngestResult> };
  guard: { authBlocked(entry: AuthEntry, source: string): unknown; noteAuthFailure(entry: AuthEntry, source: string): void };
  /** `{"online": false}` (or the last will): the device is offline now, not after the silence timeout */
  markOffline(deviceId: string, ts: number): void;
  /** counts one message by verdict (`ioc_mqtt_messages_total`) */
  count(verdict: MqttVerdict): void;
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

interface DeviceConnection {
  deviceId: string;
  token: string;
  source: string;
}

export class MqttDeviceGate {
  /** keyed by the broker's client object: identity lives exactly as long as the connection */
  private readonly connections = new WeakMap<object, DeviceConnection>();
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
      this.logLimited('connect_throttled', { source }, 'MQTT CONNECT refused: too many failed authentications from this address');
      return 'throttled';
    }
    const token = password === undefined ? '' : typeof password === 'string' ? password : password.toString('utf8');
    if (typeof username !== 'string' || !this.d.devices.has(username) || !this.d.verifier.verify(username, token)) {
      this.d.guard.noteAuthFailure('mqtt', source);
      this.logLimited(
        'connect_refused',
        { source, username: typeof username === 'string' ? username.slice(0, 80) : undefined },
        'MQTT CONNECT refused: unknown device or bad token',
      );
      return 'bad_credentials';
    }
    this.connections.set(conn, { deviceId: username, token, source });
    return 'accepted';
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

  /** From now on nothing is handled (shutdown: the broker closing connections is not devices dying). */
  close(): void {
    this.closing = true;
  }

  /**
   * A PUBLISH from `conn`, or its last will as the connection dies. After a `refuse` the broker
   * closes the connection: the gate forgets it, so its last will is not taken for a dying device
   * (the server ended it; the device reconnects).
   */
  async publish(conn: object | null, packet: InboundPublish): Promise<PublishOutcome> {
    if (this.closing) return 'refuse';
    const c = conn ? this.connections.get(conn) : undefined;
    // a will aedes replays for a client that is gone has no identity to check: not ours to handle
    if (!conn || !c) return 'refuse';
    const outcome = await this.handle(c, packet);
    if (outcome === 'refuse') this.connections.delete(conn);
    return outcome;
  }

  private async handle(c: DeviceConnection, packet: InboundPublish): Promise<PublishOutcome> {
    const topic = parseDeviceTopic(packet.topic);
    if (!topic) return this.drop('unknown_topic', c, packet, 'topic outside ioc/v1/{deviceId}/…');
    // another device's topics, or its own `commands` (down: only the server publishes there)
    if (topic.deviceId !== c.deviceId || topic.kind === 'commands')
      return this.drop('foreign_topic', c, packet, 'not a topic this device may publish to');
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (size > this.d.limits.maxPayloadBytes) return this.drop('too_large', c, packet, `payload over ${this.d.limits.maxPayloadBytes} bytes`);
    switch (topic.kind) {
      case 'telemetry':
        // a retained reading would be replayed as news to every later subscriber
        if (packet.retain) return this.drop('retained', c, packet, 'retained telemetry');
        return this.telemetry(c, packet);
      case 'status': {
        const s = decodeStatus(packet.payload, this.d.limits.maxDepth);
        if (!s.ok) return this.drop(s.verdict, c, packet, s.reason);
        if (!s.value.online) this.d.markOffline(c.deviceId, this.now());
        this.d.count('ok');
        return 'ack';
      }
      case 'commands_ack': {
        // reserved for the command path (issue 13, remote control): accepted and counted only
        const j = decodeJson(packet.payload, this.d.limits.maxDepth);
        if (!j.ok) return this.drop(j.verdict, c, packet, j.reason);
        this.d.count('ok');
        return 'ack';
      }
      default: {
        const never: never = topic.kind;
        return never;
      }
    }
  }

  private async telemetry(c: DeviceConnection, packet: InboundPublish): Promise<PublishOutcome> {
    const decoded = decodeTelemetry(packet.payload, c.deviceId, c.token, this.d.limits);
    if (!decoded.ok) return this.drop(decoded.verdict, c, packet, decoded.reason);
    let result: IngestResult;
    try {
      result = await this.d.ingest.ingest(decoded.value, c.source);
    } catch (err) {
      // ingest does not throw for the store; anything else is a bug, and the message is not acked
      this.d.log.error({ err, deviceId: c.deviceId }, 'MQTT telemetry: ingest failed');
      this.d.count('unavailable');
      return 'refuse';
    }
    if (result.rejected.length === 0) {
      this.d.count('ok');
      return 'ack';
    }
    let unavailable = false;
    let rateLimited = false;
    for (const r of result.rejected) {
      if (r.code === 'E_UNAVAILABLE') unavailable = true;
      else if (r.code === 'E_RATE_LIMIT') rateLimited = true;
    }
    if (unavailable) {
      this.d.count('unavailable');
      this.logLimited(
        'unavailable',
        { deviceId: c.deviceId, qos: packet.qos },
        'MQTT telemetry not acknowledged: store unavailable and the deferred queue is full',
      );
      // QoS 0 has no acknowledgement to withhold: the message is lost either way
      return packet.qos > 0 ? 'refuse' : 'ack';
    }
    if (rateLimited) return this.drop('rate_limited', c, packet, 'device or source over its readings budget');
    // the connection's own credential no longer holds (rotated token, retired device): end it
    if (!this.d.devices.has(c.deviceId) || !this.d.verifier.verify(c.deviceId, c.token)) {
      this.d.count('invalid');
      this.logLimited('credential_revoked', { deviceId: c.deviceId }, 'MQTT connection closed: its device token no longer holds');
      return 'refuse';
    }
    const first = result.rejected[0]!;
    return this.drop('invalid', c, packet, `${first.code}: ${first.message}`);
  }

  private drop(verdict: MqttVerdict, c: DeviceConnection, packet: InboundPublish, reason: string): PublishOutcome {
    this.d.count(verdict);
    this.logLimited(
      verdict,
      { deviceId: c.deviceId, source: c.source, topic: packet.topic.slice(0, 200), reason },
      `MQTT message dropped: ${verdict}`,
    );
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
