import { afterEach, describe, expect, it } from 'vitest';
import { Fusion, type AlertChangeRecord } from './fusion';
import { SceneHub } from './scene-hub';
import { generateFleet } from '../scenes/fleet';
import type { Device } from '../scenes/domain';
import type { SceneDeltaMessage } from '../scenes/protocol';

let hub: SceneHub | null = null;
afterEach(() => hub?.stop());

/** A hub over a 200-device fleet with a controllable clock; frames land in `frames`. */
function makeHub(deltaHistoryPerScene: number) {
  const clock = { now: Date.now() };
  const fleet = generateFleet({ count: 200 });
  const fusion = new Fusion(fleet, undefined, undefined, clock.now);
  const frames: SceneDeltaMessage[] = [];
  hub = new SceneHub(
    fusion,
    { watchers: () => 1, emitDelta: (m) => frames.push(m) },
    { coalesceIntervalMs: 250, deltaHistoryPerScene, deltaHistoryMaxAgeMs: 60_000, now: () => clock.now },
  );
  return { hub, clock, fleet, fusion, frames };
}

describe('SceneHub coalescing tick', () => {
  it('flushes when a tick is due — from ingest as well as the timer — and never twice within the interval', () => {
    const { hub, clock, fleet, fusion, frames } = makeHub(50);
    const gauges = fleet.filter((d) => d.kind === 'rain-gauge');
    const changes: AlertChangeRecord[] = [];
    let seq = 0;
    // light drizzle: shown on the water screen (rain KPI), far below any rain rule
    const read = (d: Device, mm: number) => fusion.applyReading({ deviceId: d.id, ts: clock.now, seq: ++seq, metrics: { rainfall: mm } }, changes);
    const waterFrames = () => frames.filter((f) => f.scene === 'water').length;

    read(gauges[0]!, 0.5);
    hub.join('water', undefined);
    hub.flushIfDue(); // not started: the hub only ticks while running
    expect(waterFrames()).toBe(0);
    hub.start();

    clock.now += 250;
    read(gauges[0]!, 1);
    hub.flushIfDue(); // due: a frame now, without waiting for the timer
    expect(waterFrames()).toBe(1);

    clock.now += 100;
    read(gauges[0]!, 1.5);
    hub.flushIfDue(); // 100 ms after the last tick: not yet
    expect(waterFrames()).toBe(1);
    clock.now += 149;
    hub.flushIfDue();
    expect(waterFrames()).toBe(1);
    clock.now += 1;
    hub.flushIfDue(); // 250 ms after the last tick
    expect(waterFrames()).toBe(2);
    expect(changes).toEqual([]);
  });
});

describe('SceneHub delta history', () => {
  it('keeps deltas for resuming clients within both bounds: at most N, none older than the age limit', () => {
    const { hub, clock, fleet, fusion, frames } = makeHub(5);
    const gauge = fleet.find((d) => d.kind === 'rain-gauge')!;
    let seq = 0;
    hub.join('water', undefined);
    hub.start();
    // a quiet scene: one change every 20 s
    const step = (mm: number) => {
      clock.now += 20_000;
      fusion.applyReading({ deviceId: gauge.id, ts: clock.now, seq: ++seq, metrics: { rainfall: mm } }, []);
      hub.flushIfDue();
    };
    const water = () => frames.filter((f) => f.scene === 'water');
    for (let i = 1; i <= 4; i++) step(i);
    expect(water()).toHaveLength(4);
    const [d1, d2, d3, d4] = water();
    // d1 was made 60 s ago: still inside the age bound, a client at d1.prevRev resumes with all 4
    const resumed = hub.join('water', d1!.prevRev);
    expect(resumed.ok && resumed.mode).toBe('deltas');
    expect(resumed.ok && resumed.mode === 'deltas' ? resumed.deltas.map((d) => d.rev) : null).toEqual([d1!.rev, d2!.rev, d3!.rev, d4!.rev]);
    // 1 ms later d1 is too old: that client gets a snapshot, a client at d2.prevRev still resumes
    clock.now += 1;
    expect(hub.join('water', d1!.prevRev)).toMatchObject({ ok: true, mode: 'snapshot' });
    const later = hub.join('water', d2!.prevRev);
    expect(later.ok && later.mode === 'deltas' ? later.deltas.map((d) => d.rev) : null).toEqual([d2!.rev, d3!.rev, d4!.rev]);
    // the count bound still holds when changes are frequent
    for (let i = 0; i < 8; i++) {
      clock.now += 250;
      fusion.applyReading({ deviceId: gauge.id, ts: clock.now, seq: ++seq, metrics: { rainfall: 10 + i } }, []);
      hub.flushIfDue();
    }
    const all = water();
    expect(all).toHaveLength(12);
    expect(hub.join('water', all[all.length - 6]!.rev - 1)).toMatchObject({ ok: true, mode: 'snapshot' });
    const five = hub.join('water', all[all.length - 5]!.prevRev);
    expect(five.ok && five.mode === 'deltas' ? five.deltas.length : null).toBe(5);
  });
});
