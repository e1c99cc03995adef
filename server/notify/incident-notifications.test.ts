import { describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import { makeAlert, makeIncident, T0 } from '../../scenes/storm/fixtures/storm-fixtures';
import { DEMO_PLANS } from '../../scenes/plans/demo-plans';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { StoredUser } from '../store/store';
import { createLogger } from '../logger';
import { notifyingChangeNotifier, PeopleDirectory } from './change-hook';
import { notificationForAlert, notificationsForIncidentChange, peopleFor } from './incident-notifications';
import { NotificationService } from './notification-service';
import { notifyConfigFromEnv } from './notify-config';
import { MemoryNotifyStore } from './notify-store';
import { planProposedNotification, planStartedNotification } from './plan-notifications';

function step(incident: Incident, action: Incident['history'][number]['action'], actor: string, o: Partial<Incident> = {}): Incident {
  return {
    ...incident,
    version: incident.version + 1,
    ...o,
    history: [
      ...incident.history,
      { action, from: incident.state, to: o.state ?? incident.state, actor, ts: T0 + 1, commandId: `c${incident.version}` },
    ],
  };
}

function user(username: string, role: StoredUser['role'], o: Partial<StoredUser> = {}): StoredUser {
  return { username, displayName: username, role, passwordHash: 'x', disabled: false, failedLogins: 0, lockedUntil: 0, createdTs: 0, ...o };
}

describe('who is told of an incident change', () => {
  const reported = makeIncident('INC-1', { priority: 'P1' });

  it('tells each assignee of a dispatch of a new task that opens on the phone page', () => {
    const dispatched = step(reported, 'dispatch', 'officer1', { state: 'dispatched', assignees: ['handler1', 'handler2'] });
    const [n] = notificationsForIncidentChange(dispatched, []);
    expect(n).toMatchObject({
      id: 'incident.dispatched:INC-1:v2',
      type: 'incident.dispatched',
      recipients: ['handler1', 'handler2'],
      url: '/mobile?incident=INC-1',
    });
    expect(n!.title.zh).toContain('特急');
  });

  it('tells only the newly added handler of a reassignment', () => {
    const dispatched = step(reported, 'dispatch', 'officer1', { state: 'dispatched', assignees: ['handler1'] });
    const reassigned = step(dispatched, 'reassign', 'officer1', { assignees: ['handler1', 'handler3'] });
    expect(notificationsForIncidentChange(reassigned, ['handler1']).map((n) => n.recipients)).toEqual([['handler3']]);
  });

  it('tells the handlers it was assigned to when it is closed without resolving, with the reason', () => {
    const dispatched = step(reported, 'dispatch', 'officer1', { state: 'dispatched', assignees: ['handler1'] });
    const closed = step(dispatched, 'close_unresolved', 'officer1', {
      state: 'closed',
      assignees: [],
      outcome: 'false_alarm',
      outcomeReason: '传感器误报',
    });
    const [n] = notificationsForIncidentChange(closed, ['handler1']);
    expect(n).toMatchObject({ type: 'incident.closed_unresolved', recipients: ['handler1'] });
    expect(n!.body.zh).toContain('传感器误报');
  });

  it('tells the assignees of a 督办, and nobody of a note', () => {
    const dispatched = step(reported, 'dispatch', 'officer1', { state: 'dispatched', assignees: ['handler1'] });
    const supervised = step(dispatched, 'supervise', 'leader1', {
      supervision: { by: 'leader1', note: '尽快办结', deadlineTs: T0 + 3_600_000, startedTs: T0 },
    });
    expect(notificationsForIncidentChange(supervised, ['handler1'])).toEqual([
      expect.objectContaining({ type: 'incident.supervised', recipients: ['handler1'] }),
    ]);
    expect(notificationsForIncidentChange(step(dispatched, 'note', 'officer1'), ['handler1'])).toEqual([]);
  });

  it('tells the enabled duty officers whose districts hold a red alert, once per alert', () => {
    const users = [
      user('o-all', 'officer'),
      user('o-shinan', 'officer', { districts: ['370202'] }),
      user('o-licang', 'officer', { districts: ['370213'] }),
      user('o-off', 'officer', { disabled: true }),
    ];
    const officers = peopleFor(users, 'officer', '370202');
    expect(officers).toEqual(['o-all', 'o-shinan']);
    expect(notificationForAlert(makeAlert('wl-1', { level: 'red' }), officers)).toMatchObject({
      type: 'alert.red',
      level: 'red',
      recipients: officers,
    });
    expect(notificationForAlert(makeAlert('wl-1', { level: 'orange' }), officers)).toBeNull();
    expect(notificationForAlert(makeAlert('wl-1', { level: 'red', acknowledged: true }), officers)).toBeNull();
  });

  it('tells the roles a started plan names, in its districts', async () => {
    const plan = DEMO_PLANS[0]!;
    const instance = {
      id: 'PI-1',
      planId: plan.id,
      state: 'active',
      level: 'II',
      reasons: [],
      ticked: {},
      proposedTs: T0,
      startedTs: T0,
      version: 2,
      timeline: [],
      focus: { districts: ['370213'], deviceIds: [] },
      sentDeviceCommands: {},
    } as StoredPlanInstance;
    const n = await planStartedNotification(instance, plan, (role, district) => Promise.resolve([`${role}@${district ?? 'city'}`]));
    expect(n).toMatchObject({ id: 'plan.started:PI-1', type: 'plan.started', level: 'orange', district: '370213', planInstanceId: 'PI-1' });
    expect(n.recipients.length).toBeGreaterThan(0);
    expect(n.recipients.every((r) => r.endsWith('@370213'))).toBe(true);
  });

  it('asks the duty officers where a proposed plan applies to decide, with the reasons as the body', async () => {
    const plan = DEMO_PLANS[0]!;
    const instance = {
      id: 'PI-2',
      planId: plan.id,
      state: 'proposed',
      level: 'II',
      reasons: [{ trigger: 'water-over-guarantee', level: 'II', evidence: ['river-1'], text: '李村河水位 6.08 m，超保证水位 4.8 m' }],
      ticked: {},
      proposedTs: T0,
      version: 1,
      timeline: [],
      focus: { districts: ['370213'], deviceIds: [] },
      sentDeviceCommands: {},
    } as unknown as StoredPlanInstance;
    const n = await planProposedNotification(instance, plan, (role, district) => Promise.resolve([`${role}@${district ?? 'city'}`]));
    expect(n).toMatchObject({ id: 'plan.proposed:PI-2', type: 'plan.proposed', level: 'orange', district: '370213', recipients: ['officer@370213'] });
    expect(n.title.zh).toContain('建议启动Ⅱ级应急响应');
    expect(n.body.zh).toContain('超保证水位');
  });
});

describe('the change hook', () => {
  it('passes every change to the screens first, publishes once, and counts the handler accepting as acknowledging', async () => {
    const store = new MemoryNotifyStore();
    const service = new NotificationService({
      store,
      config: notifyConfigFromEnv({ NODE_ENV: 'test' }, false),
      log: createLogger('silent'),
      deliverOnPublish: false,
    });
    const seen: string[] = [];
    const hook = notifyingChangeNotifier(
      { alertChanged: (a) => seen.push(`alert:${a.id}`), incidentChanged: (i) => seen.push(`incident:${i.version}`) },
      {
        notifications: service,
        directory: new PeopleDirectory({ listUsers: () => Promise.resolve([user('officer1', 'officer')]) }),
        log: createLogger('silent'),
      },
    );
    const dispatched = step(makeIncident('INC-2'), 'dispatch', 'officer1', { state: 'dispatched', assignees: ['handler1'] });
    hook.incidentChanged(dispatched, []);
    hook.incidentChanged(dispatched, []);
    expect(seen).toEqual(['incident:2', 'incident:2']);
    const waitFor = async (pred: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await pred()); i++) await new Promise((r) => setTimeout(r, 5));
      expect(await pred()).toBe(true);
    };
    await waitFor(async () => (await store.listNotifications({ incidentId: 'INC-2', limit: 10 })).length === 1);
    hook.incidentChanged(step(dispatched, 'accept', 'handler1', { state: 'accepted' }), ['handler1']);
    await waitFor(async () => (await store.getNotification('incident.dispatched:INC-2:v2'))?.recipientStatus[0]?.acknowledgedTs !== undefined);

    const red = makeAlert('wl-9', { level: 'red' });
    hook.alertChanged(red);
    hook.alertChanged({ ...red, count: 2 });
    await waitFor(async () => (await store.getNotification(`alert.red:${red.id}`)) !== null);
    expect((await store.listNotifications({ limit: 10 })).filter((n) => n.type === 'alert.red')).toHaveLength(1);
    hook.alertChanged({ ...red, acknowledged: true, ackBy: 'officer1' });
    await waitFor(async () => (await store.getNotification(`alert.red:${red.id}`))?.recipientStatus[0]?.acknowledgedTs !== undefined);
  });
});
