/**
 * Incidents for people who act on them (console, phone, briefing): the full list from
 * `incidents:list`, then `incident:update` pushes; a reconnect re-fetches the list (pushes missed
 * while away are not replayed by the server). Commands go through the live socket (acked) or,
 * from the phone's offline queue, through `POST /api/commands` (see offline-queue.ts).
 *
 * Ordering and filtering of the officer's queue are pure functions here, tested without a browser.
 */
import type { Incident, IncidentState, Priority, SceneId, DistrictCode } from '@scenes/domain';
import { PRIORITIES } from '@scenes/domain';
import { isIncidentOpen, nextSlaDeadline } from '@scenes/incident-rules';
import { CommandSchema } from '@scenes/protocol';
import type { Command, CommandResult } from '@scenes/protocol';
import type { LiveTransport } from '../connection';

export type IncidentMap = ReadonlyMap<string, Incident>;

export interface IncidentFeedEvents {
  /** the whole map after any change */
  onChange(incidents: IncidentMap): void;
  /** an incident seen for the first time through a push (not in the initial list) */
  onNew?(incident: Incident): void;
  /** any pushed change (new or updated) */
  onUpdate?(incident: Incident, previous: Incident | undefined): void;
}

/**
 * Subscribe to the incidents this user may see. The map never moves an incident back to an older
 * version (a late list answer must not undo a newer push). Returns the unsubscribe.
 */
export function subscribeIncidents(transport: LiveTransport, events: IncidentFeedEvents): () => void {
  const map = new Map<string, Incident>();
  let closed = false;
  const put = (incident: Incident): Incident | undefined | false => {
    const prev = map.get(incident.id);
    if (prev && prev.version >= incident.version) return false;
    map.set(incident.id, incident);
    return prev;
  };
  const load = async () => {
    const r = await transport.request('incidents:list', {});
    if (closed || !r.ok) return;
    for (const i of r.incidents) put(i);
    events.onChange(map);
  };
  const offUpdate = transport.on('incident:update', (incident) => {
    const known = map.has(incident.id);
    const prev = put(incident);
    if (prev === false) return;
    if (!known) events.onNew?.(incident);
    events.onUpdate?.(incident, prev);
    events.onChange(map);
  });
  const offConnect = transport.onConnect(() => void load());
  if (transport.getStatus().state === 'connected') void load();
  return () => {
    closed = true;
    offUpdate();
    offConnect();
  };
}

/** Send one command over the live socket; the answer is a value, never a throw. */
export function sendCommand(transport: LiveTransport, command: Command): Promise<CommandResult> {
  return transport.request('command', command);
}

/** A fresh idempotency key (the server accepts `[A-Za-z0-9_-]{8,64}`). */
export function newCommandId(prefix = 'c'): string {
  const rand = globalThis.crypto?.randomUUID?.().replace(/-/g, '') ?? Math.random().toString(36).slice(2) + Date.now().toString(36);
  return `${prefix}-${rand}`.slice(0, 64);
}

// ---------------------------------------------------------------------------------------------
// the officer's queue

/**
 * Queue order: open before closed; escalated and resolved-awaiting-verification stay in their
 * priority; priority P1 first; then the least time left to the next SLA breach; then oldest first.
 */
export function compareQueue(a: Incident, b: Incident): number {
  const openA = isIncidentOpen(a) ? 0 : 1;
  const openB = isIncidentOpen(b) ? 0 : 1;
  if (openA !== openB) return openA - openB;
  const pa = PRIORITIES.indexOf(a.priority);
  const pb = PRIORITIES.indexOf(b.priority);
  if (pa !== pb) return pa - pb;
  const da = nextSlaDeadline(a)?.dueTs ?? Number.POSITIVE_INFINITY;
  const db = nextSlaDeadline(b)?.dueTs ?? Number.POSITIVE_INFINITY;
  if (da !== db) return da - db;
  return a.createdTs - b.createdTs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface QueueFilter {
  scene: SceneId | 'all';
  district: DistrictCode | 'all';
  /** 'open' = every state but closed */
  state: IncidentState | 'open' | 'all';
}

export const DEFAULT_QUEUE_FILTER: QueueFilter = { scene: 'all', district: 'all', state: 'open' };

export function matchesFilter(i: Incident, f: QueueFilter): boolean {
  if (f.scene !== 'all' && i.scene !== f.scene) return false;
  if (f.district !== 'all' && i.district !== f.district) return false;
  if (f.state === 'open') return isIncidentOpen(i);
  return f.state === 'all' || i.state === f.state;
}

/** The officer's queue: filtered, in queue order. */
export function incidentQueue(incidents: Iterable<Incident>, filter: QueueFilter = DEFAULT_QUEUE_FILTER): Incident[] {
  return [...incidents].filter((i) => matchesFilter(i, filter)).sort(compareQueue);
}

/** Priorities as the UI labels them. */
export type { Priority };

/**
 * Whether the command of `type` must carry a note, read from the protocol schema (so the UI asks
 * for a note exactly when the server would refuse one without it).
 */
export function commandNeedsNote(type: Command['type']): boolean {
  const option = CommandSchema.options.find((o) => o.shape.type.value === type);
  const note = option && 'note' in option.shape ? (option.shape.note as { safeParse(v: unknown): { success: boolean } }) : null;
  return note !== null && !note.safeParse(undefined).success;
}
