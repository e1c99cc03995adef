/**
 * Web Push against a local push endpoint (no browser vendor's push service is reachable here): the
 * test plays the browser with its own ECDH keys and auth secret, DECRYPTS the aes128gcm payload
 * with `http_ece` and checks its content and the VAPID authorisation; a 410 Gone removes the
 * subscription. Memory and Redis stores.
 */
import { createECDH, randomBytes } from 'node:crypto';
import * as ece from 'http_ece';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { createLogger } from '../logger';
import { NotificationService, type PushPayload } from '../notify/notification-service';
import { notifyStoreMakers, startReceiver, testNotifyConfig, TestClock, type Receiver } from './notify-helpers';

const redis = await startRedisServer();
const makers = notifyStoreMakers(redis);
afterAll(async () => {
  for (const m of makers) await m.close();
  await redis?.stop();
});
const log = createLogger('silent');

/** What a browser holds for one push subscription: its key pair and auth secret. */
function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, p256dh: ecdh.getPublicKey().toString('base64url'), authB64: auth.toString('base64url') };
}

const receivers: Receiver[] = [];
afterEach(async () => {
  while (receivers.length) await receivers.pop()!.close();
});

let n = 0;
describe.each(makers)('Web Push ($name store)', (maker) => {
  if (!maker.available) {
    it.skip('Redis is not installed', () => {});
    return;
  }
  const setup = async (clock = new TestClock()) => {
    const store = maker.make(`push-${++n}`, clock.now);
    const service = new NotificationService({ store, config: testNotifyConfig(), log, now: clock.now, deliverOnPublish: false });
    await service.start();
    service.stop();
    const rx = await startReceiver();
    receivers.push(rx);
    return { store, service, rx, clock };
  };

  it('sends the handler an encrypted payload that the browser decrypts to the task, with a VAPID signature', async () => {
    const { service, store, rx } = await setup();
    const browser = browserKeys();
    const endpoint = `${rx.url}/push/handler-phone-1`;
    const sub = await service.subscribePush('handler1', { endpoint, keys: { p256dh: browser.p256dh, auth: browser.authB64 } });
    expect(sub.ok).toBe(true);
    const published = await service.publish({
      id: 'incident.dispatched:INC-7:v2:handler1',
      type: 'incident.dispatched',
      level: 'red',
      district: '370213',
      incidentId: 'INC-7',
      recipients: ['handler1'],
      title: { zh: '新任务：李村河水位超保证', en: 'New task: Licun River above guarantee level' },
      body: { zh: '请立即前往李村河大桥', en: 'Go to Licun River bridge now' },
      url: '/mobile?incident=INC-7',
    });
    expect(published).toEqual({ ok: true, published: true });
    await service.worker.kick();
    const [req] = await rx.waitFor(1);
    expect(req!.path).toBe('/push/handler-phone-1');
    expect(req!.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(req!.headers.ttl)).toBeGreaterThan(0);

    // VAPID (RFC 8292): a JWT for the endpoint's origin, signed by the install's key
    const auth = String(req!.headers.authorization);
    const m = /^vapid t=([^,]+), k=(.+)$/.exec(auth);
    expect(m).not.toBeNull();
    expect(m![2]).toBe(service.vapidKeys().publicKey);
    expect(decodeJwt(m![1]!).aud).toBe(new URL(endpoint).origin);

    const plain = ece.decrypt(req!.body, { version: 'aes128gcm', privateKey: browser.ecdh, authSecret: browser.authB64 });
    const payload = JSON.parse(plain.toString('utf8')) as PushPayload;
    expect(payload).toMatchObject({
      id: 'incident.dispatched:INC-7:v2:handler1',
      type: 'incident.dispatched',
      title: '新任务：李村河水位超保证',
      titleEn: 'New task: Licun River above guarantee level',
      url: '/mobile?incident=INC-7',
      tag: 'INC-7',
    });
    // the log says it was delivered to handler1
    const [logged] = await store.listNotifications({ incidentId: 'INC-7', limit: 10 });
    expect(logged?.recipientStatus).toEqual([expect.objectContaining({ username: 'handler1', deliveredTs: expect.any(Number) })]);
  });

  it('a payload encrypted for one browser cannot be read with another browser keys', async () => {
    const { service, rx } = await setup();
    const browser = browserKeys();
    await service.subscribePush('handler2', { endpoint: `${rx.url}/p`, keys: { p256dh: browser.p256dh, auth: browser.authB64 } });
    await service.publish({
      id: 'x:1',
      type: 'incident.reminder',
      recipients: ['handler2'],
      title: { zh: '提醒', en: 'Reminder' },
      body: { zh: '请处置', en: 'Act' },
      url: '/mobile',
    });
    await service.worker.kick();
    const [req] = await rx.waitFor(1);
    const stranger = browserKeys();
    expect(() => ece.decrypt(req!.body, { version: 'aes128gcm', privateKey: stranger.ecdh, authSecret: stranger.authB64 })).toThrow();
  });

  it('removes a subscription the push service answers 410 Gone for, and does not retry it', async () => {
    const { service, store, rx } = await setup();
    rx.respond = () => ({ status: 410 });
    const browser = browserKeys();
    const endpoint = `${rx.url}/gone`;
    await service.subscribePush('officer1', { endpoint, keys: { p256dh: browser.p256dh, auth: browser.authB64 } });
    expect(await store.listPushSubscriptions('officer1')).toHaveLength(1);
    await service.publish({
      id: 'overdue:INC-9',
      type: 'incident.overdue',
      recipients: ['officer1'],
      title: { zh: '超时', en: 'Overdue' },
      body: { zh: '工单超时', en: 'Incident overdue' },
      url: '/console?incident=INC-9',
    });
    await service.worker.kick();
    expect(rx.received).toHaveLength(1);
    expect(await store.listPushSubscriptions('officer1')).toEqual([]);
    expect(await store.pendingOutbox(10)).toEqual([]);
    expect(await store.listDeadLetters(10)).toEqual([]);
  });

  it('retries a push service error and keeps the VAPID keys of the install across restarts', async () => {
    const clock = new TestClock();
    const { service, store, rx } = await setup(clock);
    let fail = true;
    rx.respond = () => (fail ? { status: 500 } : { status: 201 });
    const browser = browserKeys();
    await service.subscribePush('leader1', { endpoint: `${rx.url}/l`, keys: { p256dh: browser.p256dh, auth: browser.authB64 } });
    await service.publish({
      id: 'dubang:INC-3',
      type: 'incident.supervised',
      recipients: ['leader1'],
      title: { zh: '督办', en: 'Supervision' },
      body: { zh: '督办到期', en: 'Due' },
      url: '/brief',
    });
    await service.worker.kick();
    expect(await store.pendingOutbox(10)).toEqual([expect.objectContaining({ attempts: 1, channel: 'push', target: 'leader1' })]);
    fail = false;
    clock.advance(testNotifyConfig().retryMaxMs);
    await service.worker.kick();
    expect(rx.received).toHaveLength(2);
    expect(await store.pendingOutbox(10)).toEqual([]);
    // a second service on the same store uses the stored keys (subscriptions stay valid)
    const again = new NotificationService({ store, config: testNotifyConfig(), log, now: clock.now });
    await again.start();
    again.stop();
    expect(again.vapidKeys()).toEqual(service.vapidKeys());
  });

  it('refuses an endpoint outside the allowed push hosts', async () => {
    const clock = new TestClock();
    const store = maker.make(`push-hosts-${++n}`, clock.now);
    const config = testNotifyConfig();
    const service = new NotificationService({
      store,
      config: { ...config, push: { ...config.push, allowedHosts: ['fcm.googleapis.com'], allowInsecure: false } },
      log,
    });
    const browser = browserKeys();
    const keys = { p256dh: browser.p256dh, auth: browser.authB64 };
    expect(await service.subscribePush('h', { endpoint: 'http://fcm.googleapis.com/x', keys })).toMatchObject({
      ok: false,
      error: { code: 'E_VALIDATION' },
    });
    expect(await service.subscribePush('h', { endpoint: 'https://intranet.example/x', keys })).toMatchObject({
      ok: false,
      error: { code: 'E_VALIDATION' },
    });
    expect(await service.subscribePush('h', { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', keys })).toMatchObject({ ok: true });
  });
});
