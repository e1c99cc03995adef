/**
 * External-broker mode (IOC_MQTT_URL): the server is an MQTT 5 CLIENT of Mosquitto/EMQX instead of
 * running a broker. Devices connect to that broker; the server reads their topics through shared
 * subscriptions, so several server nodes in the same group split the messages:
 *
 *   $share/{group}/ioc/v1/+/telemetry   $share/{group}/ioc/v1/+/status   $share/{group}/ioc/v1/+/commands/ack
 *
 * - Identity: the broker's auth is not trusted; every message carries the device token in its
 *   payload and the gate verifies it (device-gate.ts `publishFromBroker`, the same path as the
 *   embedded broker's).
 * - QoS 1 end to end: the PUBACK goes only after the gate answered (mqtt.js `customHandleAcks`,
 *   MQTT 5 only). A message the gate refuses (store unavailable past the deferred bound) is not
 *   acknowledged and the connection is dropped: the broker keeps it in the persistent session
 *   (`clean: false`, a stable client id, a session expiry) and delivers it again after the
 *   reconnect, which backs off while the store stays down.
 * - Pipelined: mqtt.js handles one incoming PUBLISH at a time per connection and sends its PUBACK
 *   before it reads the next, which would make the throughput one message per ingest round trip.
 *   Instead every message is handed to the gate at once (the gate merges the messages of one
 *   event-loop turn into one ingest call) and its PUBACK is held back until the gate answered,
 *   in the order the messages came (MQTT 4.6: PUBACKs in PUBLISH order): `holdPubacks`. The broker
 *   sends at most `receiveMaximum` unacknowledged messages (MQTT 5 flow control), which bounds
 *   what is in flight. If mqtt.js' internals are not where they were, the client falls back to
 *   one message at a time (a warning says so).
 * - Broker unreachable: a loud warning, and reconnects with exponential back-off; the server runs.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../logger';
import type { MqttDeviceGate, PublishOutcome } from './device-gate';
import { holdPubacks } from './held-pubacks';
import { TOPIC_PREFIX } from './topics';

export interface ExternalMqttOptions {
  /** mqtt://host:port or mqtts://host:port */
  url: string;
  /** the server's own account on the broker */
  username?: string;
  password?: string;
  /** shared subscription group: server nodes in the same group split the messages */
  shareGroup: string;
  /** stable across restarts, so the broker resumes the persistent session */
  clientId: string;
  /** how long the broker keeps the session (and queues messages) while the server is away, s */
  sessionExpiryS: number;
  /** first reconnect delay, ms; doubles up to `reconnectMaxMs` while the broker stays away or messages are refused */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** CONNECT answered within this, ms; also the longest the start waits for the first connection */
  connectTimeoutMs: number;
  /** a command's PUBACK from the broker within this, else delivery counts as failed, ms */
  deliverTimeoutMs: number;
  /** largest packet the server accepts from the broker, bytes */
  maxPacketBytes: number;
  /** unacknowledged QoS 1 messages the broker may send at once (MQTT 5 Receive Maximum) */
  receiveMaximum: number;
  gate: MqttDeviceGate;
  log: Logger;
}

