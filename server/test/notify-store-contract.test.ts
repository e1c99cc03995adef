/**
 * NotifyStore contract: the same requirements against MemoryNotifyStore and RedisNotifyStore (a
 * throwaway redis-server), the latter also through the least-privilege `ioc-app` ACL user, so
 * every command the notify scripts send is one that user is granted.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { localRedisVersion } from '../../tests/helpers/acl-redis';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { aclSetUserArgs, appUserRules } from '../backup/redis-acl';
import { MemoryNotifyStore, type NotifyStore, type NotifyStoreOptions } from '../notify/notify-store';
import type { NotificationRecord, OutboxEntry } from '../notify/notify-types';
import { RedisNotifyStore } from '../notify/redis-notify-store';
import { redisClientOptions } from '../store/redis-store';

const redis = await startRedisServer();
const admin = redis ? new Redis(redis.url) : null;
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  admin?.disconnect();
  await redis?.stop();
});
const RUN = randomUUID().slice(0, 8);
let counter = 0;

async function aclStore(options: Partial<NotifyStoreOptions>): Promise<NotifyStore> {
  const prefix = `nacl-${RUN}-${++counter}`;
  const username = `ioc-app-n${counter}`;
  const password = randomUUID();
  await admin!.call('ACL', ...aclSetUserArgs(username, appUserRules({ prefix, password, redisVersion: localRedisVersion() })));
  const client = new Redis(redis!.url.replace('redis://', `redis://${username}:${password}@`), redisClientOptions());
  clients.push(client);
  // no offline queue (as in the server): wait until it is connected
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return new RedisNotifyStore(client, prefix, options);
}

const implementations: { name: string; available: boolean; make(o?: Partial<NotifyStoreOptions>): Promise<NotifyStore> }[] = [
  { name: 'memory', available: true, make: (o = {}) => Promise.resolve(new MemoryNotifyStore(o)) },
  {
    name: 'redis',
    available: redis !== null,
    make: (o = {}) => {
      const client = new Redis(redis!.url);
      clients.push(client);
      return Promise.resolve(new RedisNotifyStore(client, `ncontract-${RUN}-${++counter}`, o));
    },
  },
  { name: 'redis as ioc-app (ACL)', available: redis !== null, make: aclStore },
];

const NOW = Date.now();
function record(id: string, o: Partial<NotificationRecord> = {}): NotificationRecord {
  return {
    id,
    type: 'incident.dispatched',
    incidentId: 'INC-A',
    recipients: ['handler1', 'handler2'],
    title: { zh: '新任务', en: 'New task' },
    body: { zh: '请处置', en: 'Act' },
    url: '/mobile?incident=INC-A',
    ts: NOW,
    ...o,
  };
}
function outbox(id: string, o: Partial<OutboxEntry> = {}): OutboxEntry {
  return { id, channel: 'webhook', target: 'wh-1', eventId: 'e', body: '{}', attempts: 0, nextAttemptTs: NOW, createdTs: NOW, ...o };
}

describe.each(implementations)('NotifyStore contract ($name)', (impl) => {
  if (!impl.available) {
    it.skip('Redis is not installed', () => {});
    return;
  }

  it('publishes a notification id once, atomically with its recipients and deliveries', async () => {
    const s = await impl.make();
    expect(await s.publish(record('n1'), [outbox('n1|webhook:wh-1'), outbox('n1|push:handler1', { channel: 'push', target: 'handler1' })])).toBe(
      true,
    );
    expect(await s.publish(record('n1', { title: { zh: '改', en: 'changed' } }), [outbox('n1|webhook:wh-2')])).toBe(false);
    const n = await s.getNotification('n1');
    expect(n?.title.zh).toBe('新任务');
    expect(n?.recipientStatus).toEqual([
      { username: 'handler1', sentTs: NOW },
      { username: 'handler2', sentTs: NOW },
    ]);
    expect((await s.pendingOutbox(10)).map((e) => e.id).sort()).toEqual(['n1|push:handler1', 'n1|webhook:wh-1']);
  });

  it('keeps the first delivery and acknowledgement time of each recipient', async () => {
    const s = await impl.make();
    await s.publish(record('n2'), []);
    await s.markDelivered('n2', 'handler1', NOW + 10);
    await s.markDelivered('n2', 'handler1', NOW + 20);
    await s.markAcknowledged('n2', 'handler1', NOW + 30);
    await s.markAcknowledged('n2', 'handler1', NOW + 40);
    await s.markDelivered('missing', 'handler1', NOW);
    expect((await s.getNotification('n2'))?.recipientStatus[0]).toEqual({
      username: 'handler1',
      sentTs: NOW,
      deliveredTs: NOW + 10,
      acknowledgedTs: NOW + 30,
    });
    expect(await s.getNotification('missing')).toBeNull();
  });

  it('lists an incident notifications oldest first, and the newest ones without a filter', async () => {
    const s = await impl.make({ recentMax: 3 });
    for (let i = 1; i <= 4; i++) await s.publish(record(`L${i}`, { ts: NOW + i, incidentId: i % 2 ? 'INC-X' : 'INC-Y' }), []);
    expect((await s.listNotifications({ incidentId: 'INC-X', limit: 10 })).map((n) => n.id)).toEqual(['L1', 'L3']);
    expect((await s.listNotifications({ limit: 10 })).map((n) => n.id)).toEqual(['L4', 'L3', 'L2']);
    expect((await s.listNotifications({ limit: 2 })).map((n) => n.id)).toEqual(['L4', 'L3']);
  });

  it('leases what it claims: not claimed again until the lease ends', async () => {
    const s = await impl.make();
    await s.publish(record('c1'), [outbox('c1|a', { nextAttemptTs: NOW }), outbox('c1|b', { nextAttemptTs: NOW + 5_000 })]);
    expect((await s.claimDueOutbox(NOW, 10, 1_000)).map((e) => e.id)).toEqual(['c1|a']);
    expect(await s.claimDueOutbox(NOW + 999, 10, 1_000)).toEqual([]);
    expect((await s.claimDueOutbox(NOW + 1_000, 10, 1_000)).map((e) => e.id)).toEqual(['c1|a']);
    await s.completeOutbox('c1|a');
    expect((await s.claimDueOutbox(NOW + 5_000, 10, 1_000)).map((e) => e.id)).toEqual(['c1|b']);
    // a late reschedule of a completed entry does not bring it back
    await s.rescheduleOutbox(outbox('c1|a', { attempts: 1, nextAttemptTs: NOW }));
    expect((await s.pendingOutbox(10)).map((e) => e.id)).toEqual(['c1|b']);
  });

  it('keeps the newest dead letters up to the bound and retries one back into the outbox', async () => {
    const s = await impl.make({ maxDeadLetters: 2 });
    await s.publish(record('d'), [outbox('d|1'), outbox('d|2'), outbox('d|3')]);
    for (const [i, id] of ['d|1', 'd|2', 'd|3'].entries()) await s.deadLetter({ ...outbox(id), attempts: 8, lastError: 'HTTP 500', deadTs: NOW + i });
    expect((await s.listDeadLetters(10)).map((d) => d.id)).toEqual(['d|3', 'd|2']);
    expect(await s.pendingOutbox(10)).toEqual([]);
    expect(await s.retryDeadLetter('d|1', NOW)).toBe(false);
    expect(await s.retryDeadLetter('d|3', NOW + 100)).toBe(true);
    expect(await s.pendingOutbox(10)).toEqual([expect.objectContaining({ id: 'd|3', attempts: 0, nextAttemptTs: NOW + 100 })]);
    expect((await s.listDeadLetters(10)).map((d) => d.id)).toEqual(['d|2']);
  });

  it('stores push subscriptions per person; a browser moved to another person leaves the first', async () => {
    const s = await impl.make();
    const sub = { id: 'p1', username: 'handler1', endpoint: 'https://push.example/1', keys: { p256dh: 'k', auth: 'a' }, createdTs: NOW };
    await s.putPushSubscription(sub);
    expect(await s.listPushSubscriptions('handler1')).toEqual([sub]);
    await s.putPushSubscription({ ...sub, username: 'handler2' });
    expect(await s.listPushSubscriptions('handler1')).toEqual([]);
    expect((await s.listPushSubscriptions('handler2')).map((x) => x.id)).toEqual(['p1']);
    expect(await s.deletePushSubscription('p1')).toBe(true);
    expect(await s.deletePushSubscription('p1')).toBe(false);
    expect(await s.listPushSubscriptions('handler2')).toEqual([]);
  });

  it('keeps the first VAPID key pair stored', async () => {
    const s = await impl.make();
    const first = { publicKey: 'pub-1', privateKey: 'priv-1' };
    expect(await s.vapidKeys(first)).toEqual(first);
    expect(await s.vapidKeys({ publicKey: 'pub-2', privateKey: 'priv-2' })).toEqual(first);
  });

  it('keeps the highest re-notify attempt per item, and forgets items', async () => {
    const s = await impl.make();
    await s.saveRenotify({ itemKey: 'task:A:h', attempt: 2, recipient: '@officer', ts: 2 });
    await s.saveRenotify({ itemKey: 'task:A:h', attempt: 1, recipient: 'h', ts: 1 });
    await s.saveRenotify({ itemKey: 'alert:x', attempt: 1, recipient: '@officer', ts: 3 });
    expect((await s.loadRenotifyLog()).sort((a, b) => a.ts - b.ts)).toEqual([
      { itemKey: 'task:A:h', attempt: 2, recipient: '@officer', ts: 2 },
      { itemKey: 'alert:x', attempt: 1, recipient: '@officer', ts: 3 },
    ]);
    await s.forgetRenotify(['task:A:h']);
    expect((await s.loadRenotifyLog()).map((x) => x.itemKey)).toEqual(['alert:x']);
  });

  it('manages webhook subscriptions', async () => {
    const s = await impl.make();
    const w = {
      id: 'wh-a',
      url: 'https://sms.example/hook',
      secret: 'sixteen-chars-secret',
      eventTypes: [],
      districts: [],
      enabled: true,
      description: '',
      createdTs: 1,
      updatedTs: 1,
      createdBy: 'admin',
    };
    await s.putWebhook(w);
    expect(await s.listWebhooks()).toEqual([w]);
    expect(await s.getWebhook('wh-a')).toEqual(w);
    expect(await s.deleteWebhook('wh-a')).toBe(true);
    expect(await s.getWebhook('wh-a')).toBeNull();
  });
});
