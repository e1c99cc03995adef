import { afterEach, describe, expect, it } from 'vitest';
import { Fusion, type AlertChangeRecord } from './fusion';
import { SceneHub } from './scene-hub';
import { generateFleet } from '../scenes/fleet';
import type { Device } from '../scenes/domain';
import type { SceneDeltaMessage } from '../scenes/protocol';

let hub: SceneHub | null = null;
afterEach(() => hub?.stop());

describe('SceneHub coalescing tick', () => {
  it('flushes when a tick is due — from ingest as well as the timer — and never twice within the interval', () => {
    const t0 = Date.now();
    let now = t0;
    const fleet = generateFleet({ count: 200 });
    const fusion = new Fusion(fleet, undefined, undefined, t0);
    const frames: SceneDeltaMessage[] = [];
    hub = new SceneHub(
      fusion,
      { watchers: () => 1, emitDelta: (m) => frames.push(m) },
      { coalesceIntervalMs: 250, deltaHistoryPerScene: 50, now: () => now },
    );
    const gauges = fleet.filter((d) => d.kind === 'rain-gauge');
    const changes: AlertChangeRecord[] = [];
    let seq = 0;
    // light drizzle: shown on the water screen (rain KPI), far below any rain rule
    const read = (d: Device, mm: number) => fusion.applyReading({ deviceId: d.id, ts: now, seq: ++seq, metrics: { rainfall: mm } }, changes);
    const waterFrames = () => frames.filter((f) => f.scene === 'water').length;

    read(gauges[0]!, 0.5);
    hub.join('water', undefined);
    hub.flushIfDue(); // not started: the hub only ticks while running
    expect(waterFrames()).toBe(0);
    hub.start();

    now += 250;
    read(gauges[0]!, 1);
    hub.flushIfDue(); // due: a frame now, without waiting for the timer
    expect(waterFrames()).toBe(1);

    now += 100;
    read(gauges[0]!, 1.5);
    hub.flushIfDue(); // 100 ms after the last tick: not yet
    expect(waterFrames()).toBe(1);
    now += 149;
    hub.flushIfDue();
    expect(waterFrames()).toBe(1);
    now += 1;
    hub.flushIfDue(); // 250 ms after the last tick
    expect(waterFrames()).toBe(2);
    expect(changes).toEqual([]);
  });
});
