/**
 * History search queries (issue 16, "History that lasts"): the one definition of what a search of
 * archived incidents and alerts may ask, shared by the REST router, the two history stores and any
 * server-internal caller (reports read a period and district with a larger limit).
 *
 * Two shapes:
 * - `IncidentHistoryQuerySchema` / `AlertHistoryQuerySchema` read a URL query (strings, comma
 *   lists, `bbox=minLng,minLat,maxLng,maxLat`, `polygon=lng,lat;lng,lat;…`, times as epoch ms or
 *   ISO 8601) and give the typed query the stores take;
 * - `IncidentHistoryQuery` / `AlertHistoryQuery` are those typed queries; a server caller may set
 *   `involves` (a handler's own incidents) and a `limit` up to `HISTORY_INTERNAL_MAX_LIMIT`.
 *
 * Pure: no I/O. The cursor is opaque to clients: base64url of the sort key of the last record a
 * search examined, so the next page resumes after it whatever was written meanwhile.
 */
import { z } from 'zod';
import {
  AlertLevelSchema,
  DeviceKindSchema,
  DistrictCodeSchema,
  IncidentStateSchema,
  PrioritySchema,
  SceneIdSchema,
  UNRESOLVED_OUTCOMES,
  type AlertLevel,
  type DeviceKind,
  type DistrictCode,
  type IncidentOutcome,
  type IncidentState,
  type LngLat,
  type Priority,
  type SceneId,
} from '../domain';
import { ALERT_STATE_FILTERS, type AlertStateFilter } from '../storm/alert-filter';

/** Most records one REST page holds. */
export const HISTORY_PAGE_MAX_LIMIT = 200;
export const HISTORY_PAGE_DEFAULT_LIMIT = 50;
/** Most records one server-internal search (a report over a period) may ask for in one call. */
export const HISTORY_INTERNAL_MAX_LIMIT = 10_000;
/** Most vertices of a search polygon (a hand-drawn area, not a district boundary file). */
export const HISTORY_POLYGON_MAX_VERTICES = 500;
/** Longest free-text search, characters. */
export const HISTORY_TEXT_MAX_CHARS = 100;
/** Most entries of one comma list. */
const LIST_MAX_ITEMS = 20;

export const HISTORY_SORTS = ['time_desc', 'time_asc', 'priority'] as const;
export type HistorySort = (typeof HISTORY_SORTS)[number];

/** Which time `from`/`to` and the time sorts read: created (alerts: first seen) or closed (alerts: cleared). */
export const HISTORY_TIME_FIELDS = ['created', 'closed'] as const;
export type HistoryTimeField = (typeof HISTORY_TIME_FIELDS)[number];

export const INCIDENT_OUTCOMES = ['resolved', ...UNRESOLVED_OUTCOMES] as const;

/** `[minLng, minLat, maxLng, maxLat]`, WGS84 degrees. */
export type Bbox = [number, number, number, number];

interface CommonHistoryQuery {
  /** epoch ms, inclusive, on `timeField` */
  from?: number;
  /** epoch ms, inclusive, on `timeField` */
  to?: number;
  timeField: HistoryTimeField;
  scenes?: SceneId[];
  districts?: DistrictCode[];
  /** case-insensitive substring of title (and, for incidents, notes, outcome reason, resolution summary) */
  text?: string;
  bbox?: Bbox;
  /** a closed or open ring of [lng, lat]; the record's location must lie inside */
  polygon?: LngLat[];
  sort: HistorySort;
  limit: number;
  /** opaque: from the previous page's `nextCursor` */
  cursor?: string;
  /** records to skip (only without a cursor): a page number for simple tables */
  offset?: number;
}

export interface IncidentHistoryQuery extends CommonHistoryQuery {
  categories?: string[];
  priorities?: Priority[];
  levels?: AlertLevel[];
  states?: IncidentState[];
  outcomes?: IncidentOutcome[];
  /** someone who is or was assigned to it */
  assignee?: string;
  /** server-internal (a handler's scope): assigned now or ever, or reported by this username */
  involves?: string;
}

export interface AlertHistoryQuery extends CommonHistoryQuery {
  deviceKinds?: DeviceKind[];
  /** on the worst level reached (`peakLevel`) */
  levels?: AlertLevel[];
  state?: AlertStateFilter;
  /** who acknowledged it */
  acknowledgedBy?: string;
  deviceId?: string;
}

/** One page of a search. `complete: false` with a `nextCursor`: more may follow. */
export interface HistoryPage<T> {
  records: T[];
  /** resume here for the next page; absent: nothing further matches */
  nextCursor?: string;
  /** false: the search stopped at its scan budget before filling the page (call again with the cursor) */
  complete: boolean;
  /** records examined to answer (a measure of the query's cost) */
  scanned: number;
}

// ---------------------------------------------------------------------------------------------
// reading a URL query

function commaList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x !== '')
        : v,
    z.array(item).min(1).max(LIST_MAX_ITEMS),
  );
}

/** epoch ms, or an ISO 8601 date-time (with its offset, e.g. +08:00); also the plan instances' range query. */
export const HistoryTimeSchema = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    if (/^\d{1,15}$/.test(v)) return Number(v);
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? v : ms;
  },
  z.number({ error: 'must be epoch ms or an ISO 8601 date-time' }).int().min(0),
);

const LngSchema = z.number().gte(-180).lte(180);
const LatSchema = z.number().gte(-90).lte(90);

/** `bbox=minLng,minLat,maxLng,maxLat` of a URL query (also the console's deep link of a drawn area). */
export const HistoryBboxSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x))) : v),
  z
    .tuple([LngSchema, LatSchema, LngSchema, LatSchema], { error: 'must be minLng,minLat,maxLng,maxLat' })
    .refine(([w, s, e, n]) => w <= e && s <= n, 'min must not exceed max'),
);

