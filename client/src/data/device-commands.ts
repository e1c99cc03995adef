/**
 * Remote control of devices (issue 13) over the live connection: send a command
 * (`device:command`, acked with the command's record or a typed error), list a device's recent
 * commands (`device:commands`, newest first) and follow every change the server pushes
 * (`device:command`: sent → acknowledged | failed | timed_out).
 *
 * The merge rules are pure and tested here: a record never moves back from a settled state to
 * `sent` (a late list answer or an out-of-order push must not undo an acknowledgement).
 */
import type { DeviceCommandName, DeviceCommandRecord, DeviceCommandRequest } from '@scenes/device-commands';
import type { IocError } from '@scenes/protocol';
import type { LiveTransport } from '../connection';

export type DeviceCommandSendResult = { ok: true; command: DeviceCommandRecord } | { ok: false; error: IocError };
export type DeviceCommandListResult = { ok: true; commands: DeviceCommandRecord[] } | { ok: false; error: IocError };

/** Commands listed per device by default (the detail card shows the newest few of them). */
export const DEFAULT_COMMAND_HISTORY_LIMIT = 20;

/** What the officer asks for; the command id is added once, by the store, and kept for every retry. */
export interface DeviceCommandInput {
  deviceId: string;
  name: DeviceCommandName;
  params?: { position?: number };
}

export function sendDeviceCommand(transport: LiveTransport, request: DeviceCommandRequest): Promise<DeviceCommandSendResult> {
  return transport.request('device:command', request);
}

export function fetchDeviceCommands(
  transport: LiveTransport,
  deviceId: string,
  limit: number = DEFAULT_COMMAND_HISTORY_LIMIT,
): Promise<DeviceCommandListResult> {
  return transport.request('device:commands', { deviceId, limit });
}

/** Follow the server's pushes of changed commands. Returns the unsubscribe. */
export function subscribeDeviceCommands(transport: LiveTransport, onRecord: (record: DeviceCommandRecord) => void): () => void {
  return transport.on('device:command', onRecord);
}

/**
 * Errors after which the outcome is unknown (no answer in time, the connection dropped): the
 * command may or may not have reached the server, so a retry must reuse the same command id.
 * Every other code is the server's typed refusal and final.
 */
export function outcomeUnknown(error: IocError): boolean {
  return error.code === 'E_INTERNAL' || error.code === 'E_UNAUTHORIZED';
}

const SETTLED_RANK: Record<DeviceCommandRecord['status'], number> = { sent: 0, acknowledged: 1, failed: 1, timed_out: 1 };

/** Which of two versions of one command to keep: never back to `sent`; a noted late ack is kept. */
export function newerRecord(existing: DeviceCommandRecord | undefined, incoming: DeviceCommandRecord): DeviceCommandRecord {
  if (!existing) return incoming;
  if (SETTLED_RANK[incoming.status] < SETTLED_RANK[existing.status]) return existing;
  if (existing.lateAck && !incoming.lateAck) return existing;
  return incoming;
}

/** Newest first: by issue time, then by id so equal times keep a stable order. */
export function compareNewestFirst(a: DeviceCommandRecord, b: DeviceCommandRecord): number {
  return b.issuedAt - a.issuedAt || (a.commandId < b.commandId ? 1 : a.commandId > b.commandId ? -1 : 0);
}
