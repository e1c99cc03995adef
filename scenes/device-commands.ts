/**
 * Remote control of devices (issue 13), pure: which device kinds take which commands, what a
 * command request, the message a device receives and the acknowledgement it sends back look like,
 * when a command is refused, and how a command's record moves `sent → acknowledged | failed |
 * timed_out`. No I/O: the server's DeviceCommandService (server/device-control/) delivers and
 * persists; the simulator (mock-devices/) obeys.
 *
 * Controllable kinds, and why these:
 * - `pump-station` start/stop: drainage pumps are what a duty officer switches in a rainstorm
 *   (the water scene's pump chart shows `running`);
 * - `flood-gate` open (to a position %, default fully open) / close: sluice gates on rivers and
 *   reservoirs are set to an opening, not just opened (the demo has one per river and reservoir);
 * - `door-sensor` release: the community fire-exit door's access controller (门禁) unlocks for a
 *   few seconds so a handler or rescuer can get in.
 * Sensors (gauges, detectors, cameras) have nothing to switch; street lamps and warning signs are
 * not in the registry's kinds yet — a kind gets commands by an entry in DEVICE_COMMANDS.
 *
 * Wire protocol (same JSON on MQTT and on the Socket.IO `/device` namespace):
 *   down  ioc/v1/{deviceId}/commands       DeviceCommandMessage  (Socket.IO: event `command`)
 *   up    ioc/v1/{deviceId}/commands/ack   DeviceCommandAck      (Socket.IO: event `command:ack`)
 * A device acts on a command id once: a message it has seen before is answered with the same ack
 * again and not acted on twice.
 */
import { z } from 'zod';
import type { Device, DeviceKind, DeviceState, DistrictCode, Role } from './domain';
import { IdSchema } from './domain';
import type { IocError } from './protocol';

export const DEVICE_COMMAND_NAMES = ['start', 'stop', 'open', 'close', 'release', 'on', 'off'] as const;
export const DeviceCommandNameSchema = z.enum(DEVICE_COMMAND_NAMES);
export type DeviceCommandName = z.infer<typeof DeviceCommandNameSchema>;

export interface DeviceCommandSpec {
  name: DeviceCommandName;
  label: string;
  labelEn: string;
  /** takes a position 0..100 % (gates, valves); absent = no parameters */
  position?: { min: number; max: number; default: number };
  /** what the device's next readings show once it obeyed: metric → value ('position' = the command's position) */
  effect?: Readonly<Record<string, number | 'position'>>;
  /** asks the officer to confirm before sending (irreversible or safety-relevant) */
  confirm?: boolean;
}

/** Command catalogue per controllable device kind. */
export const DEVICE_COMMANDS: Readonly<Partial<Record<DeviceKind, readonly DeviceCommandSpec[]>>> = {
  'pump-station': [
    { name: 'start', label: '启动', labelEn: 'Start', effect: { running: 1 } },
    { name: 'stop', label: '停止', labelEn: 'Stop', effect: { running: 0 }, confirm: true },
  ],
  'flood-gate': [
    { name: 'open', label: '开启', labelEn: 'Open', position: { min: 0, max: 100, default: 100 }, effect: { position: 'position' } },
    { name: 'close', label: '关闭', labelEn: 'Close', effect: { position: 0 }, confirm: true },
  ],
  'door-sensor': [{ name: 'release', label: '开门', labelEn: 'Release', effect: { released: 1 }, confirm: true }],
};

/** Roles that may send a command to a device (server-side check; scope applies on top). */
export const DEVICE_COMMAND_ROLES: readonly Role[] = ['officer', 'admin'];

/** Default time a device has to acknowledge a command before it counts as timed out, ms. */
export const DEFAULT_DEVICE_COMMAND_TIMEOUT_MS = 10_000;

export function commandsOf(kind: DeviceKind): readonly DeviceCommandSpec[] {
  return DEVICE_COMMANDS[kind] ?? [];
}

export function isControllable(kind: DeviceKind): boolean {
  return commandsOf(kind).length > 0;
}

/** An officer's (or a plan's) request. `commandId` is chosen by the caller: a retry reuses it. */
export const DeviceCommandRequestSchema = z.strictObject({
  commandId: IdSchema,
  deviceId: IdSchema,
  name: DeviceCommandNameSchema,
  params: z.strictObject({ position: z.number().int().min(0).max(100).optional() }).optional(),
});
export type DeviceCommandRequest = z.infer<typeof DeviceCommandRequestSchema>;

/** What the device receives. */
export interface DeviceCommandMessage {
  commandId: string;
  deviceId: string;
  name: DeviceCommandName;
  params: { position?: number };
  /** epoch ms */
  issuedAt: number;
  /** epoch ms after which the server no longer waits: a device may ignore an older command */
  expiresAt: number;
}

