/**
 * DeviceCommandService: the one path from a person's (or a plan's) click to a device and back
 * (issue 13, remote control). Public surface:
 * - `addChannel(channel)`: transports register how they reach devices (MQTT, Socket.IO `/device`);
 * - `send(actor, raw, context)`: validate, authorise (role + data scope), idempotent by commandId,
 *   refuse offline / maintenance / retired, audit (fail closed), record (store + event log),
 *   hand it to the first channel that reaches the device (answering `sent` without waiting for the
 *   channel's callback; a failed hand-over settles it `failed`), time out after `timeoutMs`; also
 *   the server function a contingency plan or rule calls (actor `{username: 'system' | 'plan:<id>',
 *   role: 'system'}`: no role or scope check, every other check applies);
 * - `acknowledge(deviceId, ack)`: a transport hands over a device's verified acknowledgement;
 * - `list(actor, deviceId, limit)`: a device's newest commands for people who may see it;
 * - `start()` / `close()`: the sweep of overdue commands and the timers.
 *
 * Invariants: a command id is created once (store create-if-absent) and delivered at most once
 * by this service — a retry with the same id and content answers the stored record, never
 * delivers again; a command settles once (compare-and-set from `sent` in the store), so an ack
 * racing the timeout, or two nodes' timers, change it exactly once. Timers act on the stored
 * record, not on memory: an ack that arrived on another node is seen.
 *
 * Several nodes: every node times out its own commands by timer, and every node sweeps the
 * store's pending index every `sweepIntervalMs`, so a command whose node died times out at most
 * one sweep late (compare-and-set makes the double sweep harmless). A lease (scale-out issue)
 * would make it one sweeper.
 */
import {
  commandParams,
  commandRefusal,
  DEVICE_COMMAND_ROLES,
  DeviceCommandRequestSchema,
  expireCommand,
  settleCommand,
  type DeviceCommandAck,
  type DeviceCommandMessage,
  type DeviceCommandRecord,
  type DeviceCommandRequest,
  type DeviceCommandStatus,
} from '../../scenes/device-commands';
import type { Device, DeviceState } from '../../scenes/domain';
import type { IocError } from '../../scenes/protocol';
import { placeInScope } from '../../scenes/scope';
import type { AuditRecorder } from '../audit/audit';
import { iocError, validationError } from '../errors';
import type { Logger } from '../logger';
import type { Store } from '../store/store';
import { userScope } from '../user-scope';
import type { CommandChannel } from './channels';
import {
  deviceCommandEvent,
  outcomeAuditEntry,
  requestFacts,
  sendAuditEntry,
  type DeviceCommandActor,
  type DeviceCommandContext,
} from './device-command-audit';

export type { DeviceCommandActor, DeviceCommandContext } from './device-command-audit';

export type DeviceCommandResult = { ok: true; command: DeviceCommandRecord } | { ok: false; error: IocError };
export type DeviceCommandListResult = { ok: true; commands: DeviceCommandRecord[] } | { ok: false; error: IocError };

