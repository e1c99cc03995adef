/**
 * Two-factor sign-in in headless Chromium against a real server (issue 12): with TOTP required
 * for administrators, the admin signs in with the password, is sent to the security page, enrols
 * (QR code as a data: image; the secret read off the page), sees the recovery codes once, signs
 * out, and signs in again with the password and a code computed here with otpauth. Screenshots
 * go to /tmp/totp-*.png for a person to look at.
 */
import { describe, expect, it } from 'vitest';
import { Secret, TOTP } from 'otpauth';
import { DEMO_PASSWORD } from '../../server/test/helpers';
import { browserSuite, collectConsoleErrors, VIEWPORTS } from '../helpers/browser';

const suite = browserSuite({ demoDevices: 100, mfaRequiredRoles: ['admin'] });

/** The code of `secret` one step ahead (accepted within the ±1 step window, and later than any code used before). */
function nextCode(secret: string): string {
  const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  return totp.generate({ timestamp: Date.now() + 30_000 });
}

function currentCode(secret: string): string {
  const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  return totp.generate({ timestamp: Date.now() });
}

/** Console noise that is not an application error (software GL notes; the 401s of the wrong-code check). */
function appErrors(errors: string[]): string[] {
  return errors.filter((e) => !/GPU stall|GL Driver Message|status of 401/.test(e));
}

describe.skipIf(suite.skipped)('TOTP sign-in in the browser', { timeout: 120_000 }, () => {
  it('enrols on the security page, signs out, and signs in with password + code', async () => {
    const context = await suite.browser.newContext({ baseURL: suite.server.url, viewport: VIEWPORTS.desktop });
    try {
      const page = await context.newPage();
      const errors = collectConsoleErrors(page);

      // password only: the role requires a second factor, so the login leads to enrolment
      await page.goto('/login');
      await page.locator('input[name=username]').fill('admin');
      await page.locator('input[name=password]').fill(DEMO_PASSWORD);
      await page.locator('button[type=submit]').click();
      await page.waitForURL(/\/account\/security/);
      await page.getByTestId('enrol-required').waitFor();

      await page.getByTestId('mfa-begin').click();
      await page.getByTestId('mfa-setup').waitFor();
      const qr = page.locator('img.qr');
      expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
      // the QR code decodes as an image (the CSP lets data: images through)
      await page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('img.qr');
        return !!img && img.complete && img.naturalWidth > 0;
      });
      const secret = (await page.getByTestId('mfa-secret').textContent())!.trim();
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
      await page.screenshot({ path: '/tmp/totp-enrol.png' });
      await page.locator('input[name=totp-code]').fill(currentCode(secret));
      await page.locator('[data-testid=mfa-setup] button[type=submit]').click();

      // ten recovery codes, once
      await page.getByTestId('recovery-codes').waitFor();
      expect(await page.locator('[data-testid=recovery-codes] li').count()).toBe(10);
      await page.screenshot({ path: '/tmp/totp-recovery-codes.png' });
      await page.getByTestId('recovery-done').click();
      await page.waitForURL((u) => u.pathname === '/console');

      // sign out (the console's button), then sign in again: password, then a code
      await page.getByRole('button', { name: '退出' }).first().click();
      await page.waitForURL(/\/login/);
      await page.locator('input[name=username]').fill('admin');
      await page.locator('input[name=password]').fill(DEMO_PASSWORD);
      await page.locator('button[type=submit]').click();
      await page.getByTestId('totp-step').waitFor();
      await page.screenshot({ path: '/tmp/totp-login-step.png' });

      // a wrong code is refused with a message, the step stays
      const right = nextCode(secret);
      await page.locator('input[name=totp-code]').fill(right === '000000' ? '111111' : '000000');
      await page.locator('[data-testid=totp-step] button[type=submit]').click();
      await page.locator('[data-testid=totp-step] [role=alert]').waitFor();

      await page.locator('input[name=totp-code]').fill(right);
      await page.locator('[data-testid=totp-step] button[type=submit]').click();
      await page.waitForURL((u) => u.pathname === '/console');

      // the stored session is a full one: the API answers it
      const me = await page.evaluate(async () => {
        const s = JSON.parse(sessionStorage.getItem('ioc.session') ?? '{}') as { token?: string };
        const r = await fetch('/api/me', { headers: { authorization: `Bearer ${s.token ?? ''}` } });
        return { status: r.status, body: (await r.json()) as { username?: string } };
      });
      expect(me.status, JSON.stringify(me.body)).toBe(200);
      expect(me.body.username).toBe('admin');
      expect(appErrors(errors)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
