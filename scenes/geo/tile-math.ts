/**
 * XYZ ("slippy map", Web Mercator, EPSG:3857) tile math: which tile holds a point at a zoom,
 * a tile's bounds, and the tiles covering a box. The tile zoom a deck.gl view of 256-px tiles
 * loads is `round(viewZoom + 1)` (deck.gl's zoom counts a 512-px world, tiles count 256 px).
 *
 * Pure: no I/O. Coordinates are `[lng, lat]` degrees; tile y grows southward (XYZ, not TMS).
 */
import type { LngLat } from '../domain';

export interface TileIndex {
  x: number;
  y: number;
  z: number;
}

/** Bounds in degrees: [west, south, east, north]. */
export type LngLatBounds = [number, number, number, number];

/** Web Mercator's latitude limit, degrees (the square world). */
export const WEB_MERCATOR_MAX_LAT = 85.051_128_779_806_59;
/** Size of a standard raster tile, px. */
export const STANDARD_TILE_SIZE_PX = 256;
/** deck.gl's world size at zoom 0, px. */
export const DECK_WORLD_SIZE_PX = 512;
/** A box edge this close to a tile edge (in tiles) counts as on it: degrees ⇄ tiles is not exact in floating point. */
const TILE_EDGE_EPSILON = 1e-9;

/** Fractional tile coordinates of a point at zoom `z` (not clamped to the tile grid). */
export function lngLatToTileFraction([lng, lat]: LngLat, z: number): { x: number; y: number } {
  const n = 2 ** z;
  const clampedLat = Math.max(-WEB_MERCATOR_MAX_LAT, Math.min(WEB_MERCATOR_MAX_LAT, lat));
  const phi = (clampedLat * Math.PI) / 180;
  return {
    x: ((lng + 180) / 360) * n,
    y: ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n,
  };
}

/** The tile that holds a point at zoom `z`. */
export function lngLatToTile(p: LngLat, z: number): TileIndex {
  const n = 2 ** z;
  const f = lngLatToTileFraction(p, z);
  return { x: Math.min(n - 1, Math.max(0, Math.floor(f.x))), y: Math.min(n - 1, Math.max(0, Math.floor(f.y))), z };
}

/** The north-west corner of tile (x, y) at zoom z, degrees. */
export function tileCornerToLngLat(x: number, y: number, z: number): LngLat {
  const n = 2 ** z;
  const lng = (x / n) * 360 - 180;
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
  return [lng, lat];
}

/** A tile's bounds: [west, south, east, north] degrees. */
export function tileBounds({ x, y, z }: TileIndex): LngLatBounds {
  const [west, north] = tileCornerToLngLat(x, y, z);
  const [east, south] = tileCornerToLngLat(x + 1, y + 1, z);
  return [west, south, east, north];
}

/** Every tile at zoom `z` that intersects `bounds` (edges touching only do not count), row by row. */
export function tilesCoveringBounds([west, south, east, north]: LngLatBounds, z: number): TileIndex[] {
  const n = 2 ** z;
  const nw = lngLatToTileFraction([west, north], z);
  const se = lngLatToTileFraction([east, south], z);
  const x0 = Math.max(0, Math.floor(nw.x + TILE_EDGE_EPSILON));
  const y0 = Math.max(0, Math.floor(nw.y + TILE_EDGE_EPSILON));
  const x1 = Math.min(n - 1, Math.ceil(se.x - TILE_EDGE_EPSILON) - 1);
  const y1 = Math.min(n - 1, Math.ceil(se.y - TILE_EDGE_EPSILON) - 1);
  const tiles: TileIndex[] = [];
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) tiles.push({ x, y, z });
  return tiles;
}

/** The tile zoom deck.gl's TileLayer loads for a view zoom (tile size in px, clamped to the source's zooms). */
export function tileZoomForView(viewZoom: number, tileSizePx = STANDARD_TILE_SIZE_PX, minZoom = 0, maxZoom = Infinity): number {
  const z = Math.round(viewZoom + Math.log2(DECK_WORLD_SIZE_PX / tileSizePx));
  return Math.min(maxZoom, Math.max(minZoom, z));
}

/**
 * The bounds a north-up Web Mercator view shows: centre, deck.gl zoom (512-px world) and the
 * view's size in px. Matches deck.gl's `WebMercatorViewport.getBounds()` at pitch 0.
 */
export function viewBounds(center: LngLat, viewZoom: number, widthPx: number, heightPx: number): LngLatBounds {
  const scale = DECK_WORLD_SIZE_PX * 2 ** viewZoom;
  // world px of the centre, in a world of `scale` px
  const c = lngLatToTileFraction(center, 0);
  const cx = c.x * scale;
  const cy = c.y * scale;
  const toLngLat = (px: number, py: number): LngLat => tileCornerToLngLat(px / scale, py / scale, 0);
  const [west, north] = toLngLat(cx - widthPx / 2, cy - heightPx / 2);
  const [east, south] = toLngLat(cx + widthPx / 2, cy + heightPx / 2);
  return [west, south, east, north];
}
