/**
 * The escalation ladder, 督办 lapse and re-notify tick with an injected clock, surviving a restart:
 * a new NotificationService and ticker on the same notify store never fire a step twice.
 * Memory and Redis notify stores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import { makeAlert, makeIncident, MINUTE_MS, T0 } from '../../scenes/storm/fixtures/storm-fixtures';
import { startRedisServer } from '../../tests/helpers/redis-server';
import { createLogger } from '../logger';
import { PeopleDirectory } from '../notify/change-hook';
import { EscalationTicker } from '../notify/escalation-ticker';
import { NotificationService } from '../notify/notification-service';
import type { NotifyStore } from '../notify/notify-store';
import type { StoredUser } from '../store/store';
import { notifyStoreMakers, testNotifyConfig, TestClock } from './notify-helpers';

const redis = await startRedisServer();
const makers = notifyStoreMakers(redis);
afterAll(async () => {
  for (const m of makers) await m.close();
  await redis?.stop();
});
const log = createLogger('silent');

function user(username: string, role: StoredUser['role'], districts?: StoredUser['districts']): StoredUser {
  return {
    username,
    displayName: username,
    role,
    passwordHash: 'x',
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    createdTs: 0,
    ...(districts ? { districts } : {}),
  };
}
const USERS = [
  user('handler1', 'handler'),
  user('officer1', 'officer', ['370202']),
  user('officer2', 'officer', ['370213']),
  user('leader1', 'leader'),
  { ...user('officer3', 'officer'), disabled: true },
];

/** A P1 incident dispatched to handler1 at T0: resolve by T0+60 min (P1 ladder: remind 30, breach 60, leader 75). */
function p1Task(o: Partial<Incident> = {}): Incident {
  return makeIncident('INC-P1', {
    priority: 'P1',
    level: 'red',
    state: 'dispatched',
    version: 2,
    slaDueTs: T0 + 60 * MINUTE_MS,
    assignees: ['handler1'],
    history: [
      { action: 'create', from: null, to: 'reported', actor: 'system', ts: T0, commandId: 'c1' },
      { action: 'dispatch', from: 'reported', to: 'dispatched', actor: 'officer1', ts: T0, commandId: 'c2', assignees: ['handler1'] },
    ],
    ...o,
  });
}

