/**
 * Plain archived records for the history tests (scenes/history/*.test.ts and the store contract):
 * an incident with a lifecycle, an alert with both axes. Pure.
 */
import type { Alert, Incident, IncidentTransition } from '../domain';
import type { IncidentHistoryQuery, AlertHistoryQuery } from './history-query';

const MINUTE_MS = 60_000;

/** An incident created at `createdTs`; `closed` adds a dispatch → resolve → close lifecycle. */
export function archivedIncident(
  id: string,
  createdTs: number,
  overrides: Partial<Incident> = {},
  lifecycle: { closed?: boolean; handler?: string; note?: string } = {},
): Incident {
  const handler = lifecycle.handler ?? 'handler1';
  const history: IncidentTransition[] = [
    { action: 'create', from: null, to: 'reported', actor: 'officer1', ts: createdTs, commandId: `${id}-c0`, note: lifecycle.note },
  ];
  let state: Incident['state'] = 'reported';
  let closedTs: number | undefined;
  let resolvedTs: number | undefined;
  if (lifecycle.closed) {
    history.push(
      {
        action: 'dispatch',
        from: 'reported',
        to: 'dispatched',
        actor: 'officer1',
        ts: createdTs + MINUTE_MS,
        commandId: `${id}-c1`,
        assignees: [handler],
      },
      {
        action: 'resolve',
        from: 'dispatched',
        to: 'resolved',
        actor: handler,
        ts: createdTs + 20 * MINUTE_MS,
        commandId: `${id}-c2`,
        note: '已处置',
      },
      { action: 'close', from: 'resolved', to: 'closed', actor: 'officer1', ts: createdTs + 30 * MINUTE_MS, commandId: `${id}-c3` },
    );
    state = 'closed';
    resolvedTs = createdTs + 20 * MINUTE_MS;
    closedTs = createdTs + 30 * MINUTE_MS;
  }
  return {
    id,
    version: history.length,
    state,
    priority: 'P3',
    level: 'yellow',
    scene: 'water',
    category: 'waterlogging',
    title: '市北区积水',
    district: '370203',
    location: [120.38, 36.09],
    source: 'manual',
    alertIds: [],
    assignees: lifecycle.closed ? [handler] : [],
    escalated: false,
    createdTs,
    updatedTs: history[history.length - 1]!.ts,
    slaDueTs: createdTs + 240 * MINUTE_MS,
    slaResponseDueTs: createdTs + 30 * MINUTE_MS,
    ...(resolvedTs !== undefined ? { resolvedTs } : {}),
    ...(closedTs !== undefined ? { closedTs, outcome: 'resolved' as const } : {}),
    reportedBy: 'officer1',
    photos: [],
    history,
    ...overrides,
  };
}

/** An alert first seen at `firstTs`; `finished` clears and acknowledges it 10 minutes later. */
export function archivedAlert(id: string, firstTs: number, overrides: Partial<Alert> = {}, finished = false): Alert {
  return {
    id,
    deviceId: 'wl-0001',
    deviceKind: 'water-level',
    ruleId: 'water-level.high',
    scene: 'water',
    district: '370203',
    location: [120.38, 36.09],
    level: 'yellow',
    peakLevel: 'yellow',
    cleared: finished,
    acknowledged: finished,
    firstTs,
    lastTs: firstTs + 5 * MINUTE_MS,
    ...(finished ? { clearedTs: firstTs + 10 * MINUTE_MS, ackTs: firstTs + 8 * MINUTE_MS, ackBy: 'officer1' } : {}),
    count: 3,
    title: '河道水位超警戒',
    titleEn: 'River above warning level',
    ...overrides,
  };
}

/** A query with the defaults the REST schema gives (newest first, created time, 50 a page). */
export function incidentQuery(q: Partial<IncidentHistoryQuery> = {}): IncidentHistoryQuery {
  return { timeField: 'created', sort: 'time_desc', limit: 50, ...q };
}

export function alertQuery(q: Partial<AlertHistoryQuery> = {}): AlertHistoryQuery {
  return { timeField: 'created', sort: 'time_desc', limit: 50, ...q };
}
