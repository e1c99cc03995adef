/**
 * The handler's view of their work, computed purely: which incidents are their tasks, and what
 * each incident will look like once the actions still waiting in the outbox are applied (so a
 * handler can accept and then mark arrival while offline). The state machine decides; the phone
 * never re-encodes the rules.
 */
import type { Incident } from '@scenes/domain';
import { applyIncidentCommand, type Actor } from '@scenes/incident-machine';
import { canSeeIncident, isIncidentOpen } from '@scenes/incident-rules';
import type { QueuedAction } from '../../data/offline-queue';
import { CATEGORY_BY_KIND, DEVICE_CATALOGUE } from '@scenes/catalogue';
import type { SceneId } from '@scenes/domain';
import { startOfLocalDay } from '@scenes/builders/common';

export interface TaskView {
  /** the incident with queued actions applied */
  incident: Incident;
  /** commands for this incident still waiting to be sent */
  waiting: QueuedAction[];
}

/** Incidents with this person's queued actions applied locally, in queue order. */
export function predictIncidents(incidents: ReadonlyMap<string, Incident>, pending: readonly QueuedAction[], actor: Actor): Map<string, TaskView> {
  const out = new Map<string, TaskView>();
  for (const [id, incident] of incidents) out.set(id, { incident, waiting: [] });
  for (const item of pending) {
    const cmd = item.command;
    if (!('incidentId' in cmd)) continue;
    const view = out.get(cmd.incidentId);
    if (!view) continue;
    const r = applyIncidentCommand(view.incident, cmd, actor, item.queuedTs);
    out.set(cmd.incidentId, { incident: r.ok ? r.incident : view.incident, waiting: [...view.waiting, item] });
  }
  return out;
}

/** My tasks: assigned to me and not closed, most urgent first, then newest. Field reports I filed follow. */
export function myTasks(views: Iterable<TaskView>, username: string): TaskView[] {
  const mine = [...views].filter((v) => isIncidentOpen(v.incident) && canSeeIncident({ username, role: 'handler' }, v.incident));
  const rank = (v: TaskView) => (v.incident.assignees.includes(username) ? 0 : 1);
  return mine.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.incident.priority < b.incident.priority ? -1 : a.incident.priority > b.incident.priority ? 1 : 0) ||
      b.incident.updatedTs - a.incident.updatedTs,
  );
}

/**
 * My work finished today (the city's day of `nowTs`): incidents I was assigned that an officer has
 * closed since midnight, newest first — an empty task list still shows the shift's record.
 */
export function doneToday(incidents: Iterable<Incident>, username: string, nowTs: number): Incident[] {
  const dayStart = startOfLocalDay(nowTs);
  return [...incidents]
    .filter((i) => i.state === 'closed' && i.assignees.includes(username) && i.updatedTs >= dayStart && i.updatedTs <= nowTs)
    .sort((a, b) => b.updatedTs - a.updatedTs || (a.id < b.id ? -1 : 1));
}

/** The scene a field report of `category` belongs to (from the device catalogue); default emergency. */
export function sceneForCategory(category: string): SceneId {
  for (const [kind, cat] of Object.entries(CATEGORY_BY_KIND)) {
    if (cat === category) return DEVICE_CATALOGUE[kind as keyof typeof DEVICE_CATALOGUE].scene;
  }
  return 'emergency';
}

/** Did this push hand me a task I did not have before? */
export function isNewAssignment(incident: Incident, previous: Incident | undefined, username: string): boolean {
  return (
    incident.state === 'dispatched' &&
    incident.assignees.includes(username) &&
    !(previous?.assignees.includes(username) && previous.state === 'dispatched')
  );
}
