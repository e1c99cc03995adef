/**
 * A map's own flags in the address bar (`basemap=`, `legend=`, `layerPanel=`): read from and
 * written to the URL directly, so that a kiosk URL keeps them, without a router navigation.
 * layer-visibility.ts reads the whole query the same way before it writes `layers=` through the router.
 */

/**
 * One query parameter of the address bar as it is now (a map's flags — `basemap=`, `legend=`,
 * `layerPanel=` — are written with history.replaceState, which the router does not see); null when
 * absent or outside a browser.
 */
export function urlParam(name: string): string | null {
  return typeof location === 'undefined' ? null : new URLSearchParams(location.search).get(name);
}

/** Keeps `name=value` in the address bar without navigating (history.replaceState, no reload). */
export function writeUrlParam(name: string, value: string): void {
  if (typeof location === 'undefined' || typeof history === 'undefined') return;
  const url = new URL(location.href);
  url.searchParams.set(name, value);
  history.replaceState(history.state, '', url);
}
