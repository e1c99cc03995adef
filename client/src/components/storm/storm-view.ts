/**
 * How storm-operation facts of an incident read on screen, computed purely: outcome and resolution
 * labels, the 督办 badge (shown until its deadline or the incident's resolution — the rule lives in
 * scenes/storm/escalation-ladder.ts), overdue incidents for the wall, what an officer may do
 * here (close unresolved, merge, split, 督办) and what a handler is told when a task went away.
 */
import {
  RESOLUTION_CATEGORIES,
  UNRESOLVED_OUTCOMES,
  type Incident,
  type IncidentOutcome,
  type IncidentTransition,
  type ResolutionCategory,
  type UnresolvedOutcome,
} from '@scenes/domain';
import type { IncidentItem } from '@scenes/scene-model';
import { isIncidentInProgress, isIncidentOpen, isResolutionOverdue } from '@scenes/incident-rules';
import type { Actor } from '@scenes/incident-machine';
import { CLOSE_UNRESOLVED_FROM, CLOSE_UNRESOLVED_ROLES } from '@scenes/storm/close-unresolved';
import { DEDUP_ROLES, findDuplicateIncident, DEFAULT_DEDUP_CONFIG, type DedupCandidate, type DedupConfig } from '@scenes/storm/incident-dedup';
import { SUPERVISION_ROLES, isSupervisionActive } from '@scenes/storm/escalation-ladder';
import { lang, type Lang } from '../../i18n/i18n';
import { st, type StormKey } from './messages';

export { RESOLUTION_CATEGORIES, UNRESOLVED_OUTCOMES };

export function outcomeKey(outcome: IncidentOutcome): StormKey {
  return `storm.outcome.${outcome}`;
}

export function resolutionKey(category: ResolutionCategory): StormKey {
  return `storm.res.${category}`;
}

