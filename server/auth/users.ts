/**
 * People: the one service the HTTP layer, the sockets, the CLI and the server start talk to about
 * accounts. A facade: each job lives in its own module —
 * - accounts.ts: schemas, what an admin sees (`publicUser`), creation, demo accounts, the first admin;
 * - login-flow.ts: the password and TOTP login steps, the owner's password change;
 * - mfa-service.ts: enrolment, turning the factor off, an admin's reset (second-factor.ts: proofs);
 * - account-update.ts: an admin's change of an account, and the sessions it ends;
 * - session-gate.ts: whether a verified token's account still lets it in;
 * - login-policy.ts, password-rules.ts: the rules; account-core.ts: what the parts share.
 */
import type { IocError, LoginResponse, MfaConfirmResponse, MfaSetupResponse, MfaStatus } from '../../scenes/protocol';
import type { AuditRecorder } from '../audit/audit';
import type { Store, StoredUser } from '../store/store';
import { AccountCore, auditCtx, type LoginContext } from './account-core';
import { updateAccount } from './account-update';
import {
  bootstrapAdmin,
  createAccount,
  seedDemoAccounts,
  type BootstrapOutcome,
  type CreateUserInput,
  type DemoAccount,
  type PublicUser,
  type UpdateUserInput,
} from './accounts';
import { LoginFlow, type LoginResult } from './login-flow';
import type { LoginPolicy } from './login-policy';
import { MfaService } from './mfa-service';
import type { MfaProof } from './second-factor';
import { isAccountActive, sessionRefusalOf } from './session-gate';
import type { Actor, SessionService } from './sessions';
import type { SessionClaims, TokenService } from './tokens';

export class UserService {
  private readonly core: AccountCore;
  private readonly logins: LoginFlow;
  private readonly mfa: MfaService;

  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    policy: LoginPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.core = new AccountCore(store, policy, now);
    this.logins = new LoginFlow(this.core);
    this.mfa = new MfaService(this.core);
  }

  /** The audit log (server/audit/); every login outcome is recorded, and a login fails closed without it. */
  useAudit(audit: AuditRecorder): this {
    this.core.audit = audit;
    return this;
  }

  /** Called after an admin created or changed an account (the handler roster re-reads the accounts). */
  private readonly changeListeners: (() => Promise<void>)[] = [];

  /** The admin API answers once the listeners are done (a created handler is on the roster by then). */
  onAccountsChanged(listener: () => Promise<void>): this {
    this.changeListeners.push(listener);
    return this;
  }

  private async changed<R extends { ok: boolean }>(r: R): Promise<R> {
    if (r.ok) await Promise.all(this.changeListeners.map((l) => l()));
    return r;
  }

  /** Session records and revocation (server/auth/sessions.ts); wired once at start (server/app.ts). */
  useSessions(sessions: SessionService): this {
    this.core.sessions = sessions;
    return this;
  }

  // --- accounts (accounts.ts, account-update.ts) -----------------------------------------------

  /** Creates the demo accounts that do not exist yet (outside production only). */
  seedDemo(password: string): Promise<DemoAccount[]> {
    return seedDemoAccounts(this.store, password, this.now);
  }

  /** The first administrator from the environment, while no usable administrator exists (accounts.ts). */
  bootstrapAdmin(username: string, password: string): Promise<BootstrapOutcome> {
    return bootstrapAdmin(this.store, username, password, this.now);
  }

  /** An admin creates an account; its owner must change the password at first login. */
  async createUser(
    input: CreateUserInput,
    actor: Actor = { username: 'system' },
  ): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
    return this.changed(
      await createAccount(this.store, input, this.now(), (user) =>
        this.core.audited({
          ...auditCtx(actor.username, actor, actor.role),
          action: 'user.create',
          target: `user:${user.username}`,
          outcome: 'success',
          details: { role: user.role, ...(user.districts?.length ? { districts: user.districts } : {}) },
        }),
      ),
    );
  }

  /** An admin changes an account; disabling, a role or scope change and a reset end its sessions. */
  async updateUser(
    username: string,
    patch: UpdateUserInput,
    actor: Actor = { username: 'system' },
  ): Promise<{ ok: true; user: PublicUser } | { ok: false; error: IocError }> {
    return this.changed(await updateAccount(this.core, username, patch, actor));
  }

  // --- signing in (login-flow.ts) --------------------------------------------------------------

  /** The password step: a session, a TOTP challenge, or one answer for every failure. */
  login(username: string, password: string, ctx: LoginContext = {}): Promise<LoginResult> {
    return this.logins.login(username, password, ctx);
  }

  /** The TOTP step of a challenge from `login`. */
  loginMfa(mfaToken: string, proof: MfaProof, ctx: LoginContext = {}): Promise<LoginResult> {
    return this.logins.loginMfa(mfaToken, proof, ctx);
  }

  /** The owner changes their password; answers a fresh full session. */
  changePassword(
    username: string,
    currentPassword: string,
    newPassword: string,
    ctx: LoginContext = {},
  ): Promise<{ ok: true; session: LoginResponse } | { ok: false; error: IocError }> {
    return this.logins.changePassword(username, currentPassword, newPassword, ctx);
  }

  /** The password is older than the maximum age (demo accounts never expire: the demo must open). */
  passwordExpired(user: StoredUser, now: number = this.now()): boolean {
    return this.logins.passwordExpired(user, now);
  }

  /** The account's role must sign in with TOTP and it has none yet: its sessions may only enrol. */
  mfaEnrolmentRequired(user: StoredUser): boolean {
    return this.core.mfaEnrolmentRequired(user);
  }

  // --- second factor (mfa-service.ts) ----------------------------------------------------------

  mfaStatus(username: string): Promise<MfaStatus | null> {
    return this.mfa.mfaStatus(username);
  }

  mfaSetup(username: string): Promise<{ ok: true; setup: MfaSetupResponse } | { ok: false; error: IocError }> {
    return this.mfa.mfaSetup(username);
  }

  mfaConfirm(
    username: string,
    code: string,
    ctx: LoginContext = {},
  ): Promise<{ ok: true; result: MfaConfirmResponse } | { ok: false; error: IocError }> {
    return this.mfa.mfaConfirm(username, code, ctx);
  }

  mfaDisable(username: string, password: string, proof: MfaProof, ctx: LoginContext = {}): Promise<{ ok: true } | { ok: false; error: IocError }> {
    return this.mfa.mfaDisable(username, password, proof, ctx);
  }

  mfaReset(actor: LoginContext & { username: string; role?: string }, username: string): Promise<{ ok: true } | { ok: false; error: IocError }> {
    return this.mfa.mfaReset(actor, username);
  }

  // --- sessions (session-gate.ts) --------------------------------------------------------------

  /** The account exists and is enabled, and (given `sid`) its session record stands. */
  isActive(username: string, sid?: string): Promise<boolean> {
    return isAccountActive(this.core, username, sid);
  }

  /** Why a verified session may not use a route other than the password change, or null when it may. */
  sessionRefusal(claims: SessionClaims, opts: { touch?: boolean } = { touch: true }): Promise<IocError | null> {
    return sessionRefusalOf(this.core, claims, opts);
  }
}
