/**
 * What a simulated device does with a command from the server (issue 13, remote control), without
 * I/O: the MqttGateway hands it the payload of `ioc/v1/{deviceId}/commands` and publishes the ack
 * it returns on `ioc/v1/{deviceId}/commands/ack` (wire protocol: scenes/device-commands.ts).
 *
 * Invariants:
 * - a payload that is not a valid DeviceCommandMessage is ignored (no ack: without a valid
 *   commandId there is nothing to answer); the caller logs it rate-limited;
 * - a command for another device than the topic's, or one past its `expiresAt`, is answered
 *   `failed` without being acted on;
 * - a device acts on a command id once: a repeated id (a QoS 1 redelivery, a retry) gets the same
 *   ack again and is NOT acted on twice;
 * - memory is bounded: the last COMMAND_MEMORY_PER_DEVICE ids per device are remembered (oldest
 *   forgotten first), and only devices that ever received a command hold any.
 */
import { z } from 'zod';
import { IdSchema, type Reading } from '../scenes/domain';
import { DeviceCommandNameSchema, type DeviceCommandAck, type DeviceCommandMessage } from '../scenes/device-commands';

/** Command ids remembered per device with their ack. */
export const COMMAND_MEMORY_PER_DEVICE = 64;
/** An ack's `message` is at most this long (DeviceCommandAckSchema). */
const ACK_MESSAGE_MAX = 200;

/** The DeviceCommandMessage a device accepts (extra fields from a newer server are ignored). */
export const DeviceCommandMessageSchema = z.object({
  commandId: IdSchema,
  deviceId: IdSchema,
  name: DeviceCommandNameSchema,
  params: z.object({ position: z.number().int().min(0).max(100).optional() }).default({}),
  issuedAt: z.number().int().gte(0),
  expiresAt: z.number().int().gte(0),
}) satisfies z.ZodType<DeviceCommandMessage, unknown>;

/** What the device made of a command (`message` says why on `failed`). */
export interface CommandOutcome {
  status: 'ok' | 'failed';
  message?: string;
  /** fresh readings showing the effect, published before the ack (so the wall sees it at once) */
  readings?: readonly Reading[];
}

/** The device's handler: obey (and say so) or refuse. */
export type CommandHandler = (deviceId: string, message: DeviceCommandMessage) => CommandOutcome;

/** The ack without the token (the transport adds it when the broker needs it in the payload). */
export type AckWithoutToken = Omit<DeviceCommandAck, 'token'> & { ts: number };

export type InboxResult =
  | { kind: 'invalid'; reason: string }
  | { kind: 'ack'; ack: AckWithoutToken; acted: boolean; repeated: boolean; message: DeviceCommandMessage; readings: readonly Reading[] };

export class CommandInbox {
  /** deviceId → commandId → ack, insertion order = age */
  private readonly seen = new Map<string, Map<string, AckWithoutToken>>();

  constructor(private readonly handler: CommandHandler | undefined) {}

  /** Decide on one payload received on `deviceId`'s command topic at `nowTs`. Never throws. */
  receive(deviceId: string, payload: Buffer | string, nowTs: number): InboxResult {
    let json: unknown;
    try {
      json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
    } catch {
      return { kind: 'invalid', reason: 'payload is not JSON' };
    }
    const parsed = DeviceCommandMessageSchema.safeParse(json);
    if (!parsed.success)
      return { kind: 'invalid', reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
    const message = parsed.data;
    const memory = this.seen.get(deviceId);
    const before = memory?.get(message.commandId);
    if (before) return { kind: 'ack', ack: before, acted: false, repeated: true, message, readings: [] };

    let outcome: CommandOutcome;
    let acted = false;
    if (message.deviceId !== deviceId) outcome = { status: 'failed', message: `command is for ${message.deviceId}, not this device` };
    else if (message.expiresAt < nowTs) outcome = { status: 'failed', message: 'expired' };
    else if (!this.handler) outcome = { status: 'failed', message: 'this device takes no commands' };
    else {
      acted = true;
      try {
        outcome = this.handler(deviceId, message);
      } catch (err) {
        outcome = { status: 'failed', message: err instanceof Error ? err.message : String(err) };
      }
    }
    const ack: AckWithoutToken = { commandId: message.commandId, status: outcome.status, ts: nowTs };
    if (outcome.message !== undefined) ack.message = outcome.message.slice(0, ACK_MESSAGE_MAX);
    this.remember(deviceId, ack);
    return { kind: 'ack', ack, acted, repeated: false, message, readings: outcome.readings ?? [] };
  }

  /** The device left the fleet: forget its commands. */
  forget(deviceId: string): void {
    this.seen.delete(deviceId);
  }

  /** Devices with remembered commands, and ids remembered in all (memory check). */
  size(): { devices: number; commands: number } {
    let commands = 0;
    for (const m of this.seen.values()) commands += m.size;
    return { devices: this.seen.size, commands };
  }

  private remember(deviceId: string, ack: AckWithoutToken): void {
    let memory = this.seen.get(deviceId);
    if (!memory) this.seen.set(deviceId, (memory = new Map()));
    memory.set(ack.commandId, ack);
    if (memory.size > COMMAND_MEMORY_PER_DEVICE) memory.delete(memory.keys().next().value!);
  }
}