/** Timers and time, injectable for tests. */
export interface DeviceCommandClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const SYSTEM_CLOCK: DeviceCommandClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => {
    const t = setTimeout(run, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Pending commands handled per sweep (oldest deadline first); the next sweep takes the rest. */
const SWEEP_BATCH = 500;

export interface DeviceCommandServiceDeps {
  store: Pick<Store, 'createDeviceCommand' | 'updateDeviceCommand' | 'getDeviceCommand' | 'listDeviceCommands' | 'pendingDeviceCommands' | 'getUser'>;
  /** every registry device, retired and in maintenance too (fusion.devices) */
  devices: ReadonlyMap<string, Device>;
  /** fused states: `online` (fusion.deviceStates) */
  states: ReadonlyMap<string, Pick<DeviceState, 'online'>>;
  audit: AuditRecorder;
  log: Logger;
  /** a device that has not acknowledged within this is `timed_out`, ms */
  timeoutMs: number;
  /** how often the store's pending commands are swept for overdue ones, ms (default: timeoutMs) */
  sweepIntervalMs?: number;
  /** told of every stored change (the push to people) */
  onChange?: (record: DeviceCommandRecord) => void;
  clock?: DeviceCommandClock;
}

const ok = (command: DeviceCommandRecord): DeviceCommandResult => ({ ok: true, command });
const fail = (error: IocError): { ok: false; error: IocError } => ({ ok: false, error });

function sameContent(stored: DeviceCommandRecord, request: DeviceCommandRequest, params: { position?: number }): boolean {
  return stored.deviceId === request.deviceId && stored.name === request.name && stored.params.position === params.position;
}

export class DeviceCommandService {
  private readonly channels: CommandChannel[] = [];
  private readonly clock: DeviceCommandClock;
  /** sends being handled here, by commandId: a concurrent retry shares the first one's answer */
  private readonly inflight = new Map<string, Promise<DeviceCommandResult>>();
  /**
   * This node's commands still `sent`: the timeout timer and the record as stored. An
   * acknowledgement settles from that record without reading it back (the store's compare-and-set
   * on `sent` refuses it if another node settled the command meanwhile): under load every round
   * trip to the store waits a turn of a busy event loop, and the officer waits for each.
   */
  private readonly timers = new Map<string, { timer: unknown; record: DeviceCommandRecord }>();
  private sweepTimer: unknown = null;
  private closed = false;

  constructor(private readonly d: DeviceCommandServiceDeps) {
    this.clock = d.clock ?? SYSTEM_CLOCK;
  }

  /** Later channels are tried after earlier ones. */
  addChannel(channel: CommandChannel): void {
    this.channels.push(channel);
  }

  /** Times out what is overdue in the store (a restart, another node's commands), then sweeps periodically. */
  async start(): Promise<void> {
    await this.sweep();
    const every = this.d.sweepIntervalMs ?? this.d.timeoutMs;
    const tick = () => {
      if (this.closed) return;
      void this.sweep().finally(() => {
        if (!this.closed) this.sweepTimer = this.clock.setTimeout(tick, every);
      });
    };
    if (!this.closed) this.sweepTimer = this.clock.setTimeout(tick, every);
  }

  close(): void {
    this.closed = true;
    if (this.sweepTimer !== null) this.clock.clearTimeout(this.sweepTimer);
    for (const t of this.timers.values()) this.clock.clearTimeout(t.timer);
    this.timers.clear();
  }

  /** Sends one command. Never throws: refusals and failures are typed results. */
  send(actor: DeviceCommandActor, raw: unknown, context: DeviceCommandContext = {}): Promise<DeviceCommandResult> {
    const commandId = requestFacts(raw).commandId;
    if (commandId === undefined) return this.sendAudited(actor, raw, context);
    const running = this.inflight.get(commandId);
    if (running) return running;
    const p = this.sendAudited(actor, raw, context).finally(() => this.inflight.delete(commandId));
    this.inflight.set(commandId, p);
    return p;
  }

  /** A device's newest commands, for a person who may see the device (handlers may not). */
  async list(actor: DeviceCommandActor, deviceId: string, limit: number): Promise<DeviceCommandListResult> {
    if (actor.role === 'handler') return fail(iocError('E_FORBIDDEN', 'field handlers may not read device commands'));
    const device = this.d.devices.get(deviceId);
    if (!device) return fail(iocError('E_NOT_FOUND', `no device ${deviceId}`));
    const refused = await this.scopeRefusal(actor, device);
    if (refused) return fail(refused);
    try {
      return { ok: true, commands: await this.d.store.listDeviceCommands(deviceId, limit) };
    } catch (err) {
      this.d.log.warn({ err, deviceId }, 'device commands could not be read');
      return fail(iocError('E_UNAVAILABLE', 'the store is unavailable; retry'));
    }
  }

  /**
   * A device's acknowledgement, its identity already verified by the transport. Never rejects:
   * an unknown command id, or one of another device, is ignored.
   */
  acknowledge(deviceId: string, ack: DeviceCommandAck): Promise<void> {
    return this.acknowledgeOnce(deviceId, ack).catch((err: unknown) =>
      this.d.log.warn({ err, deviceId, commandId: ack.commandId }, 'device command acknowledgement could not be recorded'),
    );
  }

  // --- send ------------------------------------------------------------------------------

  private async sendAudited(actor: DeviceCommandActor, raw: unknown, context: DeviceCommandContext): Promise<DeviceCommandResult> {
    let result: DeviceCommandResult;
    try {
      result = await this.sendChecked(actor, raw, context);
    } catch (err) {
      this.d.log.error({ err, actor: actor.username, ...requestFacts(raw) }, 'device command failed');
      const code = (err as { code?: unknown } | null)?.code;
      result = fail(
        code === 'E_UNAVAILABLE'
          ? iocError('E_UNAVAILABLE', 'the store is unavailable; retry with the same commandId')
          : iocError('E_INTERNAL', 'the command could not be handled; retry with the same commandId'),
      );
    }
    // refusals are recorded here; accepted sends were recorded before they could act
    if (!result.ok) {
      await this.d.audit
        .record(sendAuditEntry(actor, context, requestFacts(raw), { error: result.error }))
        .catch((err: unknown) => this.d.log.warn({ err, actor: actor.username }, 'audit of a refused device command failed'));
    }
    return result;
  }

  private async sendChecked(actor: DeviceCommandActor, raw: unknown, context: DeviceCommandContext): Promise<DeviceCommandResult> {
    let parsed: ReturnType<typeof DeviceCommandRequestSchema.safeParse>;
    try {
      parsed = DeviceCommandRequestSchema.safeParse(raw);
    } catch {
      // zod reads hostile values (a throwing getter) and may throw: such input is invalid
      return fail(iocError('E_VALIDATION', 'invalid device command: the payload could not be read'));
    }
    if (!parsed.success) return fail(validationError(parsed.error, 'device command'));
    const request = parsed.data;
    if (actor.role !== 'system' && !DEVICE_COMMAND_ROLES.includes(actor.role))
      return fail(iocError('E_FORBIDDEN', `role ${actor.role} may not send commands to devices`));
    const device = this.d.devices.get(request.deviceId);
    if (!device) return fail(iocError('E_NOT_FOUND', `no device ${request.deviceId}`));
    // two reads at once: one round trip of the officer's wait instead of two
    const [outOfScope, existing] = await Promise.all([this.scopeRefusal(actor, device), this.d.store.getDeviceCommand(request.commandId)]);
    if (outOfScope) return fail(outOfScope);
    const params = commandParams(device.kind, request);
    // a retry answers what the first send did, even if the device went offline since
    if (existing) return this.duplicate(existing, request, params, actor, context);
    const refusal = commandRefusal(device, this.d.states.get(device.id), request);
    if (refusal) return fail(refusal);
    const channel = this.channels.find((c) => c.reaches(device.id));
    if (!channel) return fail(iocError('E_UNAVAILABLE', `device ${device.id} has no command channel (it reports over HTTP)`));
    const now = this.clock.now();
    const record: DeviceCommandRecord = {
      commandId: request.commandId,
      deviceId: device.id,
      kind: device.kind,
      district: device.district,
      name: request.name,
      params,
      actor: actor.username,
      role: actor.role,
      channel: channel.name,
      status: 'sent',
      issuedAt: now,
      deadline: now + this.d.timeoutMs,
    };
    // fail closed: the send is on the audit chain before anything can reach the device
    try {
      await this.d.audit.record(sendAuditEntry(actor, context, request, { record }));
    } catch {
      return fail(iocError('E_UNAVAILABLE', 'the audit log could not be written; the command was not sent (retry with the same commandId)'));
    }
    const created = await this.d.store.createDeviceCommand(record, deviceCommandEvent(record));
    // another node created it meanwhile: the same answer as a retry
    if (created.status === 'duplicate') return this.duplicate(created.command, request, params, actor, context);
    this.d.onChange?.(record);
    this.schedule(record);
    const message: DeviceCommandMessage = {
      commandId: record.commandId,
      deviceId: record.deviceId,
      name: record.name,
      params: record.params,
      issuedAt: record.issuedAt,
      expiresAt: record.deadline,
    };
    // The officer's answer (`sent`: recorded, audited, handed to the transport now) does not wait
    // for the transport's callback: aedes calls back a QoS 1 delivery two event-loop turns later,
    // hundreds of ms on a loaded server. A hand-over that fails settles the command `failed`, which
    // reaches the officer by the same push as an acknowledgement.
    void this.handOver(channel, message, record);
    return ok(record);
  }

  private async handOver(channel: CommandChannel, message: DeviceCommandMessage, record: DeviceCommandRecord): Promise<void> {
    const delivered = await channel.deliver(message).catch((err: unknown) => {
      this.d.log.warn({ err, deviceId: record.deviceId, channel: channel.name }, 'device command delivery threw');
      return false;
    });
    if (delivered) return;
    const failed: DeviceCommandRecord = {
      ...record,
      status: 'failed',
      settledAt: this.clock.now(),
      message: `the command could not be handed to the device over ${channel.name}`,
    };
    await this.settle(record, failed, 'sent', 'system').catch((err: unknown) =>
      this.d.log.warn({ err, commandId: record.commandId }, 'a failed hand-over could not be recorded; the command times out instead'),
    );
  }

  private async duplicate(
    stored: DeviceCommandRecord,
    request: DeviceCommandRequest,
    params: { position?: number },
    actor: DeviceCommandActor,
    context: DeviceCommandContext,
  ): Promise<DeviceCommandResult> {
    if (!sameContent(stored, request, params))
      return fail(iocError('E_CONFLICT', `command id ${request.commandId} was already used for another command; use a new id`));
    try {
      await this.d.audit.record(sendAuditEntry(actor, context, request, { record: stored, duplicate: true }));
    } catch {
      return fail(iocError('E_UNAVAILABLE', 'the audit log could not be written; retry with the same commandId'));
    }
    return ok(stored);
  }

  private async scopeRefusal(actor: DeviceCommandActor, device: Device): Promise<IocError | null> {
    if (actor.role === 'system') return null;
    const scope = await userScope(this.d.store, { username: actor.username, role: actor.role });
    return placeInScope(scope, device) ? null : iocError('E_FORBIDDEN', `device ${device.id} is outside your data scope`);
  }

  // --- outcomes --------------------------------------------------------------------------

  private async acknowledgeOnce(deviceId: string, ack: DeviceCommandAck): Promise<void> {
    // the record this node holds first (no read); if another node settled it meanwhile (a timeout
    // swept there), the compare-and-set says so and the stored record decides (a late ack is noted)
    const held = this.timers.get(ack.commandId)?.record;
    if (held && (await this.applyAck(held, deviceId, ack)) !== 'conflict') return;
    const stored = await this.d.store.getDeviceCommand(ack.commandId);
    if (!stored) {
      this.d.log.debug({ deviceId, commandId: ack.commandId }, 'acknowledgement of an unknown command ignored');
      return;
    }
    await this.applyAck(stored, deviceId, ack);
  }

  private async applyAck(stored: DeviceCommandRecord, deviceId: string, ack: DeviceCommandAck): Promise<'settled' | 'conflict'> {
    if (stored.deviceId !== deviceId) {
      this.d.log.debug({ deviceId, commandId: ack.commandId }, 'acknowledgement of another device’s command ignored');
      return 'settled';
    }
    const next = settleCommand(stored, ack, this.clock.now());
    // a repeated ack, or one after the command settled: nothing to record
    if (next === stored) return 'settled';
    return (await this.settleCas(stored, next, stored.status, `device:${deviceId}`)).status === 'conflict' ? 'conflict' : 'settled';
  }

  private async expire(commandId: string): Promise<void> {
    this.unschedule(commandId);
    const stored = await this.d.store.getDeviceCommand(commandId);
    if (!stored || stored.status !== 'sent') return;
    const next = expireCommand(stored, this.clock.now());
    if (next === stored) {
      this.schedule(stored);
      return;
    }
    await this.settle(stored, next, 'sent', 'system');
  }

  private async sweep(): Promise<void> {
    try {
      const now = this.clock.now();
      for (const pending of await this.d.store.pendingDeviceCommands(SWEEP_BATCH)) {
        if (pending.deadline > now) {
          // earliest deadline first: the rest are not due either; keep a timer for those we do not hold
          if (!this.timers.has(pending.commandId)) this.schedule(pending);
          continue;
        }
        await this.expire(pending.commandId);
      }
    } catch (err) {
      this.d.log.warn({ err }, 'sweep of pending device commands failed; will retry');
    }
  }

  /** Stores the change (compare-and-set from `expected`), then tells people and the audit log. */
  private async settle(
    previous: DeviceCommandRecord,
    next: DeviceCommandRecord,
    expected: DeviceCommandStatus,
    actor: string,
  ): Promise<DeviceCommandRecord> {
    const out = await this.settleCas(previous, next, expected, actor);
    return out.status === 'not_found' ? previous : out.command;
  }

  private async settleCas(
    previous: DeviceCommandRecord,
    next: DeviceCommandRecord,
    expected: DeviceCommandStatus,
    actor: string,
  ): Promise<{ status: 'applied' | 'conflict' | 'not_found'; command: DeviceCommandRecord }> {
    const out = await this.d.store.updateDeviceCommand(next, expected, deviceCommandEvent(next));
    if (out.status === 'not_found') return { status: 'not_found', command: previous };
    if (out.command.status !== 'sent') this.unschedule(out.command.commandId);
    if (out.status === 'conflict') return out;
    this.d.onChange?.(out.command);
    // the change is stored and in the event log; the audit record of an outcome is best effort
    // (an acknowledgement cannot be refused after the fact)
    await this.d.audit
      .record(outcomeAuditEntry(out.command, actor))
      .catch((err: unknown) => this.d.log.warn({ err, commandId: next.commandId }, 'audit of a device command outcome failed'));
    return out;
  }

  private schedule(record: DeviceCommandRecord): void {
    if (this.closed) return;
    this.unschedule(record.commandId);
    const ms = Math.max(0, record.deadline - this.clock.now());
    const timer = this.clock.setTimeout(() => {
      void this.expire(record.commandId).catch((err: unknown) =>
        this.d.log.warn({ err, commandId: record.commandId }, 'device command timeout could not be recorded'),
      );
    }, ms);
    this.timers.set(record.commandId, { timer, record });
  }

  private unschedule(commandId: string): void {
    const t = this.timers.get(commandId);
    if (t === undefined) return;
    this.clock.clearTimeout(t.timer);
    this.timers.delete(commandId);
  }
}
