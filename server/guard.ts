/**
 * The one guard every entry point goes through (REST routes, each Socket.IO event of `/live` and
 * `/device`, their connection middlewares, and MQTT when it lands).
 *
 * Invariants:
 * - a handler never lets an exception escape: any throw becomes a typed answer (`E_INTERNAL`,
 *   logged), and validation can never throw past `safeValidate` (it answers `E_VALIDATION`);
 * - every inbound payload is normalised once, before validation (`normaliseInbound`): strings
 *   and keys are well-formed Unicode (a lone UTF-16 surrogate becomes U+FFFD — replacing, not
 *   refusing, so a phone that cut an emoji in half still gets its note through), keys that name
 *   `Object.prototype` members (`__proto__`, `constructor`, `toString`, `valueOf`, …) or
 *   `prototype` are refused, and nesting deeper than `inboundMaxDepth` is refused;
 * - every limit is a token bucket whose rate and burst come from `server/config.ts`; keyed
 *   buckets (per user, per source address) are bounded in number.
 */
import type { z } from 'zod';
import type { IocError } from '../scenes/protocol';
import { iocError, validationError } from './errors';
import type { Logger } from './logger';

export type Failure = { ok: false; error: IocError };

export function failure(error: IocError): Failure {
  return { ok: false, error };
}

