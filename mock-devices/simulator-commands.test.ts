/**
 * Remote control in the simulator (issue 13): a commanded state beats the automatic one, values
 * come from the catalogue (commandEffect), and obeying yields a fresh reading at once.
 */
import { describe, expect, it } from 'vitest';
import { generateControlDevices, generateFleet } from '../scenes/fleet';
import { createRng } from '../scenes/random';
import { commandEffect } from '../scenes/device-commands';
import { ReadingSchema, type Device } from '../scenes/domain';
import { commandedState, DOOR_RELEASE_MS, generateMetrics, initialSignalState, WATER_SIGNAL_CONFIG } from './signals';
import { FleetSimulator, type SignedReadingWithoutToken } from './simulator';
import type { WeatherState } from './weather';

/** 2026-03-10 03:00 Beijing time: a dry night (no drill rain). */
const T0 = Date.UTC(2026, 2, 9, 19, 0, 0);
const fleet = generateFleet({ count: 400, seed: 7 });
const firstOf = (kind: Device['kind']) => {
  const d = fleet.find((x) => x.kind === kind);
  if (!d) throw new Error(`no ${kind} in the test fleet`);
  return d;
};
const pump = firstOf('pump-station');
const door = firstOf('door-sensor');
const dry: WeatherState = { seed: 3, rainOverrides: [] };
const storm: WeatherState = {
  seed: 3,
  rainOverrides: [{ districts: [pump.district], startTs: T0 - 60_000, endTs: T0 + 3_600_000, keyframes: [{ atMs: 0, value: 80 }] }],
};
const { pumpFlowMinM3PerH: FLOW_MIN, pumpFlowMaxM3PerH: FLOW_MAX } = WATER_SIGNAL_CONFIG;

function metricsOf(device: Device, weather: WeatherState, cmd?: ReturnType<typeof commandedState>, ts = T0) {
  const commanded = cmd?.ok ? cmd.state : undefined;
  return generateMetrics(device, { ts, weather, commanded }, initialSignalState(device, { ts, weather }), createRng(1)).metrics;
}

describe('commanded signals (pure)', () => {
  it('a pump told to start runs with a discharge in the running range in dry weather; told to stop, it stays stopped in a storm', () => {
    expect(metricsOf(pump, dry)).toMatchObject({ running: 0, flow: 0 });
    expect(metricsOf(pump, storm).running).toBe(1);
    const started = metricsOf(pump, dry, commandedState('pump-station', 'start', {}, T0));
    expect(started.running).toBe(1);
    expect(started.flow).toBeGreaterThanOrEqual(FLOW_MIN);
    expect(started.flow).toBeLessThanOrEqual(FLOW_MAX);
    // manual mode beats the rain-based automatic start
    expect(metricsOf(pump, storm, commandedState('pump-station', 'stop', {}, T0))).toMatchObject({ running: 0, flow: 0 });
  });

  it('takes its values from the catalogue and refuses a command the kind does not have', () => {
    const s = commandedState('pump-station', 'start', {}, T0);
    expect(s).toEqual({ ok: true, state: { metrics: commandEffect('pump-station', 'start', {}) } });
    expect(commandedState('door-sensor', 'release', {}, T0)).toEqual({
      ok: true,
      state: { metrics: commandEffect('door-sensor', 'release', {}), untilTs: T0 + DOOR_RELEASE_MS },
    });
    expect(commandedState('pump-station', 'release', {}, T0)).toEqual({ ok: false, message: 'device kind pump-station has no command release' });
    expect(commandedState('strain-gauge', 'start', {}, T0).ok).toBe(false);
  });

  it('a flood gate opens to the commanded position (default fully open) and closes to 0', () => {
    const gate = generateControlDevices(7)[0]!;
    expect(gate.kind).toBe('flood-gate');
    expect(metricsOf(gate, dry)).toMatchObject({ position: 0 });
    expect(metricsOf(gate, dry, commandedState('flood-gate', 'open', { position: 40 }, T0))).toMatchObject({ position: 40 });
    expect(metricsOf(gate, dry, commandedState('flood-gate', 'open', {}, T0))).toMatchObject({ position: 100 });
    expect(metricsOf(gate, storm, commandedState('flood-gate', 'close', {}, T0))).toMatchObject({ position: 0 });
  });

  it(`a released door shows released = 1 for ${DOOR_RELEASE_MS / 1000} s, then 0`, () => {
    const cmd = commandedState('door-sensor', 'release', {}, T0);
    expect(metricsOf(door, dry)).toMatchObject({ released: 0 });
    expect(metricsOf(door, dry, cmd, T0 + DOOR_RELEASE_MS - 1)).toMatchObject({ released: 1 });
    expect(metricsOf(door, dry, cmd, T0 + DOOR_RELEASE_MS)).toMatchObject({ released: 0 });
  });
});

