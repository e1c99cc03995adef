/**
 * LogFollower (issue 15, "one ordered log is the truth"): a node applies what OTHER nodes accepted.
 *
 * Each node fuses the readings it ingests itself and persists and notifies the alert changes they
 * cause (server/app.ts `onAlertChanges`). Every other node reads the same readings and domain
 * events from the shared log (`Store.tailLog`) and brings its own fusion to the same state:
 * - readings of other nodes are fused in stream order (per-device order is the log's); the alert
 *   changes fusion derives from them are DISCARDED — the origin node persists and notifies those,
 *   and its `alert.*` events arrive here too;
 * - `alert.*` events fold the origin's alert into fusion's copy (`mergeAlertCopies`: acks and
 *   incident links are taken, a snapshot older than what this node already fused from the same
 *   readings never moves it back) and tell this node's screens;
 * - `incident.*` events carry the incident without its history: the full one is fetched from the
 *   store, only when it is newer than fusion's copy;
 * - `device.command` events go to `onDeviceCommand`;
 * - `registry.changed` events (an admin's edit of devices, assets, rules or settings on another
 *   node) go to `onRegistryChanged`, which re-reads the named records from the store and applies
 *   them as a local write would (credentials, fusion, rule resolver). A hole in the log re-reads
 *   every collection the same way (`all: true`), since the events in the hole are gone.
 * Entries this node appended (tagged with its `nodeId`) are skipped: they were applied when accepted.
 *
 * Failure model: a store that does not answer is retried from the same position after a bounded
 * back-off (never thrown out of the loop; nothing is skipped). A hole in the log (entries trimmed
 * before this node read them: `LogTail.gap`) re-syncs from the store: the log position is taken
 * first, then `onGap` reloads state, then the tail continues from that position — entries between
 * the two are applied again, which converges (readings are de-duplicated by seq, alert events put
 * the latest state in order, incidents only move forward by version). A callback or fusion that
 * throws on one entry is a bug, not an outage: that entry is logged and passed over, so one poison
 * entry cannot stall the log for the whole node.
 */
import type { Alert, Incident } from '../../scenes/domain';
import { mergeAlertCopies } from '../../scenes/alert-lifecycle';
import { REGISTRY_COLLECTION_NAMES, type LogEvent, type RegistryChangeNotice } from '../../scenes/protocol';
import type { DeviceCommandRecord } from '../../scenes/device-commands';
import type { AlertChangeRecord, Fusion } from '../fusion';
import type { LogCursor, LogTail, Store } from '../store/store';

/** Tuning of a follower; every field in ms or entries. */
export interface LogFollowerOptions {
  /** how long one tail waits for the next entry; also the longest `stop()` waits for the loop, ms */
  blockMs: number;
  /** entries read per stream per tail */
  limit: number;
  /** first pause after a failed read, ms (doubled per failure) */
  retryMinMs: number;
  /** longest pause between retries while the store does not answer, ms */
  retryMaxMs: number;
}

export const DEFAULT_LOG_FOLLOWER_OPTIONS: LogFollowerOptions = {
  blockMs: 1_000,
  limit: 1_000,
  retryMinMs: 200,
  retryMaxMs: 2_000,
};

/** What a follower reads, applies and tells. */
export interface LogFollowerDeps extends Partial<LogFollowerOptions> {
  store: Pick<Store, 'tailLog' | 'logCursor' | 'getIncident'>;
  /** this node's id (the store's `nodeId`): its own entries are skipped */
  nodeId: string;
  fusion: Pick<Fusion, 'applyReading' | 'putAlert' | 'putIncident' | 'getAlert' | 'incidents'>;
  /** after a batch of other nodes' readings was fused (e.g. `hub.flushIfDue`) */
  onReadingsApplied(): void;
  /**
   * an alert change this node derived from another node's reading (not persisted, not notified:
   * the origin does that): e.g. flush this node's screens now rather than at the next frame
   */
  onDerivedAlert?(alert: Alert): void;
  /** an alert changed on another node: tell this node's screens */
  onAlert(alert: Alert): void;
  /** an incident changed on another node (full incident, with history); `previousAssignees` from this node's copy */
  onIncident(incident: Incident, previousAssignees: string[]): void;
  /** a command to a device changed on another node */
  onDeviceCommand?(record: DeviceCommandRecord): void;
  /**
   * another node wrote registry records: re-read them from the store and apply them (issue 15).
   * Rejecting with a store error (`code: 'E_UNAVAILABLE'`) retries from this event after the
   * back-off; any other rejection is a bug: logged, and the event passed over.
   */
  onRegistryChanged?(change: RegistryChangeNotice): Promise<void>;
  /** the log had a hole: reload alerts, incidents and device states from the store (rejecting = retried) */
  onGap(): Promise<void>;
  log: {
    warn(o: object | string, m?: string): void;
    error(o: object | string, m?: string): void;
  };
  /** epoch ms clock (lagMs) */
  now?: () => number;
}

