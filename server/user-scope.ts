/**
 * The data scope of a verified session (scenes/scope.ts), read from the stored user: districts are
 * a user attribute an admin changes, never a token claim. Handlers and whole-city roles need no
 * store read.
 */
import { DISTRICT_SCOPED_ROLES, scopeOf, WHOLE_CITY, type DataScope } from '../scenes/scope';
import type { Role } from '../scenes/domain';
import type { Store } from './store/store';

export async function userScope(store: Pick<Store, 'getUser'>, who: { username: string; role: Role }): Promise<DataScope> {
  if (who.role === 'handler') return scopeOf(who);
  if (!DISTRICT_SCOPED_ROLES.includes(who.role)) return WHOLE_CITY;
  const user = await store.getUser(who.username);
  // the session's role decides (a role or scope change revokes the sessions). No stored account:
  // only in unit tests of services — every session path refused it already (`sessionRefusal`)
  return scopeOf({ role: who.role, username: who.username, districts: user?.districts });
}
