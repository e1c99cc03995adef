/**
 * An archived alert's history, read from the alert itself: an alert carries the times of each
 * step on its two axes (first seen, last observed, acknowledged by whom, cleared) and its worst
 * level, so the timeline is derived instead of stored twice. Pure.
 */
import type { Alert, AlertLevel } from '../domain';

export type AlertTimelineStep =
  | { kind: 'raised'; ts: number }
  | { kind: 'observed'; ts: number; count: number; level: AlertLevel; peakLevel: AlertLevel }
  | { kind: 'acknowledged'; ts: number; by: string }
  | { kind: 'cleared'; ts: number }
  | { kind: 'linked'; incidentId: string };

/** The alert's steps in time order; `linked` (no time recorded) last. */
export function alertTimeline(a: Alert): AlertTimelineStep[] {
  const timed: Exclude<AlertTimelineStep, { kind: 'linked' }>[] = [{ kind: 'raised', ts: a.firstTs }];
  if (a.lastTs > a.firstTs || a.count > 1) timed.push({ kind: 'observed', ts: a.lastTs, count: a.count, level: a.level, peakLevel: a.peakLevel });
  if (a.acknowledged && a.ackTs !== undefined) timed.push({ kind: 'acknowledged', ts: a.ackTs, by: a.ackBy ?? '' });
  if (a.cleared && a.clearedTs !== undefined) timed.push({ kind: 'cleared', ts: a.clearedTs });
  const steps: AlertTimelineStep[] = timed.sort((x, y) => x.ts - y.ts);
  if (a.incidentId !== undefined) steps.push({ kind: 'linked', incidentId: a.incidentId });
  return steps;
}
