/**
 * In-memory Store: the embedded default when no Redis answers.
 *
 * Same contract as RedisStore (server/test/store-contract.test.ts runs against both). Atomicity
 * comes from JavaScript's single thread: every check-and-write below happens without an `await`
 * in between, so two concurrent calls can never interleave inside one.
 *
 * Everything goes in and out through `structuredClone`, so callers can never mutate stored state.
 * Readings and events are bounded like the Redis streams (`MAXLEN ~`): trimmed in chunks once the
 * cap is exceeded by a tenth, so the cost is amortised. Data is lost when the process exits.
 *
 * Bounds (same as Redis): batch ids, command records and claims expire by their TTLs (swept at
 * most once a minute); closed incidents and finished alerts are dropped by `housekeep` once older
 * than `closedRetentionMs`; blobs expire after `blobRetentionMs` and count against
 * `maxBlobBytesTotal` until they do.
 */
import { mergeAlertCopies } from '../../scenes/alert-lifecycle';
import type { Alert, DeviceState, Incident, Reading } from '../../scenes/domain';
import type { LogEvent } from '../../scenes/protocol';
import type { DeviceCommandRecord, DeviceCommandStatus } from '../../scenes/device-commands';
import {
  DEFAULT_STORE_OPTIONS,
  EMPTY_READINGS_CURSOR,
  StoreQuotaError,
  compareReadingsCursors,
  incidentEvent,
  isRegistryChangedEvent,
  registryChangedEvent,
  wellFormedCopy,
  wellFormedString,
  type CreateOutcome,
  type DeviceCommandCreateOutcome,
  type DeviceCommandUpdateOutcome,
  type LogCursor,
  type LogTail,
  type ReadingsCursor,
  type RegistryChange,
  type RegistryCollection,
  type RegistryRecord,
  type RegistryWrite,
  type RegistryWriteOutcome,
  type StoredDeviceCredential,
  type Store,
  type StoreOptions,
  type StoredUser,
  type TransitionOutcome,
} from './store';

/** How long a command id → incident id record is kept by default (same as Redis `cmd:` keys). */
export const INCIDENT_COMMAND_TTL_MS = DEFAULT_STORE_OPTIONS.commandTtlMs;
/** Streams may exceed their cap by this fraction before a trim (like Redis `MAXLEN ~`). */
const STREAM_TRIM_SLACK_RATIO = 0.1;
/** Expired command records and claims are swept at most this often (clock time). */
const EXPIRY_SWEEP_INTERVAL_MS = 60_000;
/** Readings per append chunk; a batch id de-duplicates per chunk (same as the Redis store's script calls). */
export const APPEND_CHUNK_SIZE = 1_000;

/** The de-duplication id of chunk `chunkIndex` of batch `batchId` (both stores). */
export function batchChunkId(batchId: string, chunkIndex: number): string {
  return `${batchId}:${chunkIndex}`;
}

export interface MemoryStoreConfig {
  /** epoch ms clock; injectable for tests (claims and command records expire by it) */
  now?: () => number;
}

interface StoredEvent {
  id: string;
  event: Omit<LogEvent, 'id'>;
}

/** Alerts stay in the open index until cleared AND acknowledged. */
function isAlertOpen(alert: Alert): boolean {
  return !alert.cleared || !alert.acknowledged;
}

/** Memory cursors are `0-<n>`, n = readings ever appended (1-based position of an entry). */
function memoryCursor(position: number): ReadingsCursor {
  return `0-${position}`;
}

