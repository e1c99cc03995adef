import { describe, expect, it } from 'vitest';
import { RedrawGovernor, type GovernorClock, type RedrawPolicy } from './redraw-governor';

const POLICY: RedrawPolicy = {
  minFrameIntervalMs: 250,
  maxFrameIntervalMs: 8_000,
  mainThreadBudget: 0.25,
  inputHoldMs: 1_500,
  inputHoldAboveFrameCostMs: 50,
  maxInputHoldMs: 5_000,
  costSmoothing: 0.5,
};

/** A fake clock with timers that fire when time is advanced past them. */
function fakeClock() {
  let t = 1_000_000;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: GovernorClock = {
    now: () => t,
    setTimer(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: t + ms, fn });
      return id;
    },
    clearTimer(h) {
      timers.delete(h as number);
    },
  };
  function advance(ms: number) {
    const end = t + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      t = due[1].at;
      due[1].fn();
    }
    t = end;
  }
  return { clock, advance, now: () => t, pendingTimers: () => timers.size };
}

/** A governor whose due callback draws the way map-redraw.ts does: ask again, draw when allowed. */
function rig(policy = POLICY) {
  const c = fakeClock();
  const drawnAt: number[] = [];
  const gov: RedrawGovernor = new RedrawGovernor(policy, c.clock, () => {
    if (gov.requestFrame()) draw();
  });
  function draw() {
    gov.noteFrame();
    drawnAt.push(c.now());
  }
  const request = () => {
    if (gov.requestFrame()) draw();
  };
  return { ...c, gov, drawnAt, request };
}

describe('console map redraw governor', () => {
  it('draws at once when nothing was drawn recently and nobody is clicking', () => {
    const r = rig();
    r.request();
    expect(r.drawnAt).toEqual([r.now()]);
  });

  it('coalesces a burst of updates into one later frame, at most 4 frames/s', () => {
    const r = rig();
    r.request();
    for (let i = 0; i < 20; i++) {
      r.advance(10);
      r.request();
    }
    expect(r.drawnAt).toHaveLength(1);
    r.advance(1_000);
    expect(r.drawnAt).toHaveLength(2);
    expect(r.drawnAt[1] - r.drawnAt[0]).toBe(250);
    expect(r.gov.stats().deferred).toBe(20);
  });

  it('spaces frames so that expensive frames take at most the main-thread budget', () => {
    const r = rig();
    r.request();
    r.gov.noteFrameCost(800); // software GL on a loaded machine
    r.advance(300);
    r.request();
    expect(r.drawnAt).toHaveLength(1);
    r.advance(2_800); // 3,100 ms after the first frame: still inside 800 / 0.25 = 3,200 ms
    expect(r.drawnAt).toHaveLength(1);
    r.advance(200);
    expect(r.drawnAt).toHaveLength(2);
    expect(r.drawnAt[1] - r.drawnAt[0]).toBe(3_200);
  });

  it('never waits longer than the longest interval, however slow the frames', () => {
    const r = rig();
    r.request();
    r.gov.noteFrameCost(10_000);
    r.request();
    r.advance(POLICY.maxFrameIntervalMs);
    expect(r.drawnAt).toHaveLength(2);
  });

  it('holds expensive frames while the officer clicks on the panels, then draws once', () => {
    const r = rig();
    r.request();
    r.gov.noteFrameCost(200);
    r.advance(1_000);
    r.gov.noteInput(); // selects an incident
    r.request(); // a telemetry update arrives
    r.advance(600);
    r.gov.noteInput(); // picks a handler
    r.request();
    r.advance(600);
    r.gov.noteInput(); // dispatch
    r.advance(1_400);
    expect(r.drawnAt).toHaveLength(1);
    r.advance(200);
    expect(r.drawnAt).toHaveLength(2);
    expect(r.drawnAt[1]).toBe(r.now() - 100);
  });

  it('does not hold cheap frames (a GPU): the map stays live while the officer clicks', () => {
    const r = rig();
    r.request();
    r.gov.noteFrameCost(20);
    r.gov.noteInput();
    r.advance(300);
    r.gov.noteInput();
    r.request();
    expect(r.drawnAt).toHaveLength(2);
  });

  it('lets a restless pointer postpone a frame by at most maxInputHoldMs', () => {
    const r = rig();
    r.request();
    r.gov.noteFrameCost(100);
    r.advance(1_000);
    r.gov.noteInput();
    r.request(); // due at once, held by the pointer from here on
    const pendingFrom = r.now();
    for (let i = 0; i < 100; i++) {
      r.gov.noteInput();
      r.advance(100);
    }
    expect(r.drawnAt).toHaveLength(2);
    expect(r.drawnAt[1] - pendingFrom).toBe(POLICY.maxInputHoldMs);
  });

  it('draws at once while the person works the map itself', () => {
    const r = rig();
    r.request();
    r.gov.noteFrameCost(800);
    r.gov.setMapInteracting(true);
    r.request();
    r.advance(16);
    r.request();
    expect(r.drawnAt).toHaveLength(3);
    r.gov.setMapInteracting(false);
    r.request();
    expect(r.drawnAt).toHaveLength(3);
  });

  it('draws nothing while the page is hidden and one frame when it is shown again', () => {
    const r = rig();
    r.request();
    r.gov.setHidden(true);
    for (let i = 0; i < 10; i++) {
      r.advance(1_000);
      r.request();
    }
    expect(r.drawnAt).toHaveLength(1);
    expect(r.pendingTimers()).toBe(0);
    r.gov.setHidden(false);
    r.advance(0);
    expect(r.drawnAt).toHaveLength(2);
  });

  it('smooths the frame cost so that one slow frame does not stall the map', () => {
    const r = rig();
    r.gov.noteFrameCost(100);
    r.gov.noteFrameCost(2_000);
    expect(r.gov.stats().frameCostMs).toBe(1_050);
    expect(r.gov.frameIntervalMs()).toBe(4_200);
  });
});
