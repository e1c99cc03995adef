/**
 * Wires area warnings (issue 14) into a server: the stored rules (reloaded periodically for
 * edits made on other nodes), the service fed by every alert change, the `/live` delivery and the
 * wall scenes' prompt rebuild. One call in app.ts; the REST routes take `routerDeps` (http.ts).
 */
import type { Namespace } from 'socket.io';
import type { Alert } from '../../scenes/domain';
import type { ServerConfig } from '../config';
import type { Fusion } from '../fusion';
import type { Logger } from '../logger';
import type { SceneHub } from '../scene-hub';
import type { Store } from '../store/store';
import type { AuditRecorder } from '../audit/audit';
import { AreaWarningRuleStore } from './area-warning-rules';
import { WarningDelivery } from './warning-delivery';
import { WarningService } from './warning-service';
import type { WarningRouterDeps } from './warning-router';

export interface AreaWarnings {
  rules: AreaWarningRuleStore;
  service: WarningService;
  /** what `createWarningRouter` needs besides http.ts's own route/auth/scope helpers */
  routerDeps: Pick<WarningRouterDeps, 'fusion' | 'warnings' | 'rules' | 'audit'>;
  close(): void;
}

export interface AreaWarningsDeps {
  store: Store;
  fusion: Fusion;
  live: Namespace;
  /** `/live`'s shared dispatcher (Realtime): `warnings:get`, each socket's scope */
  dispatcher: ConstructorParameters<typeof WarningDelivery>[1];
  hub: Pick<SceneHub, 'flushSoon'>;
  /** subscribes to every alert change (Realtime.onAlertChanged) */
  onAlertChanged: (listener: (alert: Alert) => void) => void;
  audit: AuditRecorder;
  log: Logger;
  config: Pick<ServerConfig, 'warningsCoalesceMs' | 'areaWarningRulesReloadMs'>;
}

export async function startAreaWarnings(d: AreaWarningsDeps): Promise<AreaWarnings> {
  const rules = new AreaWarningRuleStore(d.store);
  await rules.load();
  const service = new WarningService({ fusion: d.fusion, rules, log: d.log, coalesceMs: d.config.warningsCoalesceMs });
  // the walls show warnings: their scenes go out at once, like alerts
  service.onChange(() => d.hub.flushSoon(['overview', 'emergency', 'water']));
  new WarningDelivery(d.live, d.dispatcher, service, d.log).attach();
  d.onAlertChanged((alert) => service.alertChanged(alert));
  // from the alerts fusion restored from the store: warnings survive a restart by recomputation
  service.start();
  const reload = setInterval(() => {
    rules.load().catch((err: unknown) => d.log.warn({ err }, 'area warning rules reload failed; will retry'));
  }, d.config.areaWarningRulesReloadMs);
  reload.unref();
  return {
    rules,
    service,
    routerDeps: { fusion: d.fusion, warnings: service, rules, audit: d.audit },
    close() {
      clearInterval(reload);
      service.stop();
    },
  };
}
