import { describe, expect, it, vi } from 'vitest';
import type { IngestResult } from '../../scenes/protocol';
import { TelemetryBatcher, type MergingIngest } from './telemetry-batcher';

/** A fake ingest that records its calls and refuses the readings whose `bad` flag is set. */
function fakeIngest(): MergingIngest & { calls: { raw: readonly unknown[]; source?: string; merged?: boolean }[] } {
  const calls: { raw: readonly unknown[]; source?: string; merged?: boolean }[] = [];
  return {
    calls,
    ingest(raw, source, opts) {
      calls.push({ raw, source, merged: opts?.mergedSenders });
      const rejected: IngestResult['rejected'] = [];
      raw.forEach((r, index) => {
        if ((r as { bad?: boolean }).bad) rejected.push({ index, code: 'E_VALIDATION', message: `bad ${index}` });
      });
      return Promise.resolve({ accepted: raw.length - rejected.length, duplicates: 0, outOfOrder: 0, rejected });
    },
  };
}

describe('TelemetryBatcher', () => {
  it('ingests the messages of one event-loop turn in one call per source, in arrival order', async () => {
    const target = fakeIngest();
    const b = new TelemetryBatcher(target, { maxBatchReadings: 1000 });
    const answers = await Promise.all([b.ingest([{ n: 1 }], 'a'), b.ingest([{ n: 2 }, { n: 3 }], 'b'), b.ingest([{ n: 4 }], 'a')]);
    expect(target.calls).toHaveLength(2);
    expect(target.calls.find((c) => c.source === 'a')!.raw).toEqual([{ n: 1 }, { n: 4 }]);
    expect(target.calls.find((c) => c.source === 'b')!.raw).toEqual([{ n: 2 }, { n: 3 }]);
    expect(answers).toEqual([{ rejected: [] }, { rejected: [] }, { rejected: [] }]);
  });

  it('gives each message the refusals of its own readings, with indices of its own', async () => {
    const b = new TelemetryBatcher(fakeIngest(), { maxBatchReadings: 1000 });
    const [first, second, third] = await Promise.all([
      b.ingest([{ n: 1 }, { n: 2, bad: true }], 's'),
      b.ingest([{ n: 3 }], 's'),
      b.ingest([{ n: 4, bad: true }, { n: 5 }, { n: 6, bad: true }], 's'),
    ]);
    expect(first!.rejected).toEqual([{ index: 1, code: 'E_VALIDATION', message: 'bad 1' }]);
    expect(second!.rejected).toEqual([]);
    expect(third!.rejected.map((r) => r.index)).toEqual([0, 2]);
  });

  it('tells ingest the batch merges several senders (no refusing the rest unread)', async () => {
    const target = fakeIngest();
    const b = new TelemetryBatcher(target, { maxBatchReadings: 1000 });
    await Promise.all([b.ingest([{ n: 1 }], 's'), b.ingest([{ n: 2 }], 's')]);
    expect(target.calls.every((c) => c.merged === true)).toBe(true);
  });

  it('starts a call at once when the waiting readings reach the bound', async () => {
    const target = fakeIngest();
    const b = new TelemetryBatcher(target, { maxBatchReadings: 3 });
    const pending = [b.ingest([{ n: 1 }, { n: 2 }], 's'), b.ingest([{ n: 3 }], 's')];
    expect(target.calls).toHaveLength(1);
    expect(target.calls[0]!.raw).toHaveLength(3);
    const later = b.ingest([{ n: 4 }], 's');
    await Promise.all([...pending, later]);
    expect(target.calls.map((c) => c.raw.length)).toEqual([3, 1]);
  });

  it('with a window, merges the messages of several event-loop turns into one call, and a full batch ends the window early', async () => {
    vi.useFakeTimers();
    try {
      const target = fakeIngest();
      const b = new TelemetryBatcher(target, { maxBatchReadings: 4, windowMs: 5 });
      const first = b.ingest([{ n: 1 }], 's');
      await vi.advanceTimersByTimeAsync(2);
      const second = b.ingest([{ n: 2 }], 's');
      await vi.advanceTimersByTimeAsync(2);
      // two turns later, still inside the window: nothing called yet
      expect(target.calls).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      await Promise.all([first, second]);
      expect(target.calls.map((c) => c.raw)).toEqual([[{ n: 1 }, { n: 2 }]]);
      // four readings reach the bound: called at once, and the cancelled window does not fire an empty call
      const full = [b.ingest([{ n: 3 }], 's'), b.ingest([{ n: 4 }, { n: 5 }, { n: 6 }], 's')];
      expect(target.calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(10);
      await Promise.all(full);
      expect(target.calls.map((c) => c.raw.length)).toEqual([2, 4]);
      // the next message opens a new window
      const next = b.ingest([{ n: 7 }], 's');
      await vi.advanceTimersByTimeAsync(4);
      expect(target.calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      await next;
      expect(target.calls).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails every message of a call that threw, and the next turn works again', async () => {
    let fail = true;
    const b = new TelemetryBatcher(
      {
        ingest: (raw) =>
          fail ? Promise.reject(new Error('boom')) : Promise.resolve({ accepted: raw.length, duplicates: 0, outOfOrder: 0, rejected: [] }),
      },
      { maxBatchReadings: 1000 },
    );
    const results = await Promise.allSettled([b.ingest([{}], 's'), b.ingest([{}], 's')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(b.ingest([{}], 's')).resolves.toEqual({ rejected: [] });
  });
});
