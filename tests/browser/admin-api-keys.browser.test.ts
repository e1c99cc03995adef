/**
 * The API keys tab (API 密钥, issue 16) in headless Chromium against a real server: an admin creates
 * a key and sees it once, the key reads /ogc, the list never shows it again, and revoking it in the
 * tab refuses it at once.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, signedInContext, VIEWPORTS, waitUntil } from '../helpers/browser';

const suite = browserSuite({ demoDevices: 300 });

describe.skipIf(suite.skipped)('API keys in the admin page', () => {
  it('creates a key shown once that reads /ogc, and revoking it refuses the key', async () => {
    const admin = await signedInContext(suite.browser, suite.server, 'admin', { viewport: VIEWPORTS.desktop });
    const page = await admin.newPage();
    await page.goto('/admin?tab=apiKeys');
    await page.locator('[data-testid=api-key-name]').fill('市级 GIS 平台');
    await page.locator('[data-testid=api-key-create]').click();
    const keyBox = page.locator('[data-testid=api-key-value]');
    await keyBox.waitFor();
    const key = await keyBox.inputValue();
    expect(key).toMatch(/^ioc_[A-Za-z0-9_-]{43}$/);
    await page.screenshot({ path: '/tmp/admin-api-keys.png' });
    const ogc = () => fetch(`${suite.server.url}/ogc/collections`, { headers: { authorization: `ApiKey ${key}` } }).then((r) => r.status);
    expect(await ogc()).toBe(200);

    await page.locator('[data-testid=api-key-close]').click();
    await waitUntil(async () => (await page.locator('[data-testid=api-key-revoke]').count()) === 1, 10_000, 'the listed key');
    expect(await page.content()).not.toContain(key);

    page.once('dialog', (d) => void d.accept());
    await page.locator('[data-testid=api-key-revoke]').click();
    await waitUntil(async () => (await page.locator('[data-testid=api-key-revoke]').count()) === 0, 10_000, 'the key shown revoked');
    expect(await ogc()).toBe(401);
    await admin.close();
  });
});
