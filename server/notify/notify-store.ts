/**
 * What the notification service keeps (issue 14), beside the main Store: one interface, an
 * in-memory implementation here and a Redis one in redis-notify-store.ts, the same contract tests
 * (server/test/notify-store-contract.test.ts).
 *
 * Invariants both keep:
 * - `publish` is idempotent by the notification id and atomic: the first call stores the record,
 *   every recipient's `sentTs` and the outbox entries together and answers true; a later call
 *   with the same id writes nothing and answers false. So a notification id doubles as the
 *   "fired" key of the ladder and the re-notify loop: a restart never sends one twice.
 * - `claimDueOutbox` leases what it answers (the entry's next attempt moves `leaseMs` ahead), so
 *   two workers do not send the same entry at once; a worker that dies leaves it due again after
 *   the lease: at-least-once.
 * - every record expires: notifications after `retentionMs`, dead letters beyond `maxDeadLetters`.
 */
import type { SentNotification } from '../../scenes/storm/renotify';
import type {
  DeadLetter,
  NotificationLogEntry,
  NotificationRecord,
  OutboxEntry,
  RecipientStatus,
  StoredPushSubscription,
  VapidKeys,
  WebhookSubscription,
} from './notify-types';

export interface NotifyStoreOptions {
  /** notifications (and their ids, the idempotency keys) are kept this long, ms */
  retentionMs: number;
  /** newest notifications listed without an incident filter */
  recentMax: number;
  /** dead letters kept; older ones drop */
  maxDeadLetters: number;
}

export const DEFAULT_NOTIFY_STORE_OPTIONS: NotifyStoreOptions = {
  retentionMs: 30 * 24 * 3600_000,
  recentMax: 1000,
  maxDeadLetters: 1000,
};

export interface NotifyStore {
  readonly kind: 'memory' | 'redis';
  /** Store a notification, its recipients (sent at record.ts) and its outbox entries, once per id. */
  publish(record: NotificationRecord, outbox: readonly OutboxEntry[]): Promise<boolean>;
  markDelivered(notificationId: string, username: string, ts: number): Promise<void>;
  /** Keeps the first acknowledgement's time. */
  markAcknowledged(notificationId: string, username: string, ts: number): Promise<void>;
  getNotification(id: string): Promise<NotificationLogEntry | null>;
  /** Notifications of an incident, oldest first; without one, the newest `limit`, newest first. */
  listNotifications(query: { incidentId?: string; limit: number }): Promise<NotificationLogEntry[]>;

  /** Entries due at `nowTs`, earliest first, at most `limit`, each leased for `leaseMs`. */
  claimDueOutbox(nowTs: number, limit: number, leaseMs: number): Promise<OutboxEntry[]>;
  /** Delivered: the entry leaves the outbox. */
  completeOutbox(id: string): Promise<void>;
  /** Failed, to try again at `entry.nextAttemptTs`. */
  rescheduleOutbox(entry: OutboxEntry): Promise<void>;
  /** Failed for good: out of the outbox, into the dead letters. */
  deadLetter(entry: DeadLetter): Promise<void>;
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  /** Back into the outbox, due at `nowTs`, attempts reset; false when there is no such dead letter. */
  retryDeadLetter(id: string, nowTs: number): Promise<boolean>;
  /** Entries waiting in the outbox (any due time), earliest first. */
  pendingOutbox(limit: number): Promise<OutboxEntry[]>;

  listWebhooks(): Promise<WebhookSubscription[]>;
  getWebhook(id: string): Promise<WebhookSubscription | null>;
  putWebhook(subscription: WebhookSubscription): Promise<void>;
  deleteWebhook(id: string): Promise<boolean>;

  putPushSubscription(subscription: StoredPushSubscription): Promise<void>;
  getPushSubscription(id: string): Promise<StoredPushSubscription | null>;
  deletePushSubscription(id: string): Promise<boolean>;
  listPushSubscriptions(username: string): Promise<StoredPushSubscription[]>;

