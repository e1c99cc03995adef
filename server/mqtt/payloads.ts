/**
 * Decoding of device payloads on MQTT topics, without I/O. Telemetry is handed on to the one ingest
 * path (IngestService) in the shape HTTP ingest takes (`SignedReading`): the topic says which
 * device, the connection says which token, so both may be left out of the payload; a deviceId in
 * the payload that differs from the topic's refuses the whole message (never trusted). Through an
 * external broker there is no connection of the device's: the payload's `token` is its identity.
 */
import { DeviceCommandAckSchema, type DeviceCommandAck } from '../../scenes/device-commands';
import { normaliseInbound } from '../guard';

/** Why a message was dropped or refused (the label of `ioc_mqtt_messages_total{verdict}`). */
export type MqttVerdict =
  'ok' | 'bad_json' | 'invalid' | 'too_large' | 'foreign_topic' | 'unknown_topic' | 'retained' | 'rate_limited' | 'unavailable' | 'unauthorized';

export const MQTT_VERDICTS: readonly MqttVerdict[] = [
  'ok',
  'bad_json',
  'invalid',
  'too_large',
  'foreign_topic',
  'unknown_topic',
  'retained',
  'rate_limited',
  'unavailable',
  'unauthorized',
];

export type Decoded<T> = { ok: true; value: T } | { ok: false; verdict: 'bad_json' | 'invalid'; reason: string };

export interface PayloadLimits {
  /** deepest nesting of a payload, levels (config.inboundMaxDepth) */
  maxDepth: number;
  /** readings in one `{readings: [...]}` message (config.maxBatchReadings) */
  maxReadings: number;
}

/** JSON of a payload, normalised like every inbound payload (guard.ts): depth bound, forbidden keys. */
export function decodeJson(payload: Buffer | string, maxDepth: number): Decoded<unknown> {
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return { ok: false, verdict: 'bad_json', reason: 'payload is not JSON' };
  }
  const n = normaliseInbound(value, maxDepth, 'payload');
  if (!n.ok) return { ok: false, verdict: 'invalid', reason: n.error.message };
  return { ok: true, value: n.value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The readings of a telemetry message on `ioc/v1/{deviceId}/telemetry`, each with `deviceId` (the
 * topic's) and `token` (the connection's, unless the reading carries its own) filled in, ready for
 * `IngestService.ingest`, which validates everything else.
 */
export function decodeTelemetry(payload: Buffer | string, deviceId: string, token: string, limits: PayloadLimits): Decoded<unknown[]> {
  const json = decodeJson(payload, limits.maxDepth);
  if (!json.ok) return json;
  return telemetryReadings(json.value, deviceId, token, limits);
}

/** `decodeTelemetry` of a payload already decoded by `decodeJson`. */
export function telemetryReadings(body: unknown, deviceId: string, token: string, limits: PayloadLimits): Decoded<unknown[]> {
  if (!isPlainObject(body)) return { ok: false, verdict: 'invalid', reason: 'telemetry must be a reading or {readings: [...]}' };
  let readings: unknown[];
  if (Object.hasOwn(body, 'readings')) {
    const list = body.readings;
    if (!Array.isArray(list) || list.length === 0 || list.length > limits.maxReadings) {
      return { ok: false, verdict: 'invalid', reason: `readings must be an array of 1 to ${limits.maxReadings} readings` };
    }
    readings = list;
  } else readings = [body];
  for (const r of readings) {
    if (!isPlainObject(r)) return { ok: false, verdict: 'invalid', reason: 'a reading must be an object' };
    if (r.deviceId === undefined) r.deviceId = deviceId;
    else if (r.deviceId !== deviceId) return { ok: false, verdict: 'invalid', reason: 'a reading names another device than its topic' };
    if (r.token === undefined) r.token = token;
  }
  return { ok: true, value: readings };
}

/** `{"online": true|false}` on a status topic. */
export function decodeStatus(payload: Buffer | string, maxDepth: number): Decoded<{ online: boolean }> {
  const json = decodeJson(payload, maxDepth);
  if (!json.ok) return json;
  return statusOf(json.value);
}

/** `decodeStatus` of a payload already decoded by `decodeJson` (a `token` beside `online` is allowed). */
export function statusOf(body: unknown): Decoded<{ online: boolean }> {
  if (!isPlainObject(body) || typeof body.online !== 'boolean')
    return { ok: false, verdict: 'invalid', reason: 'status must be {"online": true|false}' };
  return { ok: true, value: { online: body.online } };
}

/**
 * The device token a payload carries at its top level (`{..., "token": "…"}`): a single reading's,
 * a batch envelope's `{token, readings}`, a status' or an ack's. Through an external broker this
 * is the only proof of identity the server gets (the broker's own auth is not trusted).
 */
export function payloadToken(body: unknown): string | undefined {
  return isPlainObject(body) && typeof body.token === 'string' ? body.token : undefined;
}

/** A command acknowledgement on `ioc/v1/{deviceId}/commands/ack` (DeviceCommandAckSchema). */
export function commandAckOf(body: unknown): Decoded<DeviceCommandAck> {
  const parsed = DeviceCommandAckSchema.safeParse(body);
  if (!parsed.success) return { ok: false, verdict: 'invalid', reason: `command ack: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, value: parsed.data };
}
