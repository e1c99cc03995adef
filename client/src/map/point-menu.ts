/**
 * Issue 17: a right-click on the map gives the [lng, lat] under it (the console's impact range of
 * a point) instead of the browser's menu; a page that does not ask for it keeps the browser's menu.
 */

/** The current view's canvas px → [lng, lat] (deck.gl's Viewport#unproject). */
export interface Unprojector {
  unproject(xy: number[]): number[];
}

/** The [lng, lat] under a pointer at client px, in a map box whose top left is at client px; null off the map. */
export function pointUnderPointer(
  viewport: Unprojector,
  box: { left: number; top: number },
  clientX: number,
  clientY: number,
): [number, number] | null {
  const [lng, lat] = viewport.unproject([clientX - box.left, clientY - box.top]);
  return Number.isFinite(lng) && Number.isFinite(lat) ? [lng!, lat!] : null;
}

export interface PointMenuSource {
  /** whether the page asked for the point menu (read at each right-click) */
  enabled(): boolean;
  /** the map's current view, undefined before the first draw */
  viewport(): Unprojector | undefined;
  onPoint(p: [number, number]): void;
}

export interface PointMenu {
  attach(el: HTMLElement): void;
  detach(el: HTMLElement): void;
}

export function createPointMenu(source: PointMenuSource): PointMenu {
  function onContextMenu(e: MouseEvent) {
    const viewport = source.viewport();
    const el = e.currentTarget as HTMLElement | null;
    if (!source.enabled() || !viewport || !el) return;
    e.preventDefault();
    const p = pointUnderPointer(viewport, el.getBoundingClientRect(), e.clientX, e.clientY);
    if (p) source.onPoint(p);
  }
  return {
    attach: (el) => el.addEventListener('contextmenu', onContextMenu),
    detach: (el) => el.removeEventListener('contextmenu', onContextMenu),
  };
}