  /** The install's VAPID keys: the stored pair, or `fresh` stored now when there is none (first writer wins). */
  vapidKeys(fresh: VapidKeys): Promise<VapidKeys>;

  /** The re-notify loop's log: the latest attempt sent per item. */
  loadRenotifyLog(): Promise<SentNotification[]>;
  saveRenotify(sent: SentNotification): Promise<void>;
  /** Drop the log entries of items no longer waiting (acknowledged, closed). */
  forgetRenotify(itemKeys: readonly string[]): Promise<void>;
}

function copy<T>(v: T): T {
  return structuredClone(v);
}

interface MemoryNotification {
  record: NotificationRecord;
  status: Map<string, RecipientStatus>;
  expiresTs: number;
}

/** The embedded default: everything in this process (lost on restart, like the MemoryStore). */
export class MemoryNotifyStore implements NotifyStore {
  readonly kind = 'memory' as const;
  private readonly options: NotifyStoreOptions;
  private readonly notifications = new Map<string, MemoryNotification>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly dead = new Map<string, DeadLetter>();
  private readonly webhooks = new Map<string, WebhookSubscription>();
  private readonly push = new Map<string, StoredPushSubscription>();
  private readonly renotify = new Map<string, SentNotification>();
  private vapid: VapidKeys | null = null;

