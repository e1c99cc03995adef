/**
 * Big-screen render benchmark: `/screen/overview` in headless Chromium (software GL), served by
 * the server under test with N device points while live updates bring devices online.
 *
 * Measured from outside the page (the page exposes no benchmark hook yet):
 * - main-thread script time from the DevTools `Performance.getMetrics` counters (ScriptDuration),
 *   in an idle window and in a live-update window of the same length;
 * - rendered frames (requestAnimationFrame count) and scene deltas received (WebSocket frames).
 * `render_update_ms` = (live − idle script time) / frames rendered in the live window.
 *
 * Peer (full rebuild of every layer's data on every frame) needs the page to offer
 * `window.__iocBench.setMode('incremental' | 'rebuild')`; without it the peer is null with a reason.
 *
 * Each point count is measured for every variant of the wall (render-variants.ts: as a kiosk opens
 * it, and with the layer panel and legend open), each on a fresh server under the same load, each
 * with its own peer: `render_update_ms` / `render_rebuild_peer_ms`, `render_layers_update_ms` /
 * `render_layers_rebuild_peer_ms` (figures of the largest point count).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { round } from './stats';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/helpers/browser';
import { RENDER_VARIANTS, type RenderVariant, type RenderVariantName } from './render-variants';

export interface RenderBenchOptions {
  pointCounts: number[];
  sampleMs: number;
  fleetSeed: number;
  startServer(devices: number): Promise<{ url: string; stop(): Promise<void> }>;
  startLoad(url: string, devices: number): Promise<{ stop(): Promise<void> }>;
  login(url: string): Promise<string>;
}
export interface RenderBenchResult {
  figures: Record<string, number | null>;
  reasons: Record<string, string>;
  /** per variant (render-variants.ts), one entry per point count */
  perPoints: Record<RenderVariantName, Record<string, unknown>[]>;
}

const VIEWPORT = { width: 1920, height: 1080 };
/** Page load and first snapshot may take this long, ms. */
const PAGE_READY_TIMEOUT_MS = 90_000;
/** After the canvas appears, let the first snapshot settle, ms. */
const SETTLE_MS = 3_000;
/** Live updates run this long before the live window starts, ms. */
const LOAD_WARMUP_MS = 1_500;

interface WindowSample {
  scriptMs: number;
  taskMs: number;
  frames: number;
  deltas: number;
  frameP50Ms: number | null;
  frameP95Ms: number | null;
}

async function metricsMs(page: Page, cdp: Awaited<ReturnType<BrowserContext['newCDPSession']>>): Promise<{ script: number; task: number }> {
  void page;
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const get = (n: string) => (metrics.find((m) => m.name === n)?.value ?? 0) * 1000;
  return { script: get('ScriptDuration'), task: get('TaskDuration') };
}

