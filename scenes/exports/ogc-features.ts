/**
 * OGC API – Features, Part 1 (Core, GeoJSON; the OpenAPI 3.0 definition is ogc-openapi.ts) as pure
 * functions: the landing page, conformance, collection descriptions, and the items query (`bbox`, `datetime`, `limit`, `offset`) with its
 * paging links. The server only supplies the base URL, the features in the caller's scope and "now".
 *
 * Invariants:
 * - CRS is CRS84 (WGS84 lng/lat) only; `bbox` is `minLng,minLat,maxLng,maxLat` (no antimeridian
 *   crossing in a city) and matches a feature whose geometry's bounding box intersects it;
 * - `datetime` is an RFC 3339 instant or an interval `a/b` with `..` (or empty) for an open end; an
 *   item matches when its time span intersects it (spans: scenes/exports/ogc-candidates.ts);
 * - only the returned page's features are built (candidates carry what selection needs);
 * - `limit` 1…`OGC_MAX_LIMIT` (default `OGC_DEFAULT_LIMIT`), `offset` ≥ 0; out of range is a 400,
 *   never a silent clamp, so a client learns its mistake;
 * - paging links carry every query parameter the client sent (an `apiKey` too: QGIS cannot set
 *   headers, and a next link without its key would fail), `next` only while items remain.
 */
import { z } from 'zod';
import type { ExportFeature, ExportLayer } from './geojson';
import type { OgcCandidate, TimeSpan } from './ogc-candidates';
import { isoWithOffset } from './iso-time';

export const OGC_DEFAULT_LIMIT = 100;
export const OGC_MAX_LIMIT = 1000;
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const GREGORIAN_TRS = 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian';
export const GEOJSON_MEDIA_TYPE = 'application/geo+json';
const JSON_MEDIA_TYPE = 'application/json';
/** the API definition's media type (OGC API – Features /req/oas30) */
export const OPENAPI_MEDIA_TYPE = 'application/vnd.oai.openapi+json;version=3.0';

export const OGC_CONFORMANCE_CLASSES = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  // the definition at /api (scenes/exports/ogc-openapi.ts)
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
] as const;

export interface OgcLink {
  href: string;
  rel: string;
  type?: string;
  title?: string;
}

/** The OGC-style error body: a stable house code and a human description. */
export interface OgcError {
  code: 'E_VALIDATION' | 'E_NOT_FOUND';
  description: string;
}

/** What each collection is, in both UI languages' spirit (titles stay English for GIS tools). */
export const OGC_COLLECTION_INFO: Record<ExportLayer, { title: string; description: string }> = {
  devices: {
    title: 'Devices (设备)',
    description: 'Registered sensors and actuators, with lifecycle status and online state. Time: last registry change.',
  },
  assets: {
    title: 'Assets (设施)',
    description: 'Bridges, rivers, pipes, pump stations, communities, shelters and other assets. Time: last registry change.',
  },
  incidents: { title: 'Open incidents (工单)', description: 'Incidents not yet closed. Time: from creation, open-ended while the incident is open.' },
  alerts: {
    title: 'Active alerts (告警)',
    description: 'Alerts raised and not yet cleared. Time: from the first observation, open-ended while active.',
  },
};

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function parseInstant(s: string, ctx: z.RefinementCtx): number | null {
  if (s === '' || s === '..') return null;
  const ts = RFC3339.test(s) ? Date.parse(s) : NaN;
  if (!Number.isFinite(ts)) {
    ctx.addIssue({ code: 'custom', message: `datetime '${s}' is not an RFC 3339 date-time (e.g. 2026-07-01T08:00:00+08:00) or '..'` });
    return null;
  }
  return ts;
}

/** `datetime` → [fromTs, toTs] with null for an open end. */
const DatetimeSchema = z
  .string()
  .max(100)
  .transform((s, ctx): [number | null, number | null] => {
    const parts = s.split('/');
    if (parts.length > 2 || (parts.length === 1 && (s === '' || s === '..'))) {
      ctx.addIssue({ code: 'custom', message: 'datetime is an instant or an interval a/b (`..` for an open end)' });
      return z.NEVER;
    }
    const from = parseInstant(parts[0]!, ctx);
    const to = parts.length === 2 ? parseInstant(parts[1]!, ctx) : from;
    if (parts.length === 2 && (parts[0] === '' || parts[0] === '..') && (parts[1] === '' || parts[1] === '..')) {
      ctx.addIssue({ code: 'custom', message: 'datetime interval needs at least one closed end' });
      return z.NEVER;
    }
    if (from !== null && to !== null && from > to) {
      ctx.addIssue({ code: 'custom', message: 'datetime interval starts after it ends' });
      return z.NEVER;
    }
    return [from, to];
  });

