import { describe, expect, it } from 'vitest';
import { nextStreamId, withBoundedRecovery, withinRecoveryBound } from './bounded-recovery';
import type { ClusterAdapterFactory } from './socket-adapter';

/** A stream of `n` entries with ids `1000-0` … `1000-(n-1)`, answering XRANGE start + COUNT as Redis does. */
function fakeStream(n: number, fail = false) {
  const calls: unknown[][] = [];
  return {
    calls,
    xrange: (async (...args: unknown[]) => {
      calls.push(args);
      if (fail) throw new Error('Command timed out');
      const [, start, , , count] = args as [string, string, string, string, number];
      const from = Number(start.split('-')[1]);
      const ids = Array.from({ length: Math.max(0, n - from) }, (_, i) => `1000-${from + i}`);
      return ids.slice(0, count).map((id) => [id, []]);
    }) as never,
  };
}

describe('bounded connection-state recovery', () => {
  it('reads the stream after the offset, exclusive', () => {
    expect(nextStreamId('1700000000000-7')).toBe('1700000000000-8');
  });

  it('restores a session at most maxEntries behind and refuses one further behind', async () => {
    const redis = fakeStream(100);
    expect(await withinRecoveryBound(redis, 's', '1000-89', 10)).toBe(true); // 10 entries after it
    expect(await withinRecoveryBound(redis, 's', '1000-88', 10)).toBe(false); // 11
    expect(redis.calls[0]).toEqual(['s', '1000-90', '+', 'COUNT', 11]);
  });

  it('refuses a malformed offset without asking Redis, and a failed read', async () => {
    const redis = fakeStream(5);
    expect(await withinRecoveryBound(redis, 's', '0-0; FLUSHALL', 10)).toBe(false);
    expect(redis.calls).toHaveLength(0);
    expect(await withinRecoveryBound(fakeStream(5, true), 's', '1000-1', 10)).toBe(false);
  });

  it('wraps every adapter the factory makes: the original restore runs only within the bound', async () => {
    const restored: string[] = [];
    function FakeAdapter(this: { nsp: unknown }, nsp: unknown) {
      return { nsp, restoreSession: async (pid: string) => (restored.push(pid), { pid }) };
    }
    const Factory = withBoundedRecovery(FakeAdapter as unknown as ClusterAdapterFactory, fakeStream(50), 'stream', 20);
    const adapter = new (Factory as unknown as new (nsp: unknown) => { nsp: unknown; restoreSession(pid: string, offset: string): Promise<unknown> })(
      '/live',
    );
    expect(adapter.nsp).toBe('/live');
    await expect(adapter.restoreSession('near', '1000-40')).resolves.toEqual({ pid: 'near' });
    await expect(adapter.restoreSession('far', '1000-2')).rejects.toThrow(/too far behind/);
    expect(restored).toEqual(['near']);
  });
});
