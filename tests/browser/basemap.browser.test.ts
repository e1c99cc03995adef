/**
 * The basemap in headless Chromium (issue 17) against a local tile server started here:
 *  - with no basemap chosen the wall draws the offline base and requests nothing outside its server;
 *  - an XYZ basemap loads exactly the tiles that cover the view at its zoom, and a landmark drawn
 *    on the tiles sits where the map puts that landmark (WGS84);
 *  - a tile server that answers 500 makes the map fall back to the offline base with a notice;
 *  - a GCJ-02 basemap, whose tiles draw the landmark at its GCJ-02 position, is shifted so the
 *    landmark still sits on the landmark's WGS84 position (and not where the unshifted tile would put it).
 */
import { computeScreenLayout } from '../../client/src/layout/screen-layout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { LngLat } from '../../scenes/domain';
import { wgsToGcj } from '../../scenes/geo/gcj02';
import { lngLatToTileFraction, tilesCoveringBounds, tileZoomForView, viewBounds, DECK_WORLD_SIZE_PX } from '../../scenes/geo/tile-math';
import { initialQingdaoView } from '../../client/src/map/view-state';
import { tileQuadFor } from '../../client/src/map/basemap-layer';
import type { IocServer } from '../../server/app';
import { basemapsFromEnv } from '../../server/basemap-config';
import { DEMO_PASSWORD } from '../../server/test/helpers';
import { BasemapsResponseSchema } from '../../scenes/geo/basemap-source';
import {
  browserTestsSkipped,
  collectConsoleErrors,
  launchBrowser,
  signedInContext,
  startBrowserTestServer,
  waitUntil,
  type TestBrowser,
} from '../helpers/browser';
import { startTileServer, type TileServer } from '../helpers/tile-server';

/** 栈桥 (Zhanqiao Pier), Qingdao's best-known landmark, WGS84. */
const ZHANQIAO_WGS: LngLat = [120.3185, 36.0595];
const VIEWPORT = { width: 1920, height: 1080 };
const MAX_ZOOM = 18;
/** tiles load and draw within this, ms (software GL on a loaded 2-core machine) */
const TILE_WAIT_MS = 45_000;

let tb: TestBrowser;
let server: IocServer;
let tiles: TileServer;
const skipped = browserTestsSkipped();

beforeAll(async () => {
  if (skipped) return;
  tiles = await startTileServer({ ok: ZHANQIAO_WGS, amap: wgsToGcj(ZHANQIAO_WGS) });
  const basemaps = basemapsFromEnv({
    IOC_BASEMAP_URL: `${tiles.url}/ok/{z}/{x}/{y}.png`,
    IOC_BASEMAP_ATTRIBUTION: '© 测试瓦片',
    IOC_BASEMAP_MAX_ZOOM: String(MAX_ZOOM),
    IOC_BASEMAPS: JSON.stringify([
      { id: 'broken', name: '故障', url: `${tiles.url}/fail/{z}/{x}/{y}.png` },
      { id: 'amap', name: '高德', url: `${tiles.url}/amap/{z}/{x}/{y}.png`, datum: 'gcj02', maxZoom: MAX_ZOOM },
    ]),
  });
  tb = await launchBrowser();
  // no demo fleet: nothing is drawn over the landmark but the base
  server = await startBrowserTestServer({ demoDevices: 0, basemaps });
});

afterAll(async () => {
  await server?.close();
  await tb?.close();
  await tiles?.close();
});

interface MapFrame {
  box: { x: number; y: number; width: number; height: number };
  view: ReturnType<typeof initialQingdaoView>;
}

async function openOverview(page: Page, basemap: string): Promise<MapFrame> {
  await page.goto(`/screen/overview?basemap=${basemap}`);
  await page.locator('[data-testid=conn-indicator][data-tone=ok]').waitFor({ timeout: 40_000 });
  const map = page.locator('[data-testid=map]');
  await map.locator('canvas').first().waitFor({ timeout: 15_000 });
  const box = (await map.boundingBox())!;
  // the wall fits the urban area inside the part of the map the KPI strip and bottom bar leave free
  return { box, view: initialQingdaoView(box.width, box.height, computeScreenLayout(VIEWPORT.width, VIEWPORT.height).mapFitPadding) };
}

