import { EventEmitter } from 'node:events';
import { StoreUnavailableError } from './store/store';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IngestBatchSchema } from '../scenes/protocol';
import { createLogger } from './logger';
import { EntryGuard, IocFailure, KeyedBuckets, normaliseInbound, safeValidate, sourceOf, TokenBucket, type PendingConnection } from './guard';
import { iocError } from './errors';

const MAX_DEPTH = 8;

describe('inbound normalisation', () => {
  it('replaces lone surrogates in strings and keys with U+FFFD, keeping well-formed pairs', () => {
    const v = JSON.parse('{"note":"cut \\ud83d","ok":"\\ud83d\\ude00","list":["\\udc00"],"k\\ud800":1}') as Record<string, unknown>;
    const n = normaliseInbound(v, MAX_DEPTH);
    expect(n.ok).toBe(true);
    expect(v).toEqual({ note: 'cut \ufffd', ok: '😀', list: ['\ufffd'], 'k\ufffd': 1 });
    expect(normaliseInbound('\ud83d', MAX_DEPTH)).toEqual({ ok: true, value: '\ufffd' });
  });

  it('refuses keys that name Object.prototype members or prototype, at any depth', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty']) {
      const n = normaliseInbound(JSON.parse(`{"a":[{"${key}":1}]}`), MAX_DEPTH);
      expect(n, key).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    }
  });

  it('refuses nesting deeper than the limit without walking further', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(normaliseInbound(deep, MAX_DEPTH)).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    let fine: unknown = 1;
    for (let i = 0; i < MAX_DEPTH; i++) fine = { a: fine };
    expect(normaliseInbound(fine, MAX_DEPTH).ok).toBe(true);
  });
});

describe('safeValidate', () => {
  it('answers E_VALIDATION where zod throws (the /device crash payload of issue 10)', () => {
    const crash = JSON.parse('{"readings":{"length":{"valueOf":null,"toString":null}}}') as unknown;
    expect(() => IngestBatchSchema.safeParse(crash)).toThrow();
    expect(safeValidate(IngestBatchSchema, crash, 'readings batch')).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
  });

  it('returns the parsed data when valid', () => {
    expect(safeValidate(z.object({ a: z.number() }), { a: 1 }, 'x')).toEqual({ ok: true, data: { a: 1 } });
  });
});

describe('the entry guard', () => {
  const guard = new EntryGuard(
    {
      inboundMaxDepth: MAX_DEPTH,
      commandRatePerS: 1,
      commandBurst: 2,
      authFailureBurst: 2,
      authFailureRefillPerS: 1,
      unauthConnectionsPerSource: 1,
      rateLimitMaxKeys: 100,
    },
    createLogger('silent'),
  );

  it('turns any throw into a typed answer and never rejects', async () => {
    await expect(
      guard.handle('t', {}, () => {
        throw new TypeError('boom');
      }),
    ).resolves.toEqual({ ok: false, error: { code: 'E_INTERNAL', message: 'internal error' } });
    await expect(guard.handle('t', {}, () => Promise.reject(new IocFailure(iocError('E_CONFLICT', 'no'))))).resolves.toMatchObject({
      ok: false,
      error: { code: 'E_CONFLICT' },
    });
    // the store did not answer (StoreUnavailableError carries the code): retryable, said so
    await expect(guard.handle('t', {}, () => Promise.reject(new StoreUnavailableError('redis down')))).resolves.toMatchObject({
      ok: false,
      error: { code: 'E_UNAVAILABLE' },
    });
    await expect(guard.handle('t', JSON.parse('{"__proto__":1}'), () => ({ ok: true }))).resolves.toMatchObject({
      ok: false,
      error: { code: 'E_VALIDATION' },
    });
  });

  it('allows one replay in flight per user', () => {
    const release = guard.beginReplay('u');
    expect(release).not.toBeNull();
    expect(guard.beginReplay('u')).toBeNull();
    expect(guard.beginReplay('v')).not.toBeNull();
    release!();
    expect(guard.beginReplay('u')).not.toBeNull();
  });

  it('counts unauthenticated connections per source until they authenticate or close', () => {
    const closable = () => new EventEmitter() as EventEmitter & PendingConnection;
    const conn = closable();
    expect(guard.allowConnection('203.0.113.1')).toBe(true);
    guard.trackPending(conn, '203.0.113.1');
    expect(guard.allowConnection('203.0.113.1')).toBe(false);
    guard.authenticated(conn);
    expect(guard.allowConnection('203.0.113.1')).toBe(true);
    // an authenticated connection keeps no listener of the guard for the rest of its life
    expect(conn.listenerCount('close')).toBe(0);
    conn.emit('close');
    expect(guard.pendingConnections('203.0.113.1')).toBe(0);

    const closed = closable();
    guard.trackPending(closed, '203.0.113.2');
    expect(guard.pendingConnections('203.0.113.2')).toBe(1);
    closed.emit('close');
    expect(guard.pendingConnections('203.0.113.2')).toBe(0);
    expect(closed.listenerCount('close')).toBe(0);
  });
});

describe('rate limits', () => {
  it('refills a token bucket at its rate up to its burst', () => {
    let now = 0;
    const b = new TokenBucket(2, 3, () => now);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    expect(b.retryAfterMs()).toBe(500);
    now = 500;
    expect(b.take()).toBe(true);
    now = 10_000;
    expect(b.isFull()).toBe(true);
  });

  it('remembers at most maxKeys keys', () => {
    const k = new KeyedBuckets({ ratePerS: 0, burst: 1 }, 10, () => 0);
    for (let i = 0; i < 1000; i++) k.take(`key-${i}`);
    expect(k.size).toBeLessThanOrEqual(10);
  });
});

describe('source addresses', () => {
  it('trusts X-Forwarded-For only from loopback, taking the rightmost non-loopback hop', () => {
    expect(sourceOf('203.0.113.5', '198.51.100.1')).toBe('203.0.113.5');
    expect(sourceOf('127.0.0.1', '198.51.100.1, 198.51.100.2')).toBe('198.51.100.2');
    expect(sourceOf('::ffff:127.0.0.1', '198.51.100.1, 127.0.0.1')).toBe('198.51.100.1');
    expect(sourceOf('::1', undefined)).toBe('::1');
  });
});
