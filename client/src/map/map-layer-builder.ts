/**
 * One map's layers: the scene's descriptors and every overlay's, filtered by the layer toggles and
 * the page's covered band, stacked onto the map's base and handed to deck.gl's label collisions.
 * One per DeckMap: it owns that map's device-layer cache, base and covered-label memo, so data
 * identity survives across renders (deck.gl's incremental path).
 */
import type { Layer } from '@deck.gl/core';
import type { SceneModel } from '@scenes/scene-model';
import type { DistrictCode } from '@scenes/domain';
import type { ImpactRange } from '@scenes/impact/impact-types';
import type { CameraView } from '@scenes/cameras/camera-view';
import type { Lang } from '../i18n/i18n';
import { createDeviceLayerCache, quantizePulseTs, sceneToLayerProps } from './scene-to-layer-props';
import type { LayerDescriptor } from './scene-to-layer-props';
import { DEVICE_LAYER_IDS } from './basemap-stack';
import { createMapBase } from './basemap-base';
import { isToggleOn, layerGroupOf, presentLayerGroups, visibleDescriptors } from './layer-groups';
import type { LayerGroupId, LayerVisibility } from './layer-groups';
import { withLabelCollisions } from './label-collisions';
import { createCoveredLabelFilter } from './covered-labels';
import type { Project } from './covered-labels';
import { cameraLayers } from './camera-layers';
import { districtHighlightLayers } from './district-layers';
import { impactLayers } from './impact-layers';
import { forRebuild } from './map-bench-hooks';
import type { RenderMode } from './map-bench-hooks';

/** What one render draws. */
export interface MapLayerInput {
  model: SceneModel | null;
  /** server-clock now, epoch ms */
  nowTs: number;
  zoom: number;
  lang: Lang;
  /** screen-px multiplier for map symbols */
  pixelScale: number;
  visibility: LayerVisibility;
  cameras: readonly CameraView[];
  district: DistrictCode | null;
  impact: ImpactRange | null | undefined;
  /** canvas px of a [lng, lat] in the current view; null when the page covers nothing */
  project: Project | null;
  /** map px the page covers at the top (the wall's KPI strip) */
  coveredTopPx: number;
}

export interface MapLayers {
  /** every layer in drawing order: `base` then `live` (a map drawn on one deck; made when read) */
  readonly layers: Layer[];
  /** the static base (basemap-stack.ts): what a software-GL map's base deck draws (base-deck.ts) */
  base: Layer[];
  /** the rest, labels in deck.gl's collision group */
  live: Layer[];
  /** groups that have something drawn (the legend explains only those) */
  present: Set<LayerGroupId>;
}

export interface MapLayerBuilder {
  build(input: MapLayerInput): MapLayers;
  /** true when the view moved labels into or out of the covered band since the last build */
  coveredLabelsChanged(project: Project | null, coveredTopPx: number): boolean;
  /** the bench's switch (map-bench-hooks.ts) */
  setRenderMode(mode: RenderMode): void;
}

/** `scene` with `extra` inserted right after its last device layer (appended when it has none). */
export function withAfterDevices(scene: readonly LayerDescriptor[], extra: readonly LayerDescriptor[]): LayerDescriptor[] {
  let at = -1;
  scene.forEach((d, i) => {
    if (DEVICE_LAYER_IDS.has(d.props.id)) at = i;
  });
  if (at < 0) return [...scene, ...extra];
  return [...scene.slice(0, at + 1), ...extra, ...scene.slice(at + 1)];
}

export function createMapLayerBuilder(): MapLayerBuilder {
  /** keeps the device layer's data identity across status-only changes */
  const deviceCache = createDeviceLayerCache();
  /** the basemap or offline base under the scene (issue 17: basemap-base.ts) */
  const mapBase = createMapBase();
  /** labels under the wall's KPI strip are left out (covered-labels.ts) */
  const coveredLabels = createCoveredLabelFilter();
  let renderMode: RenderMode = 'incremental';

  return {
    build(input) {
      const { visibility, pixelScale } = input;
      const scene = input.model
        ? sceneToLayerProps(input.model, {
            nowTs: input.nowTs,
            pulseTs: quantizePulseTs(Date.now()),
            zoom: input.zoom,
            lang: input.lang,
            pixelScale,
            deviceCache,
            aggregateDevices: isToggleOn(visibility, 'heat'),
          })
        : [];
      // every overlay's descriptors, bottom to top: the scene's, then the other overlays' (append here);
      // cameras are infrastructure like the device dots: right above them, under names, incidents and people
      const all = withAfterDevices(scene, cameraLayers(input.cameras, { pixelScale }));
      all.push(...districtHighlightLayers(input.district, { pixelScale }));
      all.push(...impactLayers(input.impact, { lang: input.lang, pixelScale, zoom: input.zoom }));
      const basemapShown = isToggleOn(visibility, 'basemap');
      const present = presentLayerGroups(all, basemapShown);
      const descriptors = coveredLabels.apply(visibleDescriptors(all, visibility), input.project, input.coveredTopPx);
      const stacked = mapBase.layers(renderMode === 'rebuild' ? forRebuild(descriptors) : descriptors, {
        zoom: input.zoom,
        lang: input.lang,
        pixelScale,
      });
      // the base's own layers (offline detail, raster tiles) follow the basemap toggle
      const shown = (layers: Layer[]) => (basemapShown ? layers : layers.filter((l) => layerGroupOf(l.id) !== 'basemap'));
      const base = shown(stacked.base);
      const live = withLabelCollisions(shown(stacked.live));
      return {
        // concatenated only for a map drawn on one deck (one array per frame saved on a base-deck map)
        get layers() {
          return [...base, ...live];
        },
        base,
        live,
        present,
      };
    },
    coveredLabelsChanged: (project, coveredTopPx) => coveredLabels.changed(project, coveredTopPx),
    setRenderMode(mode) {
      renderMode = mode;
    },
  };
}
