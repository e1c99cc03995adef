/**
 * Persistence port. One interface, two implementations (Redis via ioredis, in-memory); the same
 * contract tests (server/test/store-contract.test.ts) run against both.
 *
 * Invariants every implementation keeps:
 * - `transitionIncident` is compare-and-set on `version` and idempotent by `commandId`: a retried
 *   command returns the stored outcome (`duplicate: true`) and is never applied twice; of two
 *   concurrent commands against the same version exactly one wins, the other gets `conflict`.
 * - Every alert/incident write also appends a LogEvent to the event log, atomically with it.
 * - Keys (Redis) are namespaced under `${prefix}:`.
 */
import type { Alert, DeviceState, Incident, Reading, Role } from '../../scenes/domain';
import type { LogEvent } from '../../scenes/protocol';

export type StoreKind = 'redis' | 'memory';

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
}

export type TransitionOutcome =
  | { status: 'applied'; incident: Incident }
  | { status: 'duplicate'; incident: Incident }
  | { status: 'conflict'; current: Incident }
  | { status: 'not_found' };

export type CreateOutcome = { status: 'applied'; incident: Incident } | { status: 'duplicate'; incident: Incident };

export interface Store {
  readonly kind: StoreKind;

  // --- telemetry -------------------------------------------------------------------------
  /** Append accepted readings to the readings stream (pipelined; stream capped to `readingsStreamMaxLen`). */
  appendReadings(readings: readonly Reading[]): Promise<void>;
  /** Readings of the given devices with `fromTs <= ts <= toTs`, oldest first, at most `limit`. */
  readReadings(deviceIds: readonly string[], fromTs: number, toTs: number, limit: number): Promise<Reading[]>;
  /** Upsert latest device states (one pipeline / batch). */
  saveDeviceStates(states: readonly DeviceState[]): Promise<void>;
  loadDeviceStates(): Promise<DeviceState[]>;

  // --- alerts ----------------------------------------------------------------------------
  /** Upsert an alert; when `event` is given it is appended to the event log in the same step. */
  saveAlert(alert: Alert, event?: Omit<LogEvent, 'id'>): Promise<void>;
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
  /** Atomically claim a command id; false when it was already claimed. Claims expire after `ttlMs`. */
  claimCommand(commandId: string, ttlMs: number): Promise<boolean>;

  // --- event log -------------------------------------------------------------------------
  /** Append an event; returns its id (stream id). */
  appendEvent(event: Omit<LogEvent, 'id'>): Promise<string>;
  /** Events with `fromTs <= ts <= toTs`, oldest first, at most `limit`. */
  readEvents(fromTs: number, toTs: number, limit: number): Promise<LogEvent[]>;

  // --- people ----------------------------------------------------------------------------
  getUser(username: string): Promise<StoredUser | null>;
  putUser(user: StoredUser): Promise<void>;
  listUsers(): Promise<StoredUser[]>;

  // --- blobs (incident photos) -----------------------------------------------------------
  putBlob(id: string, contentType: string, data: Buffer): Promise<void>;
  getBlob(id: string): Promise<{ contentType: string; data: Buffer } | null>;

  /** Is the backing service reachable right now? */
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
}

export const DEFAULT_STORE_OPTIONS: StoreOptions = {
  prefix: 'ioc',
  readingsStreamMaxLen: 500_000,
  eventsStreamMaxLen: 200_000,
};
