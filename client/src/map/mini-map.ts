/**
 * A small deck.gl map that shows a form value, not a scene (the admin's location picker, the
 * console history's area filter): one Deck with a flat Qingdao view, no rotation and no
 * double-click zoom, redrawn when its box is resized, and clicks read from the DOM.
 *
 * Clicks are read from the DOM, not from deck.gl's `onClick`: deck holds a click back for the
 * double-click interval and drops it when the next press comes sooner, so quick clicks (a polygon's
 * vertices, a double-click's first click, a second pick of a location) would be lost. A press that
 * moved further than `CLICK_MAX_MOVE_PX` is a pan of the map, not a click.
 */
import { Deck, MapView, type LayersList, type PickingInfo } from '@deck.gl/core';
import { MAX_ZOOM, MIN_ZOOM, type MapViewState } from './view-state';

/** A press that moved further than this is a pan of the map, not a click, CSS px. */
export const CLICK_MAX_MOVE_PX = 4;

/** A click on the map: its point in the map's box (CSS px) and where that is on the ground. */
export interface MiniMapClick {
  x: number;
  y: number;
  lngLat: [number, number];
}

export interface MiniMapOptions {
  container: HTMLDivElement;
  view: MapViewState;
  layers: LayersList;
  onClick(click: MiniMapClick, deck: Deck<MapView>): void;
  onHover?(info: PickingInfo): void;
  onZoom?(zoom: number): void;
  onLoad?(): void;
  getCursor(state: { isDragging: boolean; isHovering: boolean }): string;
}

export interface MiniMap {
  readonly deck: Deck<MapView>;
  setLayers(layers: LayersList): void;
  /** Listeners for the element that holds the container (wire them as @pointerdown / @click). */
  pointerDown(e: PointerEvent): void;
  click(e: MouseEvent): void;
  destroy(): void;
}

/** Whether a press at `from` released at `to` is a click (it did not pan the map). */
export function isClick(from: readonly [number, number] | null, to: readonly [number, number]): boolean {
  return !from || Math.hypot(to[0] - from[0], to[1] - from[1]) <= CLICK_MAX_MOVE_PX;
}

export function createMiniMap(o: MiniMapOptions): MiniMap {
  const deck = new Deck<MapView>({
    parent: o.container,
    width: '100%',
    height: '100%',
    views: new MapView({ repeat: false }),
    initialViewState: { ...o.view, minZoom: MIN_ZOOM, maxZoom: MAX_ZOOM },
    controller: { dragRotate: false, touchRotate: false, doubleClickZoom: false },
    layers: o.layers,
    ...(o.onHover ? { onHover: o.onHover } : {}),
    ...(o.onZoom ? { onViewStateChange: ({ viewState }) => o.onZoom!((viewState as { zoom: number }).zoom) } : {}),
    ...(o.onLoad ? { onLoad: o.onLoad } : {}),
    getCursor: o.getCursor,
  });
  const resizeObserver = new ResizeObserver(() => deck.redraw());
  resizeObserver.observe(o.container);
  let pressedAt: [number, number] | null = null;
  let destroyed = false;

  return {
    deck,
    setLayers: (layers) => {
      if (!destroyed) deck.setProps({ layers });
    },
    pointerDown: (e) => {
      pressedAt = [e.clientX, e.clientY];
    },
    click: (e) => {
      const from = pressedAt;
      pressedAt = null;
      if (destroyed || !isClick(from, [e.clientX, e.clientY])) return;
      const box = o.container.getBoundingClientRect();
      const x = e.clientX - box.left;
      const y = e.clientY - box.top;
      const viewport = deck.getViewports()[0];
      if (!viewport) return;
      const [lng, lat] = viewport.unproject([x, y]) as [number, number];
      o.onClick({ x, y, lngLat: [lng, lat] }, deck);
    },
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      resizeObserver.disconnect();
      deck.finalize();
    },
  };
}
