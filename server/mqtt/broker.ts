/**
 * The embedded MQTT broker (aedes 1.x over a plain TCP server) on `IOC_MQTT_PORT`. Every decision
 * is the gate's (device-gate.ts); this file maps aedes' hooks onto it:
 * - `authenticate` → CONNACK 0, or 4 (bad user name or password), or 5 (not authorized) when the
 *   source failed too often (guard entry `mqtt`);
 * - `authorizePublish` runs the whole handling of a publish (ingest included) BEFORE it calls back:
 *   aedes writes the QoS 1 PUBACK only after that callback, and an error there closes the
 *   connection without a PUBACK (aedes 1.2 speaks MQTT 3.1/3.1.1 only: no reason codes);
 * - `authorizeSubscribe` / `authorizeForward`: a device hears its own `commands` topic only;
 *   a granted subscription makes the device reachable for commands (`deliver`);
 * - before aedes sees a socket: a per-address CONNECT rate limit (token bucket), so a flood of
 *   connections from one address is refused before any parsing or token check.
 *
 * The parser of each connection is capped at `maxPacketBytes` (aedes has no option for it): a
 * client announcing a larger packet is disconnected before the broker buffers it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client as AedesClient } from 'aedes';
import { ConfigError } from '../config';
import type { Logger } from '../logger';
import { TokenBuckets, type TokenBucketLimits } from '../token-buckets';
import type { MqttDeviceGate } from './device-gate';

export interface MqttBrokerOptions {
  host: string;
  /** 0: any free port (tests) */
  port: number;
  /** the port was set explicitly (IOC_MQTT_PORT): a busy port refuses to start instead of warning */
  portExplicit: boolean;
  /** largest MQTT packet read at all; larger ones close the connection, bytes */
  maxPacketBytes: number;
  /** a connection that sends no CONNECT within this is closed, ms */
  connectTimeoutMs: number;
  gate: MqttDeviceGate;
  /** new TCP connections per remote address (token bucket) */
  connectRate: TokenBucketLimits;
  /** remote addresses whose buckets are held at most before idle ones are swept */
  maxTrackedSources: number;
  /** the shared guard's count of unauthenticated connections per source */
  connections: {
    allowConnection(source: string): boolean;
    trackPending(conn: Socket, source: string): void;
    authenticated(conn: object): void;
  };
  log: Logger;
}

export interface MqttBroker {
  /** the port it listens on */
  port: number;
  connectedClients(): number;
  /** Publishes from the server (QoS 1, not retained) to the clients subscribed to `topic`; false on error. */
  deliver(topic: string, payload: string): Promise<boolean>;
  /** The registry changed this device: its connections whose token no longer holds are closed now; how many. */
  revalidateDevice(deviceId: string): number;
  close(): Promise<void>;
}

/** CONNACK return codes of MQTT 3.1.1 (table 3.1). */
const CONNACK_BAD_CREDENTIALS = 4;
const CONNACK_NOT_AUTHORIZED = 5;
/** A broker nobody clusters with needs no frequent `$SYS` heartbeat, ms. */
const HEARTBEAT_INTERVAL_MS = 10 * 60_000;
/** A client that stops reading is dropped after this, ms (aedes' default of 60 s lets one stall others longer). */
const DRAIN_TIMEOUT_MS = 30_000;
/** Idle per-address CONNECT buckets are swept at most this often, ms. */
const SOURCE_SWEEP_INTERVAL_MS = 10_000;

/**
 * Starts the broker, or answers null when the DEFAULT port is busy (loud warning; the server runs
 * without MQTT). A busy explicit port throws ConfigError (main.ts exits 2).
 */
