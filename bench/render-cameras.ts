/**
 * A wall with 4 camera players playing (issue 17: "a wall with 4 playing cameras stays under 50 %
 * of one core"), in headless Chromium with software GL, against the same wall with none playing.
 *
 * The cameras play the way a wall plays them: the kiosk URL opts into the camera pop-up
 * (`?cameraPopup=1`), and an orange alert that fires while the wall is open pops up the 4 cameras
 * nearest to its device, which start by themselves (CameraPopup.vue). The bench registers, through
 * the registry API as an administrator, a weigh-in-motion detector and 4 cameras around it on the
 * server's demo HLS clips (640×360 VP9, 10 fps: lighter than real cameras), and POSTs one signed
 * reading between the detector's orange and red limits (orange: no fly-to, no scene switch).
 *
 * Measured: CPU time of every Chromium process but the browser process (renderers, GPU process,
 * utility processes such as the network service and any out-of-process decoder), from
 * `SystemInfo.getProcessInfo` on a browser-level DevTools session at both ends of a window, as %
 * of one core. Window 1: the 4 players playing; window 2 (peer): the pop-up closed (its players
 * destroyed), same page, same alert on the map, same live updates. The live updates (the render
 * benchmark's) run through both windows. An active alert makes the map pulse (≤ 10 fps, DeckMap's
 * pulse timer), and on software GL every pulse frame is a full-canvas redraw in the GPU process:
 * the detail's `before_alert` window is the same wall before the bench's alert (the demo's own
 * alerts may already pulse), to tell the map's share from the players'.
 */
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { instantRedRule, encodeSignedReading, safeMetrics, signedReadingPrefix } from './bench-readings';
import { round } from './stats';
import { DEMO_CLIP_IDS, VIDEO_API_PREFIX, demoStreamUrl } from '../scenes/cameras/demo-streams';
import { MAX_PLAYING_CAMERAS } from '../client/src/components/camera/player-slots';
import type { LngLat } from '../scenes/domain';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/helpers/browser';
import { pageCondition } from './render-variants';

export interface CameraCpuOptions {
  /** device points of the wall's server */
  points: number;
  /** length of each CPU window, ms */
  windowMs: number;
  startServer(devices: number): Promise<{ url: string; stop(): Promise<void> }>;
  startLoad(url: string, devices: number): Promise<{ stop(): Promise<void> }>;
  login(url: string, username: string): Promise<string>;
  log(msg: string): void;
}

export interface CameraCpuResult {
  figures: { render_cameras4_cpu_pct: number | null; render_cameras0_cpu_pct: number | null };
  reasons: Record<string, string>;
  detail: Record<string, unknown>;
}

const VIEWPORT = { width: 1920, height: 1080 };
/** page load, first snapshot, and the players' start may take this long on software GL, ms */
const STEP_TIMEOUT_MS = 120_000;
/** after a change (map up, players playing, pop-up closed), let the page settle before a window, ms */
const SETTLE_MS = 3_000;
/** a pop-up stays this long before it closes by itself, minutes (longer than the run) */
const POPUP_MINUTES = 60;
/** The detector's place (崂山区, more than 1 km from every demo camera) and the cameras' distance from it, m. */
const SITE: LngLat = [120.44, 36.11];
const CAMERA_OFFSET_M = 80;
/** a playing video's time may run this many times the window's length (catching up), no more */
const MAX_ADVANCE_PER_WINDOW = 2;
const M_PER_DEG_LAT = 111_320;

/** 4 cameras on the compass points around the site, each looking at it. */
function siteCameras(): { id: string; location: LngLat; headingDeg: number }[] {
  const dLat = CAMERA_OFFSET_M / M_PER_DEG_LAT;
  const dLng = CAMERA_OFFSET_M / (M_PER_DEG_LAT * Math.cos((SITE[1] * Math.PI) / 180));
  const around: [number, number, number][] = [
    [0, dLat, 180],
    [dLng, 0, 270],
    [0, -dLat, 0],
    [-dLng, 0, 90],
  ];
  return around.slice(0, MAX_PLAYING_CAMERAS).map(([x, y, headingDeg], i) => ({
    id: `bench-cam-${i + 1}`,
    location: [SITE[0] + x, SITE[1] + y],
    headingDeg,
  }));
}

