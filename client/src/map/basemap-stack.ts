/**
 * The order of a map's layers with its base (issue 17), bottom to top:
 *   under (sea, raster tiles, tint) → the scene's district fill → the offline base's detail
 *   (water, bridges, pipes, place names) → every other scene layer (district names, assets,
 *   devices, alerts, incidents, handlers).
 * The district fill is nearly opaque on the offline base; over a raster basemap it becomes a
 * light tint so that the tiles show through.
 */
import type { Layer } from '@deck.gl/core';
import { SolidPolygonLayer } from '@deck.gl/layers';
import type { LayerDescriptor } from './scene-to-layer-props';
import { LAYER_IDS } from './scene-to-layer-props';
import type { Rgba } from '../theme/palette';

export const RASTER_BASE_STYLE = {
  /** the scene's district fill over a raster basemap (alpha low: the tiles show) */
  districtFill: [14, 30, 52, 50] as Rgba,
  /** a dark veil over the tiles: a bright street map would outshine the alerts on a dark wall */
  tint: [3, 10, 22, 120] as Rgba,
} as const;

/** Over a raster basemap the district fill turns into a tint (other descriptors are kept as they are). */
export function adaptSceneToRaster(descriptors: LayerDescriptor[], raster: boolean): LayerDescriptor[] {
  if (!raster) return descriptors;
  return descriptors.map((d) =>
    (d.props as { id?: string }).id === LAYER_IDS.districts
      ? ({ ...d, props: { ...d.props, getFillColor: RASTER_BASE_STYLE.districtFill } } as LayerDescriptor)
      : d,
  );
}

const TINT_EXTENT: [number, number][] = [
  [60, -10],
  [160, -10],
  [160, 70],
  [60, 70],
];

/** The veil drawn over raster tiles. */
export function rasterTintLayer(): Layer {
  return new SolidPolygonLayer<{ polygon: [number, number][] }>({
    id: 'basemap-tint',
    data: [{ polygon: TINT_EXTENT }],
    getPolygon: (d) => d.polygon,
    getFillColor: RASTER_BASE_STYLE.tint,
    pickable: false,
  });
}

/** under + scene layers with `detail` inserted right above the district fill. */
export function stackMapLayers(under: Layer[], detail: Layer[], scene: Layer[]): Layer[] {
  const at = scene.findIndex((l) => l.id === LAYER_IDS.districts);
  if (at < 0) return [...under, ...detail, ...scene];
  return [...under, ...scene.slice(0, at + 1), ...detail, ...scene.slice(at + 1)];
}
