/**
 * The 区域 filter of the history view (issue 16): an area drawn on the view's small map — a
 * rectangle by two opposite corners, or a polygon by clicked vertices — kept in the view's URL
 * query (deep links, the back button) and sent to the search as `bbox` or `polygon`. Both use the
 * server's own formats and schemas (scenes/history/history-query.ts), so a link the view accepts
 * is a search the server accepts, vertex limit included.
 * Pure: no Vue, no deck.gl.
 */
import type { LngLat } from '@scenes/domain';
import { HISTORY_POLYGON_MAX_VERTICES, HistoryBboxSchema, HistoryPolygonSchema, type Bbox } from '@scenes/history/history-query';
import { bboxParam, polygonParam } from '../../../data/history';

/** A drawn area. A polygon's ring is open: its first vertex is not repeated at the end. */
export type HistoryArea = { kind: 'bbox'; bbox: Bbox } | { kind: 'polygon'; ring: LngLat[] };

/** Why a polygon cannot be searched: fewer than 3 distinct vertices, or more than the server takes. */
export type PolygonProblem = 'too_few' | 'too_many';

/** Decimals kept of a clicked coordinate: 1e-5° ≈ 1 m, finer than a click and short in a URL. */
export const AREA_COORD_DECIMALS = 5;
/** Most vertices of a drawn polygon: the server's limit. */
export const AREA_MAX_VERTICES = HISTORY_POLYGON_MAX_VERTICES;

const round = (v: number) => Number(v.toFixed(AREA_COORD_DECIMALS));

export function roundLngLat(p: readonly [number, number]): LngLat {
  return [round(p[0]), round(p[1])];
}

const same = (a: LngLat, b: LngLat) => a[0] === b[0] && a[1] === b[1];

/** The box two opposite corners span, in either order; null when it has no width or no height. */
export function rectangleFromCorners(a: LngLat, b: LngLat): Bbox | null {
  const [p, q] = [roundLngLat(a), roundLngLat(b)];
  const bbox: Bbox = [Math.min(p[0], q[0]), Math.min(p[1], q[1]), Math.max(p[0], q[0]), Math.max(p[1], q[1])];
  return bbox[0] === bbox[2] || bbox[1] === bbox[3] ? null : bbox;
}

/** A box's corners as an open ring (south-west first, counter-clockwise), for drawing. */
export function rectangleRing([w, s, e, n]: Bbox): LngLat[] {
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
  ];
}

/**
 * The vertices after a click at `p`. A click on the last vertex adds nothing (a double-click's
 * second click lands there); past the server's limit the click is refused with `too_many`.
 */
export function addVertex(
  vertices: readonly LngLat[],
  p: readonly [number, number],
): { ok: true; vertices: LngLat[] } | { ok: false; problem: 'too_many' } {
  const v = roundLngLat(p);
  const last = vertices[vertices.length - 1];
  if (last && same(last, v)) return { ok: true, vertices: [...vertices] };
  if (vertices.length >= AREA_MAX_VERTICES) return { ok: false, problem: 'too_many' };
  return { ok: true, vertices: [...vertices, v] };
}

/**
 * The ring a finished drawing searches: rounded, repeated neighbours dropped, a closing vertex
 * equal to the first dropped (the server closes the ring itself); 3 to AREA_MAX_VERTICES vertices.
 */
export function closePolygon(vertices: readonly LngLat[]): { ok: true; ring: LngLat[] } | { ok: false; problem: PolygonProblem } {
  const ring: LngLat[] = [];
  for (const p of vertices.map(roundLngLat)) if (ring.length === 0 || !same(ring[ring.length - 1]!, p)) ring.push(p);
  while (ring.length > 1 && same(ring[0]!, ring[ring.length - 1]!)) ring.pop();
  if (ring.length < 3) return { ok: false, problem: 'too_few' };
  if (ring.length > AREA_MAX_VERTICES) return { ok: false, problem: 'too_many' };
  return { ok: true, ring };
}

/** The area's `[[west, south], [east, north]]`, for fitting the map to it. */
export function areaBounds(area: HistoryArea): [LngLat, LngLat] {
  if (area.kind === 'bbox')
    return [
      [area.bbox[0], area.bbox[1]],
      [area.bbox[2], area.bbox[3]],
    ];
  const lngs = area.ring.map((p) => p[0]);
  const lats = area.ring.map((p) => p[1]);
  return [
    [Math.min(...lngs), Math.min(...lats)],
    [Math.max(...lngs), Math.max(...lats)],
  ];
}

/** The search's `bbox` and `polygon` fields of an area (both null: the whole scope). */
export function areaSearchFields(area: HistoryArea | null): { bbox: Bbox | null; polygon: LngLat[] | null } {
  if (!area) return { bbox: null, polygon: null };
  return area.kind === 'bbox' ? { bbox: area.bbox, polygon: null } : { bbox: null, polygon: area.ring };
}

/** A URL query as vue-router gives it (`route.query`). */
type RouteQuery = Record<string, string | null | (string | null)[] | undefined>;

/** The query with the area's parameter in place of any earlier area's (other parameters kept). */
export function withAreaQuery(query: RouteQuery, area: HistoryArea | null): RouteQuery {
  const { bbox: _bbox, polygon: _polygon, ...rest } = query;
  if (!area) return rest;
  return area.kind === 'bbox' ? { ...rest, bbox: bboxParam(area.bbox) } : { ...rest, polygon: polygonParam(area.ring) };
}

/** What a URL query says about the area: none, one, or one the search would refuse (and why). */
export type AreaFromQuery = { kind: 'none' } | { kind: 'area'; area: HistoryArea } | { kind: 'invalid'; problem: PolygonProblem | 'malformed' };

function firstString(v: RouteQuery[string]): string | undefined {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.trim() !== '' ? x : undefined;
}

/** Reads `bbox=…` or `polygon=…` (as the server does); a link giving both is malformed. */
export function areaFromQuery(query: RouteQuery): AreaFromQuery {
  const bbox = firstString(query.bbox);
  const polygon = firstString(query.polygon);
  if (bbox !== undefined && polygon !== undefined) return { kind: 'invalid', problem: 'malformed' };
  if (bbox !== undefined) {
    const r = HistoryBboxSchema.safeParse(bbox);
    return r.success ? { kind: 'area', area: { kind: 'bbox', bbox: r.data as Bbox } } : { kind: 'invalid', problem: 'malformed' };
  }
  if (polygon === undefined) return { kind: 'none' };
  const r = HistoryPolygonSchema.safeParse(polygon);
  if (r.success) {
    const closed = closePolygon(r.data as LngLat[]);
    return closed.ok ? { kind: 'area', area: { kind: 'polygon', ring: closed.ring } } : { kind: 'invalid', problem: closed.problem };
  }
  const vertices = polygon.split(';').filter((p) => p.trim() !== '').length;
  return { kind: 'invalid', problem: vertices > AREA_MAX_VERTICES ? 'too_many' : vertices < 3 ? 'too_few' : 'malformed' };
}