async function api(url: string, token: string, path: string, body: unknown): Promise<unknown> {
  const r = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`POST ${path}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

/** Registers the detector and the cameras; returns the detector's id and device token. */
async function registerSite(url: string, adminToken: string): Promise<{ id: string; token: string }> {
  const rule = instantRedRule();
  const detector = { id: 'bench-cam-detector', kind: rule.deviceKind, name: '视频联动压测探测器', location: SITE };
  const created = (await api(url, adminToken, '/api/devices', detector)) as { token: string };
  for (const [i, c] of siteCameras().entries()) {
    await api(url, adminToken, '/api/devices', {
      id: c.id,
      kind: 'camera',
      name: `视频联动压测摄像机 ${i + 1}`,
      location: c.location,
      camera: { stream: { url: demoStreamUrl(DEMO_CLIP_IDS[i % DEMO_CLIP_IDS.length]!), format: 'hls' }, headingDeg: c.headingDeg, fovDeg: 70 },
    });
  }
  return { id: detector.id, token: created.token };
}

/** One reading between the rule's orange and red limits: an orange alert (cameras pop up; only red turns the wall). */
async function raiseOrange(url: string, device: { id: string; token: string }): Promise<void> {
  const rule = instantRedRule();
  const { orange, red } = rule.limits;
  if (orange === undefined || red === undefined) throw new Error(`rule ${rule.id} has no orange and red limits`);
  const metrics = { ...safeMetrics(rule.deviceKind), [rule.metric]: (orange + red) / 2 };
  const body = `{"readings":[${encodeSignedReading(signedReadingPrefix(device.id, device.token, metrics), 1, Date.now())}]}`;
  const r = await fetch(`${url}/api/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (!r.ok) throw new Error(`ingest of the orange reading: HTTP ${r.status} ${await r.text()}`);
}

interface ProcessCpu {
  type: string;
  id: number;
  /** cumulative, s */
  cpuTime: number;
}

async function processCpu(cdp: CDPSession): Promise<ProcessCpu[]> {
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo' as never)) as { processInfo: ProcessCpu[] };
  return processInfo;
}

interface CpuWindow {
  /** renderers + GPU + utility processes, % of one core */
  pct: number;
  /** the same by process type (the browser process included here, not in `pct`), % of one core */
  byType: Record<string, number>;
  /** the page's main thread: all tasks / script alone (DevTools Performance metrics), % of one core */
  mainThreadPct: number;
  scriptPct: number;
  /** frames the wall's map drew per second in the window (DeckMap's bench hook) */
  mapFramesPerS: number | null;
  windowMs: number;
}

