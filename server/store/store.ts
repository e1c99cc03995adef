/**
 * Persistence port. One interface, two implementations (Redis via ioredis, in-memory); the same
 * contract tests (server/test/store-contract.test.ts) run against both.
 *
 * Invariants every implementation keeps:
 * - `transitionIncident` is compare-and-set on `version` and idempotent by `commandId`: a retried
 *   command returns the stored outcome (`duplicate: true`) and is never applied twice; of two
 *   concurrent commands against the same version exactly one wins, the other gets `conflict`.
 * - Every alert/incident write also appends a LogEvent to the event log, atomically with it; so
 *   does every registry write (one `registry.changed` event per call, issue 15: other nodes re-read
 *   what it names).
 * - Keys (Redis) are namespaced under `${prefix}:`.
 * - Every call settles: a store that cannot answer rejects with `StoreUnavailableError`
 *   (`E_UNAVAILABLE`) within its command deadline instead of hanging.
 * - Every key family is bounded (see README, "Operations: Redis key families and their bounds"):
 *   streams by MAXLEN, closed incidents / finished alerts by `closedRetentionMs`, blobs by
 *   `blobRetentionMs` and `maxBlobBytesTotal`, idempotency records by their TTLs.
 */
import type { Alert, DeviceState, DistrictCode, Incident, Reading, Role } from '../../scenes/domain';
import type { LogEvent, RegistryChangeNotice } from '../../scenes/protocol';
import type { DeviceCommandRecord, DeviceCommandStatus } from '../../scenes/device-commands';

export type StoreKind = 'redis' | 'memory';

