/**
 * The MQTT topic scheme of City IOC devices (server/mqtt/README.md), pure:
 *
 *   ioc/v1/{deviceId}/telemetry      up    one reading or {readings: [...]} (the ingest schema)
 *   ioc/v1/{deviceId}/status         up    {"online": true|false}; the client's last will
 *   ioc/v1/{deviceId}/commands       down  DeviceCommandMessage; only the server publishes here (QoS 1)
 *   ioc/v1/{deviceId}/commands/ack   up    DeviceCommandAck (scenes/device-commands.ts)
 * Through an external broker every upward payload also carries the device's `token`.
 *
 * Device ids never contain `/`, `+` or `#` (IdSchema: letters, digits, `- _ . :`), so one level
 * of the topic is exactly one id.
 */

export const TOPIC_PREFIX = 'ioc/v1/';

/** Which of a device's topics a topic names. */
export type DeviceTopicKind = 'telemetry' | 'status' | 'commands' | 'commands_ack';

export interface DeviceTopic {
  deviceId: string;
  kind: DeviceTopicKind;
}

const SUFFIXES: Readonly<Record<string, DeviceTopicKind>> = {
  telemetry: 'telemetry',
  status: 'status',
  commands: 'commands',
  'commands/ack': 'commands_ack',
};

/** Same character rule as IdSchema, checked without zod on the hot path. */
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$/;

/** The device topic `topic` names, or null when it is outside the scheme. */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  if (!topic.startsWith(TOPIC_PREFIX)) return null;
  const slash = topic.indexOf('/', TOPIC_PREFIX.length);
  if (slash < 0) return null;
  const deviceId = topic.slice(TOPIC_PREFIX.length, slash);
  if (!DEVICE_ID.test(deviceId)) return null;
  const suffix = topic.slice(slash + 1);
  // own keys only: `constructor` or `__proto__` is not a topic kind
  if (!Object.hasOwn(SUFFIXES, suffix)) return null;
  return { deviceId, kind: SUFFIXES[suffix]! };
}

export function telemetryTopic(deviceId: string): string {
  return `${TOPIC_PREFIX}${deviceId}/telemetry`;
}
export function statusTopic(deviceId: string): string {
  return `${TOPIC_PREFIX}${deviceId}/status`;
}
export function commandsTopic(deviceId: string): string {
  return `${TOPIC_PREFIX}${deviceId}/commands`;
}
export function commandsAckTopic(deviceId: string): string {
  return `${TOPIC_PREFIX}${deviceId}/commands/ack`;
}
