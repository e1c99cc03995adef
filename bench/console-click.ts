/**
 * Console responsiveness (issue 14): the duty officer's dispatch click → the command on the
 * socket, in headless Chromium with software GL (SwiftShader, as on an office PC without a GPU),
 * while a storm's updates arrive (the whole fleet at catalogue rate plus the rainstorm drill,
 * bench/storm-load.ts).
 *
 * One page, one load, three redraw modes of the console's map (client/src/map/map-bench-probe.ts),
 * interleaved round by round so that noise on the shared machine hits each alike:
 * - 'governed' — City IOC: map frames yield to the officer's input and to a main-thread budget;
 * - 'every-change' — every update drawn at once: the console's redraw policy before issue 14
 *   (the district outlines' level of detail, also from issue 14, applies in every mode);
 * - 'off' — no map frames at all: the floor for this click on this machine.
 *
 * Each sample is one dispatch as an officer does it: after a quiet spell (the map redraws), click
 * an incident in the queue, wait for the recommendations, tick the first handler, move to the
 * dispatch button and click it. Timed inside the page: the click event's timestamp (when the
 * browser received the input, before any queueing on the main thread) → `WebSocket.send` of the
 * `command` frame. The first click of the sequence (the queue row, after the quiet spell) gives
 * the input delay of a click nobody prepared for: it may land on a map frame in progress.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { io } from 'socket.io-client';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/helpers/browser';
import { generateControlDevices, generateFleet } from '../scenes/fleet';
import { PROTOCOL_VERSION } from '../scenes/protocol';
import { percentile, round } from './stats';
import { startStormLoad } from './storm-load';

export type RedrawModeName = 'governed' | 'every-change' | 'off';
export const CONSOLE_CLICK_MODES: readonly RedrawModeName[] = ['governed', 'every-change', 'off'];

export interface ConsoleClickOptions {
  /** dispatches per mode */
  rounds: number;
  /** fleet of the server under test (the storm load reports for all of it) */
  devices: number;
  /** the server's demo seed (IOC_DEMO_SEED): the load generates the same fleet */
  demoSeed: number;
  /** quiet spell before each dispatch, ms: the map redraws meanwhile */
  quietMs: number;
  startServer(devices: number): Promise<{ url: string; stop(): Promise<void> }>;
  /** a session token of an officer (user name given) */
  login(url: string, username: string): Promise<{ token: string; role: string; username: string; displayName: string; expiresAt: number }>;
  log(msg: string): void;
}

export interface ConsoleClickModeResult {
  n: number;
  /** click → command frame sent, ms */
  p50: number | null;
  p95: number | null;
  max: number | null;
  /** the first click after a quiet spell: event timestamp → its handler ran, ms */
  coldInputDelayP95: number | null;
  /** console map frames per minute in the quiet spells */
  mapFramesPerMin: number | null;
}

export interface ConsoleClickResult {
  modes: Record<RedrawModeName, ConsoleClickModeResult>;
  /** the governor's view at the end: frame cost estimate, interval */
  governorStats: unknown;
  readingsSent: number;
  pageErrors: string[];
}

const VIEWPORT = { width: 1920, height: 1080 };
const PAGE_READY_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 60_000;
/** a person reads the recommendations before ticking one, and aims at the button, ms */
const HUMAN_PAUSE_MS = 400;
const OFFICER = 'officer1';

/**
 * Page-side instruments (an init script): every click's event timestamp and when its handler ran
 * (`window.__clickBench.clicks`), and when each `command` frame left on the socket (`.sends`).
 */
export const CLICK_INSTRUMENT = `(() => {
  const h = (window.__clickBench = { clicks: [], sends: [] });
  addEventListener('click', (e) => {
    const el = e.target instanceof Element ? e.target.closest('[data-testid],[data-incident-id],[data-handler-id]') : null;
    h.clicks.push({ ts: e.timeStamp, handledAt: performance.now(), testid: el ? el.getAttribute('data-testid') : null });
  }, true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (d) {
    if (typeof d === 'string' && d.includes('["command",')) h.sends.push(performance.now());
    return send.call(this, d);
  };
})()`;

interface Sample {
  clickToSendMs: number;
  coldInputDelayMs: number;
  framesInQuiet: number;
}