const BBoxSchema = z
  .string()
  .max(200)
  .transform((s, ctx): [number, number, number, number] => {
    const parts = s.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
      ctx.addIssue({ code: 'custom', message: 'bbox is four numbers minLng,minLat,maxLng,maxLat (CRS84)' });
      return z.NEVER;
    }
    const [minX, minY, maxX, maxY] = parts as [number, number, number, number];
    if (minX < -180 || maxX > 180 || minY < -90 || maxY > 90 || minX > maxX || minY > maxY) {
      ctx.addIssue({ code: 'custom', message: 'bbox must lie within -180…180, -90…90 with min ≤ max' });
      return z.NEVER;
    }
    return [minX, minY, maxX, maxY];
  });

const IntegerText = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `${what} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${what} must be at least ${min}`).max(max, `${what} must be at most ${max}`));

/**
 * The items query as it arrives (Express's `req.query`: strings). Unknown parameters are a 400 (OGC
 * /req/core/query-param-unknown); `f` names the one encoding we serve; `apiKey` is the machine
 * client's credential (read by the server before this).
 */
export const OgcItemsQuerySchema = z.strictObject({
  bbox: BBoxSchema.optional(),
  'bbox-crs': z.literal(CRS84).optional(),
  datetime: DatetimeSchema.optional(),
  limit: IntegerText('limit', 1, OGC_MAX_LIMIT).optional(),
  offset: IntegerText('offset', 0, Number.MAX_SAFE_INTEGER).optional(),
  f: z.enum(['json', 'geojson']).optional(),
  apiKey: z.string().max(200).optional(),
});
export type OgcItemsQuery = z.output<typeof OgcItemsQuerySchema>;

/** Parses the items query; a typed OGC error on the first problem. */
export function parseOgcItemsQuery(raw: Record<string, unknown>): { ok: true; query: OgcItemsQuery } | { ok: false; error: OgcError } {
  for (const [k, v] of Object.entries(raw))
    if (typeof v !== 'string') return { ok: false, error: { code: 'E_VALIDATION', description: `parameter ${k} must be given once, as text` } };
  const r = OgcItemsQuerySchema.safeParse(raw);
  if (r.success) return { ok: true, query: r.data };
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  const message = issue.code === 'unrecognized_keys' ? `unknown parameter(s) ${issue.keys.join(', ')}` : issue.message;
  return { ok: false, error: { code: 'E_VALIDATION', description: `${where}${message}` } };
}

function bboxIntersects(a: readonly number[], b: readonly number[]): boolean {
  return a[0]! <= b[2]! && b[0]! <= a[2]! && a[1]! <= b[3]! && b[1]! <= a[3]!;
}

function timeIntersects(span: TimeSpan, q: readonly [number | null, number | null]): boolean {
  const [s, e] = span;
  const [from, to] = q;
  if (to !== null && s > to) return false;
  if (from !== null && e !== null && e < from) return false;
  return true;
}

/** The items a query selects, before paging (in the candidates' order). */
export function filterOgcItems(candidates: readonly OgcCandidate[], q: OgcItemsQuery): OgcCandidate[] {
  return candidates.filter((c) => {
    if (q.bbox && !bboxIntersects(c.bbox, q.bbox)) return false;
    if (q.datetime && (!c.span || !timeIntersects(c.span, q.datetime))) return false;
    return true;
  });
}

export interface OgcItemsPage {
  type: 'FeatureCollection';
  features: ExportFeature[];
  numberMatched: number;
  numberReturned: number;
  timeStamp: string;
  links: OgcLink[];
}

function withParams(base: string, params: Record<string, string>): string {
  const qs = new URLSearchParams(params).toString();
  return qs ? `${base}?${qs}` : base;
}

/**
 * One page of items with `self`, `next` (while items remain), `prev` (after the first page) and
 * `collection` links. `rawQuery` is what the client sent (strings), so links repeat it exactly
 * apart from `offset` and `limit`.
 */
export function buildOgcItemsPage(opts: {
  baseUrl: string;
  layer: ExportLayer;
  /** sorted by id (a stable paging order) */
  candidates: readonly OgcCandidate[];
  query: OgcItemsQuery;
  rawQuery: Record<string, string>;
  nowTs: number;
}): OgcItemsPage {
  const { baseUrl, layer, query, rawQuery } = opts;
  const matched = filterOgcItems(opts.candidates, query);
  const limit = query.limit ?? OGC_DEFAULT_LIMIT;
  const offset = query.offset ?? 0;
  const page = matched.slice(offset, offset + limit);
  const itemsUrl = `${baseUrl}/collections/${layer}/items`;
  const at = (o: number) => withParams(itemsUrl, { ...rawQuery, limit: String(limit), offset: String(o) });
  const links: OgcLink[] = [
    { href: at(offset), rel: 'self', type: GEOJSON_MEDIA_TYPE, title: 'this page' },
    { href: `${baseUrl}/collections/${layer}`, rel: 'collection', type: JSON_MEDIA_TYPE, title: OGC_COLLECTION_INFO[layer].title },
  ];
  if (offset + page.length < matched.length) links.push({ href: at(offset + limit), rel: 'next', type: GEOJSON_MEDIA_TYPE, title: 'next page' });
  if (offset > 0) links.push({ href: at(Math.max(0, offset - limit)), rel: 'prev', type: GEOJSON_MEDIA_TYPE, title: 'previous page' });
  return {
    type: 'FeatureCollection',
    features: page.map((c) => c.feature()),
    numberMatched: matched.length,
    numberReturned: page.length,
    timeStamp: isoWithOffset(opts.nowTs),
    links,
  };
}

