/**
 * The order of a map's layers with its base (issue 17), bottom to top:
 *   under (sea, raster tiles, tint) → the scene's district fill → the offline base's detail
 *   (water, bridges, pipes) → the scene's assets, device dots, cameras, rescue teams, depots and
 *   shelters → the map's names (place names, district names) → alerts, incidents, handlers and
 *   their names.
 * Names lie above the device dots (a wall's "市北区" was hidden under a cluster of dots) but under
 * what the officer acts on: an alert's pulse or an incident is never covered by a name.
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
import { CAMERA_LAYER_IDS } from './camera-layers';
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
/** the map's names (not people's: a handler's name stays with its dot, above everything) */
const isMapName = (l: Layer) => l.id === LAYER_IDS.districtLabels || (isLabel(l) && l.id !== LAYER_IDS.handlerLabels);
/** the device layers of a scene (cameras go right above them, map-layer-builder.ts) */
export const DEVICE_LAYER_IDS: ReadonlySet<string> = new Set([LAYER_IDS.devices, LAYER_IDS.devicesHexagon, LAYER_IDS.devicesMaintenance]);
/**
 * the layers the map's names are drawn above: what stands still — devices, cameras, rescue teams,
 * depots, shelters (a 4K wall's "市北区" lay under a camera dot and three shelters)
 */
const UNDER_NAMES_LAYER_IDS: ReadonlySet<string> = new Set([
  ...DEVICE_LAYER_IDS,
  CAMERA_LAYER_IDS.wedges,
  CAMERA_LAYER_IDS.points,
  LAYER_IDS.resources,
  LAYER_IDS.shelters,
]);

/** `live` with the map's names moved right above the last device layer (where there is one). */
function namesOverDevices(live: Layer[]): Layer[] {
  let lastDevice = -1;
  live.forEach((l, i) => {
    if (UNDER_NAMES_LAYER_IDS.has(l.id)) lastDevice = i;
  });
  if (lastDevice < 0) return live;
  const names = live.filter(isMapName);
  if (names.length === 0) return live;
  const out: Layer[] = [];
  live.forEach((l, i) => {
    if (!isMapName(l)) out.push(l);
    if (i === lastDevice) out.push(...names);
  });
  return out;
}

/** under + scene layers with `detail` inserted right above the district fill, split into base and live. */
export function stackMapLayers(under: Layer[], detail: Layer[], scene: Layer[]): StackedLayers {
  const at = scene.findIndex((l) => l.id === LAYER_IDS.districts);
  const detailBase = detail.filter((l) => !isLabel(l));
  const detailLabels = detail.filter(isLabel);
  if (at < 0) return { base: [...under, ...detailBase], live: namesOverDevices([...detailLabels, ...scene]) };
  return { base: [...under, ...scene.slice(0, at + 1), ...detailBase], live: namesOverDevices([...detailLabels, ...scene.slice(at + 1)]) };
}