export function isUnresolvedOutcome(value: unknown): value is UnresolvedOutcome {
  return typeof value === 'string' && (UNRESOLVED_OUTCOMES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// 督办

export interface SupervisionBadgeView {
  /** epoch ms */
  deadlineTs: number;
  /** ms until the deadline (> 0 while shown) */
  leftMs: number;
  by: string;
  /** the leader's note ('' where it is not sent: the walls) */
  note: string;
}

/** What the badge needs: an incident, or a wall's incident item (its supervision has no note). */
export interface SupervisedLike {
  id: string;
  state: Incident['state'];
  supervision?: { by: string; deadlineTs: number; note?: string; startedTs?: number };
}

/** The 督办 badge of an incident at `nowTs`, or null when it has none or it no longer shows. */
export function supervisionBadge(incident: SupervisedLike, nowTs: number): SupervisionBadgeView | null {
  const s = incident.supervision;
  if (!s) return null;
  const supervision = { incidentId: incident.id, by: s.by, note: s.note ?? '', deadlineTs: s.deadlineTs, startedTs: s.startedTs ?? 0 };
  if (!isSupervisionActive(supervision, incident, nowTs)) return null;
  return { deadlineTs: s.deadlineTs, leftMs: s.deadlineTs - nowTs, by: s.by, note: supervision.note };
}

// ---------------------------------------------------------------------------------------------
// the wall

export interface OverdueRow {
  item: IncidentItem;
  /** ms past the resolution deadline (> 0) */
  overdueMs: number;
}

/** Incidents in progress past their resolution deadline, the longest overdue first. */
export function overdueIncidents(items: readonly IncidentItem[], nowTs: number, limit: number): OverdueRow[] {
  return items
    .filter((i) => isResolutionOverdue(i, nowTs))
    .map((item) => ({ item, overdueMs: nowTs - item.slaDueTs }))
    .sort((a, b) => b.overdueMs - a.overdueMs || (a.item.id < b.item.id ? -1 : 1))
    .slice(0, Math.max(0, limit));
}

// ---------------------------------------------------------------------------------------------
// what the officer may do here (the server checks again; these only decide what is shown)

export interface StormPermissions {
  closeUnresolved: boolean;
  /** merge another incident into this one, or split an alert out */
  mergeSplit: boolean;
  supervise: boolean;
  /** a normal close (核实办结) can carry a resolution category and summary */
  resolveClose: boolean;
}

export function stormPermissions(actor: Actor, incident: Pick<Incident, 'state'>, canClose: boolean): StormPermissions {
  const inProgress = isIncidentInProgress(incident);
  return {
    closeUnresolved: CLOSE_UNRESOLVED_ROLES.includes(actor.role) && CLOSE_UNRESOLVED_FROM.includes(incident.state),
    mergeSplit: DEDUP_ROLES.includes(actor.role) && inProgress,
    supervise: SUPERVISION_ROLES.includes(actor.role) && inProgress,
    resolveClose: canClose,
  };
}

/**
 * Open incidents of `candidate`'s category within its 查重 radius and window, nearest first (the
 * rule is scenes/storm/incident-dedup.ts findDuplicateIncident, asked again without each answer).
 */
export function nearbyOpenIncidents<T extends Incident>(
  candidate: DedupCandidate,
  all: Iterable<T>,
  limit: number,
  config: DedupConfig = DEFAULT_DEDUP_CONFIG,
): { incident: T; distanceM: number }[] {
  const out: { incident: T; distanceM: number }[] = [];
  const pool = [...all].filter((i) => isIncidentInProgress(i));
  while (out.length < limit) {
    const next = findDuplicateIncident(candidate, pool, config);
    if (!next) break;
    out.push(next);
    pool.splice(pool.indexOf(next.incident), 1);
  }
  return out;
}

/** Open incidents of the same category near `incident`, nearest first (candidates to merge into it). */
export function mergeCandidates<T extends Incident>(
  incident: T,
  all: Iterable<T>,
  limit: number,
  config: DedupConfig = DEFAULT_DEDUP_CONFIG,
): { incident: T; distanceM: number }[] {
  const others = [...all].filter((i) => i.id !== incident.id);
  return nearbyOpenIncidents({ category: incident.category, location: incident.location, ts: incident.createdTs }, others, limit, config);
}

/** "350 m" / "1.2 km". */
export function formatDistance(distanceM: number): string {
  return distanceM >= 1000 ? `${(distanceM / 1000).toFixed(1)} km` : `${Math.round(distanceM)} m`;
}

// ---------------------------------------------------------------------------------------------
// the timeline

/**
 * Extra lines a timeline shows under a step: the outcome and reason of an unresolved close, the
 * survivor of a merge, the resolution of a normal close (only the newest close carries the
 * incident's current outcome).
 */
export function historyExtras(
  step: IncidentTransition,
  incident: Pick<Incident, 'outcome' | 'outcomeReason' | 'mergedInto' | 'resolution'>,
  isLatestClose: boolean,
  language: Lang = lang.value,
): string[] {
  const out: string[] = [];
  if (step.action === 'merged_into' && incident.mergedInto) out.push(st('storm.mergedInto', { id: incident.mergedInto }, language));
  const unresolvedClose = step.action === 'close_unresolved' || step.action === 'merged_into';
  if (unresolvedClose && isLatestClose && incident.outcome && incident.outcome !== 'resolved') {
    out.push(st('storm.history.outcome', { outcome: st(outcomeKey(incident.outcome), undefined, language) }, language));
    if (incident.outcomeReason && !(step.note ?? '').includes(incident.outcomeReason))
      out.push(st('storm.history.reason', { reason: incident.outcomeReason }, language));
  }
  if (step.action === 'close' && isLatestClose && incident.resolution) {
    const category = st(resolutionKey(incident.resolution.category), undefined, language);
    out.push(incident.resolution.summary ? st('storm.history.resolution', { category, summary: incident.resolution.summary }, language) : category);
  }
  return out;
}

/**
 * A history note as people read it: the server records an unresolved close as
 * `<outcome>: <reason>` (a stable code for exports); the timeline shows the outcome's label.
 */
export function historyNote(step: Pick<IncidentTransition, 'action' | 'note'>, language: Lang = lang.value): string | undefined {
  const note = step.note;
  if (note === undefined || step.action !== 'close_unresolved') return note;
  const m = /^([a-z_]+): ([\s\S]*)$/.exec(note);
  if (!m || !isUnresolvedOutcome(m[1])) return note;
  return `${st(outcomeKey(m[1]), undefined, language)}${language === 'en' ? ': ' : '：'}${m[2]}`;
}

/** Index (in `history` order) of the newest step that closed the incident, or -1. */
export function latestCloseIndex(history: readonly Pick<IncidentTransition, 'to'>[]): number {
  for (let i = history.length - 1; i >= 0; i--) if (history[i].to === 'closed') return i;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// the handler's phone

export type TaskGoneNotice =
  | { kind: 'closed'; incidentId: string; title: string; outcome: UnresolvedOutcome; reason: string }
  | { kind: 'merged'; incidentId: string; title: string; survivorId: string; reason: string };

/**
 * What to tell a handler when a push closed a task of theirs without resolving it (false alarm,
 * duplicate, cancelled or merged away): a notice, not an error. Null for anything else.
 */
export function taskGoneNotice(incident: Incident, previous: Incident | undefined, username: string): TaskGoneNotice | null {
  if (!previous || !isIncidentOpen(previous) || incident.state !== 'closed') return null;
  if (!previous.assignees.includes(username) && !incident.assignees.includes(username)) return null;
  if (!isUnresolvedOutcome(incident.outcome)) return null;
  const reason = incident.outcomeReason ?? '';
  if (incident.mergedInto) return { kind: 'merged', incidentId: incident.id, title: incident.title, survivorId: incident.mergedInto, reason };
  return { kind: 'closed', incidentId: incident.id, title: incident.title, outcome: incident.outcome, reason };
}

/** Closed without being resolved (false alarm, duplicate, cancelled, merged away). */
export function isClosedUnresolved(incident: Pick<Incident, 'state' | 'outcome'> | undefined): boolean {
  return !!incident && incident.state === 'closed' && isUnresolvedOutcome(incident.outcome);
}

/**
 * An outbox action the server refused because its task had been closed unresolved meanwhile
 * (the handler accepted a false alarm while offline): the notice explains it, no error is shown.
 */
export function isRefusedForGoneTask(
  command: { incidentId?: string } | object,
  incidents: ReadonlyMap<string, Pick<Incident, 'state' | 'outcome'>>,
): boolean {
  const id = 'incidentId' in command ? command.incidentId : undefined;
  return typeof id === 'string' && isClosedUnresolved(incidents.get(id));
}

/** Beijing time (UTC+8, no daylight saving), ms: deadlines are typed as Beijing wall-clock time. */
const BEIJING_OFFSET_MS = 8 * 60 * 60_000;

/** A `datetime-local` value ('2025-07-15T10:30') of `ts` (epoch ms) on the Beijing wall clock. */
export function beijingInputValue(ts: number): string {
  return new Date(ts + BEIJING_OFFSET_MS).toISOString().slice(0, 16);
}

/** Epoch ms of a `datetime-local` value read on the Beijing wall clock; NaN when malformed. */
export function tsOfBeijingInput(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return Number.NaN;
  return Date.parse(`${value}:00Z`) - BEIJING_OFFSET_MS;
}