/** Links keep a machine client's `apiKey` query parameter (QGIS sends its key that way). */
function keyed(href: string, apiKey: string | undefined): string {
  return apiKey === undefined ? href : withParams(href, { apiKey });
}

export function buildOgcLanding(baseUrl: string, apiKey?: string): { title: string; description: string; links: OgcLink[] } {
  return {
    title: 'City IOC — OGC API – Features',
    description: 'City IOC (城市运行管理中心) layers: devices, assets, open incidents, active alerts. WGS84 (CRS84), times ISO 8601 +08:00.',
    links: [
      { href: keyed(baseUrl, apiKey), rel: 'self', type: JSON_MEDIA_TYPE, title: 'this document' },
      { href: keyed(`${baseUrl}/api`, apiKey), rel: 'service-desc', type: OPENAPI_MEDIA_TYPE, title: 'the API definition (OpenAPI 3.0)' },
      { href: keyed(`${baseUrl}/conformance`, apiKey), rel: 'conformance', type: JSON_MEDIA_TYPE, title: 'conformance classes' },
      { href: keyed(`${baseUrl}/collections`, apiKey), rel: 'data', type: JSON_MEDIA_TYPE, title: 'collections' },
    ],
  };
}

export function buildOgcConformance(): { conformsTo: string[] } {
  return { conformsTo: [...OGC_CONFORMANCE_CLASSES] };
}

export interface OgcCollection {
  id: ExportLayer;
  title: string;
  description: string;
  itemType: 'feature';
  crs: string[];
  extent: {
    spatial: { bbox: number[][]; crs: string };
    temporal?: { interval: (string | null)[][]; trs: string };
  };
  links: OgcLink[];
}

/** One collection's description, its extent computed from the items the caller may see. */
export function buildOgcCollection(baseUrl: string, layer: ExportLayer, candidates: readonly OgcCandidate[], apiKey?: string): OgcCollection {
  let bbox: [number, number, number, number] | null = null;
  let start: number | null = null;
  let end: number | null = null;
  let openEnded = false;
  for (const c of candidates) {
    const b = c.bbox;
    bbox = bbox ? [Math.min(bbox[0], b[0]), Math.min(bbox[1], b[1]), Math.max(bbox[2], b[2]), Math.max(bbox[3], b[3])] : [...b];
    const span = c.span;
    if (!span) continue;
    start = start === null ? span[0] : Math.min(start, span[0]);
    if (span[1] === null) openEnded = true;
    else end = end === null ? span[1] : Math.max(end, span[1]);
  }
  const info = OGC_COLLECTION_INFO[layer];
  return {
    id: layer,
    title: info.title,
    description: info.description,
    itemType: 'feature',
    crs: [CRS84],
    extent: {
      // an empty collection still states a (whole-world) extent: clients expect the member
      spatial: { bbox: [bbox ?? [-180, -90, 180, 90]], crs: CRS84 },
      ...(start === null
        ? {}
        : { temporal: { interval: [[isoWithOffset(start), openEnded || end === null ? null : isoWithOffset(end)]], trs: GREGORIAN_TRS } }),
    },
    links: [
      { href: keyed(`${baseUrl}/collections/${layer}`, apiKey), rel: 'self', type: JSON_MEDIA_TYPE, title: info.title },
      { href: keyed(`${baseUrl}/collections/${layer}/items`, apiKey), rel: 'items', type: GEOJSON_MEDIA_TYPE, title: `${info.title} (GeoJSON)` },
    ],
  };
}

export function buildOgcCollections(
  baseUrl: string,
  layers: readonly { layer: ExportLayer; candidates: readonly OgcCandidate[] }[],
  apiKey?: string,
): { links: OgcLink[]; collections: OgcCollection[] } {
  return {
    links: [{ href: keyed(`${baseUrl}/collections`, apiKey), rel: 'self', type: JSON_MEDIA_TYPE, title: 'collections' }],
    collections: layers.map((l) => buildOgcCollection(baseUrl, l.layer, l.candidates, apiKey)),
  };
}

/** One item with its links; null when no feature has that id. */
export function buildOgcItem(
  baseUrl: string,
  layer: ExportLayer,
  candidates: readonly OgcCandidate[],
  featureId: string,
  apiKey?: string,
): (ExportFeature & { links: OgcLink[] }) | null {
  const c = candidates.find((x) => x.id === featureId);
  if (!c) return null;
  return {
    ...c.feature(),
    links: [
      { href: keyed(`${baseUrl}/collections/${layer}/items/${encodeURIComponent(featureId)}`, apiKey), rel: 'self', type: GEOJSON_MEDIA_TYPE },
      { href: keyed(`${baseUrl}/collections/${layer}`, apiKey), rel: 'collection', type: JSON_MEDIA_TYPE },
    ],
  };
}