/** The page's main-thread task and script time so far, s. */
async function mainThreadS(pageCdp: CDPSession): Promise<{ task: number; script: number }> {
  const { metrics } = (await pageCdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const get = (n: string) => metrics.find((m) => m.name === n)?.value ?? 0;
  return { task: get('TaskDuration'), script: get('ScriptDuration') };
}

/** CPU of Chromium's processes over `ms`: per process, cpuTime at the end − at the start (0 when it started inside). */
async function cpuWindow(cdp: CDPSession, pageCdp: CDPSession, page: Page, ms: number): Promise<CpuWindow> {
  const before = new Map((await processCpu(cdp)).map((p) => [p.id, p.cpuTime]));
  const main0 = await mainThreadS(pageCdp);
  const t0 = performance.now();
  await page.waitForTimeout(ms);
  const mapFrames = (await page
    .evaluate(`(window.__iocBench?.mapFrames?.() ?? []).filter((t) => t > performance.now() - ${ms}).length`)
    .catch(() => null)) as number | null;
  const after = await processCpu(cdp);
  const main1 = await mainThreadS(pageCdp);
  const windowS = (performance.now() - t0) / 1000;
  const byType: Record<string, number> = {};
  let total = 0;
  for (const p of after) {
    const used = p.cpuTime - (before.get(p.id) ?? 0);
    byType[p.type] = (byType[p.type] ?? 0) + used;
    if (p.type !== 'browser') total += used;
  }
  const pct = (s: number) => round((s / windowS) * 100, 1)!;
  return {
    pct: pct(total),
    byType: Object.fromEntries(Object.entries(byType).map(([k, v]) => [k, pct(v)])),
    mainThreadPct: pct(main1.task - main0.task),
    scriptPct: pct(main1.script - main0.script),
    mapFramesPerS: mapFrames === null ? null : round(mapFrames / (ms / 1000), 1)!,
    windowMs: Math.round(windowS * 1000),
  };
}

const PLAYERS = '[data-testid=camera-popup] [data-testid=camera-player]';

interface PlayerProgress {
  state: string | null;
  /** s */
  currentTime: number;
  frames: number;
  readyState: number;
  paused: boolean;
  /** end of the first buffered range, s */
  bufferedEnd: number | null;
  errorCode: number | null;
}

/** Video time, decoded frames and media state of each player in the pop-up. */
function videoProgress(page: Page): Promise<PlayerProgress[]> {
  return page.evaluate(`[...document.querySelectorAll('${PLAYERS}')].map((p) => {
    const v = p.querySelector('video');
    return {
      state: p.getAttribute('data-state'),
      currentTime: v ? v.currentTime : -1,
      frames: v ? v.getVideoPlaybackQuality().totalVideoFrames : 0,
      readyState: v ? v.readyState : -1,
      paused: v ? v.paused : true,
      bufferedEnd: v && v.buffered.length ? v.buffered.end(0) : null,
      errorCode: v && v.error ? v.error.code : null,
    };
  })`) as Promise<PlayerProgress[]>;
}

const ALL_PLAYING = `(() => { const ps = [...document.querySelectorAll('${PLAYERS}')]; return ps.length === ${MAX_PLAYING_CAMERAS} && ps.every((p) => p.getAttribute('data-state') === 'playing'); })()`;

/** Page errors and warnings worth reading (software GL's driver chatter left out), and the players' HTTP answers. */
function watchPage(page: Page): { errors: string[]; videoAnswers: Record<string, number> } {
  const errors: string[] = [];
  const videoAnswers: Record<string, number> = {};
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !/GL Driver Message/.test(m.text())) errors.push(`${m.type()}: ${m.text()}`);
  });
  // by HTTP status, a failed request as 0
  const countVideo = (url: string, status: number) => {
    if (new URL(url).pathname.startsWith(VIDEO_API_PREFIX)) videoAnswers[status] = (videoAnswers[status] ?? 0) + 1;
  };
  page.on('response', (r) => countVideo(r.url(), r.status()));
  page.on('requestfailed', (r) => countVideo(r.url(), 0));
  return { errors, videoAnswers };
}

/** The players' window: CPU, and how far each video got (a player that did not advance stalled). */
async function playingWindow(
  cdp: CDPSession,
  pageCdp: CDPSession,
  page: Page,
  ms: number,
): Promise<{ cpu: CpuWindow; players: Record<string, unknown>[]; stalled: number }> {
  const start = await videoProgress(page);
  const cpu = await cpuWindow(cdp, pageCdp, page, ms);
  const end = await videoProgress(page);
  const windowS = cpu.windowMs / 1000;
  const players = end.map((p, i) => ({
    state: p.state,
    video_advanced_s: round(p.currentTime - (start[i]?.currentTime ?? 0), 1),
    presented_fps: round((p.frames - (start[i]?.frames ?? 0)) / windowS, 1),
    ready_state: p.readyState,
  }));
  // played through: frames were shown, and the video time moved about as the clock did (a player
  // that cannot keep up is seeked to the live edge by hls.js, its time jumping with no frame shown)
  const played = (p: PlayerProgress, i: number) => {
    const advancedS = p.currentTime - (start[i]?.currentTime ?? 0);
    return p.state === 'playing' && p.frames > (start[i]?.frames ?? 0) && advancedS > 0 && advancedS <= MAX_ADVANCE_PER_WINDOW * windowS;
  };
  const stalled = end.filter((p, i) => !played(p, i)).length;
  return { cpu, players, stalled: stalled + Math.max(0, MAX_PLAYING_CAMERAS - end.length) };
}

