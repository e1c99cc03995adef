/**
 * The notification service's records in Redis, under `${prefix}:notify:*` (inside the store's key
 * family, so the application user's ACL covers them; only commands that ACL grants are used):
 *   notify:n:<id>            hash: `rec` = the record's JSON, `s:<user>` / `d:<user>` / `a:<user>` =
 *                            sent / delivered / acknowledged ms; expires after `retentionMs`
 *   notify:by-incident:<id>  zset of notification ids by ts; expires with them
 *   notify:recent            list of notification ids, newest last, trimmed to `recentMax`
 *   notify:outbox            hash id → OutboxEntry JSON;  notify:outbox-due  zset id by next attempt
 *   notify:dead              hash id → DeadLetter JSON;   notify:dead-index  zset id by deadTs
 *   notify:webhooks          hash id → WebhookSubscription JSON
 *   notify:push              hash id → StoredPushSubscription JSON; notify:push-user:<user> set of ids
 *   notify:vapid             the VAPID key pair JSON (SET NX: the first node's pair wins)
 *   notify:renotify          hash item key → latest SentNotification JSON
 */
import type { Redis } from 'ioredis';
import type { SentNotification } from '../../scenes/storm/renotify';
import { DEFAULT_NOTIFY_STORE_OPTIONS, type NotifyStore, type NotifyStoreOptions } from './notify-store';
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

/**
 * KEYS: n, by-incident (or a placeholder), recent, outbox, outbox-due. ARGV: id, record JSON, ts,
 * retentionMs, recentMax, hasIncident (1/0), recipient count R, R usernames, then outbox (id, json,
 * nextAttemptTs) triples. Answers 1 when published, 0 when the id was seen.
 */
const PUBLISH_SCRIPT = `
if redis.call('HGET', KEYS[1], 'rec') then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[2])
local r = tonumber(ARGV[7])
for i = 1, r do redis.call('HSET', KEYS[1], 's:' .. ARGV[7 + i], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[5]), -1)
local i = 8 + r
while i + 2 <= #ARGV + 0 do
  if not redis.call('HGET', KEYS[4], ARGV[i]) then
    redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
    redis.call('ZADD', KEYS[5], ARGV[i + 2], ARGV[i])
  end
  i = i + 3
end
return 1
`;

