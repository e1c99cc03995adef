/**
 * A map's layer visibility (issue 17), kept in the URL's `layers=` query (layer-groups.ts has the
 * grammar) so that a kiosk URL or a playlist keeps it: the route is the state, and a toggle is a
 * `router.replace` that keeps every other query key (the playlist's `rotate`, the basemap choice …).
 */
import { computed } from 'vue';
import type { ComputedRef } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import { decodeVisibility, encodeVisibility, LAYERS_QUERY_PARAM, withToggle } from './layer-groups';
import type { LayerToggleId, LayerVisibility, MapPageKind } from './layer-groups';

export interface LayerVisibilityState {
  visibility: ComputedRef<LayerVisibility>;
  setToggle(id: LayerToggleId, on: boolean): void;
  /** back to the page's defaults (drops `layers=`) */
  reset(): void;
}

/**
 * The query to keep: the address bar's (the basemap switcher writes `basemap=` with
 * history.replaceState, which the router does not see), else the route's.
 */
function currentQuery(routeQuery: LocationQuery): LocationQueryRaw {
  if (typeof location === 'undefined') return { ...routeQuery };
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(location.search)) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return query;
}

/** The visibility of the map on this page, and its toggles (call from a component's setup). */
export function useLayerVisibility(page: MapPageKind): LayerVisibilityState {
  const route = useRoute();
  const router = useRouter();
  const visibility = computed(() => decodeVisibility(route.query[LAYERS_QUERY_PARAM], page));

  function write(next: LayerVisibility) {
    const query = currentQuery(route.query);
    const value = encodeVisibility(next, page);
    if (value === null) delete query[LAYERS_QUERY_PARAM];
    else query[LAYERS_QUERY_PARAM] = value;
    void router.replace({ query, hash: route.hash });
  }

  return {
    visibility,
    setToggle: (id, on) => write(withToggle(visibility.value, id, on)),
    reset: () => write(decodeVisibility(null, page)),
  };
}
