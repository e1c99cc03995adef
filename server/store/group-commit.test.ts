import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

/** A write whose calls stay open until the test settles them. */
function manualWriter() {
  const calls: { items: number[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  const write = (items: readonly number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ items: [...items], resolve, reject });
    });
  return { calls, write };
}

/** Lets queued promise callbacks run. */
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('writes the first item at once and the ones arriving meanwhile together, in order, each settling with its call', async () => {
    const w = manualWriter();
    const g = new GroupCommit<number>({ write: w.write, weight: () => 1, maxWeight: 100 });
    const settled: number[] = [];
    const track = (n: number) => g.submit(n).then(() => settled.push(n));
    const all = [track(1), track(2), track(3), track(4)];
    expect(w.calls.map((c) => c.items)).toEqual([[1]]);
    expect(g.pending).toBe(3);
    await flush();
    expect(settled).toEqual([]);
    w.calls[0]!.resolve();
    await flush();
    expect(settled).toEqual([1]);
    expect(w.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    w.calls[1]!.resolve();
    await Promise.all(all);
    expect(settled).toEqual([1, 2, 3, 4]);
    expect(g.pending).toBe(0);
    // idle again: the next item goes out at once
    void g.submit(5);
    expect(w.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [5]]);
    w.calls[2]!.resolve();
  });

  it('cuts what waited into groups of at most maxWeight, sent together; a failed group rejects only its own items', async () => {
    const w = manualWriter();
    const g = new GroupCommit<number>({ write: w.write, weight: (n) => n, maxWeight: 10 });
    const first = g.submit(1);
    const outcomes = [6, 4, 3, 20, 2].map((n) =>
      g.submit(n).then(
        () => `ok ${n}`,
        (err: Error) => `${err.message} ${n}`,
      ),
    );
    w.calls[0]!.resolve();
    await first;
    await flush();
    // 6+4 fill one group; 3 alone before 20 (heavier than maxWeight: alone), then 2
    expect(w.calls.slice(1).map((c) => c.items)).toEqual([[6, 4], [3], [20], [2]]);
    w.calls[1]!.resolve();
    w.calls[2]!.reject(new Error('down'));
    w.calls[3]!.resolve();
    w.calls[4]!.resolve();
    expect(await Promise.all(outcomes)).toEqual(['ok 6', 'ok 4', 'down 3', 'ok 20', 'ok 2']);
  });

  it('a write that throws at once rejects its items and the next round still runs', async () => {
    let n = 0;
    const g = new GroupCommit<number>({
      write: () => {
        if (n++ === 0) throw new Error('bug');
        return Promise.resolve();
      },
      weight: () => 1,
      maxWeight: 10,
    });
    await expect(g.submit(1)).rejects.toThrow('bug');
    await expect(g.submit(2)).resolves.toBeUndefined();
  });
});
