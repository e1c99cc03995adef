/**
 * Self-hosted Chinese font (Noto Sans SC, SIL OFL, from @fontsource; Vite bundles the woff2
 * subsets, so nothing is fetched from the internet). The browser loads only the unicode-range
 * subsets a page uses.
 *
 * deck.gl's TextLayer draws glyphs into an atlas once per character set: glyphs of a font that has
 * not loaded yet would be drawn with a fallback and stay so. `preloadMapFonts` therefore loads the
 * subsets of every name the map can label (districts, assets, resources, handlers) before the app
 * mounts, bounded by a timeout so a slow disk never blanks a wall.
 */
import '@fontsource/noto-sans-sc/400.css';
import '@fontsource/noto-sans-sc/700.css';
import { QINGDAO_DISTRICTS } from '@scenes/geo/districts';
import { DEMO_HANDLERS, QINGDAO_ASSETS, QINGDAO_RESOURCES } from '@scenes/city/qingdao';

/** longest wait for fonts before the first paint, ms */
export const FONT_PRELOAD_TIMEOUT_MS = 4000;

export function mapLabelText(): string {
  const names = [
    ...QINGDAO_DISTRICTS.features.map((f) => f.properties.name),
    ...QINGDAO_ASSETS.map((a) => a.name),
    ...QINGDAO_RESOURCES.map((r) => r.name),
    ...DEMO_HANDLERS.map((h) => h.name),
  ];
  return [...new Set(names.join(''))].join('');
}

export async function preloadMapFonts(): Promise<void> {
  if (typeof document === 'undefined' || !document.fonts) return;
  const text = mapLabelText();
  const load = Promise.all(['400 16px "Noto Sans SC"', '700 16px "Noto Sans SC"'].map((f) => document.fonts.load(f, text))).then(() => undefined);
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, FONT_PRELOAD_TIMEOUT_MS));
  await Promise.race([load, timeout]).catch(() => undefined);
}
