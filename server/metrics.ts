/** Prometheus metrics (prom-client), one registry per server instance so tests can run several. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_NODE_ID, SERVER_VERSION } from './cluster/node-info';

export interface IocMetrics {
  registry: Registry;
  readings: Counter<'verdict'>;
  alerts: Counter<'level' | 'change'>;
  commands: Counter<'type' | 'outcome'>;
  sceneFrames: Counter<'scene'>;
  ingestBatchSeconds: Histogram;
  /** MQTT publishes by verdict (server/mqtt/payloads.ts MqttVerdict) */
  mqttMessages: Counter<'verdict'>;
  /** MQTT connections refused by reason (server/mqtt/device-gate.ts ConnectRefusal) */
  mqttConnectsRefused: Counter<'reason'>;
}

export function createMetrics(sources: {
  connectedClients: () => { live: number; device: number };
  fusionStats: () => { devices: number; online: number; openAlerts: number; openIncidents: number };
  readingsPerSecond: () => number;
  /** the telemetry frame interval in force (server/frame-pacing.ts), ms */
  frameIntervalMs?: () => number;
  /** this node's id (issue 15), the `node_id` label of `ioc_node_info`; default DEFAULT_NODE_ID ('local') */
  nodeId?: string;
  /** the server's version, the `version` label of `ioc_node_info`; default package.json's */
  version?: string;
}): IocMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ioc_' });
  // the info-metric idiom: constant 1, the identity in the labels (joinable onto any series of this node)
  new Gauge({
    name: 'ioc_node_info',
    help: 'This server node: its id and version (value always 1)',
    labelNames: ['node_id', 'version'] as const,
    registers: [registry],
  }).set({ node_id: sources.nodeId ?? DEFAULT_NODE_ID, version: sources.version ?? SERVER_VERSION }, 1);
  const readings = new Counter({ name: 'ioc_readings_total', help: 'Readings by verdict', labelNames: ['verdict'] as const, registers: [registry] });
  const alerts = new Counter({
    name: 'ioc_alert_changes_total',
    help: 'Alert changes by level and change',
    labelNames: ['level', 'change'] as const,
    registers: [registry],
  });
  const commands = new Counter({
    name: 'ioc_commands_total',
    help: 'Commands by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const sceneFrames = new Counter({
    name: 'ioc_scene_frames_total',
    help: 'Scene delta frames sent',
    labelNames: ['scene'] as const,
    registers: [registry],
  });
  const ingestBatchSeconds = new Histogram({
    name: 'ioc_ingest_batch_seconds',
    help: 'Time to ingest one batch (validate, persist, fuse)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const mqttMessages = new Counter({
    name: 'ioc_mqtt_messages_total',
    help: 'MQTT messages from devices by verdict (ok, or why dropped or refused)',
    labelNames: ['verdict'] as const,
    registers: [registry],
  });
  const mqttConnectsRefused = new Counter({
    name: 'ioc_mqtt_connects_refused_total',
    help: 'MQTT connections refused: bad_credentials, throttled (source failed too often), rate_limited (CONNECT flood)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'ioc_readings_per_second',
    help: 'Accepted readings per second over the last 10 s',
    registers: [registry],
    collect() {
      this.set(sources.readingsPerSecond());
    },
  });
  new Gauge({
    name: 'ioc_connected_clients',
    help: 'Connected Socket.IO clients by namespace',
    labelNames: ['namespace'] as const,
    registers: [registry],
    collect() {
      const c = sources.connectedClients();
      this.set({ namespace: 'live' }, c.live);
      this.set({ namespace: 'device' }, c.device);
    },
  });
  new Gauge({
    name: 'ioc_fusion',
    help: 'Fused state sizes',
    labelNames: ['what'] as const,
    registers: [registry],
    collect() {
      const s = sources.fusionStats();
      this.set({ what: 'devices' }, s.devices);
      this.set({ what: 'devices_online' }, s.online);
      this.set({ what: 'open_alerts' }, s.openAlerts);
      this.set({ what: 'open_incidents' }, s.openIncidents);
    },
  });
  if (sources.frameIntervalMs) {
    const frameIntervalMs = sources.frameIntervalMs;
    new Gauge({
      name: 'ioc_scene_frame_interval_seconds',
      help: 'Telemetry frames per scene at most once per this many seconds (IOC_COALESCE_MS, more while paced under a heavy fan-out)',
      registers: [registry],
      collect() {
        this.set(frameIntervalMs() / 1000);
      },
    });
  }
  const lag = monitorEventLoopDelayHistogram();
  new Gauge({
    name: 'ioc_event_loop_lag_p99_seconds',
    help: 'Event-loop delay p99 since the last scrape',
    registers: [registry],
    collect() {
      this.set(lag.percentile(99) / 1e9);
      lag.reset();
    },
  });
  return { registry, readings, alerts, commands, sceneFrames, ingestBatchSeconds, mqttMessages, mqttConnectsRefused };
}

function monitorEventLoopDelayHistogram() {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return h;
}

/** Counts events in one-second slots to report a rate over a sliding window. */
export class RateMeter {
  private readonly slots: number[];
  private slotStart = 0;
  constructor(private readonly windowS: number) {
    this.slots = new Array<number>(windowS).fill(0);
  }
  add(n: number, nowMs = Date.now()): void {
    this.roll(nowMs);
    this.slots[Math.floor(nowMs / 1000) % this.windowS]! += n;
  }
  perSecond(nowMs = Date.now()): number {
    this.roll(nowMs);
    const current = Math.floor(nowMs / 1000) % this.windowS;
    // exclude the slot still filling
    return this.slots.reduce((a, b, i) => (i === current ? a : a + b), 0) / (this.windowS - 1);
  }
  private roll(nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    if (this.slotStart === 0) this.slotStart = sec;
    while (this.slotStart < sec) {
      this.slotStart++;
      this.slots[this.slotStart % this.windowS] = 0;
    }
  }
}
