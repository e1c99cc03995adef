/**
 * The admin's user list and the create/update answers never carry a credential (issue 12): no
 * password hash or history, no TOTP secret (sealed or pending), no recovery code hashes — checked
 * against the values the store really holds after enrolment, a pending enrolment and a reset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { totpCode } from '../auth/totp';
import { login, startTestServer } from './helpers';

let server: IocServer;

beforeAll(async () => {
  server = await startTestServer({ demoDevices: 10 });
});

afterAll(async () => {
  await server?.close();
});

async function call(path: string, body: unknown, token: string, method = 'POST'): Promise<{ status: number; text: string; body: any }> {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, text, body: JSON.parse(text) };
}

/** Every credential value the store holds for any account. */
async function storedCredentials(): Promise<string[]> {
  const values: string[] = [];
  for (const u of await server.store.listUsers()) {
    values.push(u.passwordHash, ...(u.passwordHistory ?? []), ...(u.mfa?.recoveryCodeHashes ?? []));
    if (u.mfa?.secret !== undefined) values.push(u.mfa.secret);
    if (u.mfa?.pendingSecret !== undefined) values.push(u.mfa.pendingSecret);
  }
  return values;
}

function expectNoCredential(text: string, credentials: string[]): void {
  for (const field of ['passwordHash', 'passwordHistory', 'recoveryCodeHashes', 'pendingSecret', '"secret"']) expect(text).not.toContain(field);
  for (const value of credentials) expect(text).not.toContain(value);
}

describe('GET /api/users', () => {
  it('lists users without password hashes or history, TOTP secrets or recovery code hashes', async () => {
    // officer1: second factor on (secret and recovery code hashes stored)
    const officer = await login(server, 'officer1');
    const setup = await call('/api/auth/mfa/setup', {}, officer);
    expect(setup.status).toBe(200);
    const confirmed = await call('/api/auth/mfa/confirm', { code: totpCode(setup.body.secret as string, Date.now()) }, officer);
    expect(confirmed.status).toBe(200);
    // officer2: an enrolment started and not confirmed (pending secret stored)
    expect((await call('/api/auth/mfa/setup', {}, await login(server, 'officer2'))).status).toBe(200);
    const admin = await login(server, 'admin');
    // leader1: reset by the admin (the password history holds two hashes)
    const reset = await call('/api/users/leader1', { password: 'Reset-By-Chief-2026' }, admin, 'PATCH');
    expect(reset.status).toBe(200);
    const created = await call('/api/users', { username: 'newbie', displayName: '新人', role: 'handler', password: 'Str0ng-pass-2026!' }, admin);
    expect(created.status).toBe(201);

    const stored = await server.store.getUser('officer1');
    expect(stored?.mfa?.secret).toBeTruthy();
    expect(stored?.mfa?.recoveryCodeHashes).toHaveLength(10);
    expect((await server.store.getUser('officer2'))?.mfa?.pendingSecret).toBeTruthy();
    expect((await server.store.getUser('leader1'))?.passwordHistory).toHaveLength(2);
    const credentials = await storedCredentials();

    const list = await call('/api/users', undefined, admin, 'GET');
    expect(list.status).toBe(200);
    expectNoCredential(list.text, credentials);
    expectNoCredential(reset.text, credentials);
    expectNoCredential(created.text, credentials);
    const byName = new Map((list.body.users as { username: string; mfaEnabled: boolean }[]).map((u) => [u.username, u]));
    expect(byName.get('officer1')?.mfaEnabled).toBe(true);
    expect(byName.get('officer2')?.mfaEnabled).toBe(false);
    expect(byName.get('newbie')).toMatchObject({ role: 'handler', mustChangePassword: true });
  });
});
