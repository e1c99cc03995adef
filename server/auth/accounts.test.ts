import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store';
import type { StoredUser } from '../store/store';
import { createAccount, publicUser } from './accounts';

/** An account carrying every credential the store keeps, each a recognisable value. */
const WITH_CREDENTIALS: StoredUser = {
  username: 'duty1',
  displayName: '值班员',
  role: 'officer',
  passwordHash: 'scrypt$16384$8$1$SALT-current$HASH-current',
  passwordHistory: ['scrypt$16384$8$1$SALT-current$HASH-current', 'scrypt$16384$8$1$SALT-old$HASH-old'],
  passwordChangedTs: 1_700_000_000_000,
  disabled: false,
  failedLogins: 2,
  lockedUntil: 0,
  districts: ['370202'],
  createdTs: 1_690_000_000_000,
  mustChangePassword: false,
  mfa: {
    enabled: true,
    enabledTs: 1_700_000_100_000,
    secret: 'SEALED-TOTP-SECRET',
    pendingSecret: 'SEALED-PENDING-SECRET',
    pendingTs: 1_700_000_000_500,
    lastStep: 56_666_670,
    recoveryCodeHashes: ['RECOVERY-HASH-1', 'RECOVERY-HASH-2'],
  },
};

const CREDENTIAL_VALUES = [
  'HASH-current',
  'HASH-old',
  'SALT-current',
  'SEALED-TOTP-SECRET',
  'SEALED-PENDING-SECRET',
  'RECOVERY-HASH-1',
  'RECOVERY-HASH-2',
];

describe('what an admin sees of a user (publicUser)', () => {
  it('carries no password hash or history, no TOTP secret (sealed or pending) and no recovery code hashes', () => {
    const seen = publicUser(WITH_CREDENTIALS);
    const wire = JSON.stringify(seen);
    for (const value of CREDENTIAL_VALUES) expect(wire).not.toContain(value);
    for (const field of ['passwordHash', 'passwordHistory', 'mfa', 'secret', 'pendingSecret', 'recoveryCodeHashes', 'lastStep'])
      expect(Object.keys(seen)).not.toContain(field);
  });

  it('keeps what the admin pages use, and says only whether the second factor is on', () => {
    expect(publicUser(WITH_CREDENTIALS)).toEqual({
      username: 'duty1',
      displayName: '值班员',
      role: 'officer',
      disabled: false,
      failedLogins: 2,
      lockedUntil: 0,
      districts: ['370202'],
      createdTs: 1_690_000_000_000,
      passwordChangedTs: 1_700_000_000_000,
      mustChangePassword: false,
      mfaEnabled: true,
    });
    const { mfa: _none, ...neverEnrolled } = WITH_CREDENTIALS;
    expect(publicUser(neverEnrolled).mfaEnabled).toBe(false);
  });

  it('answers a created account without its password hash or history', async () => {
    const store = new MemoryStore();
    const made = await createAccount(
      store,
      { username: 'newbie', displayName: 'N', role: 'handler', password: 'Harbour-Lights-42' },
      1_700_000_000_000,
    );
    expect(made.ok).toBe(true);
    const stored = await store.getUser('newbie');
    const wire = JSON.stringify(made.ok && made.user);
    expect(wire).not.toContain(stored!.passwordHash);
    expect(made.ok && made.user).not.toHaveProperty('passwordHistory');
    expect(made.ok && made.user.mustChangePassword).toBe(true);
  });
});