/** `count` P1 waterlogging incidents opened by hand (as `token`'s officer), to be dispatched. */
export async function createIncidents(url: string, token: string, count: number): Promise<string[]> {
  const s = io(`${url}/live`, { auth: { token, protocol: PROTOCOL_VERSION }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
  const ids: string[] = [];
  try {
    for (let k = 0; k < count; k++) {
      const r = (await s.timeout(10_000).emitWithAck('command', {
        type: 'incident.create',
        commandId: `bench-click-${Date.now().toString(36)}-${k}`,
        title: `内涝积水 ${k + 1}`,
        category: 'waterlogging',
        scene: 'water',
        location: [120.36 + (k % 10) * 0.006, 36.08 + Math.floor(k / 10) * 0.006],
        priority: 'P1',
      })) as { ok: boolean; incident?: { id: string }; error?: { message: string } };
      if (!r.ok || !r.incident) throw new Error(`incident.create: ${r.error?.message ?? 'no incident'}`);
      ids.push(r.incident.id);
    }
  } finally {
    s.close();
  }
  return ids;
}

async function oneDispatch(page: Page, incidentId: string, quietMs: number): Promise<Sample> {
  const frames0 = (await page.evaluate('window.__iocBench.mapFrames().length')) as number;
  await page.waitForTimeout(quietMs);
  const framesInQuiet = ((await page.evaluate('window.__iocBench.mapFrames().length')) as number) - frames0;
  const clicks0 = (await page.evaluate('window.__clickBench.clicks.length')) as number;
  await page.locator(`[data-testid=incident-queue] li[data-incident-id="${incidentId}"]`).click({ timeout: STEP_TIMEOUT_MS });
  const cold = (await page.evaluate(`window.__clickBench.clicks[${clicks0}]`)) as { ts: number; handledAt: number };
  await page.locator(`[data-testid=incident-detail][data-incident-id="${incidentId}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
  const rec = page.locator('[data-testid=recommendations] li').first();
  await rec.waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.waitForTimeout(HUMAN_PAUSE_MS);
  await rec.click({ timeout: STEP_TIMEOUT_MS });
  const button = page.getByTestId('dispatch-button');
  await page.waitForFunction(`!document.querySelector('[data-testid=dispatch-button]')?.disabled`, undefined, { timeout: STEP_TIMEOUT_MS });
  const box = await button.boundingBox();
  if (!box) throw new Error('dispatch button not visible');
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y, { steps: 4 });
  await page.waitForTimeout(HUMAN_PAUSE_MS);
  const sends0 = (await page.evaluate('window.__clickBench.sends.length')) as number;
  await page.mouse.click(x, y);
  await page.waitForFunction(`window.__clickBench.sends.length > ${sends0}`, undefined, { timeout: STEP_TIMEOUT_MS, polling: 20 });
  const r = (await page.evaluate(`(() => {
    const h = window.__clickBench;
    const c = h.clicks.filter((c) => c.testid === 'dispatch-button').at(-1);
    return { click: c.ts, sent: h.sends[${sends0}] };
  })()`)) as { click: number; sent: number };
  await page
    .locator(`[data-testid=incident-detail][data-incident-id="${incidentId}"][data-state="dispatched"]`)
    .waitFor({ timeout: STEP_TIMEOUT_MS });
  return { clickToSendMs: r.sent - r.click, coldInputDelayMs: cold.handledAt - cold.ts, framesInQuiet };
}

export async function runConsoleClickBench(o: ConsoleClickOptions): Promise<ConsoleClickResult> {
  const server = await o.startServer(o.devices);
  const fleet = [...generateFleet({ count: o.devices, seed: o.demoSeed }), ...generateControlDevices(o.demoSeed)];
  const load = startStormLoad({ serverUrl: server.url, fleet, seed: o.demoSeed });
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'ioc-bench-click-'));
  const samples: Record<RedrawModeName, Sample[]> = { governed: [], 'every-change': [], off: [] };
  const pageErrors: string[] = [];
  let governorStats: unknown = null;
  try {
    const session = await o.login(server.url, OFFICER);
    const ids = await createIncidents(server.url, session.token, o.rounds * CONSOLE_CLICK_MODES.length);
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: VIEWPORT,
      baseURL: server.url,
    });
    try {
      await context.addInitScript((value: string) => {
        try {
          sessionStorage.setItem('ioc.session', value);
        } catch {
          // about:blank has no storage
        }
      }, JSON.stringify(session));
      await context.addInitScript(CLICK_INSTRUMENT);
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto('/console', { timeout: PAGE_READY_TIMEOUT_MS });
      await page.getByTestId('console').waitFor({ timeout: PAGE_READY_TIMEOUT_MS });
      await page.waitForFunction(`typeof window.__iocBench?.setRedraw === 'function' && window.__iocBench.setRedraw('governed')`, undefined, {
        timeout: PAGE_READY_TIMEOUT_MS,
      });
      let next = 0;
      for (let round = 0; round < o.rounds; round++) {
        // rotate the order so that no mode always follows the same one
        const order = CONSOLE_CLICK_MODES.map((_, i) => CONSOLE_CLICK_MODES[(i + round) % CONSOLE_CLICK_MODES.length]);
        for (const mode of order) {
          await page.evaluate(`window.__iocBench.setRedraw(${JSON.stringify(mode)})`);
          const s = await oneDispatch(page, ids[next++], o.quietMs);
          samples[mode].push(s);
          o.log(
            `console-click round ${round + 1}/${o.rounds} ${mode}: click→sent ${s.clickToSendMs.toFixed(1)} ms, cold input delay ${s.coldInputDelayMs.toFixed(0)} ms, ${s.framesInQuiet} map frames in ${o.quietMs} ms`,
          );
        }
      }
      await page.evaluate(`window.__iocBench.setRedraw('governed')`);
      governorStats = await page.evaluate('window.__iocBench.mapStats()');
    } finally {
      await context.close();
    }
  } finally {
    rmSync(userDataDir, { recursive: true, force: true });
    const sent = load.stats().sent;
    await load.stop();
    await server.stop();
    o.log(`console-click: storm load sent ${sent} readings`);
  }
  const summarise = (list: Sample[]): ConsoleClickModeResult => {
    const clicks = list.map((s) => s.clickToSendMs);
    const frames = list.reduce((a, s) => a + s.framesInQuiet, 0);
    return {
      n: list.length,
      p50: round(percentile(clicks, 50)),
      p95: round(percentile(clicks, 95)),
      max: round(clicks.length ? Math.max(...clicks) : null),
      coldInputDelayP95: round(
        percentile(
          list.map((s) => s.coldInputDelayMs),
          95,
        ),
      ),
      mapFramesPerMin: list.length ? round((frames / (list.length * o.quietMs)) * 60_000) : null,
    };
  };
  return {
    modes: { governed: summarise(samples.governed), 'every-change': summarise(samples['every-change']), off: summarise(samples.off) },
    governorStats,
    readingsSent: load.stats().sent,
    pageErrors,
  };
}