export async function runCameraCpuBench(o: CameraCpuOptions): Promise<CameraCpuResult> {
  const reasons: Record<string, string> = {};
  const detail: Record<string, unknown> = { points: o.points, window_ms: o.windowMs, cameras: MAX_PLAYING_CAMERAS };
  let browser: Browser | null = null;
  const server = await o.startServer(o.points);
  let load: { stop(): Promise<void> } | null = null;
  try {
    const detector = await registerSite(server.url, await o.login(server.url, 'admin'));
    const screenToken = await o.login(server.url, 'screen1');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    const cdp = await browser.newBrowserCDPSession();
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    const pageCdp = await context.newCDPSession(page);
    await pageCdp.send('Performance.enable');
    const watched = watchPage(page);
    detail.page_errors = watched.errors;
    detail.video_answers = watched.videoAnswers;
    const query = `token=${encodeURIComponent(screenToken)}&cameraPopup=1&cameraPopupMin=${POPUP_MINUTES}`;
    await page.goto(`${server.url}/screen/overview?${query}`, { timeout: STEP_TIMEOUT_MS });
    // the camera list is in when the map draws the cameras
    await pageCondition(page, `(window.__iocBench?.mapLayerIds?.() ?? []).includes('camera-points')`, STEP_TIMEOUT_MS, 'the cameras on the map');
    load = await o.startLoad(server.url, o.points);
    await page.waitForTimeout(SETTLE_MS);
    // for reading the figures: the same wall before the bench's alert
    detail.before_alert = await cpuWindow(cdp, pageCdp, page, o.windowMs);

    await raiseOrange(server.url, detector);
    // a player that never starts is reported, and the window still measured (what a wall trying to play costs)
    const started = await pageCondition(page, ALL_PLAYING, STEP_TIMEOUT_MS, `${MAX_PLAYING_CAMERAS} players playing in the pop-up`).then(
      () => null,
      async (err: Error) => `${err.message}; players: ${JSON.stringify(await videoProgress(page).catch(() => []))}`,
    );
    if (started) reasons.render_cameras4_cpu_pct = started;
    await page.waitForTimeout(SETTLE_MS);
    o.log(`render-cameras: ${started ? 'not all players playing' : `${MAX_PLAYING_CAMERAS} players playing`}; ${o.windowMs} ms windows`);
    const playing = await playingWindow(cdp, pageCdp, page, o.windowMs);
    detail.cameras4 = playing.cpu;
    detail.players = playing.players;
    if (playing.stalled > 0)
      reasons.render_cameras4_cpu_pct ??= `${playing.stalled} of ${MAX_PLAYING_CAMERAS} players did not play through the window`;

    // the pop-up's own close button, clicked in the page (Playwright's click waits for two equal
    // animation frames, which a saturated software-GL page may not give it in time)
    await page.evaluate(`document.querySelector('[data-testid=camera-popup] button.close').click()`);
    await pageCondition(page, `document.querySelectorAll('video').length === 0`, STEP_TIMEOUT_MS, 'the players gone');
    await page.waitForTimeout(SETTLE_MS);
    detail.cameras0 = await cpuWindow(cdp, pageCdp, page, o.windowMs);
  } catch (err) {
    const reason = `camera CPU benchmark failed: ${(err as Error).message.split('\n')[0]}`;
    reasons.render_cameras4_cpu_pct ??= reason;
    reasons.render_cameras0_cpu_pct ??= reason;
  } finally {
    await browser?.close().catch(() => undefined);
    await load?.stop();
    await server.stop();
  }
  if (Array.isArray(detail.page_errors)) detail.page_errors = detail.page_errors.slice(0, 5);
  const pct = (k: string) => (detail[k] as CpuWindow | undefined)?.pct ?? null;
  return {
    // a window whose players did not all play is not the figure asked for (detail.cameras4 keeps its CPU)
    figures: {
      render_cameras4_cpu_pct: reasons.render_cameras4_cpu_pct ? null : pct('cameras4'),
      render_cameras0_cpu_pct: pct('cameras0'),
    },
    reasons,
    detail,
  };
}
