/**
 * The order of a map's layers with its base (issue 17), bottom to top:
 *   under (sea, raster tiles, tint) → the scene's district fill → the offline base's detail
 *   (water, bridges, pipes, place names) → every other scene layer (district names, assets,
 *   devices, alerts, incidents, handlers).
 * The district fill is nearly opaque on the offline base; over a raster basemap it becomes a
 * light tint so that the tiles show through.
 *
 * The stack comes in two parts: the static `base` (everything up to the offline detail, but no
 * label: labels must share one deck to avoid each other, label-collisions.ts) and the `live`
 * rest. A map on software GL draws the base on a deck of its own that redraws only when the view
 * or the base changes (base-deck.ts); anywhere else the two are drawn as one list.
 */
import type { Layer } from '@deck.gl/core';
import { SolidPolygonLayer } from '@deck.gl/layers';
import type { LayerDescriptor } from './scene-to-layer-props';
import { LABEL_ROLE_BY_LAYER_ID } from './label-collisions';
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

const TINT = [
  {
    polygon: [
      [60, -10],
      [160, -10],
      [160, 70],
      [60, 70],
    ] as [number, number][],
  },
];
const polygonOf = (d: { polygon: [number, number][] }) => d.polygon;

/** The veil drawn over raster tiles (the same props every time: the base deck sees no change). */
export function rasterTintLayer(): Layer {
  return new SolidPolygonLayer<{ polygon: [number, number][] }>({
    id: 'basemap-tint',
    data: TINT,
    getPolygon: polygonOf,
    getFillColor: RASTER_BASE_STYLE.tint,
    pickable: false,
  });
}

/** A map's layers in drawing order, `base` below `live`. */
export interface StackedLayers {
  /** the static base: sea, tiles, the district fill, the offline detail without its labels */
  base: Layer[];
  /** the rest: labels and the scene's live layers */
  live: Layer[];
}

const isLabel = (l: Layer) => l.id in LABEL_ROLE_BY_LAYER_ID;

/** under + scene layers with `detail` inserted right above the district fill, split into base and live. */
export function stackMapLayers(under: Layer[], detail: Layer[], scene: Layer[]): StackedLayers {
  const at = scene.findIndex((l) => l.id === LAYER_IDS.districts);
  const detailBase = detail.filter((l) => !isLabel(l));
  const detailLabels = detail.filter(isLabel);
  if (at < 0) return { base: [...under, ...detailBase], live: [...detailLabels, ...scene] };
  return { base: [...under, ...scene.slice(0, at + 1), ...detailBase], live: [...detailLabels, ...scene.slice(at + 1)] };
}
