/**
 * This node's log follower (issue 15), wired to the node's parts: other nodes' readings are fused
 * and this node's screens rebuilt; their alerts and incidents applied (their people were told by
 * the origin, through the adapter); their registry edits re-read; a hole in the log reloads
 * alerts and incidents from the store.
 */
import { mergeAlertCopies } from '../../scenes/alert-lifecycle';
import type { Fusion } from '../fusion';
import type { Logger } from '../logger';
import type { Realtime } from '../realtime';
import type { DeviceRegistry } from '../registry/device-registry';
import type { RuleRegistry } from '../registry/rule-registry';
import type { Store } from '../store/store';
import { LogFollower } from './log-follower';

export interface NodeFollowerDeps {
  store: Store;
  nodeId: string;
  fusion: Fusion;
  realtime: Pick<Realtime, 'alertChanged' | 'incidentFromLog' | 'hub'>;
  registry: Pick<DeviceRegistry, 'refresh'>;
  rules: Pick<RuleRegistry, 'refresh'>;
  /** the area-warning rules (server/storm/), kept in the registry's `setting` collection */
  reloadSettings: () => Promise<void>;
  /** alerts and incidents this far back are reloaded after a hole in the log, ms */
  reloadWindowMs: number;
  log: Logger;
}

export function createNodeFollower(d: NodeFollowerDeps): LogFollower {
  const { fusion, realtime } = d;
  return new LogFollower({
    store: d.store,
    nodeId: d.nodeId,
    fusion,
    onReadingsApplied: () => realtime.hub.flushIfDue(),
    onAlert: (alert) => {
      // another node decided this device went silent: offline here too (the alert is its)
      if (!alert.cleared && fusion.isOfflineRule(alert.deviceId, alert.ruleId)) fusion.markOfflineFromLog(alert.deviceId);
      realtime.alertChanged(alert);
    },
    // the origin persists and notifies; this node's screens get it in the next immediate frame
    onDerivedAlert: (alert) => realtime.alertChanged(alert),
    onIncident: (incident) => realtime.incidentFromLog(incident),
    onRegistryChanged: async ({ collection, ids, all }) => {
      const which = all ? 'all' : ids;
      switch (collection) {
        case 'device':
        case 'asset':
          return d.registry.refresh(collection, which);
        case 'rule':
          return d.rules.refresh(collection, which);
        case 'setting':
          // reloaded now instead of at the next periodic reload
          return d.reloadSettings();
      }
    },
    onGap: async () => {
      const since = Date.now() - d.reloadWindowMs;
      const [alerts, incidents] = await Promise.all([d.store.loadAlerts(since), d.store.loadIncidents(since)]);
      // the store's copy may be older than fusion's (repeat readings at one level are not written)
      for (const a of alerts) fusion.putAlert(mergeAlertCopies(fusion.getAlert(a.id), a));
      for (const i of incidents) fusion.putIncident(i);
      d.log.warn(
        { alerts: alerts.length, incidents: incidents.length },
        'shared log had a hole (trimmed before this node read it): alerts and incidents reloaded from the store',
      );
    },
    log: d.log,
  });
}
