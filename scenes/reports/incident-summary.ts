/**
 * The after-action summary of one incident (事件总结, issue 16): its timeline, who did what and
 * when, the readings behind it, photos and the outcome — one printable page. Pure: the caller
 * loads the incident, its readings and alerts.
 */
import type { Alert, DeviceKind, Incident, IncidentAction, IncidentState, Reading } from '../domain';
import { wasResolvedOnTime } from '../incident-rules';
import { type ReportOutcome, type TimingMilestone, TIMING_MILESTONES, incidentOutcome, milestoneMs } from './build-report';

export interface TimelineStep {
  /** epoch ms */
  ts: number;
  /** ms since the incident was created */
  sinceCreatedMs: number;
  action: IncidentAction;
  from: IncidentState | null;
  to: IncidentState;
  actor: string;
  note?: string;
  assignees?: string[];
}

/** One person's part: their steps in order. */
export interface PersonPart {
  actor: string;
  actions: { action: IncidentAction; ts: number }[];
}

/** One metric of the readings behind the incident. */
export interface MetricSummary {
  metric: string;
  count: number;
  min: number;
  max: number;
  /** the value at the first and the last reading */
  first: number;
  last: number;
  /** epoch ms of the maximum */
  maxTs: number;
}

export interface IncidentSummary {
  incident: Pick<
    Incident,
    | 'id'
    | 'title'
    | 'titleEn'
    | 'scene'
    | 'category'
    | 'district'
    | 'location'
    | 'priority'
    | 'level'
    | 'source'
    | 'state'
    | 'createdTs'
    | 'resolvedTs'
    | 'closedTs'
    | 'reportedBy'
    | 'deviceId'
    | 'assignees'
  >;
  outcome: ReportOutcome;
  outcomeReason: string | null;
  resolution: Incident['resolution'] | null;
  sla: { slaResponseDueTs: number; slaDueTs: number; resolvedOnTime: boolean | null };
  /** ms from creation to each milestone; null when never reached */
  timings: Record<TimingMilestone, number | null>;
  timeline: TimelineStep[];
  people: PersonPart[];
  /** photo ids as the incident holds them and where to fetch them (`/api/photos/:id`, with the session) */
  photos: { id: string; url: string }[];
  alerts: Pick<Alert, 'id' | 'deviceId' | 'level' | 'peakLevel' | 'title' | 'firstTs' | 'lastTs' | 'clearedTs' | 'value' | 'metric'>[];
  readings: {
    deviceId: string | null;
    deviceKind: DeviceKind | null;
    fromTs: number;
    toTs: number;
    count: number;
    metrics: MetricSummary[];
    /** the readings themselves, oldest first (bounded by the caller) */
    series: Reading[];
  };
}

export interface IncidentSummaryInput {
  incident: Incident;
  alerts: readonly Alert[];
  readings: { deviceId: string | null; deviceKind: DeviceKind | null; fromTs: number; toTs: number; readings: readonly Reading[] };
  /** the photo URL for an id */
  photoUrl?: (id: string) => string;
}

export function summariseMetrics(readings: readonly Reading[]): MetricSummary[] {
  const out = new Map<string, MetricSummary>();
  for (const r of readings) {
    for (const [metric, value] of Object.entries(r.metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const m = out.get(metric);
      if (!m) {
        out.set(metric, { metric, count: 1, min: value, max: value, first: value, last: value, maxTs: r.ts });
        continue;
      }
      m.count += 1;
      m.min = Math.min(m.min, value);
      if (value > m.max) {
        m.max = value;
        m.maxTs = r.ts;
      }
      m.last = value;
    }
  }
  return [...out.values()].sort((a, b) => a.metric.localeCompare(b.metric));
}

export function buildIncidentSummary(input: IncidentSummaryInput): IncidentSummary {
  const i = input.incident;
  const photoUrl = input.photoUrl ?? ((id: string) => `/api/photos/${encodeURIComponent(id)}`);
  const timeline: TimelineStep[] = [...i.history]
    .sort((a, b) => a.ts - b.ts)
    .map((t) => ({
      ts: t.ts,
      sinceCreatedMs: t.ts - i.createdTs,
      action: t.action,
      from: t.from,
      to: t.to,
      actor: t.actor,
      ...(t.note ? { note: t.note } : {}),
      ...(t.assignees ? { assignees: [...t.assignees] } : {}),
    }));
  const people = new Map<string, PersonPart>();
  for (const step of timeline) {
    const part = people.get(step.actor) ?? { actor: step.actor, actions: [] };
    part.actions.push({ action: step.action, ts: step.ts });
    people.set(step.actor, part);
  }
  const timings = {} as Record<TimingMilestone, number | null>;
  for (const m of TIMING_MILESTONES) timings[m] = milestoneMs(i, m);
  const sorted = [...input.readings.readings].sort((a, b) => a.ts - b.ts);
  return {
    incident: {
      id: i.id,
      title: i.title,
      ...(i.titleEn !== undefined ? { titleEn: i.titleEn } : {}),
      scene: i.scene,
      category: i.category,
      district: i.district,
      location: i.location,
      priority: i.priority,
      level: i.level,
      source: i.source,
      state: i.state,
      createdTs: i.createdTs,
      ...(i.resolvedTs !== undefined ? { resolvedTs: i.resolvedTs } : {}),
      ...(i.closedTs !== undefined ? { closedTs: i.closedTs } : {}),
      reportedBy: i.reportedBy,
      ...(i.deviceId !== undefined ? { deviceId: i.deviceId } : {}),
      assignees: [...i.assignees],
    },
    outcome: incidentOutcome(i),
    outcomeReason: i.outcomeReason ?? null,
    resolution: i.resolution ?? null,
    sla: { slaResponseDueTs: i.slaResponseDueTs, slaDueTs: i.slaDueTs, resolvedOnTime: i.resolvedTs === undefined ? null : wasResolvedOnTime(i) },
    timings,
    timeline,
    people: [...people.values()],
    photos: i.photos.map((id) => ({ id, url: photoUrl(id) })),
    alerts: input.alerts
      .filter((a) => i.alertIds.includes(a.id))
      .map((a) => ({
        id: a.id,
        deviceId: a.deviceId,
        level: a.level,
        peakLevel: a.peakLevel,
        title: a.title,
        firstTs: a.firstTs,
        lastTs: a.lastTs,
        ...(a.clearedTs !== undefined ? { clearedTs: a.clearedTs } : {}),
        ...(a.value !== undefined ? { value: a.value } : {}),
        ...(a.metric !== undefined ? { metric: a.metric } : {}),
      })),
    readings: {
      deviceId: input.readings.deviceId,
      deviceKind: input.readings.deviceKind,
      fromTs: input.readings.fromTs,
      toTs: input.readings.toTs,
      count: sorted.length,
      metrics: summariseMetrics(sorted),
      series: sorted,
    },
  };
}
