/**
 * Wires contingency plans (应急预案, issue 14) into a server: the plan store beside the main
 * store, the service (trigger tick, commands), the `/live` delivery (`plans`, `plans:list`,
 * `plan:command`) and the live resources a started plan takes (plan-resources.ts). One call in
 * app.ts; REST takes `service` (http.ts → plan-router.ts).
 * Plan definitions are the four demo plans (scenes/plans/demo-plans.ts) until plans are edited
 * by admins (not built yet).
 */
import type { Namespace } from 'socket.io';
import type { Alert } from '../../scenes/domain';
import { DEMO_PLANS } from '../../scenes/plans/demo-plans';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import type { StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { AuditRecorder } from '../audit/audit';
import type { ServerConfig } from '../config';
import type { DeviceCommandService } from '../device-control/device-command-service';
import type { Fusion } from '../fusion';
import type { EntryGuard } from '../guard';
import type { Logger } from '../logger';
import { planStoreFor, type PlanStore } from '../store/plan-store';
import type { Store } from '../store/store';
import { PlanLive, type PlanLiveDeps } from './plan-live';
import { PlanResources, type PlanResourcesDeps } from './plan-resources';
import { PlanService } from './plan-service';
import { buildPlanSituation, type AreaWarningSource } from './plan-situation';

export interface Plans {
  service: PlanService;
  /** the instances' store (the demo past writes its past instances here) */
  store: PlanStore;
  live: PlanLive;
  close(): void;
}

export interface PlansDeps {
  store: Store;
  fusion: Pick<Fusion, 'fusedState' | 'devices'>;
  live: Namespace;
  /** `/live`'s shared dispatcher (Realtime): the plan events' handlers, each socket's scope */
  dispatcher: PlanLiveDeps['dispatcher'];
  users: PlanLiveDeps['users'];
  guard: EntryGuard;
  audit: AuditRecorder;
  log: Logger;
  config: Pick<
    ServerConfig,
    'planTickIntervalMs' | 'closedRetentionMs' | 'historyRetentionMs' | 'commandTtlMs' | 'liveQueryRatePerS' | 'liveQueryBurst'
  >;
  deviceControl?: Pick<DeviceCommandService, 'send'>;
  /** issue 17: live resources (server/resources/); absent: starting a plan takes none */
  resources?: PlanResourcesDeps['resources'];
  /** subscribes to every alert change (Realtime.onAlertChanged): triggers are evaluated at once */
  onAlertChanged?: (listener: (alert: Alert) => void) => void;
  /** the storm service's area warnings (server/storm/); absent: area-warning triggers never fire */
  warnings?: AreaWarningSource;
  definitions?: readonly ContingencyPlan[];
  /** issue 15: the cluster-wide lease of the trigger tick; default: this process proposes */
  lease?: { isHeld(): Promise<boolean> };
  /** a plan started (notifications: H4 hooks in here) */
  onPlanStarted?: (instance: StoredPlanInstance, plan: ContingencyPlan) => void;
  onPlanProposed?: (instance: StoredPlanInstance, plan: ContingencyPlan) => void;
}

export async function startPlans(d: PlansDeps): Promise<Plans> {
  let live: PlanLive | null = null;
  // the plan store is the only home of closed instances: the reports' and the briefing's record of
  // past responses, kept as long as the long history keeps incidents and alerts (issue 16)
  const closedRetentionMs = Math.max(d.config.closedRetentionMs, d.config.historyRetentionMs);
  const store = planStoreFor(d.store, { closedRetentionMs, commandTtlMs: d.config.commandTtlMs });
  const service = new PlanService({
    plans: store,
    definitions: d.definitions ?? DEMO_PLANS,
    live: {
      situation: (nowTs) => buildPlanSituation(d.fusion.fusedState(nowTs), d.warnings?.activeWarnings() ?? []),
      devices: d.fusion.devices,
    },
    store: d.store,
    audit: d.audit,
    log: d.log,
    ...(d.deviceControl ? { deviceControl: d.deviceControl } : {}),
    ...(d.resources
      ? {
          resources: new PlanResources({
            resources: d.resources,
            liveResources: () => d.fusion.fusedState(Date.now()).resources,
            devices: d.fusion.devices,
            audit: d.audit,
            log: d.log,
          }),
        }
      : {}),
    tickIntervalMs: d.config.planTickIntervalMs,
    ...(d.lease ? { lease: d.lease } : {}),
    onChange: () => live?.push(),
    ...(d.onPlanStarted ? { onPlanStarted: d.onPlanStarted } : {}),
    ...(d.onPlanProposed ? { onPlanProposed: d.onPlanProposed } : {}),
  });
  live = new PlanLive({ live: d.live, dispatcher: d.dispatcher, plans: service, users: d.users, guard: d.guard, log: d.log });
  live.attach();
  d.onAlertChanged?.((alert) => service.alertChanged(alert));
  await service.start();
  return { service, store, live, close: () => service.close() };
}
