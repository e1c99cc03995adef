/**
 * The field handlers fusion knows come from the user accounts: every account of role `handler`,
 * with its team and skills (the demo's handlers also get a home position). A disabled one, or one
 * given another role, leaves the roster once no incident in progress is assigned to them
 * (HandlerRoster.sync). Read at start, again right after an admin creates or changes an account
 * on this node, and every `intervalMs` — so a handler created at runtime is on the map and in
 * dispatch suggestions as soon as their phone reports, on every node of a cluster (accounts are
 * shared in the store, not in the log).
 */
import { DEMO_HANDLERS } from '../scenes/city/qingdao';
import type { HandlerProfile } from './fusion/handler-roster';
import type { Logger } from './logger';
import type { Store, StoredUser } from './store/store';

/** How often a node re-reads the handler accounts (other nodes' account changes), ms. */
export const HANDLER_ROSTER_SYNC_MS = 30_000;

/** The `handler` accounts as roster profiles (a disabled one marked so). */
export function handlerProfilesOf(users: readonly StoredUser[]): HandlerProfile[] {
  return users
    .filter((u) => u.role === 'handler')
    .map((u) => {
      const demo = DEMO_HANDLERS.find((h) => h.id === u.username);
      return {
        id: u.username,
        name: u.displayName,
        team: u.team ?? demo?.team ?? '',
        skills: u.skills ?? demo?.skills ?? [],
        home: demo?.home ?? null,
        ...(u.disabled ? { disabled: true } : {}),
      };
    });
}

export interface HandlerRosterSync {
  /** reads the accounts now and registers their handlers (a failed read is logged, the roster kept) */
  sync(): Promise<void>;
  stop(): void;
}

export function startHandlerRosterSync(d: {
  store: Pick<Store, 'listUsers'>;
  register: (profiles: readonly HandlerProfile[]) => void;
  log: Logger;
  intervalMs?: number;
}): HandlerRosterSync {
  let running: Promise<void> | null = null;
  let again = false;
  const once = async (): Promise<void> => {
    try {
      d.register(handlerProfilesOf(await d.store.listUsers()));
    } catch (err) {
      d.log.warn({ err }, 'handler roster: reading the accounts failed; keeping the roster');
    }
  };
  // one read at a time; a change during a read is read again after it
  const sync = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await once();
      } while (again);
      running = null;
    })();
    return running;
  };
  const timer = setInterval(() => void sync(), d.intervalMs ?? HANDLER_ROSTER_SYNC_MS);
  timer.unref();
  return { sync, stop: () => clearInterval(timer) };
}
