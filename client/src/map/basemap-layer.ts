/**
 * The raster basemap under every map's overlays (issue 17): deck.gl `TileLayer`s of BitmapLayer
 * tiles from an XYZ or WMTS template (scenes/geo/basemap-source.ts), plus its annotation layer.
 *
 * GCJ-02 (AMap, Tencent): we shift the TILES, not the overlays. Every overlay (devices, alerts,
 * incidents, handlers, districts, the offline base) is WGS84 and built by pure scene code shared
 * with the server, exports and picking; moving one raster layer is one place to get right, while
 * moving overlays would touch every layer, every pick and every distance. Each tile's four corners
 * are taken back from GCJ-02 to WGS84 (the iterative inverse, < 0.5 m) and the bitmap is drawn on
 * that quad; over a tile the offset varies by well under a pixel, so the quad is exact enough. The
 * tiles a view needs are chosen from the view's bounds moved into GCJ-02, so no strip at the edge
 * of the screen stays empty.
 *
 * Tile failures: after `BASEMAP_CONFIG.maxConsecutiveTileFailures` failed tiles in a row the map
 * falls back to the offline base (DeckMap shows the notice); one tile that loads resets the count.
 */
import type { Layer, Viewport } from '@deck.gl/core';
import { TileLayer, _Tileset2D as Tileset2D } from '@deck.gl/geo-layers';
import type { TileLayerProps } from '@deck.gl/geo-layers';
import { BitmapLayer } from '@deck.gl/layers';
import type { LngLat } from '@scenes/domain';
import { expandTileUrl, type BasemapSource } from '@scenes/geo/basemap-source';
import { gcjToWgs, wgsToGcj } from '@scenes/geo/gcj02';
import { STANDARD_TILE_SIZE_PX, tileBounds, tilesCoveringBounds, tileZoomForView, type LngLatBounds, type TileIndex } from '@scenes/geo/tile-math';

export const BASEMAP_CONFIG = {
  /** this many failed tiles in a row switch the map to the offline base */
  maxConsecutiveTileFailures: 6,
  /** concurrent tile requests per layer (a wall PC shares its network with video) */
  maxConcurrentTileRequests: 6,
  /** a tile that has not answered in this time counts as failed, ms */
  tileTimeoutMs: 15_000,
  /** tiles kept in memory per layer */
  maxCachedTiles: 256,
} as const;

/** The four corners of a tile as the BitmapLayer's quad: [left-bottom, left-top, right-top, right-bottom], WGS84. */
export type TileQuad = [LngLat, LngLat, LngLat, LngLat];

/** Where to draw a tile of a basemap with `datum`: its own bounds, or for GCJ-02 its corners taken back to WGS84. */
export function tileQuadFor(tile: TileIndex, datum: BasemapSource['datum']): TileQuad {
  const [west, south, east, north] = tileBounds(tile);
  const corners: TileQuad = [
    [west, south],
    [west, north],
    [east, north],
    [east, south],
  ];
  return datum === 'gcj02' ? (corners.map(gcjToWgs) as TileQuad) : corners;
}

/** The tiles of a GCJ-02 basemap a WGS84 view needs: the view's bounds and their GCJ-02 image together. */
export function gcjTilesForView(bounds: LngLatBounds, z: number): TileIndex[] {
  const [w, s, e, n] = bounds;
  const moved = (
    [
      [w, s],
      [w, n],
      [e, n],
      [e, s],
    ] as LngLat[]
  ).map(wgsToGcj);
  const lngs = [w, e, ...moved.map((p) => p[0])];
  const lats = [s, n, ...moved.map((p) => p[1])];
  return tilesCoveringBounds([Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)], z);
}

/** Tile selection for GCJ-02 sources (deck.gl's default selects from the WGS84 view alone). */
class GcjTileset2D extends Tileset2D {
  override getTileIndices(opts: { viewport: Viewport; maxZoom?: number; minZoom?: number }): TileIndex[] {
    const { viewport, maxZoom, minZoom } = opts;
    const z = tileZoomForView(viewport.zoom, STANDARD_TILE_SIZE_PX);
    if (minZoom !== undefined && z < minZoom) return [];
    const b = viewport.getBounds() as LngLatBounds;
    return gcjTilesForView(b, Math.min(z, maxZoom ?? z));
  }
}

/** Counts failed tiles in a row; `fail()` says true once, when the basemap should be given up. */
export class TileFailureCounter {
  private inARow = 0;
  private tripped = false;
  constructor(private readonly limit: number = BASEMAP_CONFIG.maxConsecutiveTileFailures) {}
  loaded(): void {
    this.inARow = 0;
  }
  /** true exactly once: when the limit is reached */
  fail(): boolean {
    this.inARow++;
    if (this.tripped || this.inARow < this.limit) return false;
    this.tripped = true;
    return true;
  }
}

async function loadTileImage(url: string, signal: AbortSignal | undefined): Promise<ImageBitmap> {
  const timeout = AbortSignal.timeout(BASEMAP_CONFIG.tileTimeoutMs);
  const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, mode: 'cors', credentials: 'omit' });
  if (!res.ok) throw new Error(`tile ${url}: HTTP ${res.status}`);
  return createImageBitmap(await res.blob());
}

/** The props of one tile layer; built once per basemap so that every render hands deck.gl the same functions. */
function tileLayerProps(
  id: string,
  template: string,
  b: BasemapSource,
  counter: TileFailureCounter,
  onFailed: () => void,
): TileLayerProps<ImageBitmap> {
  return {
    id,
    // tiles come from getTileData (subdomains, WMTS names, abort and timeout): no URL template here
    data: null,
    minZoom: b.minZoom,
    maxZoom: b.maxZoom,
    tileSize: STANDARD_TILE_SIZE_PX,
    maxRequests: BASEMAP_CONFIG.maxConcurrentTileRequests,
    maxCacheSize: BASEMAP_CONFIG.maxCachedTiles,
    pickable: false,
    ...(b.datum === 'gcj02' ? { TilesetClass: GcjTileset2D as unknown as typeof Tileset2D } : {}),
    getTileData: ({ index, signal }) => loadTileImage(expandTileUrl(template, index, b.subdomains), signal),
    onTileLoad: () => counter.loaded(),
    onTileError: (err: unknown) => {
      // an aborted request (the view moved on) is not a failure of the source
      if ((err as { name?: string } | null)?.name === 'AbortError') return;
      if (counter.fail()) onFailed();
    },
    renderSubLayers: (sub) => {
      const index = (sub as unknown as { tile: { index: TileIndex } }).tile.index;
      const image = sub.data as ImageBitmap | null;
      if (!image) return null;
      return new BitmapLayer({ id: `${sub.id}-bitmap`, image, bounds: tileQuadFor(index, b.datum), pickable: false });
    },
  };
}

/**
 * A raster basemap's layers for one map: `layers()` gives the base tiles, then its annotation
 * tiles, with the same props objects every time (deck.gl sees no change between renders).
 * `onFailed` is called once, when the tiles keep failing.
 */
export function createBasemapLayers(b: BasemapSource, onFailed: () => void): { source: BasemapSource; layers: () => Layer[] } {
  const counter = new TileFailureCounter();
  const props = [tileLayerProps(`basemap-${b.id}`, b.url, b, counter, onFailed)];
  if (b.annotationUrl) props.push(tileLayerProps(`basemap-${b.id}-annotation`, b.annotationUrl, b, counter, onFailed));
  return { source: b, layers: () => props.map((p) => new TileLayer<ImageBitmap>(p)) };
}
