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
export function fitBoundsView(bounds: [LngLat, LngLat], widthPx: number, heightPx: number, paddingPx = FIT_PADDING_PX): MapViewState {
  const [[west, south], [east, north]] = bounds;
  const x0 = lngToWorldX(west);
  const x1 = lngToWorldX(east);
  const y0 = latToWorldY(north);
  const y1 = latToWorldY(south);
  const w = Math.max(1, widthPx - 2 * paddingPx);
  const h = Math.max(1, heightPx - 2 * paddingPx);
  const zoom = Math.log2(Math.min(w / (x1 - x0), h / (y1 - y0)));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return {
    longitude: (cx / WORLD_SIZE_PX) * 360 - 180,
    latitude: worldYToLat(cy),
    zoom: Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom)),
    pitch: 0,
    bearing: 0,
  };
}

/** The initial view of every screen: the urban area fitted to the map box. */
export function initialQingdaoView(widthPx: number, heightPx: number): MapViewState {
  return fitBoundsView(QINGDAO_URBAN_BOUNDS, widthPx, heightPx);
}
