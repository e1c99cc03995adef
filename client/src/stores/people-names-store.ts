/**
 * People's display names by account, for lists that say who did something (a device's commands,
 * a device's change history, the audit log): read once per signed-in user from `GET /api/people`.
 * Until the answer comes, and on a page whose role may not read the directory (a wall screen),
 * an account stands for itself.
 */
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import { loadSession } from '../auth/session';
import { fetchPeopleNames } from '../data/dispatch';

export const usePeopleNamesStore = defineStore('people-names', () => {
  const names = shallowRef(new Map<string, string>());
  /** the user the names were read for */
  let readFor: string | null = null;

  /** Reads the names for the signed-in user unless already read (or refused: a screen). */
  function ensure(): void {
    const session = loadSession();
    if (!session?.username || session.role === 'screen' || readFor === session.username) return;
    const username = session.username;
    readFor = username;
    void fetchPeopleNames(session.token).then((m) => {
      if (readFor === username) names.value = m;
    });
  }

  /** 王磊, or the account where the name is not known */
  const nameOf = (account: string): string => names.value.get(account) ?? account;
  /** 王磊（officer1）: the name with the account, for records where the account matters (audit) */
  const nameWithAccount = (account: string): string => {
    const name = names.value.get(account);
    return name ? `${name}（${account}）` : account;
  };

  return { names, ensure, nameOf, nameWithAccount };
});