/** Page px of a WGS84 point in the map's initial view. */
function screenOf(frame: MapFrame, p: LngLat): { x: number; y: number } {
  const scale = DECK_WORLD_SIZE_PX * 2 ** frame.view.zoom;
  const c = lngLatToTileFraction([frame.view.longitude, frame.view.latitude], 0);
  const f = lngLatToTileFraction(p, 0);
  return { x: frame.box.x + frame.box.width / 2 + (f.x - c.x) * scale, y: frame.box.y + frame.box.height / 2 + (f.y - c.y) * scale };
}

/** RGBA of the screenshot's pixels at page points (decoded in the page: no PNG decoder needed here). */
async function pixelsAt(page: Page, points: { x: number; y: number }[]): Promise<number[][]> {
  const png = await page.screenshot({ type: 'png' });
  return page.evaluate(
    async ({ b64, pts }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      return pts.map((p) => [...g.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data]);
    },
    { b64: png.toString('base64'), pts: points },
  );
}

/** The tile marker, tinted and veiled by the overlays, is still clearly red. */
const isMarkerRed = ([r, g, b]: number[]) => r! > 90 && r! > g! + 60 && r! > b! + 60;

/** Is the marker drawn at (or within a pixel of) `p`? */
async function markerAt(page: Page, p: { x: number; y: number }): Promise<boolean> {
  const around = [-1, 0, 1].flatMap((dx) => [-1, 0, 1].map((dy) => ({ x: p.x + dx, y: p.y + dy })));
  return (await pixelsAt(page, around)).some(isMarkerRed);
}

function key(t: { z: number; x: number; y: number }): string {
  return `${t.z}/${t.x}/${t.y}`;
}

/** Console noise that is not an application error (software GL performance notes). */
const appErrors = (errors: string[]) => errors.filter((e) => !/GPU stall|GL Driver Message/.test(e));

