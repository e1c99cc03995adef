/**
 * Device commands as the officer sees them: every command by id, each device's newest first, fed
 * by the server's `device:command` pushes and by `device:commands` lists; plus the officer's own
 * attempt per device while the server has not answered it yet.
 *
 * Invariants:
 * - A command id is generated once (crypto.randomUUID) when the officer clicks; a retry after a
 *   lost answer sends the SAME id, so the server applies it at most once.
 * - A record never moves back from a settled state to `sent` (newerRecord).
 * - At most HISTORY_KEPT_PER_DEVICE records are kept per device (the card shows a few).
 */
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { DeviceCommandRecord, DeviceCommandRequest } from '@scenes/device-commands';
import type { IocError } from '@scenes/protocol';
import { currentLiveConnection } from '../connection';
import type { LiveTransport } from '../connection';
import {
  DEFAULT_COMMAND_HISTORY_LIMIT,
  compareNewestFirst,
  fetchDeviceCommands,
  newerRecord,
  outcomeUnknown,
  sendDeviceCommand,
  subscribeDeviceCommands,
} from '../data/device-commands';
import type { DeviceCommandInput } from '../data/device-commands';

/** Records kept per device; older ones are dropped from memory (the server keeps them). */
export const HISTORY_KEPT_PER_DEVICE = DEFAULT_COMMAND_HISTORY_LIMIT;

/**
 * The officer's command before the server's record exists: `sending` (waiting for the answer),
 * `unknown` (no answer: it may or may not have arrived — retry with the same id), `refused` (a
 * typed error from the server: offline, maintenance, not allowed…).
 */
export interface CommandAttempt {
  request: DeviceCommandRequest;
  phase: 'sending' | 'unknown' | 'refused';
  error?: IocError;
  /** epoch ms, client clock, of the first click */
  startedTs: number;
}

/** What a device's state chip shows: its newest command, or the officer's attempt still without a record. */
export type LatestCommand = { kind: 'attempt'; attempt: CommandAttempt } | { kind: 'record'; record: DeviceCommandRecord } | null;

/** A device's metrics as a device detail showed them. */
export interface ObservedState {
  metrics: Readonly<Record<string, number>>;
  /** epoch ms of the newest reading behind them */
  ts: number;
}

function newCommandId(): string {
  return globalThis.crypto.randomUUID();
}

