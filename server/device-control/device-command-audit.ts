/**
 * The audit records and event-log entries of commands to devices (issue 13). One action name,
 * `device.command`, on target `device:<id>`:
 * - the send, by the person (or `system` / `plan:<id>`): success = accepted for delivery (written
 *   BEFORE the device is reached: a command that cannot be audited is never sent), denied =
 *   refused by role or scope, failure = any other refusal;
 * - the outcome, by `device:<id>` (its acknowledgement) or `system` (timeout, undeliverable):
 *   success = acknowledged, failure = failed or timed out; a late acknowledgement after a timeout
 *   is recorded with `lateAck` in its details.
 */
import { DEVICE_CATALOGUE } from '../../scenes/catalogue';
import type { DeviceCommandRecord, DeviceCommandRequest } from '../../scenes/device-commands';
import type { IocError, LogEvent } from '../../scenes/protocol';
import type { AuditEntry } from '../audit/audit';

export const DEVICE_COMMAND_AUDIT_ACTION = 'device.command';

/** Who sends: a person, or an automatic caller (`system`, `plan:<id>`) with role `system`. */
export interface DeviceCommandActor {
  username: string;
  role: DeviceCommandRecord['role'];
}

/** Where a send came from, for its audit record. */
export interface DeviceCommandContext {
  /** source address (server/guard.ts sourceOf) */
  source?: string;
  userAgent?: string;
}

/** longest reason kept in an audit record, characters */
const AUDIT_REASON_MAX_CHARS = 300;
const AUDIT_ID_MAX_CHARS = 128;

/** The fields of a request worth recording, read defensively (a refused payload may be anything). */
export function requestFacts(raw: unknown): { commandId?: string; deviceId?: string; name?: string } {
  try {
    const r = (raw ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, AUDIT_ID_MAX_CHARS) : undefined);
    const out: { commandId?: string; deviceId?: string; name?: string } = {};
    const commandId = str(r.commandId);
    const deviceId = str(r.deviceId);
    const name = str(r.name);
    if (commandId !== undefined) out.commandId = commandId;
    if (deviceId !== undefined) out.deviceId = deviceId;
    if (name !== undefined) out.name = name;
    return out;
  } catch {
    // a hostile payload that throws on reading: recorded without its facts
    return {};
  }
}

/** The send's record: accepted (`record` given), or refused with `error`. */
export function sendAuditEntry(
  actor: DeviceCommandActor,
  context: DeviceCommandContext,
  facts: { commandId?: string; deviceId?: string; name?: string; params?: DeviceCommandRequest['params'] },
  outcome: { record: DeviceCommandRecord; duplicate?: boolean } | { error: IocError },
): AuditEntry {
  const error = 'error' in outcome ? outcome.error : null;
  const denied = error && (error.code === 'E_FORBIDDEN' || error.code === 'E_UNAUTHORIZED' || error.code === 'E_RATE_LIMIT');
  const record = 'record' in outcome ? outcome.record : null;
  const deviceId = record?.deviceId ?? facts.deviceId;
  return {
    actor: actor.username,
    role: actor.role,
    ...(context.source !== undefined ? { source: context.source } : {}),
    ...(context.userAgent !== undefined ? { userAgent: context.userAgent } : {}),
    action: DEVICE_COMMAND_AUDIT_ACTION,
    ...(deviceId !== undefined ? { target: `device:${deviceId}` } : {}),
    outcome: error ? (denied ? 'denied' : 'failure') : 'success',
    ...(error ? { reason: `${error.code}: ${error.message}`.slice(0, AUDIT_REASON_MAX_CHARS) } : {}),
    details: record
      ? {
          commandId: record.commandId,
          name: record.name,
          params: record.params,
          channel: record.channel,
          status: record.status,
          ...('duplicate' in outcome && outcome.duplicate ? { duplicate: true } : {}),
        }
      : {
          ...(facts.commandId !== undefined ? { commandId: facts.commandId } : {}),
          ...(facts.name !== undefined ? { name: facts.name } : {}),
          ...(facts.params !== undefined ? { params: facts.params } : {}),
        },
  };
}

/** The record of a command's outcome (acknowledged, failed, timed out, a late acknowledgement). */
export function outcomeAuditEntry(record: DeviceCommandRecord, actor: string): AuditEntry {
  return {
    actor,
    ...(actor === 'system' ? { role: 'system' } : {}),
    action: DEVICE_COMMAND_AUDIT_ACTION,
    target: `device:${record.deviceId}`,
    outcome: record.status === 'acknowledged' ? 'success' : 'failure',
    ...(record.message !== undefined ? { reason: record.message.slice(0, AUDIT_REASON_MAX_CHARS) } : {}),
    details: {
      commandId: record.commandId,
      name: record.name,
      params: record.params,
      channel: record.channel,
      status: record.status,
      ...(record.lateAck ? { lateAck: record.lateAck } : {}),
    },
  };
}

/** The `device.command` event-log entry of a change (its time: the change's). */
export function deviceCommandEvent(record: DeviceCommandRecord): Omit<LogEvent, 'id'> {
  return {
    ts: record.lateAck?.ts ?? record.settledAt ?? record.issuedAt,
    type: 'device.command',
    scene: DEVICE_CATALOGUE[record.kind].scene,
    deviceCommand: record,
  };
}
