/**
 * Readings history in the device detail card, in a real browser (issue 16): a pump station has
 * reported (live trend) and has a past in the roll-up store; the officer opens its card from the
 * 设备控制 tab, switches the trend to 24小时 and 7天 and sees the average line over the min–max
 * band. Screenshots go to IOC_SCREENSHOT_DIR (default /tmp/shots).
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { Page } from 'playwright-core';
import { PROTOCOL_VERSION } from '../../scenes/protocol';
import { HOUR_MS, MINUTE_MS, bucketStart } from '../../scenes/rollups/rollup-aggregate';
import { DEV_DEVICE_SECRET, deviceToken } from '../../server/device-token';
import { rollupStoreFor, type RollupEntry } from '../../server/store/rollup-store';
import { testConfig } from '../../server/test/helpers';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS } from '../helpers/browser';

const SHOTS = process.env.IOC_SCREENSHOT_DIR ?? '/tmp/shots';
/** generous: Chromium renders the map with software GL on a small, busy machine */
const STEP_TIMEOUT_MS = 45_000;
/** readings the pump sends for its live trend */
const LIVE_READINGS = 6;

const suite = browserSuite({ rollups: { ...testConfig().rollups, flushIntervalMs: 200 } });
const sockets: Socket[] = [];
afterAll(() => {
  for (const s of sockets) s.disconnect();
});

/** Evidence only: a screenshot that times out on a loaded machine must not fail the test. */
async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), timeout: 10_000 }).catch(() => undefined);
}

/** A plausible discharge with a daily cycle and some spread within each bucket, m³/h. */
function flowAt(ts: number): { min: number; max: number; avg: number } {
  const avg = 1_800 + 900 * Math.sin((ts / (24 * HOUR_MS)) * 2 * Math.PI);
  const spread = 120 + 80 * Math.sin(ts / (5 * HOUR_MS));
  return { min: avg - spread, max: avg + spread * 1.3, avg };
}

function pastOf(deviceId: string, now: number): RollupEntry[] {
  const entries: RollupEntry[] = [];
  const add = (resolution: 'minute' | 'hour', bucketTs: number, count: number) => {
    const f = flowAt(bucketTs);
    entries.push({ deviceId, metric: 'flow', resolution, bucketTs, aggregate: { min: f.min, max: f.max, sum: f.avg * count, count } });
  };
  // a day of minutes with a two-hour outage (a gap), a week of hours
  for (let ts = bucketStart(now - 24 * HOUR_MS, MINUTE_MS); ts < now - 10 * MINUTE_MS; ts += MINUTE_MS) {
    if (ts > now - 9 * HOUR_MS && ts < now - 7 * HOUR_MS) continue;
    add('minute', ts, 6);
  }
  for (let ts = bucketStart(now - 7 * 24 * HOUR_MS, HOUR_MS); ts < now - HOUR_MS; ts += HOUR_MS) add('hour', ts, 360);
  return entries;
}

describe.skipIf(suite.skipped)('device history in the browser', () => {
  it('switches the detail card’s trend between 实时, 24小时 and 7天 and draws the roll-ups', async () => {
    const pump = [...suite.server.fusion.devices.values()].find((d) => d.kind === 'pump-station' && d.status !== 'maintenance')!;
    await rollupStoreFor(suite.server.store).mergeRollups({ flushId: 'seeded-past', entries: pastOf(pump.id, Date.now()) });

    // the pump reports (flow only: the trend shows flow, not the running flag)
    const token = deviceToken(DEV_DEVICE_SECRET, pump.id);
    const socket = io(`${suite.server.url}/device`, {
      auth: { deviceId: pump.id, token, protocol: PROTOCOL_VERSION },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const now = Date.now();
    const readings = Array.from({ length: LIVE_READINGS }, (_, k) => ({
      deviceId: pump.id,
      ts: now - (LIVE_READINGS - k) * 1_000,
      seq: 10 + k,
      metrics: { flow: 2_000 + 150 * k },
      token,
    }));
    expect(await socket.timeout(5_000).emitWithAck('readings', { readings })).toMatchObject({ ok: true, accepted: LIVE_READINGS });

    const ctx = await signedInContext(suite.browser, suite.server, 'officer1', { viewport: VIEWPORTS.desktop });
    const page = await ctx.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const errors = collectConsoleErrors(page);
    await page.goto('/console');
    await page.getByTestId('console').waitFor();
    await page.getByTestId('tab-device-control').click();
    await page.locator(`[data-testid=device-control-list] li[data-device-id="${pump.id}"] .name`).click();

    const trend = page.getByTestId('device-trend');
    await trend.waitFor();
    await trend.locator('button[data-window=live].on').waitFor();
    await shot(page, 'device-history-live');

    await trend.locator('button[data-window="24h"]').click();
    await trend.getByTestId('device-history').locator('svg').first().waitFor();
    await trend.scrollIntoViewIfNeeded();
    await shot(page, 'device-history-24h');

    await trend.locator('button[data-window="7d"]').click();
    await trend.locator('button[data-window="7d"].on').waitFor();
    await trend.getByTestId('device-history').locator('svg').first().waitFor();
    await shot(page, 'device-history-7d');
    await trend.screenshot({ path: path.join(SHOTS, 'device-history-7d-card.png'), timeout: 10_000 }).catch(() => undefined);

    expect(errors).toEqual([]);
    await ctx.close();
  }, 240_000);
});
