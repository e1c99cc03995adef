/**
 * The audit page in headless Chromium against a real server (issue 12, "done when"): a failed
 * login from a forwarded source address shows on /admin/audit as an auth.login_failed row with
 * that address seconds after it happened; the CSV export downloads the filtered log. Also the
 * users tab's "revoke sessions" and "reset 2FA" (issue 12), and a handler's skills edited as
 * incident categories in the page's language, reaching the dispatch roster at once.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Secret, TOTP } from 'otpauth';
import { DEMO_PASSWORD } from '../../server/test/helpers';
import { browserSuite, collectConsoleErrors, signedInContext, VIEWPORTS, waitUntil } from '../helpers/browser';

const suite = browserSuite();

/** A wrong password for officer1, as if from `source` behind the local reverse proxy. */
async function failedLogin(source: string): Promise<void> {
  const r = await fetch(`${suite.server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': source, 'user-agent': 'audit-browser-test' },
    body: JSON.stringify({ username: 'officer1', password: 'not-the-password-1' }),
  });
  expect(r.status).toBe(401);
}

/** The audit table's row of a failed login from `source`, if shown. */
const failureRow = (page: import('playwright-core').Page, source: string) =>
  page.locator('[data-testid=audit-table] tbody tr[data-action="auth.login_failed"]').filter({ hasText: source });

describe.skipIf(suite.skipped)('the audit page', () => {
  it('shows a failed login with its source address, and exports the log as CSV', async () => {
    await failedLogin('203.0.113.7');

    const admin = await signedInContext(suite.browser, suite.server, 'admin', { viewport: VIEWPORTS.desktop, acceptDownloads: true });
    const page = await admin.newPage();
    const errors = collectConsoleErrors(page);
    await page.goto('/admin/audit');
    await waitUntil(() => new URL(page.url()).searchParams.get('tab') === 'audit', 10_000, 'the audit tab');
    await waitUntil(async () => (await failureRow(page, '203.0.113.7').count()) === 1, 10_000, 'the failed login row');
    const row = failureRow(page, '203.0.113.7');
    expect(await row.locator('td').nth(1).textContent()).toContain('officer1');
    // officer1 signs in for real: that row names 值班员 王磊 with the account; the refused sign-in
    // does not prove who tried, so its row shows the account alone
    const signIn = await fetch(`${suite.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'audit-browser-test' },
      body: JSON.stringify({ username: 'officer1', password: DEMO_PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    const officerLogin = page.locator('[data-testid=audit-table] tbody tr[data-action="auth.login"]').filter({ hasText: 'officer1' });
    await waitUntil(
      async () => {
        await page.locator('[data-testid=audit-search]').click();
        return (
          (await officerLogin
            .first()
            .locator('td')
            .nth(1)
            .textContent({ timeout: 1_000 })
            .catch(() => '')) ?? ''
        ).includes('值班员 王磊（officer1）');
      },
      10_000,
      "the officer's sign-in row by name",
    );
    expect((await row.locator('td').nth(1).textContent())?.trim()).toBe('officer1');
    await page.screenshot({ path: '/tmp/admin-audit.png' });

    // a failure while the page is open shows after a search (查询), seconds later
    await failedLogin('198.51.100.23');
    await waitUntil(
      async () => {
        await page.locator('[data-testid=audit-search]').click();
        return (await failureRow(page, '198.51.100.23').count()) === 1;
      },
      10_000,
      'the second failed login row',
    );

    // the filter narrows to failed logins only
    await page.locator('[data-testid=audit-action]').fill('auth.login_failed');
    await page.locator('[data-testid=audit-search]').click();
    await waitUntil(
      async () => {
        const actions = await page
          .locator('[data-testid=audit-table] tbody tr[data-action]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
        return actions.length === 2 && actions.every((a) => a === 'auth.login_failed');
      },
      10_000,
      'only the two failed logins listed',
    );

    // CSV of the filtered log: a download with both addresses in it
    const download = page.waitForEvent('download', { timeout: 10_000 });
    await page.locator('[data-testid=audit-export]').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.csv$/);
    const csv = readFileSync((await file.path())!, 'utf8');
    expect(csv).toContain('auth.login_failed');
    expect(csv).toContain('203.0.113.7');
    expect(csv).toContain('198.51.100.23');
    expect(errors).toEqual([]);
    await admin.close();
  });

  it("revokes a user's sessions and resets their second factor from the users tab", async () => {
    // officer1 signs in and turns on two-factor sign-in (over the API, as their own page would)
    const login = await fetch(`${suite.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.44' },
      body: JSON.stringify({ username: 'officer2', password: DEMO_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const officer = (await login.json()) as { token: string };
    const bearer = { 'content-type': 'application/json', authorization: `Bearer ${officer.token}` };
    const setup = (await (await fetch(`${suite.server.url}/api/auth/mfa/setup`, { method: 'POST', headers: bearer, body: '{}' })).json()) as {
      secret: string;
    };
    const code = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(setup.secret) }).generate();
    const confirmed = await fetch(`${suite.server.url}/api/auth/mfa/confirm`, { method: 'POST', headers: bearer, body: JSON.stringify({ code }) });
    expect(confirmed.status).toBe(200);
    const { session } = (await confirmed.json()) as { session: { token: string } };
    const me = () => fetch(`${suite.server.url}/api/me`, { headers: { authorization: `Bearer ${session.token}` } });
    expect((await me()).status).toBe(200);

    const admin = await signedInContext(suite.browser, suite.server, 'admin', { viewport: VIEWPORTS.desktop });
    const page = await admin.newPage();
    await page.goto('/admin?tab=users');
    const row = page.locator('[data-testid=admin-users] tr[data-username=officer2]');
    await row.waitFor();
    await waitUntil(async () => (await row.locator('[data-testid=user-mfa]').textContent())?.trim() === '已开启', 10_000, '2FA shown as on');

    // 撤销会话: confirmed, then the officer's token is refused at once
    page.once('dialog', (d) => void d.accept());
    await row.locator('[data-testid=revoke-sessions]').click();
    await waitUntil(async () => ((await page.locator('.msg.ok').textContent()) ?? '').includes('officer2'), 10_000, 'the revoke message');
    expect(await page.locator('.msg.ok').textContent()).toMatch(/已撤销“officer2”的 [1-9]\d* 个会话/);
    expect((await me()).status).toBe(401);

    // 重置双因素 declined: nothing happens; accepted: the factor is gone, the password alone signs in
    page.once('dialog', (d) => void d.dismiss());
    await row.locator('[data-testid=reset-mfa]').click();
    expect((await row.locator('[data-testid=user-mfa]').textContent())?.trim()).toBe('已开启');
    page.once('dialog', (d) => void d.accept());
    await row.locator('[data-testid=reset-mfa]').click();
    await waitUntil(async () => ((await page.locator('.msg.ok').textContent()) ?? '').includes('已重置“officer2”'), 10_000, 'the reset message');
    await waitUntil(
      async () => (await row.locator('[data-testid=user-mfa]').textContent())?.trim() !== '已开启',
      10_000,
      '2FA no longer shown as on',
    );
    const again = await fetch(`${suite.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.44' },
      body: JSON.stringify({ username: 'officer2', password: DEMO_PASSWORD }),
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { mfaRequired?: boolean }).mfaRequired).not.toBe(true);
    await page.screenshot({ path: '/tmp/admin-users-sessions.png' });
    await admin.close();
  });

  it("edits a handler's skills as named incident categories, and the dispatch roster has them at once", async () => {
    const admin = await signedInContext(suite.browser, suite.server, 'admin', { viewport: VIEWPORTS.desktop });
    const page = await admin.newPage();
    await page.goto('/admin?tab=users');
    const row = page.locator('[data-testid=admin-users] tr[data-username=handler5]');
    await row.waitFor();
    // named in Chinese, not as category codes
    expect(await row.locator('[data-testid=user-skills]').textContent()).toContain('独居老人');
    expect(await row.locator('[data-testid=user-skills]').textContent()).not.toContain('elderly-care');
    await row.getByRole('button', { name: '调整技能' }).click();
    await row.getByLabel('电梯困人').uncheck();
    await row.getByLabel('燃气泄漏').check();
    await row.getByRole('button', { name: '保存技能' }).click();
    await waitUntil(
      async () => ((await row.locator('[data-testid=user-skills]').textContent()) ?? '').includes('燃气泄漏'),
      10_000,
      'the saved skills',
    );
    expect(await row.locator('[data-testid=user-skills]').textContent()).not.toContain('电梯困人');
    const skills = suite.server.fusion.getHandler('handler5')!.skills;
    expect(skills).toContain('gas-leak');
    expect(skills).not.toContain('elevator');
    await admin.close();
  });
});
