/**
 * Devices over MQTT, as app.ts sees it (issue 13): one call, `startMqtt`, picks the mode from the
 * configuration and answers the endpoint with its command channel, or null when MQTT is off.
 * - embedded (default, IOC_MQTT_PORT): an aedes broker in this process (broker.ts);
 * - external (IOC_MQTT_URL): an MQTT 5 client of Mosquitto/EMQX with shared subscriptions
 *   (external-client.ts).
 * Both hand every message to the same MqttDeviceGate (device-gate.ts): one code path.
 */
import { hostname } from 'node:os';
import type { DeviceCommandMessage } from '../../scenes/device-commands';
import type { AuditRecorder } from '../audit/audit';
import type { CommandAckSink, CommandChannel } from '../device-control/channels';
import type { ServerConfig } from '../config';
import type { Logger } from '../logger';
import { AuditLimiter } from '../audit/audit-limiter';
import { startMqttBroker } from './broker';
import { MqttDeviceGate, type ConnectRefusal, type MqttGateDeps } from './device-gate';
import type { MqttVerdict } from './payloads';
import { commandsTopic } from './topics';
import { TelemetryBatcher, type MergingIngest } from './telemetry-batcher';

export interface MqttEndpoint {
  mode: 'embedded' | 'external';
  /** the embedded broker's port; null in external mode */
  port: number | null;
  /** where devices connect: mqtt://<host>:<port> (embedded) or the external broker's URL without credentials */
  url: string;
  commandChannel: CommandChannel;
  /**
   * The registry changed a device (token rotated, retired): embedded, its connections whose token
   * no longer holds are closed at once; external, nothing to do (every message carries its token).
   */
  deviceChanged(deviceId: string): void;
  close(): Promise<void>;
}

export interface MqttEndpointDeps {
  devices: MqttGateDeps['devices'];
  verifier: MqttGateDeps['verifier'];
  /** the one ingest path (IngestService); MQTT messages reach it merged (telemetry-batcher.ts) */
  ingest: MergingIngest;
  /** the entry guard: failed-auth throttle per source, unauthenticated connections per source */
  guard: MqttGateDeps['guard'] & {
    allowConnection(source: string): boolean;
    trackPending(conn: import('node:net').Socket, source: string): void;
    authenticated(conn: object): void;
  };
  markOffline(deviceId: string, ts: number): void;
  acknowledge: CommandAckSink;
  countMessage(verdict: MqttVerdict): void;
  countRefusedConnect(reason: ConnectRefusal): void;
  audit: AuditRecorder;
  log: Logger;
  /** the HTTP port the server listens on (the default external client id names it) */
  httpPort: number;
}

/** Remote addresses whose CONNECT buckets are held before idle ones are swept. */
const MAX_TRACKED_SOURCES = 50_000;
/** (source, device) pairs the audit limiter remembers at most. */
const MAX_AUDIT_KEYS = 10_000;

/** ioc-<hostname>-<http port>: stable across restarts of the same node, distinct between nodes. */
export function defaultClientId(httpPort: number): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 64) || 'host';
  return `ioc-${host}-${httpPort}`;
}

/** Starts MQTT as configured; null when it is off (or the embedded broker's default port was busy, warned). */
export async function startMqtt(config: ServerConfig, deps: MqttEndpointDeps): Promise<MqttEndpoint | null> {
  if (config.mqttUrl === null && config.mqttPort === null) return null;
  const gate = new MqttDeviceGate({
    devices: deps.devices,
    verifier: deps.verifier,
    ingest: new TelemetryBatcher(deps.ingest, { maxBatchReadings: config.mqttMaxBatchReadings, windowMs: config.mqttBatchWindowMs }),
    guard: deps.guard,
    markOffline: deps.markOffline,
    acknowledge: deps.acknowledge,
    count: deps.countMessage,
    countRefusedConnect: deps.countRefusedConnect,
    audit: new AuditLimiter({
      audit: deps.audit,
      log: deps.log,
      intervalMs: config.mqttAuditIntervalMs,
      maxKeys: MAX_AUDIT_KEYS,
      what: 'MQTT audit record',
    }),
    log: deps.log,
    limits: {
      maxPayloadBytes: config.mqttMaxPayloadBytes,
      maxDepth: config.inboundMaxDepth,
      maxReadings: config.maxBatchReadings,
      logIntervalMs: config.mqttLogIntervalMs,
    },
  });
  const payloadOf = (m: DeviceCommandMessage) => JSON.stringify(m);

  if (config.mqttUrl !== null) {
    // through an external broker the device tokens travel in the payloads
    if (config.production && config.mqttUrl.startsWith('mqtt://'))
      deps.log.warn(
        { broker: config.mqttUrl.replace(/\/\/[^@]*@/, '//***@') },
        'MQTT: IOC_MQTT_URL is plain mqtt:// — device tokens cross the network unencrypted; use mqtts://',
      );
    // the mqtt client package (~0.14 s to import) is loaded only when an external broker is configured
    const { startExternalMqtt } = await import('./external-client');
    const client = await startExternalMqtt({
      url: config.mqttUrl,
      ...(config.mqttUsername !== null ? { username: config.mqttUsername } : {}),
      ...(config.mqttPassword !== null ? { password: config.mqttPassword } : {}),
      shareGroup: config.mqttShareGroup,
      clientId: config.mqttClientId ?? defaultClientId(deps.httpPort),
      sessionExpiryS: config.mqttSessionExpiryS,
      reconnectMinMs: config.mqttReconnectMinMs,
      reconnectMaxMs: config.mqttReconnectMaxMs,
      connectTimeoutMs: config.mqttConnectTimeoutMs,
      deliverTimeoutMs: config.mqttDeliverTimeoutMs,
      maxPacketBytes: config.mqttMaxPacketBytes,
      receiveMaximum: config.mqttReceiveMaximum,
      gate,
      log: deps.log,
    });
    return {
      mode: 'external',
      port: null,
      url: client.url,
      commandChannel: {
        name: 'mqtt',
        // the broker holds the device's session: the server can only know that it reaches the broker
        reaches: () => client.connected(),
        deliver: (m) => client.deliver(commandsTopic(m.deviceId), payloadOf(m)),
      },
      deviceChanged: () => undefined,
      close: () => client.close(),
    };
  }

  const broker = await startMqttBroker({
    host: config.host,
    port: config.mqttPort!,
    portExplicit: config.mqttPortExplicit,
    maxPacketBytes: config.mqttMaxPacketBytes,
    connectTimeoutMs: config.mqttConnectTimeoutMs,
    gate,
    connectRate: { ratePerS: config.mqttConnectRatePerS, capacity: config.mqttConnectBurst },
    maxTrackedSources: MAX_TRACKED_SOURCES,
    connections: deps.guard,
    log: deps.log,
  });
  if (!broker) return null;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    mode: 'embedded',
    port: broker.port,
    url: `mqtt://${shownHost}:${broker.port}`,
    commandChannel: {
      name: 'mqtt',
      reaches: (deviceId) => gate.reaches(deviceId),
      deliver: (m) => (gate.reaches(m.deviceId) ? broker.deliver(commandsTopic(m.deviceId), payloadOf(m)) : Promise.resolve(false)),
    },
    deviceChanged: (deviceId) => {
      broker.revalidateDevice(deviceId);
    },
    close: () => broker.close(),
  };
}