  constructor(
    options: Partial<NotifyStoreOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_NOTIFY_STORE_OPTIONS, ...options };
  }

  private live(id: string): MemoryNotification | undefined {
    const n = this.notifications.get(id);
    if (n && n.expiresTs <= this.now()) {
      this.notifications.delete(id);
      return undefined;
    }
    return n;
  }

  publish(record: NotificationRecord, outbox: readonly OutboxEntry[]): Promise<boolean> {
    if (this.live(record.id)) return Promise.resolve(false);
    const status = new Map<string, RecipientStatus>();
    for (const username of record.recipients) status.set(username, { username, sentTs: record.ts });
    this.notifications.set(record.id, { record: copy(record), status, expiresTs: this.now() + this.options.retentionMs });
    for (const e of outbox) if (!this.outbox.has(e.id)) this.outbox.set(e.id, copy(e));
    return Promise.resolve(true);
  }

  markDelivered(notificationId: string, username: string, ts: number): Promise<void> {
    const s = this.live(notificationId)?.status.get(username);
    if (s && s.deliveredTs === undefined) s.deliveredTs = ts;
    return Promise.resolve();
  }

  markAcknowledged(notificationId: string, username: string, ts: number): Promise<void> {
    const s = this.live(notificationId)?.status.get(username);
    if (s && s.acknowledgedTs === undefined) s.acknowledgedTs = ts;
    return Promise.resolve();
  }

  private entryOf(n: MemoryNotification): NotificationLogEntry {
    return { ...copy(n.record), recipientStatus: [...n.status.values()].map((s) => ({ ...s })) };
  }

  getNotification(id: string): Promise<NotificationLogEntry | null> {
    const n = this.live(id);
    return Promise.resolve(n ? this.entryOf(n) : null);
  }

  listNotifications(query: { incidentId?: string; limit: number }): Promise<NotificationLogEntry[]> {
    const all = [...this.notifications.keys()].map((id) => this.live(id)).filter((n): n is MemoryNotification => n !== undefined);
    if (query.incidentId !== undefined) {
      const of = all.filter((n) => n.record.incidentId === query.incidentId).sort((a, b) => a.record.ts - b.record.ts);
      return Promise.resolve(of.slice(-query.limit).map((n) => this.entryOf(n)));
    }
    const recent = all.slice(-this.options.recentMax).reverse();
    return Promise.resolve(recent.slice(0, query.limit).map((n) => this.entryOf(n)));
  }

  claimDueOutbox(nowTs: number, limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    const due = [...this.outbox.values()]
      .filter((e) => e.nextAttemptTs <= nowTs)
      .sort((a, b) => a.nextAttemptTs - b.nextAttemptTs)
      .slice(0, limit);
    for (const e of due) e.nextAttemptTs = nowTs + leaseMs;
    return Promise.resolve(due.map(copy));
  }

  completeOutbox(id: string): Promise<void> {
    this.outbox.delete(id);
    return Promise.resolve();
  }

  rescheduleOutbox(entry: OutboxEntry): Promise<void> {
    if (this.outbox.has(entry.id)) this.outbox.set(entry.id, copy(entry));
    return Promise.resolve();
  }

  deadLetter(entry: DeadLetter): Promise<void> {
    this.outbox.delete(entry.id);
    this.dead.set(entry.id, copy(entry));
    while (this.dead.size > this.options.maxDeadLetters) {
      const oldest = [...this.dead.values()].sort((a, b) => a.deadTs - b.deadTs)[0]!;
      this.dead.delete(oldest.id);
    }
    return Promise.resolve();
  }

  listDeadLetters(limit: number): Promise<DeadLetter[]> {
    return Promise.resolve(
      [...this.dead.values()]
        .sort((a, b) => b.deadTs - a.deadTs)
        .slice(0, limit)
        .map(copy),
    );
  }

  retryDeadLetter(id: string, nowTs: number): Promise<boolean> {
    const d = this.dead.get(id);
    if (!d) return Promise.resolve(false);
    this.dead.delete(id);
    const { deadTs: _deadTs, lastError: _lastError, ...entry } = d;
    this.outbox.set(id, { ...entry, attempts: 0, nextAttemptTs: nowTs });
    return Promise.resolve(true);
  }

  pendingOutbox(limit: number): Promise<OutboxEntry[]> {
    return Promise.resolve(
      [...this.outbox.values()]
        .sort((a, b) => a.nextAttemptTs - b.nextAttemptTs)
        .slice(0, limit)
        .map(copy),
    );
  }

  listWebhooks(): Promise<WebhookSubscription[]> {
    return Promise.resolve([...this.webhooks.values()].map(copy));
  }
  getWebhook(id: string): Promise<WebhookSubscription | null> {
    const w = this.webhooks.get(id);
    return Promise.resolve(w ? copy(w) : null);
  }
  putWebhook(subscription: WebhookSubscription): Promise<void> {
    this.webhooks.set(subscription.id, copy(subscription));
    return Promise.resolve();
  }
  deleteWebhook(id: string): Promise<boolean> {
    return Promise.resolve(this.webhooks.delete(id));
  }

  putPushSubscription(subscription: StoredPushSubscription): Promise<void> {
    this.push.set(subscription.id, copy(subscription));
    return Promise.resolve();
  }
  getPushSubscription(id: string): Promise<StoredPushSubscription | null> {
    const s = this.push.get(id);
    return Promise.resolve(s ? copy(s) : null);
  }
  deletePushSubscription(id: string): Promise<boolean> {
    return Promise.resolve(this.push.delete(id));
  }
  listPushSubscriptions(username: string): Promise<StoredPushSubscription[]> {
    return Promise.resolve([...this.push.values()].filter((s) => s.username === username).map(copy));
  }

  vapidKeys(fresh: VapidKeys): Promise<VapidKeys> {
    this.vapid ??= copy(fresh);
    return Promise.resolve(copy(this.vapid));
  }

  loadRenotifyLog(): Promise<SentNotification[]> {
    return Promise.resolve([...this.renotify.values()].map(copy));
  }
  saveRenotify(sent: SentNotification): Promise<void> {
    const have = this.renotify.get(sent.itemKey);
    if (!have || have.attempt < sent.attempt) this.renotify.set(sent.itemKey, copy(sent));
    return Promise.resolve();
  }
  forgetRenotify(itemKeys: readonly string[]): Promise<void> {
    for (const k of itemKeys) this.renotify.delete(k);
    return Promise.resolve();
  }
}