/** The backing service did not answer (down, loading, timed out). Retryable; HTTP 503. */
export class StoreUnavailableError extends Error {
  readonly code = 'E_UNAVAILABLE' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A write would exceed a configured storage quota (e.g. `maxBlobBytesTotal`). HTTP 507. */
export class StoreQuotaError extends Error {
  readonly code = 'E_QUOTA' as const;
  constructor(message: string) {
    super(message);
    this.name = 'StoreQuotaError';
  }
}

/**
 * Position in the readings stream. Redis: the stream id `<ms>-<seq>`; memory: `0-<n>` (n = readings
 * ever appended). Compare with `compareReadingsCursors`, never as plain strings.
 */
export type ReadingsCursor = string;

/** The cursor before any entry (an empty stream answers this). */
export const EMPTY_READINGS_CURSOR: ReadingsCursor = '0-0';

/** Numeric order of two `<ms>-<seq>` cursors: negative, zero or positive like a comparator. */
export function compareReadingsCursors(a: ReadingsCursor, b: ReadingsCursor): number {
  const [aMs, aSeq] = splitCursor(a);
  const [bMs, bSeq] = splitCursor(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

function splitCursor(cursor: ReadingsCursor): [bigint, bigint] {
  const dash = cursor.indexOf('-');
  if (dash < 0 || !/^\d+-\d+$/.test(cursor)) throw new RangeError(`invalid readings cursor '${cursor}'`);
  return [BigInt(cursor.slice(0, dash)), BigInt(cursor.slice(dash + 1))];
}

/**
 * Position in both shared log streams (readings and domain events), as a follower holds it
 * between `tailLog` calls. Each part is a stream id `<ms>-<seq>` (`EMPTY_READINGS_CURSOR` = before
 * any entry); compare each with `compareReadingsCursors`.
 */
export interface LogCursor {
  readings: ReadingsCursor;
  /** id of the last event read (`EMPTY_READINGS_CURSOR` = before any) */
  events: string;
}

/** The cursor before any entry of either stream. */
export const EMPTY_LOG_CURSOR: LogCursor = { readings: EMPTY_READINGS_CURSOR, events: EMPTY_READINGS_CURSOR };

/** What one `tailLog` call read: entries after the cursor, in stream order, each with the node that appended it. */
export interface LogTail {
  /** `node`: the appending store's `nodeId` ('' for entries written before nodes were tagged) */
  readings: { reading: Reading; node: string }[];
  events: { event: LogEvent; node: string }[];
  /** where the next call continues (each part unchanged when its stream returned nothing) */
  cursor: LogCursor;
  /** readings-stream entries this call read, including those `skipNode` left out (absent: `readings.length`) */
  readingsScanned?: number;
  /**
   * true when entries after the given cursor were already trimmed (MAXLEN) from at least one
   * stream: the entries answered follow the hole, and the caller must re-sync its state from the
   * store (alerts, incidents, device states) instead of trusting the tail alone. May be reported
   * conservatively when trimming races the read; never missed.
   */
  gap?: boolean;
}

export interface StoredUser {
  username: string;
  displayName: string;
  role: Role;
  /** scrypt: `scrypt$N$r$p$saltB64$hashB64` */
  passwordHash: string;
  disabled: boolean;
  /** failed logins since last success */
  failedLogins: number;
  /** epoch ms until which login is refused (0 = not locked) */
  lockedUntil: number;
  /** handler fields */
  team?: string;
  skills?: string[];
  createdTs: number;
  /**
   * the password was set by someone else (bootstrap, CLI, admin create/reset): until the owner
   * changes it, a login yields a session that may only change the password (absent = false)
   */
  mustChangePassword?: boolean;
  /** a demo account seeded outside production; refused at login in production (absent = false) */
  demo?: boolean;
  /** officers and leaders: the districts whose data they see and act on (absent or empty = the whole city; scenes/scope.ts) */
  districts?: DistrictCode[];
  /** epoch ms the current password was set; expiry counts from here (absent: from createdTs) */
  passwordChangedTs?: number;
  /** hashes of the last passwords, newest (the current one) first: a new password may not be one of them */
  passwordHistory?: string[];
  /** the second factor (TOTP, server/auth/totp.ts); absent = never enrolled */
  mfa?: StoredMfa;
}

/**
 * A user's TOTP state. `failedLogins` / `lockedUntil` above are no longer used by login (the
 * throttle in server/auth/login-throttle.ts locks a username per source address instead); they
 * stay in the record so older stores and tools keep reading it.
 */
export interface StoredMfa {
  /** base32 secret of the confirmed factor; absent while only an enrolment is pending */
  secret?: string;
  enabled: boolean;
  /** epoch ms it was confirmed */
  enabledTs?: number;
  /** base32 secret shown at setup, waiting for its first code (POST /api/auth/mfa/confirm) */
  pendingSecret?: string;
  /** epoch ms the pending enrolment was started (it expires) */
  pendingTs?: number;
  /** the last 30 s time step whose code was accepted: a code of that step or an earlier one is refused */
  lastStep?: number;
  /** sha256 hex of each unused recovery code (each works once) */
  recoveryCodeHashes?: string[];
}

export type TransitionOutcome =
  | { status: 'applied'; incident: Incident }
  | { status: 'duplicate'; incident: Incident }
  | { status: 'conflict'; current: Incident }
  | { status: 'not_found' };

export type CreateOutcome = { status: 'applied'; incident: Incident } | { status: 'duplicate'; incident: Incident };

/**
 * Collections of the registry (issue 11): devices, assets, rule documents; `setting`: small
 * configuration documents by id (issue 14: `area-warning-rules`, server/storm/area-warning-rules.ts).
 */
export type RegistryCollection = 'device' | 'asset' | 'rule' | 'setting';

/** What every registry record has: a stable id and a compare-and-set version (1 = first write). */
export interface RegistryRecord {
  id: string;
  /** incremented by every write; a write names the version it read (0 = "must not exist yet") */
  version: number;
}

/** One entry of a record's change history (who changed what), newest last. */
export interface RegistryChange {
  /** epoch ms */
  ts: number;
  actor: string;
  action: string;
  /** version the write produced */
  version: number;
  /** the changed fields before / after the write (absent fields: undefined → omitted) */
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/**
 * A device credential as stored: never the secret. `secret`: sha256 (hex) of the random token;
 * `demo-hmac`: the seeded demo fleet's HMAC-derived token (server/device-token.ts) is accepted;
 * `revoked`: none is.
 */
export type StoredDeviceCredential =
  | { deviceId: string; kind: 'secret'; sha256: string; issuedTs: number }
  | { deviceId: string; kind: 'demo-hmac'; issuedTs: number }
  /** retired: no token is accepted until the credential is rotated */
  | { deviceId: string; kind: 'revoked'; issuedTs: number };

/** One compare-and-set write of a registry record, with its history entry and (devices) credential. */
export interface RegistryWrite<T extends RegistryRecord = RegistryRecord> {
  record: T;
  /** the version the writer read; 0 = the record must not exist. `record.version` must be this + 1. */
  expectedVersion: number;
  change?: RegistryChange;
  /** device collection only: replaces the device's credential in the same step */
  credential?: StoredDeviceCredential;
}

/** Outcome of `createDeviceCommand`: a command id is created once; a second create answers the stored record. */
export type DeviceCommandCreateOutcome = { status: 'created' } | { status: 'duplicate'; command: DeviceCommandRecord };

/** Outcome of `updateDeviceCommand` (compare-and-set on the stored status). */
export type DeviceCommandUpdateOutcome =
  | { status: 'applied'; command: DeviceCommandRecord }
  /** the stored record was not in the expected status: nothing written, the stored record answered */
  | { status: 'conflict'; command: DeviceCommandRecord }
  | { status: 'not_found' };

export type RegistryWriteOutcome = { status: 'applied' } | { status: 'conflict'; conflicts: { id: string; currentVersion: number }[] };

export interface Store {
  readonly kind: StoreKind;
  /**
   * the node id this store tags every appended reading and event with (StoreOptions.nodeId): the
   * server that uses it follows the shared log skipping exactly these entries, so the two must agree
   */
  readonly nodeId: string;

  // --- telemetry -------------------------------------------------------------------------
  /**
   * Append accepted readings to the readings stream (stream capped to `readingsStreamMaxLen`).
   * With a `batchId` the append is idempotent: a batch retried with the same id (within
   * `batchIdTtlMs`) is never appended twice. Batches larger than one append chunk (1,000) are
   * de-duplicated per chunk, so a retry after a partial failure appends only the missing chunks.
   */
  appendReadings(readings: readonly Reading[], batchId?: string): Promise<void>;
  /** Cursor of the newest entry in the readings stream (`EMPTY_READINGS_CURSOR` when empty). */
  readingsCursor(): Promise<ReadingsCursor>;
  /**
   * Entries appended strictly after `cursor`, in append order, at most `limit`, and the cursor of
   * the last one returned (`cursor` unchanged when none). Entries already trimmed by MAXLEN are gone:
   * the first entry returned may then be later than `cursor`'s successor.
   */
  readReadingsAfter(cursor: ReadingsCursor, limit: number): Promise<{ readings: Reading[]; cursor: ReadingsCursor }>;
  /** Readings of the given devices with `fromTs <= ts <= toTs`, oldest first, at most `limit`. */
  readReadings(deviceIds: readonly string[], fromTs: number, toTs: number, limit: number): Promise<Reading[]>;
  /**
   * Upsert latest device states (one atomic step). With `cursor` (a readings cursor the states
   * reflect every reading up to) it is stored in the same step; see `deviceStatesCursor`.
   */
  saveDeviceStates(states: readonly DeviceState[], cursor?: ReadingsCursor): Promise<void>;
  loadDeviceStates(): Promise<DeviceState[]>;
  /** The cursor last saved with device states, or null when none was. */
  deviceStatesCursor(): Promise<ReadingsCursor | null>;

  // --- alerts ----------------------------------------------------------------------------
  /**
   * Upsert an alert; when `event` is given it is appended to the event log in the same step; when
   * `commandId` is given, `commandId` → alert id is recorded in the same step (kept `commandTtlMs`),
   * so a retried command can tell its outcome (`alertForCommand`). An alert that is cleared and
   * acknowledged expires `closedRetentionMs` after this write; re-opening it keeps it again.
   */
  saveAlert(alert: Alert, event?: Omit<LogEvent, 'id'>, commandId?: string): Promise<void>;
  /** The alert id a command id was recorded with by saveAlert, or null (unknown or expired). */
  alertForCommand(commandId: string): Promise<string | null>;
  /** Alerts that are open (not cleared, or cleared but unacknowledged) or last changed after `sinceTs`. */
  loadAlerts(sinceTs: number): Promise<Alert[]>;

  // --- incidents -------------------------------------------------------------------------
  /** Create an incident unless `commandId` was already used (then returns the incident it created). */
  createIncident(incident: Incident, commandId: string): Promise<CreateOutcome>;
  getIncident(id: string): Promise<Incident | null>;
  /** Open incidents and those closed after `sinceTs`. */
  loadIncidents(sinceTs: number): Promise<Incident[]>;
  /**
   * Compare-and-set: replace the stored incident with `next` iff the stored version equals
   * `expectedVersion` (and `next.version === expectedVersion + 1`), record `commandId` → incident id,
   * and append an `incident.transition` LogEvent — all atomically. If `commandId` was seen before,
   * return `duplicate` with the incident as it is now, without writing.
   */
  transitionIncident(next: Incident, expectedVersion: number, commandId: string): Promise<TransitionOutcome>;
  /** The incident id a command id was applied to (by createIncident or transitionIncident), or null. */
  incidentForCommand(commandId: string): Promise<string | null>;

  // --- commands (idempotency for non-incident commands, e.g. alert.ack) -------------------
  /**
   * Atomically claim a command id; false when it was already claimed. Claims expire after `ttlMs`.
   * @deprecated a claim taken before a write that then fails reports a success that never
   * happened (issue 10, defect #3): record outcomes with `saveAlert(alert, event, commandId)` and
   * look them up with `alertForCommand` instead.
   */
  claimCommand(commandId: string, ttlMs: number): Promise<boolean>;

  // --- commands to devices (issue 13) -----------------------------------------------------
  /**
   * Create a command record unless its `commandId` exists (atomic create-if-absent; then the
   * stored record is answered and nothing written). With `event`, the event is appended in the
   * same step. The record expires `deviceCommandTtlMs` after its last write; each device keeps an
   * index of its newest `deviceCommandsPerDevice` command ids; a `sent` record is in the pending
   * index until it is updated out of `sent`.
   */
  createDeviceCommand(record: DeviceCommandRecord, event?: Omit<LogEvent, 'id'>): Promise<DeviceCommandCreateOutcome>;
  /**
   * Compare-and-set: replace the stored record with `record` iff the stored status is `expected`
   * (default `sent`: a command settles once), appending `event` in the same step.
   */
  updateDeviceCommand(record: DeviceCommandRecord, expected?: DeviceCommandStatus, event?: Omit<LogEvent, 'id'>): Promise<DeviceCommandUpdateOutcome>;
  getDeviceCommand(commandId: string): Promise<DeviceCommandRecord | null>;
  /** A device's newest commands, newest first, at most `limit` (and at most `deviceCommandsPerDevice`). */
  listDeviceCommands(deviceId: string, limit: number): Promise<DeviceCommandRecord[]>;
  /** Commands still `sent` (any device), earliest deadline first, at most `limit`: the startup sweep times them out. */
  pendingDeviceCommands(limit: number): Promise<DeviceCommandRecord[]>;

  // --- event log -------------------------------------------------------------------------
  /** Append an event; returns its id (stream id). */
  appendEvent(event: Omit<LogEvent, 'id'>): Promise<string>;
  /**
   * Events with `fromTs <= ts <= toTs`, oldest first, at most `limit`. Never `registry.changed`
   * events: they are cluster plumbing (read by `tailLog` followers), not the domain history that
   * replay and `GET /api/events` show (the registry keeps its own history).
   */
  readEvents(fromTs: number, toTs: number, limit: number): Promise<LogEvent[]>;

  // --- shared log tail (issue 15: every node applies what every other node accepted) --------
  /** The current ends of the readings and events streams: a tail started here sees only what follows. */
  logCursor(): Promise<LogCursor>;
  /**
   * Readings and events appended after `cursor`, in stream order, at most `limit` per stream, each
   * tagged with the `nodeId` of the store that appended it. Waits up to `blockMs` for the first
   * entry when none is there yet (answers as soon as one is) and then answers empty with the cursor
   * unchanged. Never skips an entry silently: see `LogTail.gap`. Redis: one blocking XREAD on a
   * connection of its own, never on the one that serves commands. `skipNode`: readings that node
   * appended are left out without being decoded (a follower's own; events are always answered);
   * `readingsScanned` then still counts them.
   */
  tailLog(cursor: LogCursor, blockMs: number, limit: number, skipNode?: string): Promise<LogTail>;

  // --- people ----------------------------------------------------------------------------
  getUser(username: string): Promise<StoredUser | null>;
  putUser(user: StoredUser): Promise<void>;
  listUsers(): Promise<StoredUser[]>;
  /** Remove an account (`npm run admin -- purge-demo`); true when it existed. */
  deleteUser(username: string): Promise<boolean>;

  // --- blobs (incident photos) -----------------------------------------------------------
  /**
   * Store a blob for `blobRetentionMs`. Throws StoreQuotaError when the bytes of unexpired blobs
   * would exceed `maxBlobBytesTotal` (overwriting an id first releases its old bytes).
   */
  putBlob(id: string, contentType: string, data: Buffer): Promise<void>;
  getBlob(id: string): Promise<{ contentType: string; data: Buffer } | null>;

  // --- retention -------------------------------------------------------------------------
  /**
   * Drop index entries (and, in memory, records) of incidents closed and alerts finished more than
   * `closedRetentionMs` before `nowTs`, and account for expired blobs. Idempotent; call it hourly.
   * Returns how many entries it removed.
   */
  housekeep(nowTs: number): Promise<{ removed: number }>;

  // --- registry (issue 11): devices, assets, rule documents; device credentials ----------
  /** Every record of a collection (order unspecified). */
  listRegistry<T extends RegistryRecord>(collection: RegistryCollection): Promise<T[]>;
  getRegistry<T extends RegistryRecord>(collection: RegistryCollection, id: string): Promise<T | null>;
  /**
   * Compare-and-set writes, all or nothing: when any write's `expectedVersion` differs from the
   * stored version (0 when absent), nothing is written and the conflicts are answered. Otherwise
   * every record is stored, every `change` appended to its record's history (the newest
   * `registryHistoryPerRecord` kept), every `credential` replaced and ONE `registry.changed` event
   * naming the written ids (`registryChangedEvent`) appended to the event log, in one atomic step,
   * so another node that follows the log re-reads exactly what changed (issue 15). Callers chunk
   * large imports (`REGISTRY_WRITE_CHUNK`): atomicity is per call. An empty `writes` writes nothing.
   */
  writeRegistry(collection: RegistryCollection, writes: readonly RegistryWrite[]): Promise<RegistryWriteOutcome>;
  /**
   * The records of the given ids that exist (order unspecified; an unknown id is left out), read in
   * one step: what a node re-reads when another node's `registry.changed` event names them.
   */
  getRegistryRecords<T extends RegistryRecord>(collection: RegistryCollection, ids: readonly string[]): Promise<T[]>;
  /** The stored credentials of the given devices (hashes only; a device without one is left out), read in one step. */
  getDeviceCredentials(deviceIds: readonly string[]): Promise<StoredDeviceCredential[]>;
  /** The newest `limit` history entries of a record, oldest first. */
  registryHistory(collection: RegistryCollection, id: string, limit: number): Promise<RegistryChange[]>;
  /** Every stored device credential (hashes only; bounded by the device registry). */
  listDeviceCredentials(): Promise<StoredDeviceCredential[]>;

  /** Is the backing service reachable right now? Never rejects: false when it is not (within its deadline). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** key namespace, default 'ioc' */
  prefix: string;
  /** approximate cap of the readings stream (XADD MAXLEN ~) */
  readingsStreamMaxLen: number;
  /** approximate cap of the event stream */
  eventsStreamMaxLen: number;
  /** how long a readings batch id is remembered for de-duplication, ms */
  batchIdTtlMs: number;
  /** how long a command id → incident/alert outcome record is kept, ms */
  commandTtlMs: number;
  /** how long closed incidents and finished (cleared + acknowledged) alerts are kept, ms */
  closedRetentionMs: number;
  /** how long a photo blob is kept after it was stored, ms */
  blobRetentionMs: number;
  /** quota on the bytes of all unexpired blobs together */
  maxBlobBytesTotal: number;
  /** history entries kept per registry record (device, asset, rule); older ones are dropped */
  registryHistoryPerRecord: number;
  /** how long a command-to-device record is kept after its last write, ms */
  deviceCommandTtlMs: number;
  /** command ids indexed per device (`listDeviceCommands`); older ones drop out of the index */
  deviceCommandsPerDevice: number;
  /**
   * most record ids one `registry.changed` event names (issue 15); a write of more records sends
   * `all: true` instead (followers re-read the whole collection). Default REGISTRY_WRITE_CHUNK, so
   * the chunks of an import always name their ids.
   */
  registryEventMaxIds: number;
  /**
   * this server node's id (issue 15): every reading (field `n`) and event (JSON `node`) this store
   * appends is tagged with it, so a follower of the shared log skips its own node's entries
   */
  nodeId: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Registry writes per store call for bulk imports (one Lua script / one synchronous step each). */
export const REGISTRY_WRITE_CHUNK = 1_000;

export const DEFAULT_STORE_OPTIONS: StoreOptions = {
  prefix: 'ioc',
  readingsStreamMaxLen: 500_000,
  eventsStreamMaxLen: 200_000,
  batchIdTtlMs: 3600_000,
  commandTtlMs: 7 * DAY_MS,
  // ≥ 184 days: history and audit questions reach back half a year (issue 10)
  closedRetentionMs: 184 * DAY_MS,
  blobRetentionMs: 184 * DAY_MS,
  maxBlobBytesTotal: 2 * 1024 ** 3,
  registryHistoryPerRecord: 50,
  deviceCommandTtlMs: 7 * DAY_MS,
  deviceCommandsPerDevice: 50,
  registryEventMaxIds: REGISTRY_WRITE_CHUNK,
  nodeId: 'local',
};

/** A string with lone UTF-16 surrogates replaced by U+FFFD (Node ≥ 20: String.prototype.toWellFormed). */
export function wellFormedString(value: string): string {
  return (value as string & { toWellFormed(): string }).toWellFormed();
}

/**
 * Deep copy of JSON-like data (plain objects, arrays, primitives) whose strings — values and keys —
 * are well-formed Unicode: what both stores keep and answer, so a lone surrogate written through
 * either store reads back as U+FFFD in both (Redis must: Lua's cjson cannot decode it).
 */
export function wellFormedCopy<T>(value: T): T {
  return copyWellFormed(value) as T;
}

function copyWellFormed(value: unknown): unknown {
  if (typeof value === 'string') return wellFormedString(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyWellFormed);
  if (Buffer.isBuffer(value) || value instanceof Date) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // defineProperty: a key '__proto__' stays an own data property, as JSON.parse would make it
    Object.defineProperty(out, wellFormedString(key), {
      value: copyWellFormed((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** An incident as an event carries it: without its history (the event's `transition` is the newest step). */
export function incidentForEvent(incident: Incident): Omit<Incident, 'history'> {
  const { history: _history, ...rest } = incident;
  return rest;
}

/** The `incident.created` / `incident.transition` event of a stored incident (the change, not a full copy). */
export function incidentEvent(incident: Incident, type: 'incident.created' | 'incident.transition'): Omit<LogEvent, 'id'> {
  const transition = incident.history[incident.history.length - 1];
  return {
    ts: incident.updatedTs,
    type,
    scene: incident.scene,
    incident: incidentForEvent(incident),
    ...(transition ? { transition } : {}),
  };
}

/**
 * The `registry.changed` event of one registry write (issue 15): the written ids, or `all` when
 * there are more than `maxIds` (an event stays small; followers then re-read the collection).
 * Ids are de-duplicated in write order. `ts`: epoch ms of the write.
 */
export function registryChangedEvent(
  collection: RegistryCollection,
  writes: readonly Pick<RegistryWrite, 'record'>[],
  maxIds: number,
  ts: number,
): Omit<LogEvent, 'id'> & { registry: RegistryChangeNotice } {
  const ids = [...new Set(writes.map((w) => w.record.id))];
  const registry: RegistryChangeNotice = ids.length > maxIds ? { collection, ids: [], all: true } : { collection, ids };
  return { ts, type: 'registry.changed', scene: 'overview', registry };
}

/** Is this a `registry.changed` event (cluster plumbing that `readEvents` never answers)? */
export function isRegistryChangedEvent(event: Pick<LogEvent, 'type'>): boolean {
  return event.type === 'registry.changed';
}
