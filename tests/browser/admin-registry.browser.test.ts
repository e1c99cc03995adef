/**
 * The /admin registry tabs in headless Chromium against a real server (issue 11): an administrator
 * adds a device in the devices tab, gets its token once, the device's readings are accepted and it
 * appears in the wall's scene; rotating the token in the UI makes the old one fail at once. Every
 * tab is screenshotted at 1920×1080 (/tmp/admin-*.png) for a person to look at.
 */
import { QINGDAO_CAMERAS } from '../../scenes/city/qingdao-cameras';
import { describe, expect, it } from 'vitest';
import { deviceToken, DEV_DEVICE_SECRET } from '../../server/device-token';
import { login } from '../../server/test/helpers';
import type { SceneSnapshotMessage } from '../../scenes/protocol';
import { generateControlDevices } from '../../scenes/fleet';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS, waitUntil } from '../helpers/browser';

const FLEET_SIZE = 300;
const DEVICE_ID = 'ui-test-strain-001';
/** on land in 李沧区 (the registry REST tests use the same point) */
const LOCATION = '120.41, 36.16';

let seq = 1;

const suite = browserSuite({ demoDevices: FLEET_SIZE });

/** Console noise that is not an application error (software GL performance notes). */
function appErrors(errors: string[]): string[] {
  return errors.filter((e) => !/GPU stall|GL Driver Message/.test(e));
}

async function ingestWith(token: string): Promise<{ accepted: number; rejected: { code: string }[] }> {
  const r = await fetch(`${suite.server.url}/api/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ readings: [{ deviceId: DEVICE_ID, ts: Date.now(), seq: seq++, metrics: { strain: 120 }, token }] }),
  });
  return (await r.json()) as { accepted: number; rejected: { code: string }[] };
}

/** Readings of a demo river gauge over the last `minutes` (HMAC demo token), rising from 2.5 m to 5 m. */
async function feedRiverGauge(deviceId: string, minutes: number): Promise<void> {
  const now = Date.now();
  const readings = Array.from({ length: minutes }, (_, i) => ({
    deviceId,
    ts: now - (minutes - i) * 60_000,
    seq: i + 1,
    metrics: { level: 2.5 + (2.5 * i) / (minutes - 1) },
    token: deviceToken(DEV_DEVICE_SECRET, deviceId),
  }));
  const r = await fetch(`${suite.server.url}/api/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ readings }),
  });
  expect(((await r.json()) as { accepted: number }).accepted).toBe(minutes);
}

async function overviewDeviceIds(sessionToken: string): Promise<Set<string>> {
  const r = await fetch(`${suite.server.url}/api/scenes/overview`, { headers: { authorization: `Bearer ${sessionToken}` } });
  const snap = (await r.json()) as SceneSnapshotMessage;
  return new Set(snap.model.devices.map((d) => d.id));
}