export const useDeviceCommandStore = defineStore('device-commands', () => {
  const records = shallowRef<ReadonlyMap<string, DeviceCommandRecord>>(new Map());
  /** deviceId → command ids, newest first */
  const byDevice = shallowRef<ReadonlyMap<string, readonly string[]>>(new Map());
  /** deviceId → the officer's attempt that has no record yet */
  const attempts = shallowRef<ReadonlyMap<string, CommandAttempt>>(new Map());
  /** deviceId → its latest metrics as last seen in a device detail (the console's list shows run state from them) */
  const observed = shallowRef<ReadonlyMap<string, ObservedState>>(new Map());
  /** devices whose history was asked for: listed again after a reconnect (pushes missed while away are not replayed) */
  const followed = new Set<string>();
  let transport: LiveTransport | null = null;
  let unbind: (() => void) | null = null;

  function putAll(incoming: readonly DeviceCommandRecord[]) {
    if (incoming.length === 0) return;
    const nextRecords = new Map(records.value);
    const nextByDevice = new Map(byDevice.value);
    const nextAttempts = new Map(attempts.value);
    const touched = new Set<string>();
    for (const r of incoming) {
      nextRecords.set(r.commandId, newerRecord(nextRecords.get(r.commandId), r));
      const ids = nextByDevice.get(r.deviceId) ?? [];
      if (!ids.includes(r.commandId)) nextByDevice.set(r.deviceId, [...ids, r.commandId]);
      touched.add(r.deviceId);
      if (nextAttempts.get(r.deviceId)?.request.commandId === r.commandId) nextAttempts.delete(r.deviceId);
    }
    for (const deviceId of touched) {
      const sorted = (nextByDevice.get(deviceId) ?? [])
        .map((id) => nextRecords.get(id)!)
        .sort(compareNewestFirst)
        .map((r) => r.commandId);
      for (const dropped of sorted.splice(HISTORY_KEPT_PER_DEVICE)) nextRecords.delete(dropped);
      nextByDevice.set(deviceId, sorted);
    }
    records.value = nextRecords;
    byDevice.value = nextByDevice;
    if (nextAttempts.size !== attempts.value.size) attempts.value = nextAttempts;
  }

  function setAttempt(deviceId: string, attempt: CommandAttempt | null) {
    const next = new Map(attempts.value);
    if (attempt) next.set(deviceId, attempt);
    else next.delete(deviceId);
    attempts.value = next;
  }

  /** Follow `t` (default: the page's live connection); a new connection replaces the old one. */
  function bind(t: LiveTransport | null = currentLiveConnection()): void {
    if (!t || t === transport) return;
    unbind?.();
    transport = t;
    const offPush = subscribeDeviceCommands(t, (r) => putAll([r]));
    const offConnect = t.onConnect(({ reconnect }) => {
      if (!reconnect) return;
      const again = new Set([...followed, ...attempts.value.keys()]);
      for (const deviceId of again) void load(deviceId);
    });
    unbind = () => {
      offPush();
      offConnect();
    };
  }

  function unbindAll(): void {
    unbind?.();
    unbind = null;
    transport = null;
  }

  /** The device's recent commands from the server (merged: a newer push is not undone). */
  async function load(deviceId: string, limit: number = DEFAULT_COMMAND_HISTORY_LIMIT): Promise<IocError | null> {
    followed.add(deviceId);
    if (!transport) return { code: 'E_UNAVAILABLE', message: 'not connected' };
    const r = await fetchDeviceCommands(transport, deviceId, limit);
    if (!r.ok) return r.error;
    putAll(r.commands);
    return null;
  }

  async function deliver(request: DeviceCommandRequest, startedTs: number): Promise<CommandAttempt | DeviceCommandRecord> {
    setAttempt(request.deviceId, { request, phase: 'sending', startedTs });
    const r: { ok: true; command: DeviceCommandRecord } | { ok: false; error: IocError } = transport
      ? await sendDeviceCommand(transport, request)
      : { ok: false, error: { code: 'E_UNAUTHORIZED', message: 'not connected' } };
    if (r.ok) {
      putAll([r.command]);
      return records.value.get(r.command.commandId) ?? r.command;
    }
    // a record may have arrived by push meanwhile: then the attempt is already settled
    const known = records.value.get(request.commandId);
    if (known) return known;
    const attempt: CommandAttempt = { request, phase: outcomeUnknown(r.error) ? 'unknown' : 'refused', error: r.error, startedTs };
    setAttempt(request.deviceId, attempt);
    return attempt;
  }

  /** Send a new command (a fresh id). Not while the device's previous one is still being sent. */
  async function send(input: DeviceCommandInput): Promise<CommandAttempt | DeviceCommandRecord> {
    const current = attempts.value.get(input.deviceId);
    if (current?.phase === 'sending') return current;
    followed.add(input.deviceId);
    const request: DeviceCommandRequest = {
      commandId: newCommandId(),
      deviceId: input.deviceId,
      name: input.name,
      ...(input.params ? { params: input.params } : {}),
    };
    return deliver(request, Date.now());
  }

  /** Send the device's unanswered command again, with the same id (the server applies it at most once). */
  async function retry(deviceId: string): Promise<CommandAttempt | DeviceCommandRecord | null> {
    const attempt = attempts.value.get(deviceId);
    if (!attempt || attempt.phase !== 'unknown') return null;
    return deliver(attempt.request, attempt.startedTs);
  }

  /** Forget a refused attempt (the officer read it). */
  function dismiss(deviceId: string): void {
    if (attempts.value.get(deviceId)?.phase === 'refused') setAttempt(deviceId, null);
  }

  /** Remember what a device detail showed (newer readings only). */
  function noteObserved(deviceId: string, state: ObservedState): void {
    const known = observed.value.get(deviceId);
    if (known && known.ts >= state.ts) return;
    observed.value = new Map(observed.value).set(deviceId, state);
  }

  function commandsOf(deviceId: string): DeviceCommandRecord[] {
    return (byDevice.value.get(deviceId) ?? []).map((id) => records.value.get(id)!).filter(Boolean);
  }

  function latestOf(deviceId: string): LatestCommand {
    const attempt = attempts.value.get(deviceId);
    if (attempt) return { kind: 'attempt', attempt };
    const newest = byDevice.value.get(deviceId)?.[0];
    const record = newest ? records.value.get(newest) : undefined;
    return record ? { kind: 'record', record } : null;
  }

  return { records, byDevice, attempts, observed, bind, unbind: unbindAll, load, send, retry, dismiss, noteObserved, commandsOf, latestOf };
});
