/**
 * Matching, ordering and paging of archived incidents and alerts against a history query
 * (history-query.ts). Pure: both history stores (memory and Redis) answer with these functions,
 * so they agree record for record.
 *
 * Orders (ties broken by id, so every order is total and a cursor is exact):
 * - `time_desc`: newest first on the query's time field, then id descending;
 * - `time_asc`:  oldest first, then id ascending;
 * - `priority`:  P1 (alerts: red, on the worst level reached) first, then newest first, then id descending.
 * A search on the closed time (`timeField: 'closed'`) sees only records that have one.
 */
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { polygon as turfPolygon } from '@turf/helpers';
import type { Feature, Polygon } from 'geojson';
import { ALERT_LEVEL_RANK, type Alert, type Incident, type LngLat, type Priority } from '../domain';
import { alertInState } from '../storm/alert-filter';
import {
  decodeCursor,
  encodeCursor,
  type AlertHistoryQuery,
  type HistoryPage,
  type HistorySort,
  type HistorySortKey,
  type HistoryTimeField,
  type IncidentHistoryQuery,
} from './history-query';

export const PRIORITY_RANK: Record<Priority, 1 | 2 | 3 | 4> = { P1: 1, P2: 2, P3: 3, P4: 4 };

/** The time a query's time field reads on an incident, or undefined (not closed yet). */
export function incidentTime(i: Incident, field: HistoryTimeField): number | undefined {
  return field === 'created' ? i.createdTs : i.closedTs;
}

/** The time a query's time field reads on an alert: first seen, or cleared (undefined while active). */
export function alertTime(a: Alert, field: HistoryTimeField): number | undefined {
  return field === 'created' ? a.firstTs : a.clearedTs;
}

export function incidentSortKey(i: Incident, q: Pick<IncidentHistoryQuery, 'sort' | 'timeField'>): HistorySortKey {
  return [q.sort === 'priority' ? PRIORITY_RANK[i.priority] : 0, incidentTime(i, q.timeField) ?? 0, i.id];
}

