import { describe, expect, it } from 'vitest';
import { FramePacer } from './frame-pacing';
import { loadConfig } from './config';

const OPTS = { baseIntervalMs: 250, maxIntervalMs: 1000, targetShare: 0.25, windowMs: 2000 };

/** runs `seconds` of flushes at the pacer's own interval, each costing `costMs`; returns the pacer */
function run(p: FramePacer, clock: { t: number }, seconds: number, costMs: number): FramePacer {
  const end = clock.t + seconds * 1000;
  while (clock.t < end) {
    clock.t += p.intervalMs;
    p.record(costMs, clock.t);
  }
  return p;
}

describe('frame pacing', () => {
  it('keeps the base interval while the flushes are cheap', () => {
    const clock = { t: 0 };
    const p = run(new FramePacer(OPTS, 0), clock, 30, 20); // 20 ms per 250 ms = 8 %
    expect(p.intervalMs).toBe(250);
  });

  it('stretches the interval until the flushes take about the target share, and not past the cap', () => {
    const clock = { t: 0 };
    const p = run(new FramePacer(OPTS, 0), clock, 30, 100); // 100 ms per 250 ms = 40 %
    expect(p.intervalMs).toBeGreaterThanOrEqual(390);
    expect(p.intervalMs).toBeLessThanOrEqual(420);
    expect(p.lastShare).toBeLessThanOrEqual(0.26);
    run(p, clock, 30, 600); // 600 ms a frame would need 2.4 s: capped
    expect(p.intervalMs).toBe(1000);
  });

  it('comes back to the base interval when the load goes, without flapping on the way', () => {
    const clock = { t: 0 };
    const p = run(new FramePacer(OPTS, 0), clock, 30, 200);
    expect(p.intervalMs).toBe(800);
    const seen: number[] = [];
    const end = clock.t + 60_000;
    while (clock.t < end) {
      clock.t += p.intervalMs;
      if (p.record(30, clock.t)) seen.push(p.intervalMs);
    }
    expect(p.intervalMs).toBe(250);
    // only ever down: each change moves towards the base
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeLessThan(seen[i - 1]!);
  });

  it('a quiet spell ends a window with a low share: the next frame comes at the base interval', () => {
    const clock = { t: 0 };
    const p = run(new FramePacer(OPTS, 0), clock, 10, 300);
    expect(p.intervalMs).toBeGreaterThan(250);
    clock.t += 120_000; // nothing to send for two minutes
    p.record(5, clock.t);
    expect(p.intervalMs).toBe(250);
  });

  it('with max = base it never paces', () => {
    const clock = { t: 0 };
    const p = run(new FramePacer({ ...OPTS, maxIntervalMs: 250 }, 0), clock, 10, 240);
    expect(p.intervalMs).toBe(250);
  });

  it('refuses options that make no sense', () => {
    expect(() => new FramePacer({ ...OPTS, maxIntervalMs: 100 }, 0)).toThrow(RangeError);
    expect(() => new FramePacer({ ...OPTS, targetShare: 0 }, 0)).toThrow(RangeError);
  });
});

describe('frame pacing settings from the environment', () => {
  it('defaults to at most one frame per second, at a quarter of the loop', () => {
    const c = loadConfig({ NODE_ENV: 'test' });
    expect(c.coalesceIntervalMs).toBe(250);
    expect(c.framePacing).toMatchObject({ maxIntervalMs: 1000, targetShare: 0.25 });
  });

  it('never lets the cap fall below the coalescing interval (pacing off), and keeps the share within 1–100 %', () => {
    expect(loadConfig({ NODE_ENV: 'test', IOC_COALESCE_MS: '500', IOC_COALESCE_MAX_MS: '100' }).framePacing.maxIntervalMs).toBe(500);
    expect(loadConfig({ NODE_ENV: 'test', IOC_FANOUT_LOOP_PCT: '400' }).framePacing.targetShare).toBe(1);
    expect(loadConfig({ NODE_ENV: 'test', IOC_FANOUT_LOOP_PCT: '0' }).framePacing.targetShare).toBe(0.01);
  });
});