export async function startMqttBroker(o: MqttBrokerOptions): Promise<MqttBroker | null> {
  const broker = await Aedes.createBroker({
    connectTimeout: o.connectTimeoutMs,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    drainTimeout: DRAIN_TIMEOUT_MS,
  });
  const gate = o.gate;

  broker.authenticate = (client, username, password, callback) => {
    const source = client.conn && 'remoteAddress' in client.conn ? ((client.conn as Socket).remoteAddress ?? 'unknown') : 'unknown';
    const verdict = gate.authenticate(client, source, username, password ?? undefined);
    if (verdict === 'accepted') {
      o.connections.authenticated(client.conn);
      callback(null, true);
      return;
    }
    const err = Object.assign(new Error(verdict === 'throttled' ? 'not authorized' : 'bad user name or password'), {
      returnCode: verdict === 'throttled' ? CONNACK_NOT_AUTHORIZED : CONNACK_BAD_CREDENTIALS,
    }) as AuthenticateError;
    callback(err, false);
  };

  broker.authorizePublish = (client, packet, callback) => {
    gate
      .publish(client ?? null, { topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: packet.retain })
      .then((outcome) => {
        // nothing a device publishes is kept by the broker: dropped retained telemetry must not linger
        packet.retain = false;
        callback(outcome === 'ack' ? null : new Error('publish not acknowledged'));
      })
      .catch((err: unknown) => {
        o.log.error({ err }, 'MQTT publish handling failed');
        callback(err instanceof Error ? err : new Error('publish handling failed'));
      });
  };

  // What a device publishes (telemetry, status, acks, its last will) ends at the gate: no client may
  // ever receive it (authorizeForward passes a device its own `commands` topic only, and only the
  // server publishes there). So aedes' routing of such a publish — its packet copy, the offline
  // enqueue and topic-tree matches, the 'publish' event — is skipped; the PUBACK is written as
  // before (handlers/publish.js writes it before calling broker.publish). The one thing routed is
  // what the server sends (`deliver`, no client).
  // (aedes' types declare publish(packet, done); at run time it is publish(packet, client?, done))
  type RawPublish = (packet: unknown, client: unknown, done?: (err?: Error) => void) => void;
  const route = (broker.publish as unknown as RawPublish).bind(broker);
  (broker as unknown as { publish: RawPublish }).publish = (packet, client, done) => {
    if (client !== null && typeof client === 'object') return done?.();
    route(packet, client, done);
  };

  broker.authorizeSubscribe = (client, sub, callback) => {
    // negated (SUBACK 0x80), not an error: the connection stays up
    const allowed = gate.maySubscribe(client, sub.topic);
    if (allowed) gate.subscribed(client, sub.topic);
    callback(null, allowed ? sub : null);
  };
  broker.on('unsubscribe', (_topics, client) => gate.stoppedListening(client));
  broker.on('clientDisconnect', (client) => gate.disconnected(client));

  broker.authorizeForward = (client, packet) => (gate.mayReceive(client, packet.topic) ? packet : null);

  // errors of single connections (parser errors, refused publishes, resets) end that connection only
  broker.on('clientError', (client, err) => o.log.debug({ err: err.message, deviceId: gate.deviceOf(client) }, 'MQTT client error'));
  broker.on('connectionError', (_client, err) => o.log.debug({ err: err.message }, 'MQTT connection error'));

  let warnedNoParserCap = false;
  const connectBuckets = new TokenBuckets({ sweepAboveKeys: o.maxTrackedSources, sweepIntervalMs: SOURCE_SWEEP_INTERVAL_MS });
  const server: Server = createServer((socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    socket.on('error', () => undefined);
    if (connectBuckets.take(source, 1, o.connectRate) === 0) {
      gate.connectRateLimited(source);
      socket.destroy();
      return;
    }
    if (!o.connections.allowConnection(source)) {
      socket.destroy();
      return;
    }
    o.connections.trackPending(socket, source);
    const client = broker.handle(socket);
    if (!capPacketSize(client, o.maxPacketBytes) && !warnedNoParserCap) {
      warnedNoParserCap = true;
      o.log.warn('MQTT: could not cap the packet size of connections (aedes internals changed); large packets are buffered');
    }
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    if (o.portExplicit) throw new ConfigError(`IOC_MQTT_PORT ${o.port} on ${o.host} is not available (${code}); refusing to start`);
    o.log.warn(
      { port: o.port, host: o.host, code },
      `MQTT DISABLED: the default MQTT port ${o.port} is not available (${code}); devices can use HTTP only. Set IOC_MQTT_PORT to another port, or 0 to turn MQTT off`,
    );
    return null;
  }
  server.on('error', (err) => o.log.error({ err }, 'MQTT listener error'));
  const port = (server.address() as { port: number }).port;

  let closed = false;
  return {
    port,
    connectedClients: () => broker.connectedClients,
    deliver: (topic, payload) =>
      new Promise<boolean>((resolve) => {
        if (closed) return resolve(false);
        broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (err) => {
          if (err) o.log.warn({ err, topic }, 'MQTT: publishing to a device failed');
          resolve(!err);
        });
      }),
    revalidateDevice(deviceId) {
      const ended = gate.revoked(deviceId);
      // the gate forgot them first: their wills (a device dying) are not handled
      for (const client of ended) (client as AedesClient).close();
      return ended.length;
    },
    async close() {
      if (closed) return;
      closed = true;
      // connections closed by the server are not devices dying: their wills are not handled
      gate.close();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await serverClosed;
    },
  };
}

/** Caps the announced length of every packet a connection sends; false when aedes' parser is not where it was. */
function capPacketSize(client: AedesClient, maxPacketBytes: number): boolean {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function') return false;
  const parseLength = parser._parseLength;
  parser._parseLength = function cappedParseLength(this: ParserInternals) {
    const done = parseLength.call(this);
    if (done && this.packet.length > maxPacketBytes) {
      this._emitError(new Error(`packet of ${this.packet.length} bytes is over the ${maxPacketBytes}-byte limit`));
      return false;
    }
    return done;
  };
  return true;
}

/** mqtt-packet's parser as aedes 1.2 holds it per client (`client._parser`). */
interface ParserInternals {
  packet: { length: number };
  _parseLength(this: ParserInternals): boolean;
  _emitError(err: Error): void;
}