describe.each(makers)('escalation ladder and re-notify ($name store)', (maker) => {
  if (!maker.available) {
    it.skip('Redis is not installed', () => {});
    return;
  }
  let n = 0;
  /** One "process": a service and a ticker on the store named `key`, reading `state`. */
  function start(key: string, clock: TestClock, state: { incidents: Incident[]; alerts: ReturnType<typeof makeAlert>[] }) {
    const store: NotifyStore = maker.make(key, clock.now);
    const notifications = new NotificationService({ store, config: testNotifyConfig(), log, now: clock.now, deliverOnPublish: false });
    const ticker = new EscalationTicker({
      notifications,
      directory: new PeopleDirectory({ listUsers: () => Promise.resolve(USERS) }, clock.now),
      incidents: () => state.incidents,
      alerts: () => state.alerts,
      ladder: testNotifyConfig().ladder,
      renotify: { renotifyAfterMs: 5 * MINUTE_MS, attemptsPerRecipient: 1, maxAttempts: 4 },
      log,
      now: clock.now,
    });
    return { store, ticker };
  }
  const sent = async (store: NotifyStore, prefix: string) =>
    (await store.listNotifications({ incidentId: 'INC-P1', limit: 100 }))
      .filter((x) => x.id.startsWith(prefix))
      .map((x) => [x.type, x.recipients, (x.ts - T0) / MINUTE_MS]);

  it('reminds the assignee at 50 %, tells the duty officer at breach and the leader after, once each across a restart', async () => {
    const clock = new TestClock(T0);
    const key = `ladder-${++n}`;
    const state = { incidents: [p1Task()], alerts: [] };
    let p = start(key, clock, state);
    clock.ts = T0 + 29 * MINUTE_MS;
    await p.ticker.tick();
    expect(await sent(p.store, 'ladder:')).toEqual([]);
    clock.ts = T0 + 30 * MINUTE_MS;
    await p.ticker.tick();
    await p.ticker.tick();
    expect(await sent(p.store, 'ladder:')).toEqual([['incident.reminder', ['handler1'], 30]]);

    // restart: a new service and ticker on the same store
    p = start(key, clock, state);
    clock.ts = T0 + 31 * MINUTE_MS;
    await p.ticker.tick();
    expect(await sent(p.store, 'ladder:')).toHaveLength(1);

    clock.ts = T0 + 61 * MINUTE_MS;
    await p.ticker.tick();
    p = start(key, clock, state);
    await p.ticker.tick();
    clock.ts = T0 + 80 * MINUTE_MS;
    await p.ticker.tick();
    await start(key, clock, state).ticker.tick();
    expect(await sent(p.store, 'ladder:')).toEqual([
      ['incident.reminder', ['handler1'], 30],
      // only the officer whose districts hold the incident's (370202); the disabled one never
      ['incident.overdue', ['officer1'], 60],
      ['incident.escalated_to_leader', ['leader1'], 75],
    ]);
  });

  it('fires every step that fell due during a downtime once, each at its own due time', async () => {
    const clock = new TestClock(T0 + 90 * MINUTE_MS);
    const key = `downtime-${++n}`;
    const state = { incidents: [p1Task()], alerts: [] };
    await start(key, clock, state).ticker.tick();
    await start(key, clock, state).ticker.tick();
    expect((await sent(start(key, clock, state).store, 'ladder:')).map((s) => s[2])).toEqual([30, 60, 75]);
  });

  it('stops the ladder once the incident is resolved', async () => {
    const clock = new TestClock(T0 + 100 * MINUTE_MS);
    const key = `resolved-${++n}`;
    const state = { incidents: [p1Task({ state: 'resolved', resolvedTs: T0 + 20 * MINUTE_MS })], alerts: [] };
    await start(key, clock, state).ticker.tick();
    expect(await sent(start(key, clock, state).store, '')).toEqual([]);
  });

  it('tells the leader once when a 督办 deadline passes unresolved', async () => {
    const clock = new TestClock(T0 + 10 * MINUTE_MS);
    const key = `dubang-${++n}`;
    const supervised = p1Task({
      state: 'accepted',
      supervision: { by: 'leader1', note: '两小时内办结', deadlineTs: T0 + 20 * MINUTE_MS, startedTs: T0 + 5 * MINUTE_MS },
    });
    const state = { incidents: [supervised], alerts: [] };
    await start(key, clock, state).ticker.tick();
    expect(await sent(start(key, clock, state).store, 'dubang-lapse:')).toEqual([]);
    clock.ts = T0 + 21 * MINUTE_MS;
    await start(key, clock, state).ticker.tick();
    await start(key, clock, state).ticker.tick();
    expect(await sent(start(key, clock, state).store, 'dubang-lapse:')).toEqual([['incident.supervised', ['leader1'], 20]]);
  });

  it('re-notifies an unaccepted P1 task every 5 min, then the duty officer, then the leader — and stops once accepted', async () => {
    const clock = new TestClock(T0);
    const key = `renotify-${++n}`;
    const state = { incidents: [p1Task()], alerts: [] };
    let p = start(key, clock, state);
    for (let m = 1; m <= 12; m++) {
      clock.ts = T0 + m * MINUTE_MS;
      await p.ticker.tick();
      if (m === 7) p = start(key, clock, state); // restart between attempts
    }
    expect(await sent(p.store, 'renotify:')).toEqual([
      ['incident.reminder', ['officer1'], 5],
      ['incident.reminder', ['leader1'], 10],
    ]);
    // accepted: no more
    state.incidents = [p1Task({ state: 'accepted', version: 3 })];
    for (let m = 13; m <= 30; m++) {
      clock.ts = T0 + m * MINUTE_MS;
      await p.ticker.tick();
    }
    expect(await sent(p.store, 'renotify:')).toHaveLength(2);
  });

  it('re-notifies an unacknowledged red alert to the duty officers until it is acknowledged', async () => {
    const clock = new TestClock(T0);
    const key = `red-${++n}`;
    const alert = makeAlert('wl-1', { level: 'red', firstTs: T0, district: '370213' });
    const state = { incidents: [] as Incident[], alerts: [alert] };
    const p = start(key, clock, state);
    clock.ts = T0 + 5 * MINUTE_MS;
    await p.ticker.tick();
    await start(key, clock, state).ticker.tick();
    const all = await p.store.listNotifications({ limit: 50 });
    expect(all.filter((x) => x.alertId === alert.id).map((x) => [x.id, x.type, x.recipients])).toEqual([
      [`renotify:alert:${alert.id}:1`, 'alert.red', ['leader1']],
    ]);
    state.alerts = [{ ...alert, acknowledged: true, ackBy: 'officer2' }];
    clock.ts = T0 + 30 * MINUTE_MS;
    await p.ticker.tick();
    expect((await p.store.listNotifications({ limit: 50 })).filter((x) => x.alertId === alert.id)).toHaveLength(1);
  });
});
