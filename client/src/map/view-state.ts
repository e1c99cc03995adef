/**
 * Map view state: the initial fit to Qingdao's urban area and the "user moved the map" rule
 * (after a pan/zoom by a person the map never re-fits by itself until "reset view").
 */
import type { LngLat } from '@scenes/domain';

export interface MapViewState {
  longitude: number;
  latitude: number;
  zoom: number;
  pitch: number;
  bearing: number;
}

/** The urban core (市南, 市北, 李沧, 崂山 west, 城阳 south, 黄岛 east): [[west, south], [east, north]] degrees. */
export const QINGDAO_URBAN_BOUNDS: [LngLat, LngLat] = [
  [120.12, 35.93],
  [120.56, 36.33],
];

/** Padding around the fitted bounds, px. */
export const FIT_PADDING_PX = 24;

/**
 * Map px on each side that the page covers (the wall's KPI strip on top, its bottom bar below):
 * a fit frames its bounds inside the rest, a fly-to centres there.
 */
export interface MapPadding {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

function paddingOf(padding: number | MapPadding): MapPadding {
  return typeof padding === 'number' ? { top: padding, right: padding, bottom: padding, left: padding } : padding;
}
export const MIN_ZOOM = 7;
export const MAX_ZOOM = 17;

/** Web-Mercator world size at zoom 0, px (deck.gl / Mapbox convention). */
const WORLD_SIZE_PX = 512;

function lngToWorldX(lng: number): number {
  return ((lng + 180) / 360) * WORLD_SIZE_PX;
}
function latToWorldY(lat: number): number {
  const phi = (lat * Math.PI) / 180;
  return (WORLD_SIZE_PX / 2) * (1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI);
}
function worldYToLat(y: number): number {
  const n = Math.PI * (1 - (2 * y) / WORLD_SIZE_PX);
  return (Math.atan(Math.sinh(n)) * 180) / Math.PI;
}

/** The view that fits `bounds` into a `widthPx` × `heightPx` map box. */
export function fitBoundsView(
  bounds: [LngLat, LngLat],
  widthPx: number,
  heightPx: number,
  padding: number | MapPadding = FIT_PADDING_PX,
): MapViewState {
  const [[west, south], [east, north]] = bounds;
  const pad = paddingOf(padding);
  const x0 = lngToWorldX(west);
  const x1 = lngToWorldX(east);
  const y0 = latToWorldY(north);
  const y1 = latToWorldY(south);
  const w = Math.max(1, widthPx - pad.left - pad.right);
  const h = Math.max(1, heightPx - pad.top - pad.bottom);
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.log2(Math.min(w / (x1 - x0), h / (y1 - y0)))));
  // the bounds' centre sits at the centre of the padded box: the view's centre moves the other way
  const scale = 2 ** zoom;
  const cx = (x0 + x1) / 2 - (pad.left - pad.right) / 2 / scale;
  const cy = (y0 + y1) / 2 - (pad.top - pad.bottom) / 2 / scale;
  return {
    longitude: (cx / WORLD_SIZE_PX) * 360 - 180,
    latitude: worldYToLat(cy),
    zoom,
    pitch: 0,
    bearing: 0,
  };
}

/** The view that puts `p` at the centre of the padded box at `zoom` (a fly-to that the KPI strip does not cover). */
export function centeredView(p: LngLat, zoom: number, padding: number | MapPadding = 0): MapViewState {
  const pad = paddingOf(padding);
  const scale = 2 ** zoom;
  const cx = lngToWorldX(p[0]) - (pad.left - pad.right) / 2 / scale;
  const cy = latToWorldY(p[1]) - (pad.top - pad.bottom) / 2 / scale;
  return { longitude: (cx / WORLD_SIZE_PX) * 360 - 180, latitude: worldYToLat(cy), zoom, pitch: 0, bearing: 0 };
}

/** The initial view of every screen: the urban area fitted to the map box. */
export function initialQingdaoView(widthPx: number, heightPx: number, padding: number | MapPadding = FIT_PADDING_PX): MapViewState {
  return fitBoundsView(QINGDAO_URBAN_BOUNDS, widthPx, heightPx, padding);
}
