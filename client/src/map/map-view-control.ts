/**
 * Where a map looks. View rule: it rests at its home view — the drilled district framed, else the
 * Qingdao urban area, both inside the page's padding — and follows the box size (and the padding)
 * until a person pans or zooms; after that it never re-fits by itself — only `flyHome` (the "reset
 * view" button, a drill in or out) does. A focus request flies to a point and is kept like a pan.
 */
import { FlyToInterpolator, WebMercatorViewport } from '@deck.gl/core';
import type { Deck, MapView } from '@deck.gl/core';
import type { DistrictCode } from '@scenes/domain';
import { CLIENT_CONFIG } from '../client-config';
import { zoomBand } from './scene-to-layer-props';
import { centeredView, FIT_PADDING_PX, fitBoundsView, initialQingdaoView, MAX_ZOOM, MIN_ZOOM } from './view-state';
import type { MapPadding, MapViewState } from './view-state';
import { districtBounds } from './district-layers';
import type { Project } from './covered-labels';

/** What deck.gl reports of an interaction with a view change (its InteractionState). */
export interface ViewInteraction {
  isDragging?: boolean;
  isPanning?: boolean;
  isZooming?: boolean;
}

export interface MapViewSource {
  /** the map box, px */
  box(): { width: number; height: number };
  /** the map's deck, null before mount and after unmount */
  deck(): Pick<Deck<MapView>, 'setProps'> | null;
  /** map px the page covers on each side; undefined: nothing covered */
  fitPadding(): MapPadding | undefined;
  /** the district the page is drilled into; null: the city */
  district(): DistrictCode | null;
  /** the view came to rest somewhere new (set without a transition, or moved by deck.gl) */
  onViewChanged(): void;
  /** a person panned or zoomed the map for the first time since it last rested at home */
  onUserMoved(): void;
  /** the zoom crossed into another band (scene-to-layer-props.ts: zoomBand) */
  onZoomBandChanged(): void;
}

export interface MapViewControl {
  /** zoom of the view now (during a fly-to: its target) */
  zoom(): number;
  /** the view the map last came to or passed through (during a fly-to: its step now) */
  viewState(): MapViewState | null;
  /** canvas px of a [lng, lat] in the view now; null before the first view */
  project(): Project | null;
  /** the deck's first view: home, within the zoom limits */
  initialViewState(): MapViewState & { minZoom: number; maxZoom: number };
  /** deck.gl's onViewStateChange */
  onViewStateChange(view: MapViewState, interaction: ViewInteraction): void;
  /** back home, and follow the box again until the next pan/zoom */
  flyHome(transitionMs: number): void;
  /** home again for a new box or padding, unless a person moved the map */
  refit(): void;
  /** fly to `p` (a focus request); the view is then kept like a person's pan */
  flyTo(p: [number, number]): void;
  /** refits whenever `el` changes size */
  observeResize(el: Element): void;
  stopObservingResize(): void;
}

export function createMapViewControl(source: MapViewSource): MapViewControl {
  let userMoved = false;
  let zoom = 10;
  let lastViewState: MapViewState | null = null;
  let resizeObserver: ResizeObserver | null = null;

  function homeView(): MapViewState {
    const { width, height } = source.box();
    const padding = source.fitPadding() ?? FIT_PADDING_PX;
    const district = source.district();
    const bounds = district ? districtBounds(district) : null;
    return bounds ? fitBoundsView(bounds, width, height, padding) : initialQingdaoView(width, height, padding);
  }

  function project(): Project | null {
    if (!lastViewState) return null;
    const viewport = new WebMercatorViewport({ ...lastViewState, ...source.box() });
    return (p) => viewport.project(p);
  }

  function setView(view: MapViewState, transitionMs = 0) {
    zoom = view.zoom;
    if (transitionMs === 0) {
      lastViewState = view;
      source.onViewChanged();
    }
    source.deck()?.setProps({
      initialViewState: {
        ...view,
        minZoom: MIN_ZOOM,
        maxZoom: MAX_ZOOM,
        ...(transitionMs > 0 ? { transitionDuration: transitionMs, transitionInterpolator: new FlyToInterpolator() } : {}),
      },
    });
  }

  function refit() {
    if (userMoved || !source.deck()) return;
    setView(homeView());
  }

  return {
    zoom: () => zoom,
    viewState: () => lastViewState,
    project,
    initialViewState() {
      const view = homeView();
      zoom = view.zoom;
      lastViewState = view;
      return { ...view, minZoom: MIN_ZOOM, maxZoom: MAX_ZOOM };
    },
    onViewStateChange(view, interaction) {
      const bandBefore = zoomBand(zoom);
      zoom = view.zoom;
      lastViewState = view;
      source.onViewChanged();
      if (interaction.isDragging || interaction.isPanning || interaction.isZooming) {
        if (!userMoved) source.onUserMoved();
        userMoved = true;
      }
      if (bandBefore !== zoomBand(zoom)) source.onZoomBandChanged();
    },
    flyHome(transitionMs) {
      userMoved = false;
      setView(homeView(), transitionMs);
    },
    refit,
    flyTo(p) {
      userMoved = true;
      setView(centeredView(p, CLIENT_CONFIG.flyToZoom, source.fitPadding() ?? 0), CLIENT_CONFIG.flyToDurationMs);
    },
    observeResize(el) {
      resizeObserver = new ResizeObserver(refit);
      resizeObserver.observe(el);
    },
    stopObservingResize() {
      resizeObserver?.disconnect();
      resizeObserver = null;
    },
  };
}
