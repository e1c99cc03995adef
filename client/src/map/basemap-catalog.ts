/**
 * The basemaps this server offers (`GET /api/basemaps`, server/basemap-config.ts) and which one a
 * map shows: the `?basemap=` query (so a kiosk keeps its choice), else the first configured one,
 * else the offline base. The answer is validated; a failed or malformed answer means "offline only".
 */
import { ref, shallowRef } from 'vue';
import { BasemapsResponseSchema, OFFLINE_BASEMAP_ID, type BasemapSource } from '@scenes/geo/basemap-source';
import { loadSession } from '../auth/session';
import { call } from '../data/rest';
import { urlParam, writeUrlParam } from './url-params';

/** The URL query parameter that holds the choice. */
export const BASEMAP_QUERY_PARAM = 'basemap';

/** The configured basemaps (empty until loaded, and when none is configured). */
export const basemapCatalog = shallowRef<readonly BasemapSource[]>([]);
/** The chosen basemap's id, or OFFLINE_BASEMAP_ID. */
export const chosenBasemapId = ref<string>(OFFLINE_BASEMAP_ID);
/** The basemap whose tiles kept failing on this page (shown as the offline base until chosen again), or null. */
export const failedBasemapId = ref<string | null>(null);

let loading: Promise<void> | null = null;

/** Which basemap to show for a query value and the configured list (pure). */
export function resolveBasemapChoice(queryValue: string | null, basemaps: readonly BasemapSource[]): string {
  if (queryValue === OFFLINE_BASEMAP_ID) return OFFLINE_BASEMAP_ID;
  if (queryValue && basemaps.some((b) => b.id === queryValue)) return queryValue;
  return basemaps[0]?.id ?? OFFLINE_BASEMAP_ID;
}

/** Loads the catalogue once per page (every map shares it) and applies the URL's choice. */
export function loadBasemapCatalog(): Promise<void> {
  loading ??= (async () => {
    const r = await call<unknown>(loadSession()?.token ?? '', '/api/basemaps');
    const parsed = r.ok ? BasemapsResponseSchema.safeParse(r) : null;
    // a failed request is asked again by the next map that mounts; until then: offline base
    if (!r.ok) loading = null;
    basemapCatalog.value = parsed?.success ? parsed.data.basemaps : [];
    chosenBasemapId.value = resolveBasemapChoice(urlParam(BASEMAP_QUERY_PARAM), basemapCatalog.value);
  })().catch(() => {
    loading = null;
    basemapCatalog.value = [];
    chosenBasemapId.value = OFFLINE_BASEMAP_ID;
  });
  return loading;
}

/** Shows `id` and keeps it in the URL query (history.replaceState: no navigation, no reload). */
export function chooseBasemap(id: string): void {
  failedBasemapId.value = null;
  chosenBasemapId.value = resolveBasemapChoice(id, basemapCatalog.value);
  writeUrlParam(BASEMAP_QUERY_PARAM, chosenBasemapId.value);
}

/** The basemap to draw: the chosen one unless it failed; null = the offline base. */
export function shownBasemap(): BasemapSource | null {
  if (failedBasemapId.value === chosenBasemapId.value) return null;
  return basemapCatalog.value.find((b) => b.id === chosenBasemapId.value) ?? null;
}

/** The chosen basemap's tiles keep failing: draw the offline base and say so. */
export function noteBasemapFailed(id: string): void {
  failedBasemapId.value = id;
}
