import { describe, expect, it, vi } from 'vitest';
import type { Socket } from 'socket.io';
import { WHOLE_CITY, type DataScope } from '../scenes/scope';
import { LiveConnections, type LiveBudgetLimits, type ScopedSocketData } from './live-connections';

const LIMITS: LiveBudgetLimits = {
  liveEventRatePerS: 10,
  liveEventBurst: 3,
  liveJoinRatePerS: 1,
  liveJoinBurst: 2,
  liveQueryRatePerS: 1,
  liveQueryBurst: 1,
  liveReplayRatePerS: 1,
  liveReplayBurst: 1,
};

function liveSocket(scope?: DataScope): Socket {
  const data: ScopedSocketData = { username: 'screen1', role: 'screen', displayName: '大屏 1', sid: 's1', ...(scope ? { scope } : {}) };
  return { data } as unknown as Socket;
}

function setup(readScope = vi.fn(async () => WHOLE_CITY)) {
  const clock = { now: 1_000_000 };
  const conns = new LiveConnections(LIMITS, readScope, () => clock.now);
  return { conns, clock, readScope };
}

describe('LiveConnections', () => {
  it('makes a connection’s state on its first event and keeps it while a budget is refilling', () => {
    const { conns, clock } = setup();
    const socket = liveSocket(WHOLE_CITY);
    expect(conns.holds(socket)).toBe(false);
    const c = conns.of(socket);
    expect(conns.of(socket)).toBe(c);
    expect(c.events.take()).toBe(true);
    expect(c.joins.take()).toBe(true);
    expect(conns.forgetIdle([socket])).toBe(0);
    // the event budget is full again after 100 ms, the join budget only after 1 s
    clock.now += 500;
    expect(conns.forgetIdle([socket])).toBe(0);
    clock.now += 500;
    expect(conns.forgetIdle([socket])).toBe(1);
    expect(conns.holds(socket)).toBe(false);
  });

  it('gives a forgotten connection full budgets again, as a new one has', () => {
    const { conns, clock } = setup();
    const socket = liveSocket(WHOLE_CITY);
    const drain = () => [1, 2, 3, 4].map(() => conns.of(socket).events.take());
    expect(drain()).toEqual([true, true, true, false]);
    clock.now += 1_000;
    conns.forgetIdle([socket]);
    expect(conns.holds(socket)).toBe(false);
    expect(drain()).toEqual([true, true, true, false]);
  });

  it('keeps a connection whose events are being refused, until it sends within its budget again', () => {
    const { conns, clock } = setup();
    const socket = liveSocket(WHOLE_CITY);
    conns.of(socket).refused = 2;
    clock.now += 10_000;
    expect(conns.forgetIdle([socket])).toBe(0);
    conns.of(socket).refused = 0;
    expect(conns.forgetIdle([socket])).toBe(1);
  });

  it('reads the scope of a connection that came without one once, keeps it in socket.data, then may forget the state', async () => {
    const districts: DataScope = { kind: 'districts', districts: ['370202'] };
    const { conns, readScope } = setup(vi.fn(async () => districts));
    const socket = liveSocket();
    expect(conns.forgetIdle([socket])).toBe(0);
    const [a, b] = await Promise.all([conns.scopeOf(socket), conns.of(socket).scopeReady]);
    expect([a, b]).toEqual([districts, districts]);
    expect(readScope).toHaveBeenCalledTimes(1);
    expect((socket.data as ScopedSocketData).scope).toEqual(districts);
    expect(conns.forgetIdle([socket])).toBe(1);
    expect(await conns.scopeOf(socket)).toEqual(districts);
    expect(readScope).toHaveBeenCalledTimes(1);
  });

  it('answers the handshake’s scope without making a state', async () => {
    const { conns, readScope } = setup();
    const socket = liveSocket(WHOLE_CITY);
    expect(await conns.scopeOf(socket)).toEqual(WHOLE_CITY);
    expect(conns.holds(socket)).toBe(false);
    expect(readScope).not.toHaveBeenCalled();
  });
});
