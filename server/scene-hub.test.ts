import { afterEach, describe, expect, it } from 'vitest';
import { Fusion, type AlertChangeRecord } from './fusion';
import { SceneHub, sceneRoom } from './scene-hub';
import { generateFleet } from '../scenes/fleet';
import type { Device, DistrictCode, Incident } from '../scenes/domain';
import { scopeOf } from '../scenes/scope';
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

describe('SceneHub data scope', () => {
  const SHINAN = scopeOf({ role: 'officer', username: 'o1', districts: ['370202'] });

  function incidentIn(district: DistrictCode, id: string, nowTs: number): Incident {
    return {
      id,
      version: 1,
      state: 'reported',
      priority: 'P2',
      level: null,
      scene: 'emergency',
      category: 'gas-leak',
      title: id,
      district,
      location: [120.38, 36.07],
      source: 'manual',
      alertIds: [],
      assignees: [],
      escalated: false,
      createdTs: nowTs,
      updatedTs: nowTs,
      slaDueTs: nowTs + 3600_000,
      slaResponseDueTs: nowTs + 600_000,
      reportedBy: 'admin',
      photos: [],
      history: [],
    };
  }

  /** A hub whose sink counts only the rooms in `watched` as watched. */
  function scopedHub() {
    const clock = { now: Date.now() };
    const fusion = new Fusion(generateFleet({ count: 200 }), undefined, undefined, clock.now);
    const frames: { room: string; msg: SceneDeltaMessage }[] = [];
    const watched = new Set<string>();
    hub = new SceneHub(
      fusion,
      { watchers: (room) => (watched.has(room) ? 1 : 0), emitDelta: (msg, room) => frames.push({ room, msg }) },
      { coalesceIntervalMs: 250, deltaHistoryPerScene: 50, deltaHistoryMaxAgeMs: 60_000, now: () => clock.now },
    );
    const idsIn = (room: string) => frames.filter((f) => f.room === room).flatMap((f) => (f.msg.delta.incidents?.put ?? []).map((i) => i.id));
    return { hub, clock, fusion, frames, watched, idsIn };
  }

  it('gives each scope its own room and model: a 崂山区 incident never reaches the 市南区 channel', () => {
    const { hub, clock, fusion, watched, idsIn } = scopedHub();
    const cityRoom = sceneRoom('emergency');
    const shinanRoom = sceneRoom('emergency', SHINAN);
    expect(shinanRoom).not.toBe(cityRoom);
    watched.add(cityRoom).add(shinanRoom);
    hub.join('emergency', undefined);
    hub.join('emergency', undefined, SHINAN);

    fusion.putIncident(incidentIn('370212', 'INC-LAOSHAN', clock.now));
    fusion.putIncident(incidentIn('370202', 'INC-SHINAN', clock.now));
    hub.flush();
    expect(idsIn(cityRoom).sort()).toEqual(['INC-LAOSHAN', 'INC-SHINAN']);
    expect(idsIn(shinanRoom)).toEqual(['INC-SHINAN']);
    const snap = hub.snapshot('emergency', SHINAN);
    expect(snap.model.incidents.map((i) => i.id)).toEqual(['INC-SHINAN']);
    expect(
      hub
        .snapshot('emergency')
        .model.incidents.map((i) => i.id)
        .sort(),
    ).toEqual(['INC-LAOSHAN', 'INC-SHINAN']);
  });

  it('does not lose a change for the other channels when one channel takes it first', () => {
    const { hub, clock, fusion, watched, idsIn } = scopedHub();
    const cityRoom = sceneRoom('emergency');
    watched.add(cityRoom).add(sceneRoom('emergency', SHINAN));
    hub.join('emergency', undefined);
    hub.join('emergency', undefined, SHINAN);
    fusion.putIncident(incidentIn('370202', 'INC-1', clock.now));
    // a scoped screen joins first and brings only its own channel up to date…
    expect(hub.snapshot('emergency', SHINAN).model.incidents.map((i) => i.id)).toEqual(['INC-1']);
    // …the whole-city channel still sends the change at the next flush
    hub.flush();
    expect(idsIn(cityRoom)).toEqual(['INC-1']);
  });

  it('builds a scoped channel only while somebody watches it', () => {
    const { hub, clock, fusion, watched, frames } = scopedHub();
    const shinanRoom = sceneRoom('emergency', SHINAN);
    watched.add(shinanRoom);
    hub.join('emergency', undefined, SHINAN);
    watched.delete(shinanRoom);
    const builds = hub.stats.builds;
    fusion.putIncident(incidentIn('370202', 'INC-2', clock.now));
    hub.flush();
    expect(hub.stats.builds).toBe(builds);
    expect(frames).toEqual([]);
    // a later joiner gets a fresh snapshot with the change
    watched.add(shinanRoom);
    const again = hub.join('emergency', undefined, SHINAN);
    expect(again.ok && again.mode === 'snapshot' ? again.snapshot.model.incidents.map((i) => i.id) : null).toEqual(['INC-2']);
  });
});

