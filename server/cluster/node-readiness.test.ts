import { describe, expect, it } from 'vitest';
import { NodeReadiness, actingOnceStarted } from './node-readiness';
import { LOCAL_LEASE } from './lease';

const silent = { warn: () => undefined, error: () => undefined };

describe('NodeReadiness', () => {
  it('is ready at once on a single node, and its acting leases act', async () => {
    const r = new NodeReadiness();
    expect(r.isReady()).toBe(true);
    expect(r.isStartingUp()).toBe(false);
    expect(await actingOnceStarted(LOCAL_LEASE('offline'), r).isHeld()).toBe(true);
  });

  it('keeps a catching-up node starting (and its held leases idle) until its follower caught up, then for good', async () => {
    const r = new NodeReadiness();
    const follower = {
      up: false,
      caughtUp() {
        return this.up;
      },
    };
    const lease = actingOnceStarted(LOCAL_LEASE('plans'), r);
    await r.follow(follower, null, silent, { waitMs: 30, pollMs: 5, adapterTimeoutMs: 1_000 });
    expect(r.isReady()).toBe(false);
    expect(r.isStartingUp()).toBe(true);
    expect(await lease.isHeld()).toBe(false);
    follower.up = true;
    expect(r.isStartingUp()).toBe(false);
    expect(await lease.isHeld()).toBe(true);
    // a later loss of readiness (Redis down) shows in /healthz, not as starting again
    follower.up = false;
    expect(r.isReady()).toBe(false);
    expect(r.isStartingUp()).toBe(false);
    expect(lease.fencingToken()).toBe(1);
  });

  it('waits for the fan-out adapter to connect before it is ready', async () => {
    const r = new NodeReadiness();
    let connect: (up: boolean) => void = () => undefined;
    const adapter = { connected: () => new Promise<boolean>((resolve) => (connect = resolve)) };
    await r.follow({ caughtUp: () => true }, adapter, silent, { waitMs: 30, pollMs: 5, adapterTimeoutMs: 1_000 });
    expect(r.isReady()).toBe(false);
    connect(true);
    await new Promise((res) => setTimeout(res, 0));
    expect(r.isReady()).toBe(true);
  });
});
