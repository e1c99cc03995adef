/**
 * Replay: reconstruct the alerts and incidents as they were at a moment from the event log.
 * Every event carries the full alert / the incident's fields (without its history) after the
 * change, so the state at `ts` is simply the newest object per id among the events at or before
 * `ts`. For an incident's history see incident-from-events.ts.
 */
import type { Alert } from '@scenes/domain';
import { isIncidentOpen } from '@scenes/incident-rules';
import type { LogEvent, LoggedIncident } from '@scenes/protocol';
import type { AlertItem, IncidentItem, SceneModel } from '@scenes/scene-model';

export interface ReplayState {
  /** open alerts at that time (active, or cleared but not yet acknowledged), newest first */
  alerts: Alert[];
  /** incidents not yet closed at that time, newest first (fields only: events do not carry history) */
  incidents: LoggedIncident[];
}

/** Order of events: by time, then by stream id (Redis ids 'ms-seq' order within a millisecond). */
export function compareEvents(a: LogEvent, b: LogEvent): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  const [am, as] = (a.id ?? '').split('-').map(Number);
  const [bm, bs] = (b.id ?? '').split('-').map(Number);
  if (am !== bm) return (am || 0) - (bm || 0);
  return (as || 0) - (bs || 0);
}

/** Alerts and incidents as they were at `ts` (epoch ms), from events in any order. */
export function replayStateAt(events: readonly LogEvent[], ts: number): ReplayState {
  const sorted = [...events].filter((e) => e.ts <= ts).sort(compareEvents);
  const alerts = new Map<string, Alert>();
  const incidents = new Map<string, LoggedIncident>();
  for (const e of sorted) {
    switch (e.type) {
      case 'alert.raised':
      case 'alert.updated':
      case 'alert.cleared':
      case 'alert.acked':
        if (e.alert) alerts.set(e.alert.id, e.alert);
        break;
      case 'incident.created':
      case 'incident.transition':
        if (e.incident) incidents.set(e.incident.id, e.incident);
        break;
      case 'device.command':
        // commands to devices are in the log for the record; the replayed map shows alerts and incidents
        break;
      case 'registry.changed':
        // cluster plumbing (issue 15): readEvents never answers these; nothing to replay
        break;
      default: {
        const unknownType: never = e.type;
        void unknownType;
      }
    }
  }
  return {
    alerts: [...alerts.values()].filter((a) => !(a.cleared && a.acknowledged)).sort((a, b) => b.lastTs - a.lastTs),
    incidents: [...incidents.values()].filter(isIncidentOpen).sort((a, b) => b.updatedTs - a.updatedTs),
  };
}

export function alertToItem(a: Alert): AlertItem {
  return {
    id: a.id,
    deviceId: a.deviceId,
    deviceKind: a.deviceKind,
    scene: a.scene,
    district: a.district,
    p: a.location,
    level: a.level,
    cleared: a.cleared,
    acknowledged: a.acknowledged,
    firstTs: a.firstTs,
    lastTs: a.lastTs,
    count: a.count,
    title: a.title,
    titleEn: a.titleEn,
    value: a.value,
    metric: a.metric,
    incidentId: a.incidentId,
  };
}

export function incidentToItem(i: LoggedIncident): IncidentItem {
  return {
    id: i.id,
    version: i.version,
    state: i.state,
    priority: i.priority,
    level: i.level,
    scene: i.scene,
    category: i.category,
    title: i.title,
    titleEn: i.titleEn,
    district: i.district,
    p: i.location,
    assignees: i.assignees,
    escalated: i.escalated,
    createdTs: i.createdTs,
    updatedTs: i.updatedTs,
    slaDueTs: i.slaDueTs,
    closedTs: i.closedTs,
  };
}

/** The live model with its alerts and incidents replaced by the replayed ones. */
export function modelWithReplay(model: SceneModel, state: ReplayState): SceneModel {
  return { ...model, alerts: state.alerts.map(alertToItem), incidents: state.incidents.map(incidentToItem) };
}
