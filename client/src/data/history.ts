/**
 * The long history for the console's 历史 view (issue 16; server: GET /api/history/incidents,
 * /api/history/alerts, /api/history/incidents/:id — server/history/history-search-router.ts).
 * The form below is the page's state; `historyQueryString` turns it into the query the server
 * validates (scenes/history/history-query.ts), and the server narrows it to the caller's scope.
 */
import type { AlertLevel, DistrictCode, IncidentState, LngLat, Priority, SceneId } from '@scenes/domain';
import type { AlertHistoryAnswer, IncidentHistoryAnswer, IncidentHistoryDetail } from '@scenes/history/history-answers';
import type { Bbox, HistorySort, HistoryTimeField } from '@scenes/history/history-query';
import type { AlertStateFilter } from '@scenes/storm/alert-filter';
import { call, type ApiResult } from './rest';

export type HistoryKind = 'incidents' | 'alerts';
export type TimePreset = 'today' | '7d' | '30d' | 'custom';
export const TIME_PRESETS = ['today', '7d', '30d', 'custom'] as const satisfies readonly TimePreset[];

const DAY_MS = 24 * 3600_000;
/** Records per page the view asks for (the server's most is 200). */
export const HISTORY_VIEW_PAGE_RECORDS = 50;

/** The search form; empty strings and nulls mean "any". */
export interface HistoryFilterForm {
  kind: HistoryKind;
  preset: TimePreset;
  /** epoch ms, used with `preset: 'custom'` */
  from: number | null;
  to: number | null;
  timeField: HistoryTimeField;
  scene: SceneId | '';
  /** incidents: the category; alerts: the device kind */
  category: string;
  district: DistrictCode | '';
  level: AlertLevel | '';
  priority: Priority | '';
  /** incidents: an IncidentState; alerts: an AlertStateFilter */
  state: IncidentState | AlertStateFilter | '';
  outcome: 'resolved' | 'false_alarm' | 'duplicate' | 'cancelled' | '';
  /** incidents: assigned now or ever; alerts: acknowledged by */
  person: string;
  text: string;
  bbox: Bbox | null;
  /** an open ring of [lng, lat] (the server closes it), 3 to HISTORY_POLYGON_MAX_VERTICES vertices */
  polygon: LngLat[] | null;
  sort: HistorySort;
}

export const EMPTY_HISTORY_FILTER: HistoryFilterForm = {
  kind: 'incidents',
  preset: '7d',
  from: null,
  to: null,
  timeField: 'created',
  scene: '',
  category: '',
  district: '',
  level: '',
  priority: '',
  state: '',
  outcome: '',
  person: '',
  text: '',
  bbox: null,
  polygon: null,
  sort: 'time_desc',
};

/** Beijing time (UTC+8, no daylight saving): the console's clock whatever the browser's zone. */
const BEIJING_OFFSET_MS = 8 * 3600_000;

/** The time range of a preset at `nowTs` (today: since midnight, Beijing time). */
export function presetRange(f: Pick<HistoryFilterForm, 'preset' | 'from' | 'to'>, nowTs: number): { from: number | null; to: number | null } {
  switch (f.preset) {
    case 'today':
      return { from: Math.floor((nowTs + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS, to: nowTs };
    case '7d':
      return { from: nowTs - 7 * DAY_MS, to: nowTs };
    case '30d':
      return { from: nowTs - 30 * DAY_MS, to: nowTs };
    case 'custom':
      return { from: f.from, to: f.to };
    default: {
      const unreachable: never = f.preset;
      return unreachable;
    }
  }
}

/** `minLng,minLat,maxLng,maxLat` typed by hand → a bbox, or null when it is not one. */
export function parseBbox(text: string): Bbox | null {
  const parts = text.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x))) return null;
  const [w, s, e, n] = parts as Bbox;
  return w <= e && s <= n && Math.abs(w) <= 180 && Math.abs(e) <= 180 && Math.abs(s) <= 90 && Math.abs(n) <= 90 ? [w, s, e, n] : null;
}

/** A bbox as the server reads it: `minLng,minLat,maxLng,maxLat`. */
export function bboxParam(b: Bbox): string {
  return b.join(',');
}

/** A ring as the server reads it: `lng,lat;lng,lat;…`. */
export function polygonParam(ring: readonly LngLat[]): string {
  return ring.map((p) => p.join(',')).join(';');
}

/** The query string of the filled-in filters for the form's kind. */
export function historyQueryString(f: HistoryFilterForm, nowTs: number, extra: { cursor?: string; limit?: number } = {}): string {
  const q = new URLSearchParams();
  const { from, to } = presetRange(f, nowTs);
  if (from !== null) q.set('from', String(Math.round(from)));
  if (to !== null) q.set('to', String(Math.round(to)));
  if (f.timeField !== 'created') q.set('timeField', f.timeField);
  if (f.scene) q.set('scene', f.scene);
  if (f.district) q.set('district', f.district);
  if (f.level) q.set('level', f.level);
  const text = f.text.trim();
  if (text) q.set('text', text);
  if (f.bbox) q.set('bbox', bboxParam(f.bbox));
  if (f.polygon) q.set('polygon', polygonParam(f.polygon));
  if (f.sort !== 'time_desc') q.set('sort', f.sort);
  const person = f.person.trim();
  const category = f.category.trim();
  if (f.kind === 'incidents') {
    if (category) q.set('category', category);
    if (f.priority) q.set('priority', f.priority);
    if (f.state) q.set('state', f.state);
    if (f.outcome) q.set('outcome', f.outcome);
    if (person) q.set('assignee', person);
  } else {
    if (category) q.set('kind', category);
    if (f.state) q.set('state', f.state);
    if (person) q.set('acknowledgedBy', person);
  }
  if (extra.cursor) q.set('cursor', extra.cursor);
  q.set('limit', String(extra.limit ?? HISTORY_VIEW_PAGE_RECORDS));
  return q.toString();
}

export function fetchIncidentHistory(token: string, f: HistoryFilterForm, nowTs: number, cursor?: string): Promise<ApiResult<IncidentHistoryAnswer>> {
  return call(token, `/api/history/incidents?${historyQueryString({ ...f, kind: 'incidents' }, nowTs, { cursor })}`);
}

export function fetchAlertHistory(token: string, f: HistoryFilterForm, nowTs: number, cursor?: string): Promise<ApiResult<AlertHistoryAnswer>> {
  return call(token, `/api/history/alerts?${historyQueryString({ ...f, kind: 'alerts' }, nowTs, { cursor })}`);
}

export function fetchIncidentHistoryDetail(token: string, id: string): Promise<ApiResult<IncidentHistoryDetail>> {
  return call(token, `/api/history/incidents/${encodeURIComponent(id)}`);
}
