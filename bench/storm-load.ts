/**
 * A storm's update rate against a running server, for the console click benchmark and the
 * console-responsiveness browser test: the whole fleet reports at its catalogue rate through a
 * gateway (signed with the demo device secret) while the rainstorm drill runs on top of it — rain
 * gauges, river levels and underpass depths climb, alerts are raised and worsen, incidents open.
 * The drill restarts when it ends, so the storm lasts as long as the load runs.
 */
import type { Device } from '../scenes/domain';
import { DEV_DEVICE_SECRET } from '../server/device-token';
import { FleetSimulator } from '../mock-devices/simulator';
import { GatewayClient, type GatewayStats } from '../mock-devices/gateway-client';
import type { DrillName } from '../mock-devices/drills';

export interface StormLoadOptions {
  serverUrl: string;
  /** the server's devices (the same fleet it was seeded with) */
  fleet: readonly Device[];
  /** simulator seed (the server's demo seed keeps readings plausible for its assets) */
  seed: number;
  /** report-rate multiplier over the catalogue intervals (default 1) */
  rateScale?: number;
  /** default 'rainstorm' */
  drill?: DrillName;
  /** the simulator is stepped this often, ms (default 250, as drill.ts does) */
  tickMs?: number;
  deviceSecret?: string;
}

export interface StormLoad {
  /** readings sent so far, by the gateway's count */
  stats(): GatewayStats;
  stop(): Promise<void>;
}

export function startStormLoad(o: StormLoadOptions): StormLoad {
  const drill = o.drill ?? 'rainstorm';
  const tickMs = o.tickMs ?? 250;
  const sim = new FleetSimulator({ fleet: o.fleet, seed: o.seed, rateScale: o.rateScale ?? 1 });
  const client = new GatewayClient({ serverUrl: o.serverUrl, deviceSecret: o.deviceSecret ?? DEV_DEVICE_SECRET, statusIntervalMs: 0, log: () => {} });
  client.start();
  sim.startDrill(drill, Date.now());
  const timer = setInterval(() => {
    const now = Date.now();
    const active = sim.activeDrill();
    if (!active || now >= active.endTs) sim.startDrill(drill, now);
    client.enqueue(sim.step(now));
  }, tickMs);
  return {
    stats: () => client.stats(),
    async stop() {
      clearInterval(timer);
      await client.stop(2_000);
    },
  };
}
