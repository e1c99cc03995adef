/**
 * A software-GL map's static base on a deck of its own (issue 17: a wall PC without a GPU).
 *
 * Measured on SwiftShader at 1920×1080 (bench render-cameras, per-layer ablation): the district
 * fill and outlines alone cost the GPU process ≈ 0.23 s per map frame — most of a wall frame —
 * although they never change while the wall watches. Drawn on a canvas of their own under the
 * map's (the map's canvas is transparent where nothing is drawn), they are drawn again only when
 * the view or the base itself changes (a drill, the basemap, the language), and a live frame draws
 * only the live layers. The base deck has no controller: the map's deck owns the view and hands
 * every view change on (`setViewState`); a click that picks nothing on the map is picked here
 * (the district drill-down).
 *
 * With a GPU a map stays one deck: frames are cheap there, and two decks could lag a frame apart
 * while the view moves.
 */
import { Deck, MapView } from '@deck.gl/core';
import type { Layer, PickingInfo } from '@deck.gl/core';
import type { MapViewState } from './view-state';

/**
 * The same layers for deck.gl's purposes: ids, classes, data and every own prop identical (props
 * by identity, numbers by value). Base layers are built from module-level data and accessors so
 * that this holds while nothing changed (offline-base.ts, basemap-stack.ts).
 */
export function sameLayers(a: readonly Layer[], b: readonly Layer[]): boolean {
  return a.length === b.length && a.every((layer, i) => sameLayer(layer, b[i]!));
}

function sameLayer(a: Layer, b: Layer): boolean {
  if (a === b) return true;
  if (a.id !== b.id || a.constructor !== b.constructor || a.props.data !== b.props.data) return false;
  const pa = a.props as unknown as Record<string, unknown>;
  const pb = b.props as unknown as Record<string, unknown>;
  const keys = Object.keys(pa);
  return keys.length === Object.keys(pb).length && keys.every((k) => pa[k] === pb[k]);
}

export interface BaseDeck {
  /** the base's layers now; the deck draws them only when they differ from the last ones */
  setLayers(layers: Layer[]): void;
  /** the map's view (the base follows it) */
  setViewState(view: MapViewState): void;
  /** the base's topmost object among `layerIds` at canvas px (x, y), or null */
  pick(x: number, y: number, layerIds: string[]): PickingInfo | null;
  /** the layers the base draws now (the tests' hooks) */
  layers(): readonly Layer[];
  finalize(): void;
}

/** A base deck in `parent` (a box under the map's, sized like it, not taking pointer events); `onFrame` after each frame it draws. */
export function createBaseDeck(parent: HTMLDivElement, view: MapViewState, useDevicePixels: number, onFrame: () => void): BaseDeck {
  let current: Layer[] = [];
  const deck = new Deck<MapView>({
    parent,
    width: '100%',
    height: '100%',
    views: new MapView({ repeat: false }),
    viewState: view,
    controller: false,
    useDevicePixels,
    layers: [],
    onAfterRender: onFrame,
  });
  return {
    setLayers(layers) {
      if (sameLayers(current, layers)) return;
      current = layers;
      deck.setProps({ layers });
    },
    setViewState(v) {
      deck.setProps({ viewState: v });
    },
    pick: (x, y, layerIds) => deck.pickObject({ x, y, layerIds }),
    layers: () => current,
    finalize: () => deck.finalize(),
  };
}
