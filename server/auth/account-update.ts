/**
 * An administrator changes an account (PATCH /api/users/:username): name, role, data scope,
 * disabling, a password reset. A change of what the account may do ends its sessions at once
 * (open sockets are cut, server/realtime.ts).
 */
import type { IocError } from '../../scenes/protocol';
import { iocError } from '../errors';
import type { StoredUser } from '../store/store';
import { auditCtx, type AccountCore } from './account-core';
import type { AuditEntry } from '../audit/audit';
import { publicUser, type PublicUser, type UpdateUserInput } from './accounts';
import { passwordFieldsOf, passwordPolicyError } from './password-rules';
import { hashPassword, passwordPolicyRefusal } from './passwords';
import type { Actor, RevocationReason } from './sessions';

export async function updateAccount(
  core: AccountCore,
  username: string,
  patch: UpdateUserInput,
  actor: Actor,
): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
  const user = await core.store.getUser(username);
  if (!user) return { ok: false, error: iocError('E_NOT_FOUND', `no user ${username}`) };
  let passwordHash = user.passwordHash;
  if (patch.password !== undefined) {
    const refusal = passwordPolicyRefusal(patch.password, user.username);
    if (refusal) return { ok: false, error: passwordPolicyError(refusal) };
    passwordHash = await hashPassword(patch.password);
  }
  const next: StoredUser = {
    ...user,
    displayName: patch.displayName ?? user.displayName,
    disabled: patch.disabled ?? user.disabled,
    role: patch.role ?? user.role,
    team: patch.team ?? user.team,
    skills: patch.skills ?? user.skills,
    districts: patch.districts ?? user.districts,
    passwordHash,
    // an admin's reset starts the password's age and enters the history (issue 12)
    ...(patch.password !== undefined ? passwordFieldsOf(user, passwordHash, core.now(), core.policy.passwordHistoryCount) : {}),
    // a reset password or re-enabled account starts with a clean slate
    failedLogins: patch.password !== undefined ? 0 : user.failedLogins,
    lockedUntil: patch.password !== undefined ? 0 : user.lockedUntil,
    // an admin's reset is someone else's choice: the owner must change it at next login
    mustChangePassword: patch.password !== undefined ? true : user.mustChangePassword,
  };
  // recorded before the change takes effect: without its audit records it does not happen (fail closed)
  for (const entry of userChangeAudit(user, next, patch.password !== undefined)) {
    const unaudited = await core.audited({
      ...auditCtx(actor.username, actor, actor.role),
      ...entry,
      target: `user:${username}`,
      outcome: 'success',
    });
    if (unaudited) return { ok: false, error: unaudited };
  }
  await core.store.putUser(next);
  // what the account may do changed: its sessions end now (open sockets are cut, server/realtime.ts)
  const why = revocationReasonOf(user, next, patch.password !== undefined);
  if (why) await core.sessionService().revokeUser(username, why, actor);
  return { ok: true, user: publicUser(next) };
}

/**
 * Why an admin's change of `before` into `after` ends the account's sessions, or null: disabling,
 * a role or data-scope change, a password reset.
 */
export function revocationReasonOf(before: StoredUser, after: StoredUser, passwordReset: boolean): RevocationReason | null {
  if (after.disabled && !before.disabled) return 'disabled';
  if (after.role !== before.role) return 'role_change';
  if (scopeKey(after) !== scopeKey(before)) return 'scope_change';
  if (passwordReset) return 'password_reset';
  return null;
}

/** absent and empty both mean "the whole city" */
function scopeKey(u: StoredUser): string {
  return [...(u.districts ?? [])].sort().join(',');
}

/**
 * The audit records of an admin's change: one per kind (disable/enable, role, data scope, password
 * reset), plus `user.update` for the other fields — or `user.update` alone when nothing changed.
 */
export function userChangeAudit(before: StoredUser, after: StoredUser, passwordReset: boolean): Pick<AuditEntry, 'action' | 'details'>[] {
  const out: Pick<AuditEntry, 'action' | 'details'>[] = [];
  if (after.disabled !== before.disabled) out.push({ action: after.disabled ? 'user.disable' : 'user.enable' });
  if (after.role !== before.role) out.push({ action: 'user.role_change', details: { from: before.role, to: after.role } });
  if (scopeKey(after) !== scopeKey(before))
    out.push({ action: 'user.scope_change', details: { from: before.districts ?? [], to: after.districts ?? [] } });
  if (passwordReset) out.push({ action: 'user.password_reset' });
  const fields = (['displayName', 'team', 'skills'] as const).filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
  if (fields.length > 0 || out.length === 0) out.push({ action: 'user.update', details: { fields } });
  return out;
}