/** Where a follower stands: `catching-up` until a tail reached the end of both streams. */
export type LogFollowerState = 'idle' | 'catching-up' | 'caught-up' | 'retrying' | 'stopped';

export class LogFollower {
  private readonly opts: LogFollowerOptions;
  private readonly now: () => number;
  private cursor: LogCursor | null = null;
  private state: LogFollowerState = 'idle';
  private loop: Promise<void> | null = null;
  private stopping = false;
  /** wakes a back-off pause early (stop) */
  private wakeSleep: (() => void) | null = null;
  /** stream-id time (append time, epoch ms) of the newest entry read; 0 before any */
  private newestReadMs = 0;
  /** registry events of the read being applied that were already applied (an outage retries the read) */
  private readonly registryDone = new Set<string>();

  constructor(private readonly deps: LogFollowerDeps) {
    this.opts = {
      blockMs: deps.blockMs ?? DEFAULT_LOG_FOLLOWER_OPTIONS.blockMs,
      limit: deps.limit ?? DEFAULT_LOG_FOLLOWER_OPTIONS.limit,
      retryMinMs: deps.retryMinMs ?? DEFAULT_LOG_FOLLOWER_OPTIONS.retryMinMs,
      retryMaxMs: deps.retryMaxMs ?? DEFAULT_LOG_FOLLOWER_OPTIONS.retryMaxMs,
    };
    this.now = deps.now ?? Date.now;
  }

  /** Follow the log from `cursor` (typically `store.logCursor()` read before fusion was restored). */
  start(cursor: LogCursor): void {
    if (this.loop !== null) throw new Error('LogFollower: already started');
    this.cursor = { ...cursor };
    this.state = 'catching-up';
    this.loop = this.run();
  }

  /** Ends the loop; resolves once it has (within one `blockMs` read). Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSleep?.();
    await this.loop;
    this.state = 'stopped';
  }

  /** A tail reached the end of both streams and nothing failed since: this node has applied the whole log. */
  caughtUp(): boolean {
    return this.state === 'caught-up';
  }

  /** Current state, for /healthz and metrics. */
  status(): LogFollowerState {
    return this.state;
  }

  /** The position applied so far (null before start). */
  position(): LogCursor | null {
    return this.cursor ? { ...this.cursor } : null;
  }

  /** How far behind the log's append time this node is, ms: 0 when caught up. */
  lagMs(): number {
    if (this.state === 'caught-up' || this.newestReadMs === 0) return 0;
    return Math.max(0, this.now() - this.newestReadMs);
  }

  private async run(): Promise<void> {
    let retryMs = this.opts.retryMinMs;
    while (!this.stopping) {
      try {
        // until a read reached the end, do not wait on it: an idle log makes a starting node ready at once
        const blockMs = this.state === 'caught-up' ? this.opts.blockMs : 0;
        const tail = await this.deps.store.tailLog(this.cursor!, blockMs, this.opts.limit, this.deps.nodeId);
        if (this.stopping) break;
        if (tail.gap) await this.resync();
        else await this.apply(tail);
        retryMs = this.opts.retryMinMs;
      } catch (err) {
        if (this.stopping) break;
        this.state = 'retrying';
        this.deps.log.warn({ err, cursor: this.cursor, retryMs }, 'log follower: store did not answer; retrying from the same position');
        await this.sleep(retryMs);
        retryMs = Math.min(this.opts.retryMaxMs, retryMs * 2);
      }
    }
  }

  /** A hole: position first, then reload, then continue from that position (see the module comment). */
  private async resync(): Promise<void> {
    this.state = 'catching-up';
    const from = await this.deps.store.logCursor();
    this.deps.log.warn(
      { cursor: this.cursor, resumeAt: from },
      'log follower: entries were trimmed before this node read them; re-syncing from the store',
    );
    await this.deps.onGap();
    // the hole may have held registry.changed events: re-read every collection
    for (const collection of REGISTRY_COLLECTION_NAMES) await this.applyRegistryChange({ collection, ids: [], all: true });
    this.cursor = from;
  }