describe.skipIf(skipped)('basemap', { timeout: 180_000 }, () => {
  it('serves the basemap list to signed-in sessions only', async () => {
    const anonymous = await fetch(`${server.url}/api/basemaps`);
    expect(anonymous.status).toBe(401);
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'screen1', password: DEMO_PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const r = await fetch(`${server.url}/api/basemaps`, { headers: { authorization: `Bearer ${token}` } });
    const body = BasemapsResponseSchema.parse(await r.json());
    expect(body.basemaps.map((b) => [b.id, b.datum])).toEqual([
      ['default', 'wgs84'],
      ['broken', 'wgs84'],
      ['amap', 'gcj02'],
    ]);
    // the tile host may be drawn and fetched by the page, nothing else outside
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(new RegExp(`img-src [^;]*${tiles.url.replace(/[.]/g, '\\.')}`));
    expect(csp).toMatch(new RegExp(`connect-src [^;]*${tiles.url.replace(/[.]/g, '\\.')}`));
  });

  it('draws the offline base with no basemap chosen and requests nothing outside its own server', async () => {
    const context = await signedInContext(tb.browser, server, 'screen1', { viewport: VIEWPORT });
    try {
      const page = await context.newPage();
      const outside: string[] = [];
      page.on('request', (r) => {
        const u = r.url();
        if (!u.startsWith(server.url) && !u.startsWith('data:') && !u.startsWith('blob:')) outside.push(u);
      });
      const errors = collectConsoleErrors(page);
      const before = tiles.requests.length;
      await openOverview(page, 'offline');
      await page.locator('[data-basemap=offline][aria-checked=true]').waitFor({ timeout: 10_000 });
      // the switcher offers every configured basemap
      expect(await page.locator('[data-basemap]').evaluateAll((els) => els.map((e) => e.getAttribute('data-basemap')))).toEqual([
        'offline',
        'default',
        'broken',
        'amap',
      ]);
      await page.waitForLoadState('networkidle');
      expect(outside).toEqual([]);
      expect(tiles.requests.length).toBe(before);
      expect(appErrors(errors)).toEqual([]);
      await page.screenshot({ path: '/tmp/h5/basemap-offline.png' });
    } finally {
      await context.close();
    }
  });

  it('loads exactly the XYZ tiles that cover the view at its zoom, and the landmark on them sits on the landmark', async () => {
    const context = await signedInContext(tb.browser, server, 'screen1', { viewport: VIEWPORT });
    try {
      const page = await context.newPage();
      const errors = collectConsoleErrors(page);
      const frame = await openOverview(page, 'default');
      const z = tileZoomForView(frame.view.zoom, 256, 0, MAX_ZOOM);
      const bounds = viewBounds([frame.view.longitude, frame.view.latitude], frame.view.zoom, frame.box.width, frame.box.height);
      const expected = new Set(tilesCoveringBounds(bounds, z).map(key));
      const requestedAtZ = () => new Set(tiles.requests.filter((r) => r.source === 'ok' && r.z === z).map(key));
      await waitUntil(() => [...expected].every((k) => requestedAtZ().has(k)), TILE_WAIT_MS, `tiles ${[...expected].join(' ')}`);
      expect([...requestedAtZ()].sort()).toEqual([...expected].sort());
      await page.locator('[data-testid=basemap-attribution]', { hasText: '© 测试瓦片' }).waitFor({ timeout: 5_000 });
      const landmark = screenOf(frame, ZHANQIAO_WGS);
      await waitUntil(() => markerAt(page, landmark), TILE_WAIT_MS, 'the landmark drawn on the tiles');
      expect(appErrors(errors)).toEqual([]);
      await page.screenshot({ path: '/tmp/h5/basemap-xyz.png' });
    } finally {
      await context.close();
    }
  });

  it('falls back to the offline base with a notice when the tile server answers 500', async () => {
    const context = await signedInContext(tb.browser, server, 'screen1', { viewport: VIEWPORT });
    try {
      const page = await context.newPage();
      await openOverview(page, 'broken');
      const notice = page.locator('[data-testid=basemap-failed]');
      await notice.waitFor({ timeout: TILE_WAIT_MS });
      expect(await notice.textContent()).toContain('底图加载失败，已切换离线底图');
      expect(tiles.requests.filter((r) => r.source === 'fail').length).toBeGreaterThanOrEqual(6);
      // choosing the offline base by hand clears the notice
      await page.locator('[data-basemap=offline]').click();
      await notice.waitFor({ state: 'detached', timeout: 5_000 });
      expect(new URL(page.url()).searchParams.get('basemap')).toBe('offline');
    } finally {
      await context.close();
    }
  });

  it("shifts a GCJ-02 basemap's tiles so that the landmark drawn at its GCJ-02 position sits on its WGS84 position", async () => {
    // the tile quad of the landmark's tile is the tile taken back from GCJ-02 by the transform's offset there
    const z = 14;
    const gcj = wgsToGcj(ZHANQIAO_WGS);
    const f = lngLatToTileFraction(gcj, z);
    const quad = tileQuadFor({ x: Math.floor(f.x), y: Math.floor(f.y), z }, 'gcj02');
    const plain = tileQuadFor({ x: Math.floor(f.x), y: Math.floor(f.y), z }, 'wgs84');
    const offsetLng = gcj[0] - ZHANQIAO_WGS[0];
    expect(plain[0][0] - quad[0][0]).toBeCloseTo(offsetLng, 4);

    const context = await signedInContext(tb.browser, server, 'screen1', { viewport: VIEWPORT });
    try {
      const page = await context.newPage();
      const errors = collectConsoleErrors(page);
      const frame = await openOverview(page, 'amap');
      const landmark = screenOf(frame, ZHANQIAO_WGS);
      const unshifted = screenOf(frame, gcj);
      // the two are far enough apart on screen to tell them apart
      expect(Math.hypot(landmark.x - unshifted.x, landmark.y - unshifted.y)).toBeGreaterThan(6);
      await waitUntil(() => markerAt(page, landmark), TILE_WAIT_MS, 'the GCJ-02 landmark drawn on its WGS84 position');
      expect((await pixelsAt(page, [unshifted])).some(isMarkerRed)).toBe(false);
      expect(appErrors(errors)).toEqual([]);
      await page.screenshot({ path: '/tmp/h5/basemap-gcj.png' });
    } finally {
      await context.close();
    }
  });
});