describe('SceneHub revision lanes (issue 15: several nodes)', () => {
  /** Two hubs on one clock, as two nodes on one Redis with lanes 1 and 2 of 4. */
  function twoNodes() {
    const clock = { now: Date.now() };
    const fleet = generateFleet({ count: 200 });
    const make = (lane: number) => {
      const fusion = new Fusion(fleet, undefined, undefined, clock.now);
      const frames: SceneDeltaMessage[] = [];
      const h = new SceneHub(
        fusion,
        { watchers: () => 1, emitDelta: (m) => frames.push(m) },
        { coalesceIntervalMs: 250, deltaHistoryPerScene: 50, deltaHistoryMaxAgeMs: 60_000, now: () => clock.now, revisionLane: { lane, lanes: 4 } },
      );
      return { hub: h, fusion, frames };
    };
    return { clock, fleet, a: make(1), b: make(2) };
  }

  it('gives two live nodes disjoint revisions that step by the lane count', () => {
    const { clock, fleet, a, b } = twoNodes();
    const gauge = fleet.find((d) => d.kind === 'rain-gauge')!;
    const seen = new Set<number>();
    for (const node of [a, b]) {
      node.hub.join('water', undefined);
      node.hub.start();
    }
    for (let seq = 1; seq <= 5; seq++) {
      clock.now += 250;
      for (const node of [a, b]) {
        node.fusion.applyReading({ deviceId: gauge.id, ts: clock.now, seq, metrics: { rainfall: seq } }, []);
        node.hub.flushIfDue();
      }
    }
    for (const node of [a, b]) {
      const water = node.frames.filter((f) => f.scene === 'water');
      expect(water.length).toBeGreaterThan(2);
      for (const f of water) {
        expect(f.rev - f.prevRev).toBe(4);
        expect(seen.has(f.rev)).toBe(false);
        seen.add(f.rev);
      }
    }
    expect([...seen].every((r) => r % 4 === 1 || r % 4 === 2)).toBe(true);
    a.hub.stop();
    b.hub.stop();
  });

  it('answers a revision issued by another node with a snapshot, never with its own deltas', () => {
    const { clock, fleet, a, b } = twoNodes();
    const gauge = fleet.find((d) => d.kind === 'rain-gauge')!;
    for (const node of [a, b]) {
      node.hub.join('water', undefined);
      node.hub.start();
    }
    for (let seq = 1; seq <= 4; seq++) {
      clock.now += 250;
      for (const node of [a, b]) {
        node.fusion.applyReading({ deviceId: gauge.id, ts: clock.now, seq, metrics: { rainfall: seq } }, []);
        node.hub.flushIfDue();
      }
    }
    const fromA = a.frames.filter((f) => f.scene === 'water')[1]!.rev;
    const onB = b.hub.join('water', fromA);
    expect(onB.ok && onB.mode).toBe('snapshot');
    // its own history still resumes with deltas
    const ownB = b.frames.filter((f) => f.scene === 'water')[1]!.rev;
    const again = b.hub.join('water', ownB);
    expect(again.ok && again.mode).toBe('deltas');
    a.hub.stop();
    b.hub.stop();
  });

  it('restarts every channel at a fresh revision of its new lane when the node moves lanes, so watchers re-join', () => {
    const { clock, fleet, a } = twoNodes();
    const gauge = fleet.find((d) => d.kind === 'rain-gauge')!;
    a.hub.join('water', undefined);
    a.hub.start();
    const step = (seq: number) => {
      clock.now += 250;
      a.fusion.applyReading({ deviceId: gauge.id, ts: clock.now, seq, metrics: { rainfall: seq } }, []);
      a.hub.flushIfDue();
    };
    step(1);
    step(2);
    const before = a.frames.filter((f) => f.scene === 'water').at(-1)!;
    a.hub.setRevisionLane(3);
    step(3);
    const after = a.frames.filter((f) => f.scene === 'water').at(-1)!;
    // the watcher holds before.rev: the next delta does not follow it (a gap: it re-joins)
    expect(after.prevRev).not.toBe(before.rev);
    expect(after.rev % 4).toBe(3);
    // and its old revision is answered with a snapshot
    const rejoin = a.hub.join('water', before.rev);
    expect(rejoin.ok && rejoin.mode).toBe('snapshot');
    a.hub.stop();
  });
});