/** What the device answers. `token` is required through an external broker (the server verifies it). */
export const DeviceCommandAckSchema = z.strictObject({
  commandId: IdSchema,
  status: z.enum(['ok', 'failed']),
  message: z.string().max(200).optional(),
  token: z.string().min(16).max(128).optional(),
  ts: z.number().int().gte(0).optional(),
});
export type DeviceCommandAck = z.infer<typeof DeviceCommandAckSchema>;

export const DEVICE_COMMAND_STATES = ['sent', 'acknowledged', 'failed', 'timed_out'] as const;
export type DeviceCommandStatus = (typeof DEVICE_COMMAND_STATES)[number];

/** How a command reached (or failed to reach) the device. */
export type DeviceCommandChannel = 'mqtt' | 'socket';

/** One command, as stored, logged and shown. */
export interface DeviceCommandRecord {
  commandId: string;
  deviceId: string;
  kind: DeviceKind;
  /** the device's district when the command was sent (who may see the record: scenes/scope.ts eventInScope) */
  district?: DistrictCode;
  name: DeviceCommandName;
  params: { position?: number };
  /** username, or `system` / `plan:<id>` for automatic callers */
  actor: string;
  role: Role | 'system';
  channel: DeviceCommandChannel;
  status: DeviceCommandStatus;
  issuedAt: number;
  /** issuedAt + timeout */
  deadline: number;
  /** when it left `sent` */
  settledAt?: number;
  /** the device's message on `failed`, or why it timed out */
  message?: string;
  /** an acknowledgement that came after the command had timed out (kept for the record, status unchanged) */
  lateAck?: { status: 'ok' | 'failed'; ts: number };
}

/**
 * Why a command may not be sent now, or null. Order: unknown command for the kind, bad
 * parameters, device retired/in maintenance, device offline.
 */
export function commandRefusal(
  device: Pick<Device, 'id' | 'kind' | 'status'>,
  state: Pick<DeviceState, 'online'> | undefined,
  request: Pick<DeviceCommandRequest, 'name' | 'params'>,
): IocError | null {
  const spec = commandsOf(device.kind).find((c) => c.name === request.name);
  if (!spec) return { code: 'E_VALIDATION', message: `device kind ${device.kind} has no command ${request.name}` };
  const position = request.params?.position;
  if (spec.position && position !== undefined && (position < spec.position.min || position > spec.position.max))
    return { code: 'E_VALIDATION', message: `position must be ${spec.position.min}..${spec.position.max} %` };
  if (!spec.position && position !== undefined) return { code: 'E_VALIDATION', message: `command ${request.name} takes no position` };
  if (device.status === 'retired') return { code: 'E_CONFLICT', message: `device ${device.id} is retired` };
  if (device.status === 'maintenance') return { code: 'E_CONFLICT', message: `device ${device.id} is in maintenance` };
  if (!state?.online) return { code: 'E_UNAVAILABLE', message: `device ${device.id} is offline` };
  return null;
}

/** The parameters a command goes out with (a gate's position defaulted). */
export function commandParams(kind: DeviceKind, request: Pick<DeviceCommandRequest, 'name' | 'params'>): { position?: number } {
  const spec = commandsOf(kind).find((c) => c.name === request.name);
  if (!spec?.position) return {};
  return { position: request.params?.position ?? spec.position.default };
}

/** The record after the device's acknowledgement: only a `sent` command settles; a late one is noted. */
export function settleCommand(record: DeviceCommandRecord, ack: Pick<DeviceCommandAck, 'status' | 'message'>, now: number): DeviceCommandRecord {
  if (record.status !== 'sent') {
    if (record.status === 'timed_out' && !record.lateAck) return { ...record, lateAck: { status: ack.status, ts: now } };
    return record;
  }
  return {
    ...record,
    status: ack.status === 'ok' ? 'acknowledged' : 'failed',
    settledAt: now,
    ...(ack.message !== undefined ? { message: ack.message } : {}),
  };
}

/** The record once its deadline passed without an acknowledgement (unchanged before the deadline or when settled). */
export function expireCommand(record: DeviceCommandRecord, now: number): DeviceCommandRecord {
  if (record.status !== 'sent' || now < record.deadline) return record;
  return { ...record, status: 'timed_out', settledAt: now, message: 'no acknowledgement from the device in time' };
}

/** The metric values a device shows after obeying (the simulator applies them; tests expect them). */
export function commandEffect(kind: DeviceKind, name: DeviceCommandName, params: { position?: number }): Record<string, number> {
  const spec = commandsOf(kind).find((c) => c.name === name);
  const out: Record<string, number> = {};
  for (const [metric, v] of Object.entries(spec?.effect ?? {}))
    out[metric] = v === 'position' ? (params.position ?? spec?.position?.default ?? 0) : v;
  return out;
}