export interface ExternalMqttClient {
  /** the broker's URL without credentials */
  url: string;
  /** connected, with the subscriptions granted */
  connected(): boolean;
  /** Publishes QoS 1, not retained; true once the broker acknowledged it with a subscriber to hand it to. */
  deliver(topic: string, payload: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The topic filters the server subscribes to (with `$share/{group}/` in front). */
export const EXTERNAL_SUBSCRIPTIONS = [`${TOPIC_PREFIX}+/telemetry`, `${TOPIC_PREFIX}+/status`, `${TOPIC_PREFIX}+/commands/ack`];

/** PUBACK reason code 0x10 (MQTT 5): accepted, but nobody subscribes to the topic. */
const NO_MATCHING_SUBSCRIBERS = 16;
/** A SUBACK reason code at or above this refuses the subscription (MQTT 5, 3.9.3). */
const SUBACK_FAILURE = 0x80;
/** PUBACK ids held for `deliver` at most (each is taken by its deliver at once; a bound against leaks) */
const MAX_TRACKED_PUBACKS = 1024;

/** The URL as it may be logged and printed: no user name or password. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/** Marks the error mqtt.js emits for a message the server chose not to acknowledge. */
class WithheldAck extends Error {}

/**
 * Connects (without blocking the start for longer than `connectTimeoutMs`) and keeps connecting.
 * Resolves once the subscriptions are in place, or after the first failure (warned loudly).
 */
export async function startExternalMqtt(o: ExternalMqttOptions): Promise<ExternalMqttClient> {
  const url = redactedUrl(o.url);
  const shared = EXTERNAL_SUBSCRIPTIONS.map((t) => `$share/${o.shareGroup}/${t}`);
  let backoffMs = o.reconnectMinMs;
  let refusedSinceConnect = false;
  let everConnected = false;
  let wasConnected = false;
  /** the subscriptions of the current connection are granted (acks can come back) */
  let subscribed = false;
  let closing = false;
  /** the start waits for the first subscription (or the first failure) */
  let started: (() => void) | null = null;

  const handleMessage = (topic: string, payload: Buffer, qos: number, retain: boolean): Promise<PublishOutcome> =>
    o.gate.publishFromBroker({ topic, payload, qos, retain }, url).catch((err: unknown) => {
      o.log.error({ err, topic }, 'MQTT (external): message handling failed');
      return 'refuse' as const;
    });

  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: o.clientId,
    clean: false,
    properties: { sessionExpiryInterval: o.sessionExpiryS, maximumPacketSize: o.maxPacketBytes, receiveMaximum: o.receiveMaximum },
    reconnectPeriod: o.reconnectMinMs,
    connectTimeout: o.connectTimeoutMs,
    // subscriptions are made on every CONNACK (below): a resumed session keeps them, a new one needs them
    resubscribe: false,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    customHandleAcks: (topic, message, packet: { qos: number; retain?: boolean; messageId?: number }, done) => {
      const handled = handleMessage(topic, message, packet.qos, packet.retain === true);
      if (held !== null && packet.messageId !== undefined) {
        // pipelined: mqtt.js goes on to the next message; the PUBACK waits for `handled` (holdPubacks)
        held.set(packet.messageId, handled);
        done(0);
        return;
      }
      void handled.then((outcome) => {
        if (outcome === 'ack') {
          done(0);
          return;
        }
        // no PUBACK: the broker keeps the message for this session and delivers it after the reconnect
        done(new WithheldAck('message not acknowledged'));
        withholdAndReconnect();
      });
    },
  };
  /** the outcome each PUBACK waits for, from customHandleAcks to the PUBACK it lets through; null: not pipelined */
  let held: Map<number, Promise<PublishOutcome>> | null = new Map();
  const client: MqttClient = connect(o.url, options);
  const pipeline = holdPubacks(client, held, () => withholdAndReconnect());
  if (pipeline === null) {
    held = null;
    o.log.warn('MQTT (external): mqtt.js internals changed; messages are handled one at a time (lower throughput)');
  }

  const withholdAndReconnect = (): void => {
    if (refusedSinceConnect || closing) return;
    refusedSinceConnect = true;
    o.log.warn(
      { broker: url, retryInMs: backoffMs },
      'MQTT (external): a message was not acknowledged (store unavailable); reconnecting for redelivery',
    );
    client.stream?.destroy();
  };

  // mqtt.js answers a publish with the PUBLISH packet, not the PUBACK: the reason code is read here
  const noSubscriber = new Set<number>();
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback' && packet.reasonCode === NO_MATCHING_SUBSCRIBERS && packet.messageId !== undefined) {
      if (noSubscriber.size >= MAX_TRACKED_PUBACKS) noSubscriber.clear();
      noSubscriber.add(packet.messageId);
    }
  });

  // QoS 0 messages bypass customHandleAcks (nothing to acknowledge)
  client.on('message', (topic, payload, packet) => {
    if (packet.qos === 0) void handleMessage(topic, payload, 0, packet.retain);
  });

  client.on('connect', (connack) => {
    wasConnected = true;
    if (!refusedSinceConnect) backoffMs = o.reconnectMinMs;
    refusedSinceConnect = false;
    client.options.reconnectPeriod = backoffMs;
    client.subscribe(shared, { qos: 1 }, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos >= SUBACK_FAILURE);
      if (err || refused.length > 0) {
        o.log.error(
          { broker: url, err, refused: refused.map((g) => ({ topic: g.topic, reasonCode: g.qos })) },
          'MQTT (external): the broker REFUSED the server’s subscriptions; no device traffic is read (check the server account’s ACL)',
        );
        return;
      }
      subscribed = true;
      if (!everConnected)
        o.log.info({ broker: url, clientId: o.clientId, sessionPresent: connack.sessionPresent, shared }, 'MQTT (external): subscribed');
      else o.log.info({ broker: url, sessionPresent: connack.sessionPresent }, 'MQTT (external): reconnected');
      everConnected = true;
      started?.();
    });
  });

  client.on('close', () => {
    if (closing) return;
    if (wasConnected) o.log.warn({ broker: url }, 'MQTT (external): connection to the broker lost; reconnecting');
    wasConnected = false;
    subscribed = false;
    client.options.reconnectPeriod = backoffMs;
    backoffMs = Math.min(o.reconnectMaxMs, backoffMs * 2);
  });

  let lastErrorLogTs = 0;
  client.on('error', (err) => {
    if (err instanceof WithheldAck) return;
    const now = Date.now();
    // at most one line per reconnect ceiling: a broker that stays away must not fill the log
    if (now - lastErrorLogTs < o.reconnectMaxMs) return;
    lastErrorLogTs = now;
    o.log.warn(
      { broker: url, err: err.message, retryInMs: client.options.reconnectPeriod },
      everConnected
        ? 'MQTT (external): broker error'
        : 'MQTT (external): BROKER UNREACHABLE — devices on it are not read until it answers; retrying with back-off',
    );
  });

  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, o.connectTimeoutMs);
    function done(): void {
      clearTimeout(timer);
      started = null;
      client.off('error', done);
      client.off('close', done);
      resolve();
    }
    started = done;
    client.once('error', done);
    client.once('close', done);
  });

  return {
    url,
    connected: () => client.connected && subscribed && !closing,
    async deliver(topic, payload) {
      if (!client.connected || closing) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), o.deliverTimeoutMs)));
      const published = client
        .publishAsync(topic, payload, { qos: 1, retain: false })
        .then((sent) => !(sent?.messageId !== undefined && noSubscriber.delete(sent.messageId)))
        .catch((err: unknown) => {
          o.log.warn({ err, topic }, 'MQTT (external): publishing to a device failed');
          return false;
        });
      try {
        return await Promise.race([published, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closing) return;
      closing = true;
      o.gate.close();
      // what was ingested is acknowledged before leaving (else the broker sends it again: duplicates)
      await pipeline?.drained();
      // a graceful DISCONNECT keeps the session (and its queued messages) for the next start
      if (client.connected) await client.endAsync(false).catch(() => client.end(true));
      else client.end(true);
    },
  };
}