function memoryCursorPosition(cursor: ReadingsCursor): number {
  const match = /^(\d+)-(\d+)$/.exec(cursor);
  if (!match) throw new RangeError(`invalid readings cursor '${cursor}'`);
  // a Redis-style cursor with a time part is after every memory position
  return match[1] === '0' ? Number(match[2]) : Number.POSITIVE_INFINITY;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Trim the oldest entries once `items` exceeds `maxLen` by the slack; keeps exactly `maxLen`. Returns the removed ones. */
function trimOldest<T>(items: T[], maxLen: number): T[] {
  const slack = Math.max(1, Math.floor(maxLen * STREAM_TRIM_SLACK_RATIO));
  return items.length > maxLen + slack ? items.splice(0, items.length - maxLen) : [];
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly options: StoreOptions;
  private readonly now: () => number;
  get nodeId(): string {
    return this.options.nodeId;
  }

  private readings: Reading[] = [];
  /** readings ever appended: the position (cursor) of the newest one */
  private readingsAppended = 0;
  /** batch (chunk) id → expiry epoch ms */
  private readonly batchIds = new Map<string, number>();
  private readonly deviceStates = new Map<string, DeviceState>();
  private deviceStatesCursorValue: ReadingsCursor | null = null;
  private readonly alerts = new Map<string, Alert>();
  /** alert command id → alert id it acknowledged */
  private readonly alertCommands = new Map<string, { alertId: string; expiresTs: number }>();
  private readonly incidents = new Map<string, Incident>();
  /** commandId → incident id it created or transitioned */
  private readonly incidentCommands = new Map<string, { incidentId: string; expiresTs: number }>();
  /** commandId → expiry epoch ms */
  private readonly claims = new Map<string, number>();
  private events: StoredEvent[] = [];
  /** last event id's time part and sequence, to mint monotonic stream-like ids */
  private lastEventMs = 0;
  private lastEventSeq = 0;
  /** id of the newest event trimmed away (a tail from before it has a gap) */
  private lastTrimmedEventId = EMPTY_READINGS_CURSOR;
  /** tails waiting for the next append (tailLog), woken by it or by close() */
  private readonly logWaiters = new Set<() => void>();
  private readonly users = new Map<string, StoredUser>();
  private readonly blobs = new Map<string, { contentType: string; data: Buffer; expiresTs: number }>();
  private blobBytes = 0;
  /** registry records per collection (bounded by the registry's own limits) */
  private readonly registry: Record<RegistryCollection, Map<string, RegistryRecord>> = {
    device: new Map(),
    asset: new Map(),
    rule: new Map(),
    setting: new Map(),
  };
  /** `${collection}:${id}` → newest history entries, at most `registryHistoryPerRecord` */
  private readonly registryChanges = new Map<string, RegistryChange[]>();
  private readonly credentials = new Map<string, StoredDeviceCredential>();
  /** commands to devices by command id, with their expiry (`deviceCommandTtlMs` after the last write) */
  private readonly deviceCommands = new Map<string, { record: DeviceCommandRecord; expiresTs: number }>();
  /** per device: its newest command ids, oldest first, at most `deviceCommandsPerDevice` */
  private readonly deviceCommandIndex = new Map<string, string[]>();
  private lastSweepTs = 0;
  private closed = false;

  constructor(options: Partial<StoreOptions> = {}, config: MemoryStoreConfig = {}) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
    this.now = config.now ?? Date.now;
  }

  // --- telemetry -------------------------------------------------------------------------

  async appendReadings(readings: readonly Reading[], batchId?: string): Promise<void> {
    this.sweepExpired();
    const now = this.now();
    // chunked like the Redis store, so a batch id means the same thing in both
    for (let start = 0, chunk = 0; start < readings.length; start += APPEND_CHUNK_SIZE, chunk++) {
      if (batchId !== undefined) {
        const chunkId = batchChunkId(batchId, chunk);
        const expiresTs = this.batchIds.get(chunkId);
        if (expiresTs !== undefined && expiresTs > now) continue;
        this.batchIds.set(chunkId, now + this.options.batchIdTtlMs);
      }
      const end = Math.min(readings.length, start + APPEND_CHUNK_SIZE);
      for (let i = start; i < end; i++) this.readings.push(wellFormedCopy(readings[i]!));
      this.readingsAppended += end - start;
    }
    trimOldest(this.readings, this.options.readingsStreamMaxLen);
    if (readings.length > 0) this.wakeLogWaiters();
  }

  async readingsCursor(): Promise<ReadingsCursor> {
    return this.readingsAppended === 0 ? EMPTY_READINGS_CURSOR : memoryCursor(this.readingsAppended);
  }

  async readReadingsAfter(cursor: ReadingsCursor, limit: number): Promise<{ readings: Reading[]; cursor: ReadingsCursor }> {
    const after = memoryCursorPosition(cursor);
    const firstKept = this.readingsAppended - this.readings.length + 1;
    const from = Math.max(firstKept, after + 1);
    const to = Math.min(this.readingsAppended, from + Math.max(0, limit) - 1);
    if (to < from) return { readings: [], cursor };
    return {
      readings: clone(this.readings.slice(from - firstKept, to - firstKept + 1)),
      cursor: memoryCursor(to),
    };
  }

  async readReadings(deviceIds: readonly string[], fromTs: number, toTs: number, limit: number): Promise<Reading[]> {
    const wanted = new Set(deviceIds);
    const matches = this.readings.filter((r) => wanted.has(r.deviceId) && r.ts >= fromTs && r.ts <= toTs);
    // Array.prototype.sort is stable: equal ts keep arrival order
    matches.sort((a, b) => a.ts - b.ts);
    return clone(matches.slice(0, Math.max(0, limit)));
  }

  async saveDeviceStates(states: readonly DeviceState[], cursor?: ReadingsCursor): Promise<void> {
    if (cursor !== undefined) memoryCursorPosition(cursor); // validate before writing anything
    for (const state of states) this.deviceStates.set(state.deviceId, wellFormedCopy(state));
    if (cursor !== undefined) this.deviceStatesCursorValue = cursor;
  }

  async loadDeviceStates(): Promise<DeviceState[]> {
    return clone([...this.deviceStates.values()]);
  }

  async deviceStatesCursor(): Promise<ReadingsCursor | null> {
    return this.deviceStatesCursorValue;
  }

  // --- alerts ----------------------------------------------------------------------------

  async saveAlert(alert: Alert, event?: Omit<LogEvent, 'id'>, commandId?: string): Promise<void> {
    this.sweepExpired();
    // the same fold as the Redis store's compare-and-set: a write never undoes an ack or an incident link
    const stored = this.alerts.get(alert.id);
    const merged = stored ? mergeAlertCopies(stored, alert) : alert;
    this.alerts.set(alert.id, wellFormedCopy(merged));
    if (event) this.pushEvent(event.alert ? { ...event, alert: merged } : event);
    if (commandId !== undefined) this.alertCommands.set(commandId, { alertId: alert.id, expiresTs: this.now() + this.options.commandTtlMs });
  }

  async alertForCommand(commandId: string): Promise<string | null> {
    const record = this.alertCommands.get(commandId);
    return record && record.expiresTs > this.now() ? record.alertId : null;
  }

  async loadAlerts(sinceTs: number): Promise<Alert[]> {
    return clone([...this.alerts.values()].filter((a) => isAlertOpen(a) || a.lastTs > sinceTs));
  }

  // --- incidents -------------------------------------------------------------------------

  async createIncident(incident: Incident, commandId: string): Promise<CreateOutcome> {
    this.sweepExpired();
    const seen = this.lookupCommand(commandId);
    if (seen !== null) {
      const existing = this.incidents.get(seen);
      if (existing) return { status: 'duplicate', incident: clone(existing) };
    }
    // an id that already exists is never overwritten by a create
    const existing = this.incidents.get(incident.id);
    if (existing) return { status: 'duplicate', incident: clone(existing) };

    const stored = wellFormedCopy(incident);
    this.incidents.set(incident.id, stored);
    this.recordCommand(commandId, incident.id);
    this.pushEvent(incidentEvent(stored, 'incident.created'));
    return { status: 'applied', incident: clone(stored) };
  }

  async incidentForCommand(commandId: string): Promise<string | null> {
    this.sweepExpired();
    const rec = this.incidentCommands.get(commandId);
    return rec && rec.expiresTs > this.now() ? rec.incidentId : null;
  }

  async getIncident(id: string): Promise<Incident | null> {
    const incident = this.incidents.get(id);
    return incident ? clone(incident) : null;
  }

  async loadIncidents(sinceTs: number): Promise<Incident[]> {
    return clone([...this.incidents.values()].filter((i) => i.state !== 'closed' || (i.closedTs ?? i.updatedTs) > sinceTs));
  }

  async transitionIncident(next: Incident, expectedVersion: number, commandId: string): Promise<TransitionOutcome> {
    assertNextVersion(next, expectedVersion);
    this.sweepExpired();
    const seen = this.lookupCommand(commandId);
    if (seen !== null) {
      const current = this.incidents.get(seen);
      if (current) return { status: 'duplicate', incident: clone(current) };
    }
    const current = this.incidents.get(next.id);
    if (!current) return { status: 'not_found' };
    if (current.version !== expectedVersion) return { status: 'conflict', current: clone(current) };

    const stored = wellFormedCopy(next);
    this.incidents.set(next.id, stored);
    this.recordCommand(commandId, next.id);
    this.pushEvent(incidentEvent(stored, 'incident.transition'));
    return { status: 'applied', incident: clone(stored) };
  }

  // --- commands --------------------------------------------------------------------------

  async claimCommand(commandId: string, ttlMs: number): Promise<boolean> {
    this.sweepExpired();
    const now = this.now();
    const expiresTs = this.claims.get(commandId);
    if (expiresTs !== undefined && expiresTs > now) return false;
    this.claims.set(commandId, now + ttlMs);
    return true;
  }

  // --- commands to devices ---------------------------------------------------------------

  async createDeviceCommand(record: DeviceCommandRecord, event?: Omit<LogEvent, 'id'>): Promise<DeviceCommandCreateOutcome> {
    this.sweepExpired();
    const existing = this.liveDeviceCommand(record.commandId);
    if (existing) return { status: 'duplicate', command: clone(existing) };
    this.deviceCommands.set(record.commandId, { record: wellFormedCopy(record), expiresTs: this.now() + this.options.deviceCommandTtlMs });
    const ids = this.deviceCommandIndex.get(record.deviceId) ?? [];
    ids.push(record.commandId);
    if (ids.length > this.options.deviceCommandsPerDevice) ids.splice(0, ids.length - this.options.deviceCommandsPerDevice);
    this.deviceCommandIndex.set(record.deviceId, ids);
    if (event) this.pushEvent(event);
    return { status: 'created' };
  }

  async updateDeviceCommand(
    record: DeviceCommandRecord,
    expected: DeviceCommandStatus = 'sent',
    event?: Omit<LogEvent, 'id'>,
  ): Promise<DeviceCommandUpdateOutcome> {
    const current = this.liveDeviceCommand(record.commandId);
    if (!current) return { status: 'not_found' };
    if (current.status !== expected) return { status: 'conflict', command: clone(current) };
    const stored = wellFormedCopy(record);
    this.deviceCommands.set(record.commandId, { record: stored, expiresTs: this.now() + this.options.deviceCommandTtlMs });
    if (event) this.pushEvent(event);
    return { status: 'applied', command: clone(stored) };
  }

  async getDeviceCommand(commandId: string): Promise<DeviceCommandRecord | null> {
    const record = this.liveDeviceCommand(commandId);
    return record ? clone(record) : null;
  }

  async listDeviceCommands(deviceId: string, limit: number): Promise<DeviceCommandRecord[]> {
    const ids = this.deviceCommandIndex.get(deviceId) ?? [];
    const out: DeviceCommandRecord[] = [];
    for (let i = ids.length - 1; i >= 0 && out.length < limit; i--) {
      const record = this.liveDeviceCommand(ids[i]!);
      if (record) out.push(clone(record));
    }
    return out;
  }

  async pendingDeviceCommands(limit: number): Promise<DeviceCommandRecord[]> {
    const pending: DeviceCommandRecord[] = [];
    for (const id of this.deviceCommands.keys()) {
      const record = this.liveDeviceCommand(id);
      if (record?.status === 'sent') pending.push(record);
    }
    return pending
      .sort((a, b) => a.deadline - b.deadline)
      .slice(0, Math.max(0, limit))
      .map(clone);
  }

  // --- event log -------------------------------------------------------------------------

  async appendEvent(event: Omit<LogEvent, 'id'>): Promise<string> {
    return this.pushEvent(event);
  }

  async readEvents(fromTs: number, toTs: number, limit: number): Promise<LogEvent[]> {
    // registry.changed events are cluster plumbing, not history (see Store.readEvents)
    const matches = this.events.filter((e) => e.event.ts >= fromTs && e.event.ts <= toTs && !isRegistryChangedEvent(e.event));
    matches.sort((a, b) => a.event.ts - b.event.ts);
    return matches.slice(0, Math.max(0, limit)).map((e) => ({ ...clone(e.event), id: e.id }));
  }

  // --- shared log tail -------------------------------------------------------------------
  // One process, so every entry is this node's: a follower skips them all. The contract (order,
  // cursors, gap, waiting for the first entry) still holds, for tests and for a single node.

  async logCursor(): Promise<LogCursor> {
    return { readings: await this.readingsCursor(), events: this.events.at(-1)?.id ?? EMPTY_READINGS_CURSOR };
  }

  async tailLog(cursor: LogCursor, blockMs: number, limit: number, _skipNode?: string): Promise<LogTail> {
    const first = this.readLogAfter(cursor, limit);
    if (first.readings.length > 0 || first.events.length > 0 || first.gap || blockMs <= 0 || this.closed) return first;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.logWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, blockMs);
      timer.unref();
      this.logWaiters.add(wake);
    });
    return this.readLogAfter(cursor, limit);
  }

  // --- people ----------------------------------------------------------------------------

  async getUser(username: string): Promise<StoredUser | null> {
    const user = this.users.get(username);
    return user ? clone(user) : null;
  }

  async putUser(user: StoredUser): Promise<void> {
    this.users.set(user.username, wellFormedCopy(user));
  }

  async listUsers(): Promise<StoredUser[]> {
    return clone([...this.users.values()].sort((a, b) => a.username.localeCompare(b.username)));
  }

  async deleteUser(username: string): Promise<boolean> {
    return this.users.delete(username);
  }

  // --- blobs -----------------------------------------------------------------------------

  async putBlob(id: string, contentType: string, data: Buffer): Promise<void> {
    const now = this.now();
    this.sweepExpired();
    const bytesAfterPut = (): number => this.blobBytes - (this.blobs.get(id)?.data.length ?? 0) + data.length;
    let bytesAfter = bytesAfterPut();
    if (bytesAfter > this.options.maxBlobBytesTotal) {
      // expired blobs still count until swept: sweep now before refusing
      this.dropExpiredBlobs(now);
      bytesAfter = bytesAfterPut();
    }
    if (bytesAfter > this.options.maxBlobBytesTotal) {
      throw new StoreQuotaError(`blob quota exceeded: ${bytesAfter} of ${this.options.maxBlobBytesTotal} bytes`);
    }
    this.blobs.set(id, { contentType: wellFormedString(contentType), data: Buffer.from(data), expiresTs: now + this.options.blobRetentionMs });
    this.blobBytes = bytesAfter;
  }

  async getBlob(id: string): Promise<{ contentType: string; data: Buffer } | null> {
    const blob = this.blobs.get(id);
    return blob && blob.expiresTs > this.now() ? { contentType: blob.contentType, data: Buffer.from(blob.data) } : null;
  }

  // --- registry --------------------------------------------------------------------------

  async listRegistry<T extends RegistryRecord>(collection: RegistryCollection): Promise<T[]> {
    return [...this.registry[collection].values()].map((r) => clone(r) as T);
  }

  async getRegistry<T extends RegistryRecord>(collection: RegistryCollection, id: string): Promise<T | null> {
    const r = this.registry[collection].get(id);
    return r ? (clone(r) as T) : null;
  }

  async writeRegistry(collection: RegistryCollection, writes: readonly RegistryWrite[]): Promise<RegistryWriteOutcome> {
    const records = this.registry[collection];
    const conflicts: { id: string; currentVersion: number }[] = [];
    for (const w of writes) {
      const currentVersion = records.get(w.record.id)?.version ?? 0;
      if (currentVersion !== w.expectedVersion) conflicts.push({ id: w.record.id, currentVersion });
    }
    if (conflicts.length > 0) return { status: 'conflict', conflicts };
    // no await from the check to here: the writes are one atomic step
    for (const w of writes) {
      records.set(w.record.id, wellFormedCopy(w.record));
      if (w.change) {
        const key = `${collection}:${w.record.id}`;
        const history = this.registryChanges.get(key) ?? [];
        history.push(wellFormedCopy(w.change));
        if (history.length > this.options.registryHistoryPerRecord) history.splice(0, history.length - this.options.registryHistoryPerRecord);
        this.registryChanges.set(key, history);
      }
      if (w.credential) this.credentials.set(w.credential.deviceId, clone(w.credential));
    }
    // same step as the writes: a follower that sees the event reads them (issue 15)
    if (writes.length > 0) this.pushEvent(registryChangedEvent(collection, writes, this.options.registryEventMaxIds, this.now()));
    return { status: 'applied' };
  }

  async getRegistryRecords<T extends RegistryRecord>(collection: RegistryCollection, ids: readonly string[]): Promise<T[]> {
    const records = this.registry[collection];
    const out: T[] = [];
    for (const id of new Set(ids)) {
      const r = records.get(id);
      if (r) out.push(clone(r) as T);
    }
    return out;
  }

  async getDeviceCredentials(deviceIds: readonly string[]): Promise<StoredDeviceCredential[]> {
    const out: StoredDeviceCredential[] = [];
    for (const id of new Set(deviceIds)) {
      const c = this.credentials.get(id);
      if (c) out.push(clone(c));
    }
    return out;
  }

  async registryHistory(collection: RegistryCollection, id: string, limit: number): Promise<RegistryChange[]> {
    const history = this.registryChanges.get(`${collection}:${id}`) ?? [];
    return clone(limit > 0 ? history.slice(-limit) : []);
  }

  async listDeviceCredentials(): Promise<StoredDeviceCredential[]> {
    return [...this.credentials.values()].map(clone);
  }

  // --- retention -------------------------------------------------------------------------

  async housekeep(nowTs: number): Promise<{ removed: number }> {
    const cutoff = nowTs - this.options.closedRetentionMs;
    let removed = 0;
    for (const [id, incident] of this.incidents) {
      if (incident.state === 'closed' && (incident.closedTs ?? incident.updatedTs) <= cutoff) {
        this.incidents.delete(id);
        removed++;
      }
    }
    for (const [id, alert] of this.alerts) {
      if (!isAlertOpen(alert) && alert.lastTs <= cutoff) {
        this.alerts.delete(id);
        removed++;
      }
    }
    removed += this.dropExpiredBlobs(nowTs);
    return { removed };
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeLogWaiters();
  }

  // --- internals -------------------------------------------------------------------------

  /** Mint a Redis-stream-like id (`<ms>-<seq>`, strictly increasing) and append. */
  private pushEvent(event: Omit<LogEvent, 'id'>): string {
    const nowMs = this.now();
    if (nowMs > this.lastEventMs) {
      this.lastEventMs = nowMs;
      this.lastEventSeq = 0;
    } else {
      this.lastEventSeq += 1;
    }
    const id = `${this.lastEventMs}-${this.lastEventSeq}`;
    const stored = wellFormedCopy(event);
    // callers may pass a full LogEvent by accident; the id is ours
    delete (stored as Partial<LogEvent>).id;
    this.events.push({ id, event: stored });
    const trimmed = trimOldest(this.events, this.options.eventsStreamMaxLen);
    if (trimmed.length > 0) this.lastTrimmedEventId = trimmed[trimmed.length - 1]!.id;
    this.wakeLogWaiters();
    return id;
  }

  private wakeLogWaiters(): void {
    for (const wake of [...this.logWaiters]) wake();
  }

  /** Entries after `cursor` (at most `limit` per stream), without waiting. */
  private readLogAfter(cursor: LogCursor, limit: number): LogTail {
    const node = this.options.nodeId;
    const max = Math.max(0, limit);
    const trimmedReadings = this.readingsAppended - this.readings.length;
    const after = memoryCursorPosition(cursor.readings);
    const fromIndex = Math.max(0, after - trimmedReadings);
    const readings = fromIndex < this.readings.length ? this.readings.slice(fromIndex, fromIndex + max) : [];
    const nextReadings = readings.length > 0 ? memoryCursor(trimmedReadings + fromIndex + readings.length) : cursor.readings;
    const events = this.events.filter((e) => compareReadingsCursors(e.id, cursor.events) > 0).slice(0, max);
    // a hole only matters when something after the cursor was trimmed away
    const readingsGap = after < trimmedReadings;
    const eventsGap = compareReadingsCursors(cursor.events, this.lastTrimmedEventId) < 0;
    const tail: LogTail = {
      readings: readings.map((reading) => ({ reading: clone(reading), node })),
      events: events.map((e) => ({ event: { ...clone(e.event), id: e.id }, node })),
      cursor: { readings: nextReadings, events: events.at(-1)?.id ?? cursor.events },
    };
    if (readingsGap || eventsGap) tail.gap = true;
    return tail;
  }

  private liveDeviceCommand(commandId: string): DeviceCommandRecord | null {
    const entry = this.deviceCommands.get(commandId);
    if (!entry || entry.expiresTs <= this.now()) return null;
    return entry.record;
  }

  private lookupCommand(commandId: string): string | null {
    const record = this.incidentCommands.get(commandId);
    if (!record || record.expiresTs <= this.now()) return null;
    return record.incidentId;
  }

  private recordCommand(commandId: string, incidentId: string): void {
    this.incidentCommands.set(commandId, { incidentId, expiresTs: this.now() + this.options.commandTtlMs });
  }

  /** Drop expired command records, batch ids and claims so the maps stay bounded by the TTL window. */
  private sweepExpired(): void {
    const now = this.now();
    if (now - this.lastSweepTs < EXPIRY_SWEEP_INTERVAL_MS) return;
    this.lastSweepTs = now;
    for (const [id, record] of this.incidentCommands) if (record.expiresTs <= now) this.incidentCommands.delete(id);
    for (const [id, record] of this.alertCommands) if (record.expiresTs <= now) this.alertCommands.delete(id);
    for (const [id, expiresTs] of this.batchIds) if (expiresTs <= now) this.batchIds.delete(id);
    for (const [id, expiresTs] of this.claims) if (expiresTs <= now) this.claims.delete(id);
    for (const [id, entry] of this.deviceCommands) if (entry.expiresTs <= now) this.deviceCommands.delete(id);
    for (const [deviceId, ids] of this.deviceCommandIndex) {
      const kept = ids.filter((id) => this.deviceCommands.has(id));
      if (kept.length === 0) this.deviceCommandIndex.delete(deviceId);
      else if (kept.length !== ids.length) this.deviceCommandIndex.set(deviceId, kept);
    }
    this.dropExpiredBlobs(now);
  }

  /** Forget blobs past their retention and release their bytes from the quota; returns how many. */
  private dropExpiredBlobs(nowTs: number): number {
    let dropped = 0;
    for (const [id, blob] of this.blobs) {
      if (blob.expiresTs <= nowTs) {
        this.blobs.delete(id);
        this.blobBytes -= blob.data.length;
        dropped++;
      }
    }
    return dropped;
  }
}

/**
 * A transition must bump the version by exactly one; anything else is a caller bug (the state
 * machine in scenes/ produces `next`), so it throws instead of returning an outcome.
 */
export function assertNextVersion(next: Incident, expectedVersion: number): void {
  if (next.version !== expectedVersion + 1) {
    throw new RangeError(`transitionIncident: next.version must be expectedVersion + 1 (got ${next.version}, expected ${expectedVersion + 1})`);
  }
}