/** KEYS: outbox, outbox-due. ARGV: now, limit, leaseMs. Answers the leased entries' JSON. */
const CLAIM_SCRIPT = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
local lease = tonumber(ARGV[1]) + tonumber(ARGV[3])
for _, id in ipairs(ids) do
  local json = redis.call('HGET', KEYS[1], id)
  if json then
    redis.call('ZADD', KEYS[2], lease, id)
    out[#out + 1] = json
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
`;

/** KEYS: n. ARGV: field, ts. Sets the field unless set (first delivery / acknowledgement wins), only on a live record. */
const MARK_SCRIPT = `
if not redis.call('HGET', KEYS[1], 'rec') then return 0 end
if redis.call('HGET', KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** KEYS: outbox, outbox-due, dead, dead-index. ARGV: id, dead JSON, deadTs, maxDead. */
const DEAD_SCRIPT = `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '+inf')
local excess = #ids - tonumber(ARGV[4])
for i = 1, excess do
  redis.call('ZREM', KEYS[4], ids[i])
  redis.call('HDEL', KEYS[3], ids[i])
end
return 1
`;

/** KEYS: outbox, outbox-due, dead, dead-index. ARGV: id, entry JSON, nextAttemptTs. */
const RETRY_SCRIPT = `
if not redis.call('HGET', KEYS[3], ARGV[1]) then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

/** KEYS: outbox, outbox-due. ARGV: id, entry JSON, nextAttemptTs. Only while the entry is still in the outbox. */
const RESCHEDULE_SCRIPT = `
if not redis.call('HGET', KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

/** KEYS: renotify. ARGV: item key, JSON, attempt. Keeps the highest attempt. */
const RENOTIFY_SCRIPT = `
local have = redis.call('HGET', KEYS[1], ARGV[1])
if have and cjson.decode(have).attempt >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

interface NotifyScripts {
  iocNotifyPublish(...args: (string | number)[]): Promise<number>;
  iocNotifyClaim(...args: (string | number)[]): Promise<string[]>;
  iocNotifyMark(...args: (string | number)[]): Promise<number>;
  iocNotifyDead(...args: (string | number)[]): Promise<number>;
  iocNotifyRetry(...args: (string | number)[]): Promise<number>;
  iocNotifyReschedule(...args: (string | number)[]): Promise<number>;
  iocNotifyRenotify(...args: (string | number)[]): Promise<number>;
}

export class RedisNotifyStore implements NotifyStore {
  readonly kind = 'redis' as const;
  private readonly options: NotifyStoreOptions;
  private readonly scripts: NotifyScripts;

  /** `client` is the main store's (not owned: the store closes it). */
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    options: Partial<NotifyStoreOptions> = {},
  ) {
    this.options = { ...DEFAULT_NOTIFY_STORE_OPTIONS, ...options };
    client.defineCommand('iocNotifyPublish', { numberOfKeys: 5, lua: PUBLISH_SCRIPT });
    client.defineCommand('iocNotifyClaim', { numberOfKeys: 2, lua: CLAIM_SCRIPT });
    client.defineCommand('iocNotifyMark', { numberOfKeys: 1, lua: MARK_SCRIPT });
    client.defineCommand('iocNotifyDead', { numberOfKeys: 4, lua: DEAD_SCRIPT });
    client.defineCommand('iocNotifyRetry', { numberOfKeys: 4, lua: RETRY_SCRIPT });
    client.defineCommand('iocNotifyReschedule', { numberOfKeys: 2, lua: RESCHEDULE_SCRIPT });
    client.defineCommand('iocNotifyRenotify', { numberOfKeys: 1, lua: RENOTIFY_SCRIPT });
    this.scripts = client as unknown as NotifyScripts;
  }

  private key(suffix: string): string {
    return `${this.prefix}:notify:${suffix}`;
  }

  async publish(record: NotificationRecord, outbox: readonly OutboxEntry[]): Promise<boolean> {
    const args: (string | number)[] = [
      this.key(`n:${record.id}`),
      this.key(`by-incident:${record.incidentId ?? '-'}`),
      this.key('recent'),
      this.key('outbox'),
      this.key('outbox-due'),
      record.id,
      JSON.stringify(record),
      record.ts,
      this.options.retentionMs,
      this.options.recentMax,
      record.incidentId !== undefined ? '1' : '0',
      record.recipients.length,
      ...record.recipients,
    ];
    for (const e of outbox) args.push(e.id, JSON.stringify(e), e.nextAttemptTs);
    return (await this.scripts.iocNotifyPublish(...args)) === 1;
  }

  async markDelivered(notificationId: string, username: string, ts: number): Promise<void> {
    await this.scripts.iocNotifyMark(this.key(`n:${notificationId}`), `d:${username}`, ts);
  }

  async markAcknowledged(notificationId: string, username: string, ts: number): Promise<void> {
    await this.scripts.iocNotifyMark(this.key(`n:${notificationId}`), `a:${username}`, ts);
  }

  async getNotification(id: string): Promise<NotificationLogEntry | null> {
    const fields = await this.client.hgetall(this.key(`n:${id}`));
    return entryOf(fields);
  }

  async listNotifications(query: { incidentId?: string; limit: number }): Promise<NotificationLogEntry[]> {
    let ids: string[];
    if (query.incidentId !== undefined) {
      ids = (await this.client.zrangebyscore(this.key(`by-incident:${query.incidentId}`), '-inf', '+inf')).slice(-query.limit);
    } else {
      ids = (await this.client.lrange(this.key('recent'), -query.limit, -1)).reverse();
    }
    if (ids.length === 0) return [];
    const pipeline = this.client.multi();
    for (const id of ids) pipeline.hgetall(this.key(`n:${id}`));
    const results = (await pipeline.exec()) ?? [];
    const out: NotificationLogEntry[] = [];
    for (const [err, fields] of results) {
      if (err) throw err;
      const entry = entryOf(fields as Record<string, string>);
      if (entry) out.push(entry);
    }
    return out;
  }

  async claimDueOutbox(nowTs: number, limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    const json = await this.scripts.iocNotifyClaim(this.key('outbox'), this.key('outbox-due'), nowTs, limit, leaseMs);
    return json.map((j) => ({ ...(JSON.parse(j) as OutboxEntry), nextAttemptTs: nowTs + leaseMs }));
  }

  async completeOutbox(id: string): Promise<void> {
    await this.client.multi().hdel(this.key('outbox'), id).zrem(this.key('outbox-due'), id).exec();
  }

  async rescheduleOutbox(entry: OutboxEntry): Promise<void> {
    await this.scripts.iocNotifyReschedule(this.key('outbox'), this.key('outbox-due'), entry.id, JSON.stringify(entry), entry.nextAttemptTs);
  }

  async deadLetter(entry: DeadLetter): Promise<void> {
    await this.scripts.iocNotifyDead(
      this.key('outbox'),
      this.key('outbox-due'),
      this.key('dead'),
      this.key('dead-index'),
      entry.id,
      JSON.stringify(entry),
      entry.deadTs,
      this.options.maxDeadLetters,
    );
  }

  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    const all = await this.client.hgetall(this.key('dead'));
    return Object.values(all)
      .map((j) => JSON.parse(j) as DeadLetter)
      .sort((a, b) => b.deadTs - a.deadTs)
      .slice(0, limit);
  }

  async retryDeadLetter(id: string, nowTs: number): Promise<boolean> {
    const json = await this.client.hget(this.key('dead'), id);
    if (json === null) return false;
    const { deadTs: _deadTs, lastError: _lastError, ...entry } = JSON.parse(json) as DeadLetter;
    const fresh: OutboxEntry = { ...entry, attempts: 0, nextAttemptTs: nowTs };
    const r = await this.scripts.iocNotifyRetry(
      this.key('outbox'),
      this.key('outbox-due'),
      this.key('dead'),
      this.key('dead-index'),
      id,
      JSON.stringify(fresh),
      nowTs,
    );
    return r === 1;
  }

  async pendingOutbox(limit: number): Promise<OutboxEntry[]> {
    const ids = await this.client.zrangebyscore(this.key('outbox-due'), '-inf', '+inf', 'LIMIT', 0, limit);
    if (ids.length === 0) return [];
    const json = await this.client.hmget(this.key('outbox'), ...ids);
    return json.filter((j): j is string => j !== null).map((j) => JSON.parse(j) as OutboxEntry);
  }

  async listWebhooks(): Promise<WebhookSubscription[]> {
    return Object.values(await this.client.hgetall(this.key('webhooks'))).map((j) => JSON.parse(j) as WebhookSubscription);
  }
  async getWebhook(id: string): Promise<WebhookSubscription | null> {
    const j = await this.client.hget(this.key('webhooks'), id);
    return j === null ? null : (JSON.parse(j) as WebhookSubscription);
  }
  async putWebhook(subscription: WebhookSubscription): Promise<void> {
    await this.client.hset(this.key('webhooks'), subscription.id, JSON.stringify(subscription));
  }
  async deleteWebhook(id: string): Promise<boolean> {
    return (await this.client.hdel(this.key('webhooks'), id)) === 1;
  }

  async putPushSubscription(s: StoredPushSubscription): Promise<void> {
    const before = await this.getPushSubscription(s.id);
    const m = this.client
      .multi()
      .hset(this.key('push'), s.id, JSON.stringify(s))
      .sadd(this.key(`push-user:${s.username}`), s.id);
    // a browser now used by another person leaves the previous person's set
    if (before && before.username !== s.username) m.srem(this.key(`push-user:${before.username}`), s.id);
    await m.exec();
  }
  async getPushSubscription(id: string): Promise<StoredPushSubscription | null> {
    const j = await this.client.hget(this.key('push'), id);
    return j === null ? null : (JSON.parse(j) as StoredPushSubscription);
  }
  async deletePushSubscription(id: string): Promise<boolean> {
    const s = await this.getPushSubscription(id);
    if (!s) return false;
    await this.client
      .multi()
      .hdel(this.key('push'), id)
      .srem(this.key(`push-user:${s.username}`), id)
      .exec();
    return true;
  }
  async listPushSubscriptions(username: string): Promise<StoredPushSubscription[]> {
    const ids = await this.client.smembers(this.key(`push-user:${username}`));
    if (ids.length === 0) return [];
    const json = await this.client.hmget(this.key('push'), ...ids);
    return json
      .filter((j): j is string => j !== null)
      .map((j) => JSON.parse(j) as StoredPushSubscription)
      .filter((s) => s.username === username);
  }

  async vapidKeys(fresh: VapidKeys): Promise<VapidKeys> {
    await this.client.set(this.key('vapid'), JSON.stringify(fresh), 'NX');
    const j = await this.client.get(this.key('vapid'));
    return j === null ? fresh : (JSON.parse(j) as VapidKeys);
  }

  async loadRenotifyLog(): Promise<SentNotification[]> {
    return Object.values(await this.client.hgetall(this.key('renotify'))).map((j) => JSON.parse(j) as SentNotification);
  }
  async saveRenotify(sent: SentNotification): Promise<void> {
    await this.scripts.iocNotifyRenotify(this.key('renotify'), sent.itemKey, JSON.stringify(sent), sent.attempt);
  }
  async forgetRenotify(itemKeys: readonly string[]): Promise<void> {
    if (itemKeys.length > 0) await this.client.hdel(this.key('renotify'), ...itemKeys);
  }
}

/** A notification hash's fields as a log entry; null when it expired or never existed. */
function entryOf(fields: Record<string, string> | null | undefined): NotificationLogEntry | null {
  const rec = fields?.rec;
  if (rec === undefined) return null;
  const record = JSON.parse(rec) as NotificationRecord;
  const recipientStatus: RecipientStatus[] = record.recipients.map((username) => {
    const s: RecipientStatus = { username, sentTs: Number(fields![`s:${username}`] ?? record.ts) };
    const d = fields![`d:${username}`];
    const a = fields![`a:${username}`];
    if (d !== undefined) s.deliveredTs = Number(d);
    if (a !== undefined) s.acknowledgedTs = Number(a);
    return s;
  });
  return { ...record, recipientStatus };
}
