/**
 * The signed-in person of a people page (console, mobile, brief, admin): their session, whether
 * their role may use the page, and the page's one live connection. The server enforces every
 * permission again; this only decides what the page shows.
 */
import { computed, watch } from 'vue';
import { useRouter } from 'vue-router';
import type { Role } from '@scenes/domain';
import type { Actor } from '@scenes/incident-machine';
import { clearSession, loadSession, type Session } from '../../auth/session';
import { closeLiveConnection, getLiveConnection, type LiveConnection } from '../../connection';
import { useConnectionStore } from '../../stores/connection-store';

/** the signed-in user's account security page (two-factor sign-in) */
export const SECURITY_PATH = '/account/security';

export interface PeopleSession {
  session: Session | null;
  /** the session's role may use this page */
  allowed: boolean;
  actor: Actor | null;
  connection: LiveConnection | null;
  connectionStore: ReturnType<typeof useConnectionStore>;
  logout(): Promise<void>;
}

export function usePeopleSession(roles: readonly Role[]): PeopleSession {
  const router = useRouter();
  const session = loadSession();
  const connectionStore = useConnectionStore();
  const allowed = !!session && session.role !== null && roles.includes(session.role);
  let connection: LiveConnection | null = null;
  if (session && allowed) {
    connectionStore.ensureConnected();
    connection = getLiveConnection(session.token);
  }
  const actor = session && session.role && session.username ? { username: session.username, role: session.role } : null;
  const logout = async () => {
    closeLiveConnection();
    clearSession();
    await router.replace({ name: 'login', query: { redirect: router.currentRoute.value.fullPath } });
  };
  const enrolFirst = async () => {
    closeLiveConnection();
    await router.replace({ path: SECURITY_PATH, query: { enrol: '1', redirect: router.currentRoute.value.fullPath } });
  };
  // a session the server no longer takes (account disabled, password reset by an admin): sign in again;
  // one that may only enrol a second factor (its role requires one): the security page, then back here
  watch(
    () => connectionStore.status.errorCode,
    (code) => {
      if (code === 'E_UNAUTHORIZED' || code === 'E_PASSWORD_CHANGE_REQUIRED') void logout();
      else if (code === 'E_MFA_REQUIRED') void enrolFirst();
    },
  );
  return { session, allowed, actor, connection, connectionStore, logout };
}

/** The connection state as a short label key and a colour class for headers. */
export function useConnectionBadge(store: ReturnType<typeof useConnectionStore>) {
  return computed(() => {
    const s = store.status.state;
    return { state: s, cls: s === 'connected' ? 'ok' : s === 'pending' ? 'warn' : 'down' };
  });
}
