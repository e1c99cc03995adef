/**
 * Big-screen layout. The page is designed on a 1920×1080 canvas. Panels, header, KPI strip and
 * ticker (the "panel layer") are laid out in design px and CSS-scaled by one factor; the deck.gl
 * map is NOT scaled — it gets its real pixel box between the side panels (a CSS transform on a
 * WebGL canvas breaks picking and blurs it).
 *
 * Wide walls (e.g. 5760×1080) keep the panels at the sides at their design width and give the
 * extra width to the map; tall screens get taller panel columns.
 */

/** Design canvas and panel-layer sizes, design px. */
export const SCREEN_DESIGN = {
  widthPx: 1920,
  heightPx: 1080,
  headerHeightPx: 96,
  sidePanelWidthPx: 480,
  /** gap between the side panels and the screen edge / map, design px */
  gutterPx: 12,
  tickerHeightPx: 56,
  /**
   * what the panel layer covers of the map box, design px from its top and bottom edges: the
   * KPI strip (up to two rows of cards — the overview has nine — with the overlay's padding) and
   * the bottom bar (reset view, replay); a fit frames the city inside the rest (issue 17)
   */
  mapCoveredTopPx: 192,
  mapCoveredBottomPx: 64,
  /** margin of a fit from the map box's sides, design px */
  mapFitMarginPx: 16,
} as const;

export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface ScreenLayout {
  /** CSS scale applied to the panel layer: min(vw / 1920, vh / 1080) */
  scale: number;
  /** the viewport measured in design px (viewport / scale); ≥ 1920×1080 in at least one axis */
  designWidthPx: number;
  designHeightPx: number;
  /** real-pixel box of the map, between the side panels and below the header */
  mapBox: PixelBox;
  /** real px of the map box covered by the KPI strip and bottom bar, plus a margin: a fit's padding */
  mapFitPadding: { top: number; right: number; bottom: number; left: number };
}

/** Layout for a viewport of `viewportWidthPx` × `viewportHeightPx` CSS px. */
export function computeScreenLayout(viewportWidthPx: number, viewportHeightPx: number): ScreenLayout {
  const vw = Math.max(1, viewportWidthPx);
  const vh = Math.max(1, viewportHeightPx);
  const scale = Math.min(vw / SCREEN_DESIGN.widthPx, vh / SCREEN_DESIGN.heightPx);
  const side = (SCREEN_DESIGN.sidePanelWidthPx + 2 * SCREEN_DESIGN.gutterPx) * scale;
  const top = SCREEN_DESIGN.headerHeightPx * scale;
  const bottom = SCREEN_DESIGN.tickerHeightPx * scale;
  const mapBox: PixelBox = {
    left: Math.round(side),
    top: Math.round(top),
    width: Math.max(0, Math.round(vw - 2 * side)),
    height: Math.max(0, Math.round(vh - top - bottom)),
  };
  const margin = Math.round(SCREEN_DESIGN.mapFitMarginPx * scale);
  const mapFitPadding = {
    top: Math.round(SCREEN_DESIGN.mapCoveredTopPx * scale) + margin,
    right: margin,
    bottom: Math.round(SCREEN_DESIGN.mapCoveredBottomPx * scale) + margin,
    left: margin,
  };
  return { scale, designWidthPx: vw / scale, designHeightPx: vh / scale, mapBox, mapFitPadding };
}
