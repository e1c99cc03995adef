import { describe, expect, it } from 'vitest';
import { MemoryRollupStore, type RollupFlush, type RollupMergeOutcome, type RollupStore } from '../store/rollup-store';
import { StoreUnavailableError } from '../store/store';
import { RollupAccumulator } from './rollup-accumulator';
import { RollupFlusher } from './rollup-flusher';

const T0 = Date.UTC(2026, 11, 1, 8);

/** A store that fails while `down`, and (once) answers a timeout after it wrote: a lost answer. */
class FlakyStore implements RollupStore {
  down = false;
  loseNextAnswer = false;
  readonly calls: string[] = [];
  constructor(readonly inner = new MemoryRollupStore({}, () => T0 + 60_000)) {}
  async mergeRollups(flush: RollupFlush): Promise<RollupMergeOutcome> {
    this.calls.push(flush.flushId);
    if (this.down) throw new StoreUnavailableError('down');
    const out = await this.inner.mergeRollups(flush);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new StoreUnavailableError('timed out after the write');
    }
    return out;
  }
  readRollups: RollupStore['readRollups'] = (...args) => this.inner.readRollups(...args);
}

function setup(maxPendingFlushes = 10) {
  const store = new FlakyStore();
  const acc = new RollupAccumulator();
  let n = 0;
  const flusher = new RollupFlusher(store, acc, { flushIntervalMs: 1_000, maxPendingFlushes, newFlushId: () => `f${++n}` });
  const add = (v: number) => acc.add([{ deviceId: 'd', ts: T0 + v, seq: v, metrics: { v } }]);
  const minute = async () => (await store.readRollups('d', 'v', 'minute', T0, T0 + 60_000))[0]?.aggregate;
  return { store, flusher, add, minute };
}

describe('roll-up flusher', () => {
  it('retries a flush whose answer was lost under the same id, and the store counts it once', async () => {
    const { store, flusher, add, minute } = setup();
    add(1);
    store.loseNextAnswer = true;
    await flusher.flush();
    expect(flusher.stats.pendingFlushes).toBe(1);
    await flusher.flush();
    expect(store.calls).toEqual(['f1', 'f1']);
    expect(flusher.stats).toMatchObject({ duplicateFlushes: 1, pendingFlushes: 0 });
    expect(await minute()).toEqual({ min: 1, max: 1, sum: 1, count: 1 });
  });

  it('keeps flushes while the store is down and sends them in order when it is back', async () => {
    const { store, flusher, add, minute } = setup();
    store.down = true;
    add(1);
    await flusher.flush();
    add(2);
    await flusher.flush();
    expect(flusher.stats).toMatchObject({ pendingFlushes: 2, failedAttempts: 2 });
    store.down = false;
    add(3);
    await flusher.flush();
    expect(store.calls.slice(-3)).toEqual(['f1', 'f2', 'f3']);
    expect(await minute()).toEqual({ min: 1, max: 3, sum: 6, count: 3 });
  });

  it('drops the oldest flush beyond the pending bound and counts it', async () => {
    const { store, flusher, add, minute } = setup(1);
    store.down = true;
    add(1);
    await flusher.flush();
    add(2);
    await flusher.flush();
    expect(flusher.stats.droppedFlushes).toBe(1);
    store.down = false;
    await flusher.flush();
    expect(await minute()).toEqual({ min: 2, max: 2, sum: 2, count: 1 });
  });

  it('flushes what is left when it closes', async () => {
    const { flusher, add, minute } = setup();
    flusher.start();
    add(4);
    await flusher.close();
    expect(await minute()).toEqual({ min: 4, max: 4, sum: 4, count: 1 });
  });
});