  /** Applies one tail in stream order; the cursor moves past each entry once it is applied. */
  private async apply(tail: LogTail): Promise<void> {
    const { nodeId, fusion } = this.deps;
    const cursor = this.cursor!;
    // registry edits before the readings of the same read: a device created (or re-keyed) on
    // another node just before its first readings must be known here when they are fused. A
    // refresh only ever moves a record forward, so applying one again after a retry changes nothing.
    // An outage retries the whole read from its start: edits already applied (or passed over as
    // a bug) in an earlier attempt are not applied again.
    for (const { event, node } of tail.events) {
      if (node === nodeId || event.type !== 'registry.changed' || this.registryDone.has(event.id)) continue;
      await this.applyEvent(event);
      this.registryDone.add(event.id);
    }
    // readings next: fusion is synchronous, so the whole batch is applied or (process gone) none
    let applied = 0;
    const discarded: AlertChangeRecord[] = [];
    for (const { reading, node } of tail.readings) {
      if (node === nodeId) continue;
      this.guard('reading', reading.deviceId, () => fusion.applyReading(reading, discarded));
      // the origin node persists and notifies these; this node only derives the same state — and
      // shows it at once: a red alert must not wait for the next coalesced frame on this node
      for (const change of discarded) this.guard('onDerivedAlert', change.alert.id, () => this.deps.onDerivedAlert?.(change.alert));
      discarded.length = 0;
      applied++;
    }
    cursor.readings = tail.cursor.readings;
    if (applied > 0) this.guard('onReadingsApplied', '', () => this.deps.onReadingsApplied());
    for (const { event, node } of tail.events) {
      // an incident fetch that fails throws out of here: retried from this event on
      if (node !== nodeId && event.type !== 'registry.changed') await this.applyEvent(event);
      cursor.events = event.id;
    }
    cursor.events = tail.cursor.events;
    this.registryDone.clear();
    this.noteRead(tail);
    const reachedEnd = (tail.readingsScanned ?? tail.readings.length) < this.opts.limit && tail.events.length < this.opts.limit;
    this.state = reachedEnd ? 'caught-up' : 'catching-up';
  }

  private async applyEvent(event: LogEvent): Promise<void> {
    switch (event.type) {
      case 'alert.raised':
      case 'alert.updated':
      case 'alert.cleared':
      case 'alert.acked': {
        const alert = event.alert;
        if (!alert) return;
        this.guard(event.type, alert.id, () => {
          const local = this.deps.fusion.getAlert(alert.id);
          const merged = mergeAlertCopies(local, alert);
          if (merged !== local) this.deps.fusion.putAlert(merged);
          this.deps.onAlert(merged);
        });
        return;
      }
      case 'incident.created':
      case 'incident.transition': {
        const logged = event.incident;
        if (!logged) return;
        const known = this.deps.fusion.incidents.get(logged.id);
        if (known && known.version >= logged.version) return;
        // store errors propagate: back-off and retry from this event
        const full = await this.deps.store.getIncident(logged.id);
        // gone (retention) or not newer than ours: nothing to show
        if (!full || (known && known.version >= full.version)) return;
        const previousAssignees = [...(known?.assignees ?? [])];
        this.guard(event.type, full.id, () => {
          this.deps.fusion.putIncident(full);
          this.deps.onIncident(full, previousAssignees);
        });
        return;
      }
      case 'device.command': {
        const record = event.deviceCommand;
        if (record && this.deps.onDeviceCommand) this.guard(event.type, record.commandId, () => this.deps.onDeviceCommand!(record));
        return;
      }
      case 'registry.changed': {
        if (event.registry) await this.applyRegistryChange(event.registry);
        return;
      }
      default: {
        const unknown: never = event.type;
        this.deps.log.warn({ type: unknown, id: event.id }, 'log follower: unknown event type skipped');
      }
    }
  }

  /** Hands a registry change on; a store that does not answer propagates (retried), anything else is logged and passed over. */
  private async applyRegistryChange(change: RegistryChangeNotice): Promise<void> {
    if (!this.deps.onRegistryChanged) return;
    try {
      await this.deps.onRegistryChanged(change);
    } catch (err) {
      if (isStoreUnavailable(err)) throw err;
      this.deps.log.error({ err, what: 'registry.changed', collection: change.collection }, 'log follower: applying an entry failed; entry skipped');
    }
  }

  /** Runs one entry's application; a throw is a bug in fusion or a callback, logged and passed over. */
  private guard(what: string, id: string, run: () => unknown): void {
    try {
      run();
    } catch (err) {
      this.deps.log.error({ err, what, id }, 'log follower: applying an entry failed; entry skipped');
    }
  }

  private noteRead(tail: LogTail): void {
    const lastReading = tail.readings.length > 0 ? tail.cursor.readings : null;
    const lastEvent = tail.events.at(-1)?.event.id ?? null;
    for (const id of [lastReading, lastEvent]) {
      if (id === null) continue;
      const ms = Number(id.slice(0, id.indexOf('-')));
      if (Number.isFinite(ms) && ms > this.newestReadMs) this.newestReadMs = ms;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    }).finally(() => {
      this.wakeSleep = null;
    });
  }
}

/** Does `err` say the store did not answer (`StoreUnavailableError` and anything else coded E_UNAVAILABLE)? */
function isStoreUnavailable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'E_UNAVAILABLE';
}