/** Thrown by a handler that wants to stop with a typed error; the guard answers it as is. */
export class IocFailure extends Error {
  constructor(readonly error: IocError) {
    super(error.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Inbound normalisation

/**
 * Keys refused anywhere in an inbound payload: they would shadow `Object.prototype` members
 * (`{"length":{"valueOf":null,"toString":null}}` made zod throw while coercing to a number) or
 * pollute prototypes when merged (`__proto__`, `constructor`, `prototype`).
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

export type Normalised = { ok: true; value: unknown } | Failure;

/** Node 20 has these (ES2024); the project's TypeScript lib does not declare them yet. */
interface Es2024String {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `s` with every lone UTF-16 surrogate replaced by U+FFFD (the same string when there is none). */
export function wellFormed(s: string): string {
  const w = s as unknown as Es2024String;
  return w.isWellFormed() ? s : w.toWellFormed();
}

/**
 * Makes an inbound JSON value safe to validate, in place (it was just parsed and belongs to us):
 * lone surrogates in strings and keys become U+FFFD, forbidden keys and deep nesting are
 * refused with `E_VALIDATION`. The walk is bounded by `maxDepth`, so it cannot overflow the stack.
 */
export function normaliseInbound(value: unknown, maxDepth: number, what = 'payload'): Normalised {
  if (typeof value === 'string') return { ok: true, value: wellFormed(value) };
  if (value === null || typeof value !== 'object') return { ok: true, value };
  const problem = walk(value as Record<string, unknown>, 1, maxDepth, '');
  if (problem) return failure(iocError('E_VALIDATION', `invalid ${what}: ${problem}`));
  return { ok: true, value };
}

function walk(node: Record<string, unknown> | unknown[], depth: number, maxDepth: number, path: string): string | null {
  if (depth > maxDepth) return `${path || '(root)'} nests deeper than ${maxDepth} levels`;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const v = node[i];
      if (typeof v === 'string') node[i] = wellFormed(v);
      else if (v !== null && typeof v === 'object') {
        const p = walk(v as Record<string, unknown>, depth + 1, maxDepth, `${path}[${i}]`);
        if (p) return p;
      }
    }
    return null;
  }
  // Buffers and other non-plain objects do not come out of JSON: leave them to the schema
  const proto = Object.getPrototypeOf(node) as unknown;
  if (proto !== Object.prototype && proto !== null) return null;
  for (const key of Object.keys(node)) {
    if (FORBIDDEN_KEYS.has(key)) return `key "${key}" is not allowed${path ? ` (at ${path})` : ''}`;
    let v = node[key];
    if (typeof v === 'string') {
      const fixed = wellFormed(v);
      if (fixed !== v) v = node[key] = fixed;
    }
    const fixed = wellFormed(key);
    if (fixed !== key) {
      if (FORBIDDEN_KEYS.has(fixed)) return `key "${fixed}" is not allowed`;
      delete node[key];
      node[fixed] = v;
    }
    if (v !== null && typeof v === 'object') {
      const p = walk(v as Record<string, unknown>, depth + 1, maxDepth, path ? `${path}.${key}` : key);
      if (p) return p;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Validation that cannot throw

export type Validated<T> = { ok: true; data: T } | Failure;

/**
 * `schema.safeParse(value)` that never throws: zod 4 can throw on hostile input (it reads
 * `length` on any value and coerces it); such a throw is an invalid payload, not a server fault.
 */
export function safeValidate<S extends z.ZodType>(schema: S, value: unknown, what: string): Validated<z.output<S>> {
  try {
    const r = schema.safeParse(value);
    return r.success ? { ok: true, data: r.data } : failure(validationError(r.error, what));
  } catch (err) {
    return failure(iocError('E_VALIDATION', `invalid ${what}: ${err instanceof Error ? err.message : 'unreadable value'}`));
  }
}

// ---------------------------------------------------------------------------------------------
// Rate limits

/** Token bucket: `ratePerS` tokens per second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }
  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerS);
    this.last = t;
  }
  /** Takes `cost` tokens when there are enough; else `false`. */
  take(cost = 1): boolean {
    this.refill();
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
  /** ms until `cost` tokens are there (0 = now) */
  retryAfterMs(cost = 1): number {
    this.refill();
    if (this.tokens >= cost) return 0;
    return this.ratePerS > 0 ? Math.ceil(((cost - this.tokens) / this.ratePerS) * 1000) : Number.MAX_SAFE_INTEGER;
  }
  /** true when the bucket is full again (then it is the same as a new one and may be forgotten) */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }
}

export interface BucketSpec {
  ratePerS: number;
  burst: number;
}

/** Token buckets by key (user, source address), at most `maxKeys` of them. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  constructor(
    private readonly spec: BucketSpec,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  private bucket(key: string): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.prune();
      b = new TokenBucket(this.spec.ratePerS, this.spec.burst, this.now);
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Forgets full buckets; when every bucket is in use, the oldest keys go (bounded memory wins). */
  private prune(): void {
    for (const [k, b] of this.buckets) if (b.isFull()) this.buckets.delete(k);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(k);
    }
  }

  take(key: string, cost = 1): boolean {
    return this.bucket(key).take(cost);
  }
  /** true when `key` has no token left (without taking one) */
  exhausted(key: string): boolean {
    const b = this.buckets.get(key);
    return b !== undefined && b.retryAfterMs() > 0;
  }
  retryAfterMs(key: string): number {
    return this.buckets.get(key)?.retryAfterMs() ?? 0;
  }
  get size(): number {
    return this.buckets.size;
  }
}

export function rateLimited(message: string, retryAfterMs: number): IocError {
  return iocError('E_RATE_LIMIT', message, { retryAfterMs });
}

// ---------------------------------------------------------------------------------------------
// The guard

export interface GuardLimits {
  inboundMaxDepth: number;
  commandRatePerS: number;
  commandBurst: number;
  authFailureBurst: number;
  authFailureRefillPerS: number;
  unauthConnectionsPerSource: number;
  rateLimitMaxKeys: number;
}

/** Which entry point a failure of authentication is counted for. */
export type AuthEntry = 'live' | 'device' | 'ingest' | 'mqtt';

/** A connection that has not authenticated yet (engine.io's socket, or anything closable that calls its listeners with itself as `this`). */
export interface PendingConnection {
  on(event: 'close', listener: (this: PendingConnection) => void): unknown;
  off(event: 'close', listener: (this: PendingConnection) => void): unknown;
}

/**
 * The shared state of the guard for one server: shared limiters (commands per user, over REST and
 * the socket alike; authentication failures per source) and the runner every handler goes through.
 */
export class EntryGuard {
  private readonly commandBuckets: KeyedBuckets;
  private readonly authFailures: KeyedBuckets;
  private readonly pendingBySource = new Map<string, number>();
  private readonly pending = new WeakMap<object, string>();
  /**
   * The close listener of every pending connection, removed once it authenticates: one function
   * for all of them (no closure per connection), and an authenticated connection holds nothing of
   * the guard for its life (issue 15: heap per connection)
   */
  private readonly onPendingClose: (this: PendingConnection) => void;
  private readonly replaysInFlight = new Set<string>();

  constructor(
    readonly limits: GuardLimits,
    private readonly log: Logger,
    now: () => number = Date.now,
  ) {
    this.commandBuckets = new KeyedBuckets({ ratePerS: limits.commandRatePerS, burst: limits.commandBurst }, limits.rateLimitMaxKeys, now);
    this.authFailures = new KeyedBuckets({ ratePerS: limits.authFailureRefillPerS, burst: limits.authFailureBurst }, limits.rateLimitMaxKeys, now);
    const release = (conn: PendingConnection) => this.release(conn);
    this.onPendingClose = function onPendingClose(this: PendingConnection) {
      release(this);
    };
  }

  /** Normalises an inbound payload (see `normaliseInbound`) with the configured depth. */
  normalise(value: unknown, what: string): Normalised {
    return normaliseInbound(value, this.limits.inboundMaxDepth, what);
  }

  /**
   * Runs one handler of entry point `entry` on a raw payload: normalise, then `handler`. Never
   * throws and never rejects: a throw becomes `E_INTERNAL` (logged with `meta`), an `IocFailure`
   * its own error.
   */
  async handle<T>(
    entry: string,
    payload: unknown,
    handler: (input: unknown) => T | Promise<T>,
    meta: Record<string, unknown> = {},
  ): Promise<T | Failure> {
    try {
      const n = this.normalise(payload, entry);
      if (!n.ok) return n;
      return await handler(n.value);
    } catch (err) {
      return this.failureOf(err, entry, meta);
    }
  }

  /** The typed answer for an exception caught at an entry point. */
  failureOf(err: unknown, entry: string, meta: Record<string, unknown> = {}): Failure {
    if (err instanceof IocFailure) return failure(err.error);
    // a backing service that did not answer (StoreUnavailableError and kin carry this code): the
    // caller may retry, so it is told so with the stable code, not an internal error
    if ((err as { code?: unknown } | null)?.code === 'E_UNAVAILABLE') {
      try {
        this.log.warn({ err, entry, ...meta }, 'entry point: a backing service is unavailable');
      } catch {
        // as below
      }
      return failure(iocError('E_UNAVAILABLE', 'a backing service is unavailable; retry shortly (commands: with the same commandId)'));
    }
    try {
      this.log.error({ err, entry, ...meta }, 'entry point handler failed');
    } catch {
      // a logger that throws must not take the answer with it
    }
    return failure(iocError('E_INTERNAL', 'internal error'));
  }

  // --- commands: one budget per user, over REST and the socket -----------------------------------

  takeCommand(username: string): IocError | null {
    if (this.commandBuckets.take(username)) return null;
    return rateLimited('too many commands; slow down', this.commandBuckets.retryAfterMs(username));
  }

  // --- authentication failures per source --------------------------------------------------------

  /** E_RATE_LIMIT when `source` failed authentication at `entry` too often lately; else null. */
  authBlocked(entry: AuthEntry, source: string): IocError | null {
    const key = `${entry}:${source}`;
    if (!this.authFailures.exhausted(key)) return null;
    return rateLimited('too many failed authentications from this address; wait and check the credentials', this.authFailures.retryAfterMs(key));
  }

  noteAuthFailure(entry: AuthEntry, source: string): void {
    this.authFailures.take(`${entry}:${source}`);
  }

  // --- unauthenticated connections per source ----------------------------------------------------

  /** engine.io `allowRequest`: refuses a new connection from a source with too many unauthenticated ones. */
  allowConnection(source: string): boolean {
    return (this.pendingBySource.get(source) ?? 0) < this.limits.unauthConnectionsPerSource;
  }

  /** A new transport connection from `source`: unauthenticated until `authenticated(conn)` (the same object). */
  trackPending(conn: PendingConnection, source: string): void {
    if (this.pending.has(conn)) return;
    this.pending.set(conn, source);
    this.pendingBySource.set(source, (this.pendingBySource.get(source) ?? 0) + 1);
    conn.on('close', this.onPendingClose);
  }

  /** The connection proved an identity on some namespace: it no longer counts as unauthenticated. */
  authenticated(conn: object): void {
    this.release(conn);
  }

  private release(conn: object): void {
    const source = this.pending.get(conn);
    if (source === undefined) return;
    this.pending.delete(conn);
    // tracked, so a PendingConnection (trackPending)
    (conn as PendingConnection).off('close', this.onPendingClose);
    const n = (this.pendingBySource.get(source) ?? 1) - 1;
    if (n <= 0) this.pendingBySource.delete(source);
    else this.pendingBySource.set(source, n);
  }

  pendingConnections(source: string): number {
    return this.pendingBySource.get(source) ?? 0;
  }

  // --- replays: one in flight per user -----------------------------------------------------------

  /** Claims the user's replay slot; returns its release, or null when one is already running. */
  beginReplay(username: string): (() => void) | null {
    if (this.replaysInFlight.has(username)) return null;
    this.replaysInFlight.add(username);
    return () => this.replaysInFlight.delete(username);
  }
}

// ---------------------------------------------------------------------------------------------
// Source addresses

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * The address a request comes from, as Express computes `req.ip` with `trust proxy: loopback`:
 * behind a proxy on this machine, the rightmost forwarded address that is not loopback.
 */
export function sourceOf(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined): string {
  const remote = remoteAddress ?? 'unknown';
  if (!LOOPBACK.test(remote) || forwardedFor === undefined) return remote;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!LOOPBACK.test(hops[i]!)) return hops[i]!;
  return remote;
}
