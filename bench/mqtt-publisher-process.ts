/**
 * MQTT devices in one process: one `mqtt` client connection per device, as real sensors hold
 * them. Used by the MQTT benchmark (bench/mqtt-bench.ts) for:
 * - load: open-loop QoS 1 publishes of one reading each to `ioc/v1/{deviceId}/telemetry`, spread
 *   round-robin over the load devices, at a target rate;
 * - telemetry probes: the first reading of a device never sent before (offline → online on the
 *   screens), sent on its own connection opened ahead of time; the screens record the change;
 * - connections: many connections opened at a bounded rate and held, disconnects counted;
 * - commands: devices subscribed to `ioc/v1/{deviceId}/commands` answer every command at once
 *   with `{commandId, status: 'ok'}` on `…/commands/ack`.
 * Reading `ts` is `Date.now()` just before the publish (the same clock as the screens).
 * Auth `connection`: username = device id, password = its demo token (the embedded broker).
 * Auth `payload`: no credentials on the connection, `deviceId` and `token` in each reading (an
 * external broker that lets anyone connect; the server verifies the token it carries).
 */
import { connect, type MqttClient } from 'mqtt';
import { generateFleet } from '../scenes/fleet';
import type { Device } from '../scenes/domain';
import { deviceToken, DEV_DEVICE_SECRET } from '../server/device-token';
import { safeMetrics } from './bench-readings';
import { childOptions, serveRpc } from './child-rpc';
import { percentile } from './stats';

export interface MqttPublisherOptions {
  /** mqtt://127.0.0.1:<port> */
  url: string;
  auth: 'connection' | 'payload';
  fleetCount: number;
  fleetSeed: number;
  /** fleet indices [from, to) carry the load */
  loadFrom: number;
  loadTo: number;
  /** telemetry probe devices (connected ahead, each sends one reading) */
  probeDeviceIds: string[];
  /** devices that answer commands (subscribed to their `commands` topic) */
  commandDeviceIds: string[];
  /** new connections per second at most while connecting */
  connectRatePerS: number;
  /** CONNECTs awaiting their CONNACK at most */
  connectConcurrency: number;
  keepaliveS: number;
  /** publishes awaiting a PUBACK per connection; a due reading beyond that is not sent (counted) */
  maxInflightPerConnection: number;
}

export interface MqttRunParams {
  ratePerS: number;
  durationMs: number;
  probesPerS: number;
}

export interface MqttRunResult {
  elapsedMs: number;
  offered: number;
  sent: number;
  /** PUBACKs received (by the broker the devices talk to) */
  acked: number;
  /** due readings not sent because the connection had too many awaiting a PUBACK */
  skipped: number;
  errors: number;
  pubackP50Ms: number | null;
  pubackP99Ms: number | null;
  probeSent: [string, number][];
  firstError: string | null;
  /** connections of this process that dropped since they connected (the bench never reconnects) */
  disconnects: number;
}

export interface MqttConnectResult {
  connected: number;
  failed: number;
  errors: string[];
  ms: number;
}

const TICK_MS = 10;
const CONNECT_TICK_MS = 20;
const CONNECT_TIMEOUT_MS = 30_000;

const opts = childOptions<MqttPublisherOptions>();
const fleet: Device[] = generateFleet({ count: opts.fleetCount, seed: opts.fleetSeed });
const byId = new Map(fleet.map((d) => [d.id, d]));

interface Link {
  device: Device;
  client?: MqttClient;
  /** the prefix of every payload, completed with `seq` and `ts` */
  prefix: string;
  seq: number;
  inflight: number;
}

function prefixOf(d: Device): string {
  const metrics = JSON.stringify(safeMetrics(d.kind));
  if (opts.auth === 'connection') return `{"metrics":${metrics},"seq":`;
  const token = deviceToken(DEV_DEVICE_SECRET, d.id);
  return `{"deviceId":${JSON.stringify(d.id)},"token":${JSON.stringify(token)},"metrics":${metrics},"seq":`;
}
const linkOf = (d: Device): Link => ({ device: d, prefix: prefixOf(d), seq: 0, inflight: 0 });
const loadLinks: Link[] = fleet.slice(opts.loadFrom, opts.loadTo).map(linkOf);
const probeLinks: Link[] = opts.probeDeviceIds.map((id) => linkOf(byId.get(id)!));
const commandIds = new Set(opts.commandDeviceIds);
const commandLinks: Link[] = opts.commandDeviceIds.filter((id) => !loadLinks.some((l) => l.device.id === id)).map((id) => linkOf(byId.get(id)!));
const allLinks = [...loadLinks, ...probeLinks, ...commandLinks];
let cursor = 0;
let probeCursor = 0;
let closing = false;
let disconnects = 0;
let commandsAnswered = 0;