describe('SceneHub frame pacing', () => {
  it('stretches the telemetry interval while sending frames takes too much of the loop, and returns when it is cheap again', () => {
    const clock = { now: Date.now() };
    /** the clock the pacer measures a flush's cost with: only the sink advances it (a broadcast to thousands of sockets) */
    const busy = { now: 0 };
    const fleet = generateFleet({ count: 200 });
    const fusion = new Fusion(fleet, undefined, undefined, clock.now);
    let costMs = 60;
    /** each water frame's clock time and the interval in force when it went out */
    const frames: { ts: number; intervalMs: number }[] = [];
    const changes: { intervalMs: number; share: number }[] = [];
    hub = new SceneHub(
      fusion,
      {
        // one screen, on the water scene: one frame per tick
        watchers: (room) => (room === sceneRoom('water') ? 1 : 0),
        emitDelta: () => {
          frames.push({ ts: clock.now, intervalMs: hub!.stats.frameIntervalMs });
          busy.now += costMs;
        },
      },
      {
        coalesceIntervalMs: 250,
        deltaHistoryPerScene: 50,
        deltaHistoryMaxAgeMs: 60_000,
        now: () => clock.now,
        busyClock: () => busy.now,
        pacing: { maxIntervalMs: 1000, targetShare: 0.1, windowMs: 1000 },
        onPacingChanged: (intervalMs, share) => changes.push({ intervalMs, share }),
      },
    );
    const gauge = fleet.find((d) => d.kind === 'rain-gauge')!;
    let seq = 0;
    hub.join('water', undefined);
    hub.start();
    /** a new reading every 50 ms of the hub's clock for `ms`; the hub ticks when due */
    const drive = (ms: number) => {
      for (let t = 0; t < ms; t += 50) {
        clock.now += 50;
        fusion.applyReading({ deviceId: gauge.id, ts: clock.now, seq: ++seq, metrics: { rainfall: (seq % 7) / 10 } }, []);
        hub!.flushIfDue();
      }
    };
    /** gaps between consecutive frames from `from` on, each beside the interval in force for the later frame */
    const gapsSince = (from: number) => {
      const start = Math.max(1, from);
      return frames.slice(start).map((f, i) => ({ gap: f.ts - frames[start + i - 1]!.ts, intervalMs: f.intervalMs }));
    };
    // 60 ms per frame against 250 ms of clock: 24 % of the loop, the target is 10 %
    drive(6000);
    expect(hub.stats.frameIntervalMs).toBeGreaterThanOrEqual(500);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes[0]!.share).toBeGreaterThan(0.1);
    const paced = hub.stats.frameIntervalMs;
    const before = frames.length;
    drive(4000);
    // while paced, frames are never closer than the interval in force, and the load holds it
    const pacedGaps = gapsSince(before);
    expect(pacedGaps.length).toBeGreaterThan(2);
    for (const g of pacedGaps) expect(g.gap).toBeGreaterThanOrEqual(g.intervalMs);
    expect(Math.min(...pacedGaps.map((g) => g.gap))).toBeGreaterThanOrEqual(paced);
    // cheap frames: back to the configured interval
    costMs = 0;
    const cheapFrom = frames.length;
    drive(8000);
    expect(hub.stats.frameIntervalMs).toBe(250);
    expect(changes.at(-1)!.intervalMs).toBe(250);
    expect(frames.length - cheapFrom).toBeGreaterThan(8000 / 1000);
  });

  it('never paces without the option', () => {
    const { hub, clock, fleet, fusion } = makeHub(50);
    const gauge = fleet.find((d) => d.kind === 'rain-gauge')!;
    hub.join('water', undefined);
    hub.start();
    for (let i = 1; i <= 40; i++) {
      clock.now += 250;
      fusion.applyReading({ deviceId: gauge.id, ts: clock.now, seq: i, metrics: { rainfall: (i % 7) / 10 } }, []);
      hub.flushIfDue();
    }
    expect(hub.stats.frameIntervalMs).toBe(250);
  });
});