/** `polygon=lng,lat;lng,lat;…` of a URL query, 3 to `HISTORY_POLYGON_MAX_VERTICES` vertices (also the console's deep link). */
export const HistoryPolygonSchema = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(';')
          .filter((p) => p.trim() !== '')
          .map((p) => p.split(',').map((x) => (x.trim() === '' ? NaN : Number(x))))
      : v,
  z
    .array(z.tuple([LngSchema, LatSchema]), { error: 'must be lng,lat;lng,lat;… (at least 3 points)' })
    .min(3)
    .max(HISTORY_POLYGON_MAX_VERTICES),
);

const UsernameSchema = z.string().min(1).max(64);

const CommonFields = {
  from: HistoryTimeSchema.optional(),
  to: HistoryTimeSchema.optional(),
  timeField: z.enum(HISTORY_TIME_FIELDS).default('created'),
  scene: commaList(SceneIdSchema).optional(),
  district: commaList(DistrictCodeSchema).optional(),
  text: z.string().trim().min(1).max(HISTORY_TEXT_MAX_CHARS).optional(),
  bbox: HistoryBboxSchema.optional(),
  polygon: HistoryPolygonSchema.optional(),
  sort: z.enum(HISTORY_SORTS).default('time_desc'),
  limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX_LIMIT).default(HISTORY_PAGE_DEFAULT_LIMIT),
  cursor: z.string().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).max(HISTORY_INTERNAL_MAX_LIMIT).optional(),
};

function fromBeforeTo(q: { from?: number; to?: number }): boolean {
  return q.from === undefined || q.to === undefined || q.from <= q.to;
}

/** `GET /api/history/incidents?…` (lists comma-separated). */
export const IncidentHistoryRequestSchema = z
  .strictObject({
    ...CommonFields,
    category: commaList(z.string().min(1).max(64)).optional(),
    priority: commaList(PrioritySchema).optional(),
    level: commaList(AlertLevelSchema).optional(),
    state: commaList(IncidentStateSchema).optional(),
    outcome: commaList(z.enum(INCIDENT_OUTCOMES)).optional(),
    assignee: UsernameSchema.optional(),
  })
  .refine(fromBeforeTo, { message: 'from must not be after to', path: ['from'] })
  .refine((q) => q.cursor === undefined || q.offset === undefined, { message: 'give cursor or offset, not both', path: ['offset'] });

/** `GET /api/history/alerts?…` (lists comma-separated). */
export const AlertHistoryRequestSchema = z
  .strictObject({
    ...CommonFields,
    kind: commaList(DeviceKindSchema).optional(),
    level: commaList(AlertLevelSchema).optional(),
    state: z.enum(ALERT_STATE_FILTERS).optional(),
    acknowledgedBy: UsernameSchema.optional(),
    deviceId: z.string().min(1).max(80).optional(),
  })
  .refine(fromBeforeTo, { message: 'from must not be after to', path: ['from'] })
  .refine((q) => q.cursor === undefined || q.offset === undefined, { message: 'give cursor or offset, not both', path: ['offset'] });

type IncidentRequest = z.infer<typeof IncidentHistoryRequestSchema>;
type AlertRequest = z.infer<typeof AlertHistoryRequestSchema>;

/** Drops the keys whose value is undefined (the stores read absent = no filter). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function commonOf(r: IncidentRequest | AlertRequest): CommonHistoryQuery {
  return defined({
    from: r.from,
    to: r.to,
    timeField: r.timeField,
    scenes: r.scene,
    districts: r.district,
    text: r.text,
    bbox: r.bbox as Bbox | undefined,
    polygon: r.polygon as LngLat[] | undefined,
    sort: r.sort,
    limit: r.limit,
    cursor: r.cursor,
    offset: r.offset,
  });
}

export function incidentQueryOf(r: IncidentRequest): IncidentHistoryQuery {
  return defined({
    ...commonOf(r),
    categories: r.category,
    priorities: r.priority,
    levels: r.level,
    states: r.state,
    outcomes: r.outcome,
    assignee: r.assignee,
  });
}

export function alertQueryOf(r: AlertRequest): AlertHistoryQuery {
  return defined({
    ...commonOf(r),
    deviceKinds: r.kind,
    levels: r.level,
    state: r.state,
    acknowledgedBy: r.acknowledgedBy,
    deviceId: r.deviceId,
  });
}

/**
 * Narrows a query to the districts a scope allows: the intersection with what was asked, or the
 * allowed ones when none were asked. `null`: the query asked only for districts outside the scope
 * (the answer is empty, whatever else it says).
 */
export function withinDistricts<Q extends CommonHistoryQuery>(q: Q, allowed: readonly DistrictCode[]): Q | null {
  const districts = q.districts ? q.districts.filter((d) => allowed.includes(d)) : [...allowed];
  return districts.length === 0 ? null : { ...q, districts };
}

// ---------------------------------------------------------------------------------------------
// the cursor

/** The sort key of a record: [priority rank or 0, time, id]; the order is fixed by the sort. */
export type HistorySortKey = [number, number, string];

const CursorSchema = z.tuple([z.number().int(), z.number().int(), z.string().max(200)]);

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export function encodeCursor(key: HistorySortKey): string {
  return toBase64Url(JSON.stringify(key));
}

/** The sort key a cursor carries, or null when it is not one of ours. */
export function decodeCursor(cursor: string): HistorySortKey | null {
  try {
    const r = CursorSchema.safeParse(JSON.parse(fromBase64Url(cursor)));
    return r.success ? (r.data as HistorySortKey) : null;
  } catch {
    return null;
  }
}
