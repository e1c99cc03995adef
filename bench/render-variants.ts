/**
 * The wall pages the render benchmark (render-bench.ts) measures, each against its own
 * full-rebuild peer on a fresh server with the same points and load:
 * - `wall`: `/screen/overview` as a kiosk opens it (legend folded, no layer panel);
 * - `layers` (issue 17): the same wall with the layer panel shown and opened (`?layerPanel=1`, then
 *   its button) and the legend unfolded (`?legend=1`). The base under the scene is the offline
 *   base whenever the server configures no raster basemap (the bench server configures none):
 *   `prepare` checks that its layers are drawn and records every layer id the map draws.
 */
import type { Page } from 'playwright-core';

export type RenderVariantName = 'wall' | 'layers';

export interface RenderVariant {
  name: RenderVariantName;
  /** figure prefix: `${prefix}_update_ms`, `${prefix}_rebuild_peer_ms` */
  prefix: string;
  /** extra query of the wall URL (after the kiosk token) */
  query: string;
  /** after the map's first frames: make the page what the variant measures; returns what was checked */
  prepare(page: Page, timeoutMs: number): Promise<Record<string, unknown>>;
}

/** Layers of the offline base that are drawn at the wall's zoom (offline-base.ts). */
const OFFLINE_BASE_LAYER_IDS = ['offline-sea', 'offline-rivers', 'offline-bridges'];

/** Every layer id the page's map draws (DeckMap.vue's bench hook). */
export function mapLayerIds(page: Page): Promise<string[]> {
  return page.evaluate(`window.__iocBench?.mapLayerIds?.() ?? []`) as Promise<string[]>;
}

/** How often `pageCondition` asks the page, ms. */
const POLL_MS = 250;

/**
 * Waits until the page expression `expression` is truthy. Asked with `page.evaluate` (DevTools'
 * Runtime.evaluate): the app's Content-Security-Policy refuses the `new Function` behind
 * Playwright's string `waitForFunction`.
 */
export async function pageCondition(page: Page, expression: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await page.waitForTimeout(POLL_MS);
  }
}

/** Waits until the scene's layers are drawn over the offline base; returns the drawn layer ids. */
async function sceneOnOfflineBase(page: Page, timeoutMs: number): Promise<string[]> {
  const wanted = JSON.stringify(['devices', ...OFFLINE_BASE_LAYER_IDS]);
  await pageCondition(
    page,
    `(() => { const ids = window.__iocBench?.mapLayerIds?.() ?? []; return ${wanted}.every((id) => ids.includes(id)); })()`,
    timeoutMs,
    'the scene drawn over the offline base',
  );
  return mapLayerIds(page);
}

export const RENDER_VARIANTS: readonly RenderVariant[] = [
  {
    name: 'wall',
    prefix: 'render',
    query: '',
    prepare: async (page, timeoutMs) => ({ layer_ids: await sceneOnOfflineBase(page, timeoutMs) }),
  },
  {
    name: 'layers',
    prefix: 'render_layers',
    query: 'layerPanel=1&legend=1',
    prepare: async (page, timeoutMs) => {
      const layerIds = await sceneOnOfflineBase(page, timeoutMs);
      await page.locator('[data-testid=layer-panel-open]').click({ timeout: timeoutMs });
      await page.locator('[data-layer-toggle=devices]').waitFor({ timeout: timeoutMs });
      const legendEntries = await page.locator('[data-testid=map-legend] [data-testid=legend-entry]').count();
      if (legendEntries === 0) throw new Error('layers variant: the legend is folded (legend=1 did not keep it open)');
      return {
        layer_ids: layerIds,
        layer_panel_toggles: await page.locator('[data-layer-toggle]').count(),
        legend_entries: legendEntries,
      };
    },
  },
];