describe('FleetSimulator.applyCommand', () => {
  function stepAll(sim: FleetSimulator, fromTs: number, toTs: number, stepMs: number, id: string): SignedReadingWithoutToken[] {
    const out: SignedReadingWithoutToken[] = [];
    for (let t = fromTs; t <= toTs; t += stepMs) out.push(...sim.step(t).filter((r) => r.deviceId === id));
    return out;
  }

  it('obeys start with a fresh reading at once (next seq), keeps running until stop, and stays in order with its schedule', () => {
    const sim = new FleetSimulator({ fleet, seed: 42, rateScale: 10 });
    const before = stepAll(sim, T0, T0 + 10_000, 250, pump.id);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((r) => r.metrics.running === 0)).toBe(true);
    const cmdTs = T0 + 10_100;
    const started = sim.applyCommand(pump.id, 'start', {}, cmdTs);
    if (started.status !== 'ok') throw new Error(started.message);
    expect(started.reading).toMatchObject({ deviceId: pump.id, ts: cmdTs, metrics: { running: 1 } });
    expect(started.reading.seq).toBeGreaterThan(before.at(-1)!.seq);
    expect(ReadingSchema.safeParse(started.reading).success).toBe(true);

    const running = stepAll(sim, T0 + 10_250, T0 + 40_000, 250, pump.id);
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((r) => r.metrics.running === 1 && r.metrics.flow >= FLOW_MIN)).toBe(true);
    const all = [...before, started.reading, ...running];
    for (let i = 1; i < all.length; i++) {
      expect(all[i].seq).toBeGreaterThan(all[i - 1].seq);
      expect(all[i].ts).toBeGreaterThanOrEqual(all[i - 1].ts);
    }

    const stopped = sim.applyCommand(pump.id, 'stop', {}, T0 + 40_100);
    expect(stopped).toMatchObject({ status: 'ok', reading: { metrics: { running: 0, flow: 0 } } });
    expect(stepAll(sim, T0 + 40_250, T0 + 70_000, 250, pump.id).every((r) => r.metrics.running === 0)).toBe(true);
  });

  it('a released door reports released = 1 at once and reports again when it locks after the release time', () => {
    const sim = new FleetSimulator({ fleet, seed: 42 });
    stepAll(sim, T0, T0 + 1_000, 250, door.id);
    const r = sim.applyCommand(door.id, 'release', {}, T0 + 1_000);
    expect(r).toMatchObject({ status: 'ok', reading: { metrics: { released: 1 } } });
    // the door's heartbeat is far longer than the release: it reports once more when it locks
    const after = stepAll(sim, T0 + 1_250, T0 + 1_000 + DOOR_RELEASE_MS + 250, 250, door.id);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ ts: T0 + 1_000 + DOOR_RELEASE_MS, metrics: { released: 0 } });
    expect(sim.commandedOf(door.id)).toBeUndefined();
  });

  it('refuses an unknown command for the kind, and a device it does not simulate', () => {
    const sim = new FleetSimulator({ fleet, seed: 42 });
    expect(sim.applyCommand(door.id, 'start', {}, T0)).toEqual({ status: 'failed', message: 'device kind door-sensor has no command start' });
    expect(sim.applyCommand('nobody', 'start', {}, T0)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/not simulated/) as unknown,
    });
    expect(sim.commandedOf(door.id)).toBeUndefined();
  });

  it('obeys a command that arrives before the first step', () => {
    const sim = new FleetSimulator({ fleet, seed: 42 });
    expect(sim.applyCommand(pump.id, 'start', {}, T0)).toMatchObject({ status: 'ok', reading: { ts: T0, metrics: { running: 1 } } });
    const next = stepAll(sim, T0 + 250, T0 + 70_000, 250, pump.id);
    expect(next.length).toBeGreaterThan(0);
    expect(next.every((r) => r.metrics.running === 1 && r.ts > T0)).toBe(true);
  });
});
