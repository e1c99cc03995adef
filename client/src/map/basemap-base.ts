/**
 * A map's base (issue 17) as DeckMap uses it: the shown basemap (basemap-catalog.ts) turned into
 * layers under and between the scene's, and the map stacked in order (basemap-stack.ts).
 * One per DeckMap: it owns that map's tile layers and their failure count.
 */
import type { Lang } from '../i18n/i18n';
import type { LayerDescriptor } from './scene-to-layer-props';
import { layersFromDescriptors } from './layers-from-descriptors';
import { noteBasemapFailed, shownBasemap } from './basemap-catalog';
import { createBasemapLayers } from './basemap-layer';
import { adaptSceneToRaster, rasterTintLayer, stackMapLayers } from './basemap-stack';
import type { StackedLayers } from './basemap-stack';
import { offlineDetailLayers, seaLayer } from './offline-base';

export interface MapBase {
  /** every layer of the map: the base, with the scene's descriptors stacked in (basemap-stack.ts) */
  layers(descriptors: LayerDescriptor[], opts: { zoom: number; lang: Lang; pixelScale: number }): StackedLayers;
}

export function createMapBase(): MapBase {
  let raster: ReturnType<typeof createBasemapLayers> | null = null;
  return {
    layers(descriptors, opts) {
      const shown = shownBasemap();
      if (shown && raster?.source !== shown) raster = createBasemapLayers(shown, () => noteBasemapFailed(shown.id));
      if (!shown) raster = null;
      const scene = layersFromDescriptors(adaptSceneToRaster(descriptors, raster !== null));
      if (raster) return stackMapLayers([seaLayer(), ...raster.layers(), rasterTintLayer()], [], scene);
      return stackMapLayers([seaLayer()], offlineDetailLayers(opts), scene);
    },
  };
}