async function sampleWindow(
  page: Page,
  cdp: Awaited<ReturnType<BrowserContext['newCDPSession']>>,
  ms: number,
  deltaCounter: { n: number },
): Promise<WindowSample> {
  // scripts go in as strings: tsx would wrap named functions in a helper the page does not have
  await page.evaluate(`(() => {
    window.__benchFrames = [];
    window.__benchRun = true;
    const tick = (t) => {
      if (!window.__benchRun) return;
      window.__benchFrames.push(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const m0 = await metricsMs(page, cdp);
  const d0 = deltaCounter.n;
  await page.waitForTimeout(ms);
  const m1 = await metricsMs(page, cdp);
  const frames = (await page.evaluate(`(() => { window.__benchRun = false; return window.__benchFrames; })()`)) as number[];
  const gaps = frames
    .slice(1)
    .map((t, i) => t - frames[i])
    .sort((a, b) => a - b);
  const pick = (p: number) => (gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] : null);
  return {
    scriptMs: m1.script - m0.script,
    taskMs: m1.task - m0.task,
    frames: frames.length,
    deltas: deltaCounter.n - d0,
    frameP50Ms: round(pick(0.5)),
    frameP95Ms: round(pick(0.95)),
  };
}

interface MeasuredVariant {
  entry: Record<string, unknown>;
  updateMsPerFrame: number | null;
  rebuildMsPerFrame: number | null;
  hookSeen: boolean;
}

/** One variant at `n` points: a fresh server, the page, idle → live → rebuild windows. */
async function measureVariant(o: RenderBenchOptions, context: BrowserContext, n: number, variant: RenderVariant): Promise<MeasuredVariant> {
  const server = await o.startServer(n);
  let load: { stop(): Promise<void> } | null = null;
  const page = await context.newPage();
  try {
    const token = await o.login(server.url);
    const deltas = { n: 0 };
    page.on('websocket', (ws) => ws.on('framereceived', (f) => typeof f.payload === 'string' && f.payload.includes('"scene:delta"') && deltas.n++));
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const extra = variant.query ? `&${variant.query}` : '';
    await page.goto(`${server.url}/screen/overview?token=${encodeURIComponent(token)}${extra}`, { timeout: PAGE_READY_TIMEOUT_MS });
    await page.waitForSelector('canvas', { timeout: PAGE_READY_TIMEOUT_MS });
    const checked = await variant.prepare(page, PAGE_READY_TIMEOUT_MS);
    await page.waitForTimeout(SETTLE_MS);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const idle = await sampleWindow(page, cdp, o.sampleMs, deltas);
    load = await o.startLoad(server.url, n);
    await page.waitForTimeout(LOAD_WARMUP_MS);
    const live = await sampleWindow(page, cdp, o.sampleMs, deltas);
    const hasHook = (await page.evaluate(`typeof window.__iocBench?.setMode === 'function'`)) as boolean;
    let rebuild: WindowSample | null = null;
    if (hasHook) {
      await page.evaluate(`window.__iocBench.setMode('rebuild')`);
      rebuild = await sampleWindow(page, cdp, o.sampleMs, deltas);
      await page.evaluate(`window.__iocBench.setMode('incremental')`);
    }
    // Idle script time is mostly per-animation-frame overhead (deck.gl's loop runs every rAF);
    // live windows render far fewer frames (each is GPU-bound on software GL), so the idle
    // baseline is subtracted per frame, not as a window total (which over-subtracts to ≤ 0).
    const idlePerFrame = idle.frames > 0 ? idle.scriptMs / idle.frames : 0;
    const perFrame = (w: WindowSample) => (w.frames > 0 ? Math.max(0, w.scriptMs / w.frames - idlePerFrame) : null);
    const updateMsPerFrame = round(perFrame(live), 2);
    const rebuildMsPerFrame = rebuild ? round(perFrame(rebuild), 2) : null;
    return {
      entry: {
        points: n,
        variant: variant.name,
        idle,
        live,
        rebuild,
        update_ms_per_frame: updateMsPerFrame,
        update_ms_per_delta: live.deltas > 0 ? round(Math.max(0, live.scriptMs - idlePerFrame * live.frames) / live.deltas, 2) : null,
        rebuild_ms_per_frame: rebuildMsPerFrame,
        ...checked,
        page_errors: pageErrors.slice(0, 3),
      },
      updateMsPerFrame,
      rebuildMsPerFrame,
      hookSeen: hasHook,
    };
  } finally {
    await page.close().catch(() => undefined);
    await load?.stop();
    await server.stop();
  }
}

export async function runRenderBench(o: RenderBenchOptions): Promise<RenderBenchResult> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'ioc-bench-chromium-'));
  const perPoints: RenderBenchResult['perPoints'] = { wall: [], layers: [] };
  const last = new Map<RenderVariantName, MeasuredVariant & { points: number }>();
  const reasons: Record<string, string> = {};
  let context: BrowserContext | null = null;
  let hookSeen = false;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: VIEWPORT,
    });
    for (const n of o.pointCounts) {
      for (const variant of RENDER_VARIANTS) {
        try {
          const m = await measureVariant(o, context, n, variant);
          hookSeen ||= m.hookSeen;
          perPoints[variant.name].push(m.entry);
          last.set(variant.name, { ...m, points: n });
        } catch (err) {
          // a failed variant does not lose the others' figures
          reasons[`${variant.prefix}_update_ms`] = `render benchmark (${variant.name}, ${n} points) failed: ${(err as Error).message.split('\n')[0]}`;
          last.delete(variant.name);
        }
      }
    }
  } catch (err) {
    reasons.render_update_ms = `render benchmark failed: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  }
  const figures: Record<string, number | null> = {};
  for (const variant of RENDER_VARIANTS) {
    const m = last.get(variant.name);
    figures[`${variant.prefix}_update_ms`] = m?.updateMsPerFrame ?? null;
    figures[`${variant.prefix}_rebuild_peer_ms`] = m?.rebuildMsPerFrame ?? null;
    if (m && m.updateMsPerFrame === null) reasons[`${variant.prefix}_update_ms`] ??= 'no frames rendered in the live window';
    if (!hookSeen && last.size > 0) {
      reasons[`${variant.prefix}_rebuild_peer_ms`] =
        'the page exposes no window.__iocBench.setMode("rebuild") hook, so the full-rebuild peer cannot be driven from outside; add the hook in client/src/map/map-bench-hooks.ts';
    }
  }
  figures.render_points = last.get('wall')?.points ?? null;
  return { figures, reasons, perPoints };
}
