import { describe, expect, it } from 'vitest';
import type { HandlerProfile } from './fusion/handler-roster';
import { createLogger } from './logger';
import type { StoredUser } from './store/store';
import { handlerProfilesOf, startHandlerRosterSync } from './handler-roster-sync';

const user = (username: string, role: StoredUser['role'], extra: Partial<StoredUser> = {}) =>
  ({ username, displayName: username.toUpperCase(), role, ...extra }) as StoredUser;

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('handler roster sync', () => {
  it('takes the handler accounts only, with the demo handlers’ team, skills and home as defaults', () => {
    const profiles = handlerProfilesOf([
      user('officer1', 'officer'),
      user('handler1', 'handler'),
      user('h-new', 'handler', { team: 'T', skills: ['fire'] }),
    ]);
    expect(profiles.map((p) => p.id)).toEqual(['handler1', 'h-new']);
    expect(profiles[0]!.skills.length).toBeGreaterThan(0);
    expect(profiles[0]!.home).not.toBeNull();
    expect(profiles[1]).toEqual({ id: 'h-new', name: 'H-NEW', team: 'T', skills: ['fire'], home: null });
  });

  it('re-reads the accounts on a timer (another node’s changes), one read at a time, and keeps the roster when a read fails', async () => {
    let users = [user('a', 'handler')];
    let fail = false;
    let reads = 0;
    const registered: string[][] = [];
    const sync = startHandlerRosterSync({
      store: {
        listUsers: async () => {
          reads++;
          if (fail) throw new Error('store down');
          return users;
        },
      },
      register: (p: readonly HandlerProfile[]) => registered.push(p.map((x) => x.id)),
      log: createLogger('silent'),
      intervalMs: 20,
    });
    try {
      await Promise.all([sync.sync(), sync.sync(), sync.sync()]);
      // three calls while one read runs: that read and one more, not three
      expect(reads).toBeLessThanOrEqual(2);
      users = [user('a', 'handler'), user('b', 'handler')];
      await until(() => registered.some((r) => r.includes('b')));
      fail = true;
      const before = registered.length;
      await sync.sync();
      expect(registered.length).toBe(before);
    } finally {
      sync.stop();
    }
  });
});
