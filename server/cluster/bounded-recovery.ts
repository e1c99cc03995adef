/**
 * Connection-state recovery with a bound on its cost (issue 15). The streams adapter restores a
 * session by reading the Redis stream from the client's offset to its end — every entry, decoded,
 * each missed packet kept for the client. One client a few seconds behind costs little; after a
 * stall, thousands of clients each hundreds of seconds behind make every node read and hold the
 * whole stream once per client, which stalls the nodes further (bench cluster-concurrency at
 * 10,000 clients over 3 nodes on 2 cores: event-loop stalls of 72–83 s, 9,992 disconnects).
 *
 * Here a session more than `maxEntries` stream entries behind is not restored: the client gets a
 * new session (`socket.recovered` false) and resumes the way every fresh connection does — it
 * asks for its scene from its `sinceRev` and gets the missed deltas or a snapshot (revisions are
 * global, issue 15), so nothing is lost, only the replay of raw packets is skipped.
 */
import type { Redis } from 'ioredis';
import type { ClusterAdapterFactory } from './socket-adapter';

/** Stream entries a recovering client may be behind at most, entries. */
export const DEFAULT_MAX_RECOVERY_ENTRIES = 1_000;

/** The adapter methods this wraps (socket.io-adapter's ClusterAdapter). */
interface RecoveringAdapter {
  restoreSession(pid: string, offset: string): Promise<unknown>;
}

/** The stream id right after `offset` (`<ms>-<seq+1>`): the start of an exclusive range, as the adapter reads it. */
export function nextStreamId(offset: string): string {
  const [ms, seq] = offset.split('-');
  return `${ms}-${Number(seq) + 1}`;
}

/**
 * Whether a session at `offset` is at most `maxEntries` behind: reads at most `maxEntries + 1`
 * entries after it (XRANGE … COUNT). A malformed offset or a failed read answers false (a new
 * session, never an error).
 */
export async function withinRecoveryBound(redis: Pick<Redis, 'xrange'>, streamKey: string, offset: string, maxEntries: number): Promise<boolean> {
  if (!/^[0-9]+-[0-9]+$/.test(offset)) return false;
  try {
    const entries = await redis.xrange(streamKey, nextStreamId(offset), '+', 'COUNT', maxEntries + 1);
    return entries.length <= maxEntries;
  } catch {
    return false;
  }
}

/**
 * The adapter factory with bounded recovery: every adapter it makes refuses to restore a session
 * further behind than `maxEntries` (Socket.IO then opens a new session).
 */
export function withBoundedRecovery(
  factory: ClusterAdapterFactory,
  redis: Pick<Redis, 'xrange'>,
  streamKey: string,
  maxEntries: number = DEFAULT_MAX_RECOVERY_ENTRIES,
): ClusterAdapterFactory {
  const Base = factory as unknown as new (nsp: unknown) => RecoveringAdapter;
  // a plain function: Socket.IO calls `new Adapter(nsp)`, which returns the object made here
  function BoundedRecoveryAdapter(nsp: unknown): RecoveringAdapter {
    const adapter = new Base(nsp);
    const restore = adapter.restoreSession.bind(adapter);
    adapter.restoreSession = async (pid, offset) => {
      if (!(await withinRecoveryBound(redis, streamKey, offset, maxEntries))) throw new Error('session too far behind to restore');
      return restore(pid, offset);
    };
    return adapter;
  }
  return BoundedRecoveryAdapter as unknown as ClusterAdapterFactory;
}