export function alertSortKey(a: Alert, q: Pick<AlertHistoryQuery, 'sort' | 'timeField'>): HistorySortKey {
  return [q.sort === 'priority' ? ALERT_LEVEL_RANK[a.peakLevel] : 0, alertTime(a, q.timeField) ?? 0, a.id];
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` comes before `b` in the sort's order. */
export function compareSortKeys(sort: HistorySort, a: HistorySortKey, b: HistorySortKey): number {
  switch (sort) {
    case 'time_asc':
      return a[1] - b[1] || compareIds(a[2], b[2]);
    case 'time_desc':
      return b[1] - a[1] || compareIds(b[2], a[2]);
    case 'priority':
      return a[0] - b[0] || b[1] - a[1] || compareIds(b[2], a[2]);
    default: {
      const unreachable: never = sort;
      return unreachable;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// area

const polygons = new WeakMap<readonly LngLat[], Feature<Polygon>>();

/** The query's ring as a turf polygon (closed if the caller left it open), built once per ring. */
function polygonOf(ring: readonly LngLat[]): Feature<Polygon> {
  let p = polygons.get(ring);
  if (!p) {
    const first = ring[0]!;
    const last = ring[ring.length - 1]!;
    const closed = first[0] === last[0] && first[1] === last[1] ? [...ring] : [...ring, first];
    p = turfPolygon([closed.map(([lng, lat]) => [lng, lat])]);
    polygons.set(ring, p);
  }
  return p;
}

function inArea(location: LngLat, q: Pick<IncidentHistoryQuery, 'bbox' | 'polygon'>): boolean {
  if (q.bbox) {
    const [w, s, e, n] = q.bbox;
    if (location[0] < w || location[0] > e || location[1] < s || location[1] > n) return false;
  }
  return !q.polygon || booleanPointInPolygon([location[0], location[1]], polygonOf(q.polygon));
}

function inTimeRange(t: number | undefined, q: Pick<IncidentHistoryQuery, 'from' | 'to' | 'timeField'>): boolean {
  if (t === undefined) return false;
  return (q.from === undefined || t >= q.from) && (q.to === undefined || t <= q.to);
}

function containsText(haystack: readonly (string | undefined)[], needle: string): boolean {
  // Chinese has no word breaks: a case-insensitive substring is the right match
  const n = needle.toLowerCase();
  return haystack.some((h) => h !== undefined && h.toLowerCase().includes(n));
}

// ---------------------------------------------------------------------------------------------
// incidents

/** Is or was `username` assigned to the incident (any step's assignees)? */
export function wasAssigned(i: Incident, username: string): boolean {
  return i.assignees.includes(username) || i.history.some((t) => t.assignees?.includes(username) === true);
}

export function incidentMatches(i: Incident, q: IncidentHistoryQuery): boolean {
  if (!inTimeRange(incidentTime(i, q.timeField), q)) return false;
  if (q.scenes && !q.scenes.includes(i.scene)) return false;
  if (q.districts && !q.districts.includes(i.district)) return false;
  if (q.categories && !q.categories.includes(i.category)) return false;
  if (q.priorities && !q.priorities.includes(i.priority)) return false;
  if (q.levels && (i.level === null || !q.levels.includes(i.level))) return false;
  if (q.states && !q.states.includes(i.state)) return false;
  if (q.outcomes && (i.outcome === undefined || !q.outcomes.includes(i.outcome))) return false;
  if (q.assignee !== undefined && !wasAssigned(i, q.assignee)) return false;
  if (q.involves !== undefined && i.reportedBy !== q.involves && !wasAssigned(i, q.involves)) return false;
  if (q.text !== undefined) {
    const texts = [i.id, i.title, i.titleEn, i.outcomeReason, i.resolution?.summary, ...i.history.map((t) => t.note)];
    if (!containsText(texts, q.text)) return false;
  }
  return inArea(i.location, q);
}

// ---------------------------------------------------------------------------------------------
// alerts

export function alertMatches(a: Alert, q: AlertHistoryQuery): boolean {
  if (!inTimeRange(alertTime(a, q.timeField), q)) return false;
  if (q.scenes && !q.scenes.includes(a.scene)) return false;
  if (q.districts && !q.districts.includes(a.district)) return false;
  if (q.deviceKinds && !q.deviceKinds.includes(a.deviceKind)) return false;
  if (q.levels && !q.levels.includes(a.peakLevel)) return false;
  if (q.state && !alertInState(a, q.state)) return false;
  if (q.acknowledgedBy !== undefined && a.ackBy !== q.acknowledgedBy) return false;
  if (q.deviceId !== undefined && a.deviceId !== q.deviceId) return false;
  if (q.text !== undefined && !containsText([a.id, a.title, a.titleEn, a.deviceId], q.text)) return false;
  return inArea(a.location, q);
}

// ---------------------------------------------------------------------------------------------
// paging

/**
 * Where a page starts: after the cursor's key, or after `offset` matching records. A cursor that
 * is not ours is refused by the caller before this (E_VALIDATION), so here it is valid or absent.
 */
export interface PageStart {
  after: HistorySortKey | null;
  skip: number;
}

export function pageStartOf(q: Pick<IncidentHistoryQuery, 'cursor' | 'offset'>): PageStart {
  return { after: q.cursor === undefined ? null : decodeCursor(q.cursor), skip: q.cursor === undefined ? (q.offset ?? 0) : 0 };
}

/**
 * One page from every record at hand (the memory store; tests): match, order, resume after the
 * cursor or skip the offset, take `limit`. `nextCursor` is set when another record matches after
 * the page.
 */
export function pageOf<T>(
  all: Iterable<T>,
  q: Pick<IncidentHistoryQuery, 'sort' | 'limit' | 'cursor' | 'offset'>,
  matches: (record: T) => boolean,
  keyOf: (record: T) => HistorySortKey,
): HistoryPage<T> {
  const start = pageStartOf(q);
  let scanned = 0;
  const keyed: { key: HistorySortKey; record: T }[] = [];
  for (const record of all) {
    scanned++;
    if (!matches(record)) continue;
    const key = keyOf(record);
    if (start.after && compareSortKeys(q.sort, key, start.after) <= 0) continue;
    keyed.push({ key, record });
  }
  keyed.sort((a, b) => compareSortKeys(q.sort, a.key, b.key));
  const page = keyed.slice(start.skip, start.skip + q.limit);
  const more = keyed.length > start.skip + q.limit;
  const last = page[page.length - 1];
  return {
    records: page.map((k) => k.record),
    ...(more && last ? { nextCursor: encodeCursor(last.key) } : {}),
    complete: true,
    scanned,
  };
}