describe.skipIf(suite.skipped)('admin registry tabs', { timeout: 180_000 }, () => {
  it('adds a device whose token works once issued, shows it on the wall, and rotating the token makes the old one fail', async () => {
    const context = await signedInContext(suite.browser, suite.server, 'admin', { viewport: VIEWPORTS.desktop });
    const screenToken = await login(suite.server, 'screen1');
    try {
      const page = await context.newPage();
      const errors = collectConsoleErrors(page);

      await page.goto('/admin');
      await page.locator('[data-testid=admin-users]').waitFor();
      await page.screenshot({ path: '/tmp/admin-users.png' });

      await page.locator('[data-testid=admin-tab-devices]').click();
      await page.locator('[data-testid=device-table] tbody tr[data-device-id]').first().waitFor({ timeout: 15_000 });
      // the sensor fleet plus the demo's flood gates (scenes/fleet.ts generateControlDevices) and cameras (scenes/city/qingdao-cameras.ts)
      expect(await page.locator('[data-testid=device-count]').textContent()).toContain(
        String(FLEET_SIZE + generateControlDevices().length + QINGDAO_CAMERAS.length),
      );
      await page.screenshot({ path: '/tmp/admin-devices.png' });
      expect((await overviewDeviceIds(screenToken)).has(DEVICE_ID)).toBe(false);

      // add: kind, name, a point picked on the map, then the exact location typed
      await page.locator('[data-testid=device-add]').click();
      const form = page.locator('[data-testid=device-create-form]');
      await form.waitFor();
      await page.locator('[data-testid=new-device-id]').fill(DEVICE_ID);
      await page.locator('[data-testid=new-device-kind]').selectOption('strain-gauge');
      await page.locator('[data-testid=new-device-name]').fill('界面测试应变计');
      const picker = form.locator('[data-testid=location-picker]');
      await picker.locator('canvas').first().waitFor();
      await picker.click();
      await waitUntil(
        async () => /^\d+\.\d+, \d+\.\d+$/.test(await page.locator('[data-testid=new-device-location]').inputValue()),
        5_000,
        'picked location',
      );
      await page.screenshot({ path: '/tmp/admin-devices-create.png' });
      await page.locator('[data-testid=new-device-location]').fill(LOCATION);
      await page.locator('[data-testid=new-device-submit]').click();

      // the token, shown once
      const tokenBox = page.locator('[data-testid=device-token-box]');
      await tokenBox.waitFor();
      const token = await page.locator('[data-testid=device-token]').inputValue();
      expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      await page.locator(`[data-testid=device-detail][data-device-id="${DEVICE_ID}"]`).waitFor();
      await page.screenshot({ path: '/tmp/admin-devices-token.png' });

      // its readings are accepted and it is on the wall
      expect((await ingestWith(token)).accepted).toBe(1);
      await waitUntil(async () => (await overviewDeviceIds(screenToken)).has(DEVICE_ID), 10_000, 'the new device in the overview scene');

      // rotate in the UI: a new token is shown, the old one fails at once
      await page.locator('[data-testid=device-token-close]').click();
      await expect.poll(() => tokenBox.count()).toBe(0);
      await page.locator('[data-testid=device-rotate]').click();
      await page.locator('[data-testid=device-confirm]').click();
      await tokenBox.waitFor();
      const rotated = await page.locator('[data-testid=device-token]').inputValue();
      expect(rotated).not.toBe(token);
      const old = await ingestWith(token);
      expect(old.accepted).toBe(0);
      expect(old.rejected[0]?.code).toBe('E_UNAUTHORIZED');
      expect((await ingestWith(rotated)).accepted).toBe(1);
      await page.screenshot({ path: '/tmp/admin-devices-detail.png' });

      await page.locator('[data-testid=admin-tab-assets]').click();
      await page.locator('[data-testid=asset-table] tbody tr.clickable').first().waitFor({ timeout: 15_000 });
      await page.locator('[data-testid=asset-table] tbody tr.clickable').first().click();
      await page.locator('[data-testid=asset-detail]').waitFor();
      await page.screenshot({ path: '/tmp/admin-assets.png' });

      // thresholds: the preview draws the first river gauge's last hours against a proposed red limit
      const adminToken = await login(suite.server, 'admin');
      const registry = (await (await fetch(`${suite.server.url}/api/devices`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as {
        devices: { id: string; kind: string; status: string; assetId?: string }[];
      };
      const gauge = registry.devices.find((d) => d.kind === 'water-level' && d.status !== 'retired')!;
      await feedRiverGauge(gauge.id, 50);
      await page.locator('[data-testid=admin-tab-thresholds]').click();
      await page.locator('[data-testid=admin-thresholds] [data-rule-id="water.level.threshold"]').click();
      const gaugeAsset = registry.devices.find((d) => d.id === gauge.id)!.assetId;
      if (gaugeAsset) await page.locator(`[data-testid="layer-asset-${gaugeAsset}"]`).click();
      await page.locator('[data-testid=limit-red]').fill('4.8');
      await page.locator('[data-testid=threshold-preview-counts]').waitFor({ timeout: 10_000 });
      await page.screenshot({ path: '/tmp/admin-thresholds.png' });

      expect(appErrors(errors)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
