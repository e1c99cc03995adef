/**
 * What a map shows to the bench and the browser tests on `window.__iocBench` (the console's redraw
 * probe is map-bench-probe.ts):
 * - `setMode('incremental' | 'rebuild')` (bench/render-bench.ts): 'rebuild' hands deck.gl fresh
 *   copies of every layer's data on every render — the naive peer that throws away deck.gl's
 *   attribute reuse. Normal operation is 'incremental': stable layer ids, unchanged `data`
 *   identity, named updateTriggers;
 * - `mapLayerIds()`, `mapLabelTexts(layerId)`, `mapProject([lng, lat])` (tests/browser): what the
 *   map draws now.
 * The last map set up owns the hooks (a page has one map).
 */
import type { Deck, MapView } from '@deck.gl/core';

export type RenderMode = 'incremental' | 'rebuild';

/** The descriptors with every list `data` copied (the 'rebuild' peer: deck.gl sees new data each render). */
export function forRebuild<D extends { props: { data?: unknown } }>(descriptors: readonly D[]): D[] {
  return descriptors.map((d) => {
    const data = d.props.data;
    return Array.isArray(data) ? ({ ...d, props: { ...d.props, data: [...data] } } as D) : d;
  });
}

/** deck.gl's `layers` prop may nest arrays and hold falsy entries: the layer objects in it. */
function layerObjects(layers: unknown): object[] {
  const list = Array.isArray(layers) ? (layers as unknown[]).flat(Infinity as 1) : [];
  return list.filter((l): l is object => !!l && typeof l === 'object' && 'id' in l);
}

/** Ids of the layers in deck.gl's `layers` prop, in order. */
export function layerIdsOf(layers: unknown): string[] {
  return layerObjects(layers).map((l) => String((l as { id: unknown }).id));
}

/** Names in a label layer's data, or null when no layer has that id or its data is not a list. */
export function labelTextsOf(layers: unknown, layerId: string): string[] | null {
  const layer = layerObjects(layers).find((l) => (l as { id: unknown }).id === layerId);
  const data = (layer as { props?: { data?: unknown } } | undefined)?.props?.data;
  return Array.isArray(data) ? data.map((d: { name?: string }) => String(d.name ?? '')) : null;
}

export interface BenchedMap {
  /** the map's deck, null before mount and after unmount */
  deck(): Deck<MapView> | null;
  /** every layer the map draws, bottom to top (with a base deck: its layers, then the map deck's) */
  layers(): unknown[];
  setRenderMode(mode: RenderMode): void;
}

/** Puts the map's hooks on `window.__iocBench`, keeping the hooks others put there. */
export function installMapBenchHooks(map: BenchedMap): void {
  const w = window as unknown as { __iocBench?: Record<string, unknown> };
  w.__iocBench = {
    ...w.__iocBench,
    setMode(m: RenderMode) {
      map.setRenderMode(m);
    },
    /** canvas px of a [lng, lat] in the current view (tests: what the KPI strip would cover) */
    mapProject: (p: [number, number]) => map.deck()?.getViewports()[0]?.project(p) ?? null,
    /** names in a label layer's data (tests: which labels are drawn), or null when it is not on the map */
    mapLabelTexts: (layerId: string) => labelTextsOf(map.layers(), layerId),
    /** ids of the layers the map draws now (tests: a layer switched off is not among them) */
    mapLayerIds: () => layerIdsOf(map.layers()),
  };
}
