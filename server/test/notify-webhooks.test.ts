/**
 * Outbound webhooks against a real local receiver (HTTP on port 0): signature, idempotency key,
 * retries with exponential back-off, dead letters and their retry, no redirect to another host,
 * filters, and a durable outbox that a restarted service delivers. Memory and Redis stores.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { createLogger } from '../logger';
import { NotificationService } from '../notify/notification-service';
import type { NotificationEvent, WebhookSubscription } from '../notify/notify-types';
import { verifyWebhookSignature } from '../notify/webhook-http';
import { notifyStoreMakers, startReceiver, testNotifyConfig, TestClock, type Receiver } from './notify-helpers';

const redis = await startRedisServer();
const makers = notifyStoreMakers(redis);
afterAll(async () => {
  for (const m of makers) await m.close();
  await redis?.stop();
});

const SECRET = 'a-shared-secret-of-the-gateway';
const log = createLogger('silent');
let seq = 0;

function event(overrides: Partial<NotificationEvent> = {}): NotificationEvent {
  return {
    id: `incident.dispatched:INC-1:${++seq}`,
    type: 'incident.dispatched',
    level: 'orange',
    district: '370213',
    incidentId: 'INC-1',
    recipients: [],
    title: { zh: '新任务：李村河积水', en: 'New task: waterlogging at Licun River' },
    body: { zh: '请尽快前往处置', en: 'Please respond' },
    url: '/mobile?incident=INC-1',
    ...overrides,
  };
}

function subscription(url: string, overrides: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    id: `wh-${++seq}`,
    url,
    secret: SECRET,
    eventTypes: [],
    districts: [],
    enabled: true,
    description: 'test gateway',
    createdTs: 1,
    updatedTs: 1,
    createdBy: 'admin',
    ...overrides,
  };
}

const receivers: Receiver[] = [];
afterEach(async () => {
  while (receivers.length) await receivers.pop()!.close();
});
async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

describe.each(makers)('webhooks ($name store)', (maker) => {
  if (!maker.available) {
    it.skip('Redis is not installed', () => {});
    return;
  }
  const setup = (key: string, clock = new TestClock()) => {
    const config = testNotifyConfig();
    const store = maker.make(key, clock.now);
    // deliveries only when the test kicks the worker: every step is the test's
    const service = new NotificationService({ store, config, log, now: clock.now, deliverOnPublish: false });
    return { service, store, clock, config };
  };

  it('delivers the event as JSON signed with HMAC-SHA256, with its id as idempotency key and a timestamp', async () => {
    const rx = await receiver();
    const { service, store, clock } = setup(`sign-${seq}`);
    await store.putWebhook(subscription(`${rx.url}/hook`));
    const e = event();
    expect(await service.publish(e)).toEqual({ ok: true, published: true });
    await service.worker.kick();
    const [req] = await rx.waitFor(1);
    const body = req!.body.toString('utf8');
    expect(req!.path).toBe('/hook');
    expect(req!.headers['content-type']).toMatch(/^application\/json/);
    expect(req!.headers['x-ioc-event-id']).toBe(e.id);
    expect(Number(req!.headers['x-ioc-timestamp'])).toBe(clock.ts);
    expect(verifyWebhookSignature(SECRET, body, req!.headers['x-ioc-signature'] as string)).toBe(true);
    expect(verifyWebhookSignature('another-secret-entirely', body, req!.headers['x-ioc-signature'] as string)).toBe(false);
    expect(JSON.parse(body)).toMatchObject({
      id: e.id,
      type: 'incident.dispatched',
      level: 'orange',
      incidentId: 'INC-1',
      title: e.title,
      url: e.url,
    });
    expect(await store.pendingOutbox(10)).toEqual([]);
  });

  it('publishes an event id once: a second publish sends nothing', async () => {
    const rx = await receiver();
    const { service, store } = setup(`once-${seq}`);
    await store.putWebhook(subscription(rx.url));
    const e = event();
    await service.publish(e);
    expect(await service.publish(e)).toEqual({ ok: true, published: false });
    await service.worker.kick();
    await service.worker.kick();
    expect(rx.received).toHaveLength(1);
  });

  it('retries a failing receiver with exponential back-off, the same body and id each time', async () => {
    const rx = await receiver();
    let failures = 2;
    rx.respond = () => (failures-- > 0 ? { status: 503 } : { status: 204 });
    const { service, store, clock, config } = setup(`retry-${seq}`);
    await store.putWebhook(subscription(rx.url));
    await service.publish(event());
    await service.worker.kick();
    expect(rx.received).toHaveLength(1);
    let [pending] = await store.pendingOutbox(1);
    expect(pending).toMatchObject({ attempts: 1, nextAttemptTs: clock.ts + config.retryBaseMs, lastError: 'HTTP 503' });
    // not due yet: nothing is sent
    clock.advance(config.retryBaseMs - 1);
    await service.worker.kick();
    expect(rx.received).toHaveLength(1);
    clock.advance(1);
    await service.worker.kick();
    expect(rx.received).toHaveLength(2);
    [pending] = await store.pendingOutbox(1);
    expect(pending).toMatchObject({ attempts: 2, nextAttemptTs: clock.ts + 2 * config.retryBaseMs });
    clock.advance(2 * config.retryBaseMs);
    await service.worker.kick();
    expect(rx.received).toHaveLength(3);
    expect(await store.pendingOutbox(1)).toEqual([]);
    expect(new Set(rx.received.map((r) => r.body.toString()))).toHaveProperty('size', 1);
    expect(rx.received.map((r) => r.headers['x-ioc-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(rx.received.map((r) => r.headers['x-ioc-event-id'])).size).toBe(1);
  });

  it('moves a delivery to the dead letters after the last attempt; an admin retry delivers it', async () => {
    const rx = await receiver();
    rx.respond = () => ({ status: 500 });
    const { service, store, clock, config } = setup(`dead-${seq}`);
    await store.putWebhook(subscription(rx.url));
    const e = event();
    await service.publish(e);
    for (let i = 0; i < config.maxAttempts; i++) {
      await service.worker.kick();
      clock.advance(config.retryMaxMs);
    }
    expect(rx.received).toHaveLength(config.maxAttempts);
    expect(await store.pendingOutbox(10)).toEqual([]);
    const dead = await store.listDeadLetters(10);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ eventId: e.id, attempts: config.maxAttempts, lastError: 'HTTP 500' });
    await service.worker.kick();
    expect(rx.received).toHaveLength(config.maxAttempts);

    rx.respond = () => ({ status: 200 });
    expect(await store.retryDeadLetter(dead[0]!.id, clock.ts)).toBe(true);
    await service.worker.kick();
    expect(rx.received).toHaveLength(config.maxAttempts + 1);
    expect(await store.listDeadLetters(10)).toEqual([]);
    expect(await store.pendingOutbox(10)).toEqual([]);
  });

  it('never follows a redirect to another host', async () => {
    const rx = await receiver();
    const elsewhere = await receiver();
    rx.respond = () => ({ status: 307, headers: { location: `${elsewhere.url.replace('127.0.0.1', 'localhost')}/steal` } });
    const { service, store } = setup(`redirect-${seq}`);
    await store.putWebhook(subscription(`${rx.url}/hook`));
    await service.publish(event());
    await service.worker.kick();
    expect(rx.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
    const [pending] = await store.pendingOutbox(1);
    expect(pending?.lastError).toMatch(/another host/);
  });

  it('sends a subscription only the event types, levels and districts it asked for', async () => {
    const rx = await receiver();
    const { service, store } = setup(`filter-${seq}`);
    await store.putWebhook(subscription(rx.url, { eventTypes: ['alert.red', 'incident.overdue'], minLevel: 'orange', districts: ['370213'] }));
    await service.publish(event({ type: 'incident.dispatched' }));
    await service.publish(event({ type: 'alert.red', level: 'red', district: '370202' }));
    await service.publish(event({ type: 'incident.overdue', level: 'yellow' }));
    const wanted = event({ type: 'alert.red', level: 'red' });
    await service.publish(wanted);
    await service.worker.kick();
    expect(rx.received.map((r) => r.headers['x-ioc-event-id'])).toEqual([wanted.id]);
  });

  it('keeps pending deliveries across a restart: a new service on the same store delivers them', async () => {
    const rx = await receiver();
    const clock = new TestClock();
    const key = `restart-${seq}`;
    const first = setup(key, clock);
    await first.store.putWebhook(subscription(rx.url));
    await first.service.publish(event());
    // the first process stops before its worker ran
    expect(await first.store.pendingOutbox(10)).toHaveLength(1);
    const second = setup(key, clock);
    await second.service.worker.kick();
    expect(rx.received).toHaveLength(1);
    expect(await second.store.pendingOutbox(10)).toEqual([]);
  });
});
