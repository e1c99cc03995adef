import { describe, expect, it } from 'vitest';
import { searchCeiling, type StepOutcome } from './mqtt-search';

const M = { startRatePerS: 1000, stepFactor: 2, maxSteps: 6, recoverMs: 0 };

/** A contender that keeps up to `limit` readings/s. */
function contender(limit: number): { rates: number[]; step: (rate: number) => Promise<StepOutcome> } {
  const rates: number[] = [];
  return {
    rates,
    step: async (rate) => {
      rates.push(rate);
      const passed = rate <= limit;
      return {
        ratePerS: rate,
        offeredPerS: rate,
        acceptedPerS: passed ? rate : limit,
        latency: { n: 1, p50: 1, p99: passed ? 10 : 1000, max: 1000 },
        probesSeen: null,
        pubackP99Ms: null,
        errors: 0,
        firstError: null,
        cpu: {},
        passed,
      };
    },
  };
}

describe('searchCeiling', () => {
  it('steps up until a failure, then tries once between the last pass and it', async () => {
    const c = contender(5000);
    const r = await searchCeiling('t', M, () => undefined, c.step);
    expect(c.rates).toEqual([1000, 2000, 4000, 8000, 5657]);
    expect(r.ceiling).toBe(4000);
    expect(r.best?.ratePerS).toBe(4000);
    expect(r.capped).toBe(false);
  });

  it('bisects refineSteps times between the last pass and the lowest failure', async () => {
    const c = contender(5000);
    const r = await searchCeiling('t', { ...M, refineSteps: 2 }, () => undefined, c.step);
    // 5657 fails, so the next step is between 4000 and 5657; it passes and is the ceiling
    expect(c.rates).toEqual([1000, 2000, 4000, 8000, 5657, 4757]);
    expect(r.ceiling).toBe(4757);
    const low = contender(4500);
    const r2 = await searchCeiling('t', { ...M, refineSteps: 3 }, () => undefined, low.step);
    // 5657 fails, 4757 fails, then between 4000 and 4757: 4362 passes
    expect(low.rates).toEqual([1000, 2000, 4000, 8000, 5657, 4757, 4362]);
    expect(r2.ceiling).toBe(4362);
  });

  it('halves a failing first step, at most 3 times', async () => {
    const c = contender(300);
    const r = await searchCeiling('t', M, () => undefined, c.step);
    expect(c.rates).toEqual([1000, 500, 250, 354]);
    expect(r.ceiling).toBe(250);
    const none = contender(10);
    expect((await searchCeiling('t', M, () => undefined, none.step)).ceiling).toBeNull();
    expect(none.rates).toEqual([1000, 500, 250, 125]);
  });

  it('runs a failing step above the first pass again (failedStepRetries), so one noisy run does not end the search', async () => {
    const c = contender(5000);
    // the first run at 4000 fails on noise, its second run passes
    let noisy = true;
    const step = async (rate: number) => {
      const s = await c.step(rate);
      if (rate === 4000 && noisy) {
        noisy = false;
        return { ...s, passed: false, latency: { ...s.latency, p99: 900 } };
      }
      return s;
    };
    const r = await searchCeiling('t', { ...M, failedStepRetries: 1, latencyBudgetMs: 500, minAcceptedFraction: 0.95 }, () => undefined, step);
    // 4000 missed narrowly (p99 900 < 2 × 500) and is run again; 8000 and the step between are far
    // over (p99 1000 ms, a fraction accepted) and are not
    expect(c.rates).toEqual([1000, 2000, 4000, 4000, 8000, 5657]);
    expect(r.ceiling).toBe(4000);
    expect(r.steps.filter((s) => !s.passed)).toHaveLength(3);
  });

  it('after each failing step, and only then, waits for the contender to recover before the next step', async () => {
    const c = contender(5000);
    const events: string[] = [];
    const step = async (rate: number) => {
      events.push(`step ${rate}`);
      return c.step(rate);
    };
    await searchCeiling(
      't',
      M,
      () => undefined,
      step,
      async () => void events.push('recover'),
    );
    expect(events).toEqual(['step 1000', 'step 2000', 'step 4000', 'step 8000', 'recover', 'step 5657', 'recover']);
  });

  it('stops at maxSteps when nothing fails', async () => {
    const c = contender(1e9);
    const r = await searchCeiling('t', M, () => undefined, c.step);
    expect(c.rates).toHaveLength(6);
    expect(r.ceiling).toBe(32000);
    // no ceiling found: the figure is a lower bound, and says so
    expect(r.capped).toBe(true);
  });
});
