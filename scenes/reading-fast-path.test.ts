import { describe, expect, it } from 'vitest';
import { SignedReadingSchema } from './protocol';
import { readSignedReadingFast } from './reading-fast-path';
import { createRng } from './random';

const TOKEN = 'a'.repeat(32);
const valid = () => ({ deviceId: 'wl-licun-01', ts: 1_796_000_000_000, seq: 42, metrics: { water_level: 1.4, battery: 88 }, token: TOKEN });

/** Values a field may take in a generated case: the valid kinds and many the schema refuses or treats specially. */
const STRINGS = ['', 'a', 'A9', '9a', '-a', 'a b', 'a/b', 'a:b.c_d-e', 'x'.repeat(80), 'x'.repeat(81), '水位', 'a\u0000', '__proto__', 'constructor'];
const NUMBERS = [0, -0, 1, -1, 1.5, 2 ** 53 - 1, 2 ** 53, 2 ** 60, Number.NaN, Infinity, -Infinity, 1e308, 5e-324];
const OTHERS = [null, undefined, true, '1', [], {}, [1], { a: 1 }, () => 1];
const TOKENS = ['x'.repeat(15), 'x'.repeat(16), 'x'.repeat(128), 'x'.repeat(129), 16, null];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)]!;
}

function metricsCase(rnd: () => number): unknown {
  const kind = Math.floor(rnd() * 8);
  if (kind === 0) return pick(rnd, OTHERS);
  if (kind === 1) return Object.create(null) as object;
  if (kind === 2) return Object.fromEntries(Array.from({ length: 31 + Math.floor(rnd() * 3) }, (_, i) => [`m${i}`, i]));
  if (kind === 3) return { [Symbol('s')]: 1, a: 1 };
  if (kind === 4) return Object.defineProperty({ a: 1 }, 'hidden', { value: 'x', enumerable: false });
  if (kind === 5) return JSON.parse('{"__proto__": 1, "a": 2}') as unknown;
  const m: Record<string, unknown> = {};
  const n = Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++)
    m[rnd() < 0.7 ? `k${i}` : pick(rnd, [...STRINGS, 'a'.repeat(40), 'a'.repeat(41), 'Z_9'])] =
      rnd() < 0.7 ? rnd() * 100 : pick(rnd, [...NUMBERS, ...OTHERS]);
  return m;
}

function generatedCase(rnd: () => number): unknown {
  if (rnd() < 0.05) return pick(rnd, OTHERS);
  const r: Record<string, unknown> = valid();
  if (rnd() < 0.4) r.deviceId = pick(rnd, [...STRINGS, ...OTHERS, 7]);
  if (rnd() < 0.4) r.ts = pick(rnd, [...NUMBERS, ...OTHERS]);
  if (rnd() < 0.4) r.seq = pick(rnd, [...NUMBERS, ...OTHERS]);
  if (rnd() < 0.5) r.metrics = metricsCase(rnd);
  if (rnd() < 0.3) r.token = pick(rnd, TOKENS);
  if (rnd() < 0.2) r.extra = 'ignored';
  if (rnd() < 0.1) delete r[pick(rnd, ['deviceId', 'ts', 'seq', 'metrics', 'token'])];
  return r;
}

describe('readSignedReadingFast', () => {
  it('reads a plain reading as the schema does, without the token and extra keys', () => {
    const input = { ...valid(), extra: 1 };
    const fast = readSignedReadingFast(input);
    const { token: _t, ...schema } = SignedReadingSchema.parse(input);
    void _t;
    expect(fast).toEqual(schema);
    // a copy: later changes to the input do not reach the reading
    input.metrics.water_level = 9;
    expect(fast!.metrics.water_level).toBe(1.4);
  });

  it('never accepts what the schema refuses, and agrees with it on what both accept (20,000 generated cases)', () => {
    const rnd = createRng(20261203);
    let fastAccepted = 0;
    let schemaAccepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = generatedCase(rnd);
      const fast = readSignedReadingFast(input);
      const parsed = SignedReadingSchema.safeParse(input);
      if (parsed.success) schemaAccepted++;
      if (fast === null) continue;
      fastAccepted++;
      expect(parsed.success, JSON.stringify(input)).toBe(true);
      const { token: _t, ...schema } = parsed.data!;
      void _t;
      expect(fast).toEqual(schema);
      expect(Object.is(fast.ts, schema.ts) && Object.is(fast.seq, schema.seq)).toBe(true);
    }
    // the fast path takes the plain cases (else it saves nothing); the schema decides the odd ones
    expect(fastAccepted).toBeGreaterThan(2_000);
    expect(schemaAccepted).toBeGreaterThanOrEqual(fastAccepted);
  });

  it('leaves the unusual to the schema (null), which then gives the precise error', () => {
    for (const odd of [
      { ...valid(), metrics: Object.create(null) as object },
      { ...valid(), metrics: {} },
      { ...valid(), ts: 2 ** 60 },
      { ...valid(), deviceId: 'x'.repeat(81) },
      { ...valid(), token: 'short' },
      [valid()],
    ])
      expect(readSignedReadingFast(odd)).toBeNull();
  });
});
