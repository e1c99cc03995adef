/**
 * Demo accounts a development run left in a store (issue 12): they share a password printed in the
 * README, so a production server must not start while one exists (`npm run admin -- purge-demo`).
 *
 * An account is a demo account when it carries `demo: true` (seeded since issue 11), or — seeded
 * before that flag — when it has a demo username and still opens with the demo password.
 */
import { demoAccounts } from '../auth/accounts';
import { verifyPassword } from '../auth/passwords';
import type { StoredUser } from '../store/store';

/** The demo password of a development start (IOC_DEMO_PASSWORD's default, config.ts). */
export const DEFAULT_DEMO_PASSWORD = 'ioc-demo-2026';

export async function findDemoAccounts(users: readonly StoredUser[], demoPassword: string = DEFAULT_DEMO_PASSWORD): Promise<StoredUser[]> {
  const demoNames = new Set(demoAccounts().map((a) => a.username));
  const found: StoredUser[] = [];
  for (const u of users) {
    if (u.demo === true) found.push(u);
    // one scrypt per unflagged account with a demo name: a handful at most
    else if (demoNames.has(u.username) && (await verifyPassword(demoPassword, u.passwordHash).catch(() => false))) found.push(u);
  }
  return found;
}

export function describeAccounts(users: readonly StoredUser[]): string {
  return users.map((u) => `${u.username} (${u.role})`).join(', ');
}
