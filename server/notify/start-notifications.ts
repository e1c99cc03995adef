/**
 * Starts notifications beyond the open page (issue 14) for app.ts: the notify store beside the
 * main store (Redis keys under `<prefix>:notify:*`, or in memory), the NotificationService and its
 * outbox worker, the escalation / re-notify ticker, and in the demo a local webhook sink with a
 * subscription pointing at it. app.ts wraps its change notifier with `wrapNotifier` (one hook) and
 * mounts `routerDeps` under /api.
 */
import { randomBytes } from 'node:crypto';
import type { ChangeNotifier } from '../commands';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { Fusion } from '../fusion';
import type { Logger } from '../logger';
import type { AuditRecorder } from '../audit/audit';
import type { Store } from '../store/store';
import type { RedisStore } from '../store/redis-store';
import { notifyingChangeNotifier, PeopleDirectory } from './change-hook';
import { EscalationTicker, type TickLease } from './escalation-ticker';
import { NotificationService } from './notification-service';
import type { NotifyConfig } from './notify-config';
import { MemoryNotifyStore, type NotifyStore } from './notify-store';
import type { NotifyRouterDeps } from './notify-router';
import { RedisNotifyStore } from './redis-notify-store';
import { planProposedNotification, planStartedNotification } from './plan-notifications';
import { seedDemoSubscription, startWebhookSink, type WebhookSink } from './webhook-sink';

export interface StartNotificationsDeps {
  store: Store;
  fusion: Pick<Fusion, 'incidents' | 'fusedState'>;
  config: NotifyConfig;
  audit: AuditRecorder;
  log: Logger;
  /** issue 15: a cluster-wide lease for the ticker; default: this process acts */
  lease?: TickLease;
}

export interface Notifications {
  service: NotificationService;
  ticker: EscalationTicker;
  sink: WebhookSink | null;
  /** the one hook: realtime first, then pushes and webhooks */
  wrapNotifier(inner: ChangeNotifier): ChangeNotifier;
  /** startPlans' `onPlanStarted`: the plan's roles in its districts are told */
  planStarted(instance: StoredPlanInstance, plan: ContingencyPlan): void;
  /** startPlans' `onPlanProposed`: the duty officers where it applies are asked to decide */
  planProposed(instance: StoredPlanInstance, plan: ContingencyPlan): void;
  routerDeps: Omit<NotifyRouterDeps, 'route' | 'auth' | 'scopeOf'>;
  close(): Promise<void>;
}

export function notifyStoreBeside(store: Store, config: NotifyConfig): NotifyStore {
  if (store.kind === 'redis') {
    const redis = store as RedisStore;
    return new RedisNotifyStore(redis.redisClient, redis.keyPrefix, config.store);
  }
  return new MemoryNotifyStore(config.store);
}

export async function startNotifications(d: StartNotificationsDeps): Promise<Notifications> {
  const notifyStore = notifyStoreBeside(d.store, d.config);
  const service = new NotificationService({ store: notifyStore, config: d.config, log: d.log });
  await service.start();
  const directory = new PeopleDirectory(d.store);
  const ticker = new EscalationTicker({
    notifications: service,
    directory,
    incidents: () => d.fusion.incidents.values(),
    alerts: () => d.fusion.fusedState(Date.now()).alerts,
    ladder: d.config.ladder,
    renotify: d.config.renotify,
    log: d.log,
    ...(d.lease ? { lease: d.lease } : {}),
  });
  ticker.start(d.config.ladderTickIntervalMs);
  let sink: WebhookSink | null = null;
  if (d.config.demoSink) {
    // a fresh secret per start: the sink and its subscription change together
    const secret = randomBytes(24).toString('base64url');
    sink = await startWebhookSink(secret, d.log);
    await seedDemoSubscription(notifyStore, sink.url, secret, Date.now());
    d.log.info({ url: sink.url }, 'demo webhook sink: notifications are logged here (GET /api/webhooks/demo-sink)');
  }
  return {
    service,
    ticker,
    sink,
    wrapNotifier: (inner) => notifyingChangeNotifier(inner, { notifications: service, directory, log: d.log }),
    planStarted: (instance, plan) => {
      void planStartedNotification(instance, plan, (role, district) => (district ? directory.people(role, district) : directory.everyone(role)))
        .then((event) => service.publish(event))
        .catch((err: unknown) => d.log.warn({ err, instance: instance.id }, 'notifications: plan started notice failed'));
    },
    planProposed: (instance, plan) => {
      void planProposedNotification(instance, plan, (role, district) => (district ? directory.people(role, district) : directory.everyone(role)))
        .then((event) => service.publish(event))
        .catch((err: unknown) => d.log.warn({ err, instance: instance.id }, 'notifications: plan proposed notice failed'));
    },
    routerDeps: { notifications: service, store: d.store, audit: d.audit, sink },
    async close() {
      ticker.stop();
      await service.close();
      await sink?.close();
    },
  };
}