function openLink(l: Link): Promise<void> {
  const id = l.device.id;
  const client = connect(opts.url, {
    clientId: `bench-${id}`,
    ...(opts.auth === 'connection' ? { username: id, password: deviceToken(DEV_DEVICE_SECRET, id) } : {}),
    protocolVersion: 4,
    keepalive: opts.keepaliveS,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    clean: true,
  });
  l.client = client;
  return new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      client.on('close', () => {
        if (!closing) disconnects++;
      });
      if (!commandIds.has(id)) return resolve();
      client.on('message', (topic, payload) => {
        const cmd = JSON.parse(payload.toString()) as { commandId: string };
        commandsAnswered++;
        const ack = { commandId: cmd.commandId, status: 'ok', ...(opts.auth === 'payload' ? { token: deviceToken(DEV_DEVICE_SECRET, id) } : {}) };
        client.publish(`${topic}/ack`, JSON.stringify(ack), { qos: 1 });
      });
      client.subscribe(`ioc/v1/${id}/commands`, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
    client.on('error', (err) => {
      if (client.connected) return; // a later error ends in 'close', counted there
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

async function connectAll(): Promise<MqttConnectResult> {
  const t0 = performance.now();
  let failed = 0;
  let next = 0;
  let pending = 0;
  const errors = new Set<string>();
  const settled: Promise<void>[] = [];
  while (next < allLinks.length) {
    const due = Math.min(allLinks.length, Math.floor(((performance.now() - t0) / 1000) * opts.connectRatePerS) + 1);
    while (next < due && pending < opts.connectConcurrency) {
      pending++;
      settled.push(
        openLink(allLinks[next++]!)
          .catch((e: unknown) => {
            failed++;
            errors.add(String((e as Error)?.message ?? e));
          })
          .finally(() => pending--),
      );
    }
    await new Promise((r) => setTimeout(r, CONNECT_TICK_MS));
  }
  await Promise.all(settled);
  return { connected: allLinks.length - failed, failed, errors: [...errors].slice(0, 5), ms: performance.now() - t0 };
}

function publish(l: Link, r: MqttRunResult, pubackMs: number[], noteError: (e: unknown) => void): boolean {
  if (!l.client?.connected || l.inflight >= opts.maxInflightPerConnection) return false;
  const ts = Date.now();
  const t0 = performance.now();
  l.inflight++;
  l.client.publish(`ioc/v1/${l.device.id}/telemetry`, `${l.prefix}${++l.seq},"ts":${ts}}`, { qos: 1 }, (err) => {
    l.inflight--;
    if (err) return noteError(err);
    r.acked++;
    pubackMs.push(performance.now() - t0);
  });
  return true;
}

async function run(p: MqttRunParams): Promise<MqttRunResult> {
  const r: MqttRunResult = {
    elapsedMs: 0,
    offered: 0,
    sent: 0,
    acked: 0,
    skipped: 0,
    errors: 0,
    pubackP50Ms: null,
    pubackP99Ms: null,
    probeSent: [],
    firstError: null,
    disconnects: 0,
  };
  const pubackMs: number[] = [];
  const noteError = (e: unknown) => {
    r.errors++;
    r.firstError ??= String((e as Error)?.message ?? e);
  };
  const due = (perS: number, ms: number) => Math.floor((perS * ms) / 1000);
  const t0 = performance.now();
  let probes = 0;
  while (performance.now() - t0 < p.durationMs) {
    const elapsed = performance.now() - t0;
    for (const target = due(p.ratePerS, elapsed); r.offered < target && loadLinks.length; r.offered++) {
      const l = loadLinks[cursor]!;
      cursor = (cursor + 1) % loadLinks.length;
      if (publish(l, r, pubackMs, noteError)) r.sent++;
      else r.skipped++;
    }
    for (; probes < due(p.probesPerS, elapsed); probes++) {
      const l = probeLinks[probeCursor++];
      if (!l) continue;
      if (publish(l, r, pubackMs, noteError)) r.probeSent.push([l.device.id, Date.now()]);
    }
    await new Promise((res) => setTimeout(res, TICK_MS));
  }
  // PUBACKs of the last ticks (bounded: a broker that stopped answering does not hang the run)
  const drainUntil = performance.now() + 5_000;
  while (r.acked + r.errors < r.sent && performance.now() < drainUntil) await new Promise((res) => setTimeout(res, TICK_MS));
  r.elapsedMs = performance.now() - t0;
  r.pubackP50Ms = percentile(pubackMs, 50);
  r.pubackP99Ms = percentile(pubackMs, 99);
  r.disconnects = disconnects;
  if (disconnects) r.firstError ??= `${disconnects} device connections dropped`;
  return r;
}

const rpc = serveRpc(
  {
    connect: () => connectAll(),
    /** one reading from every load device, so later windows see no offline → online flood */
    warmup: async () => {
      const ratePerS = 2000;
      const r = await run({ ratePerS, durationMs: (loadLinks.length / ratePerS) * 1000 + 500, probesPerS: 0 });
      return { acked: r.acked, ms: r.elapsedMs };
    },
    run: (p: MqttRunParams) => run(p),
    stats: () => ({
      links: allLinks.length,
      connected: allLinks.filter((l) => l.client?.connected).length,
      disconnects,
      commandsAnswered,
      remainingProbes: probeLinks.length - probeCursor,
    }),
  },
  async () => {
    closing = true;
    await Promise.all(allLinks.map((l) => new Promise<void>((res) => (l.client ? l.client.end(true, {}, () => res()) : res()))));
  },
);
rpc.ready({ pid: process.pid, links: allLinks.length });
