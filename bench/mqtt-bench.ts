/**
 * The MQTT parts of `npm run bench` (issue 13, "Measure"), driven by bench/run.ts:
 * - `mqtt`: the ingest ceiling (readings/s with device→screen p99 < 250 ms and ≥ 95 % of the
 *   offered readings ingested, 100 screens) of (a) the embedded broker, (b) the server as a client
 *   of a throwaway Mosquitto (when the server has IOC_MQTT_URL), (c) the peer: a bare `mqtt`
 *   subscriber on that Mosquitto, and (d) today's HTTP ingest on the same server and number of
 *   devices as (a), in batches of 1,000 and with one reading per POST (the like-for-like unit of
 *   one MQTT message); then the command round trip at 80 % of (a)'s ceiling;
 * - `mqtt-connections`: N device connections held on one server (embedded broker).
 * Every ceiling comes from the same search: open-loop steps up from a start rate by a factor until
 * one fails, then one step between the last pass and the failure (bench/mqtt-search.ts).
 */
import type { BenchChild } from './child-rpc';
import type { BenchProfile } from './bench-config';
import type { ClientSwarmOptions, SwarmReport } from './client-swarm-process';
import type { IngestProcessOptions, IngestRunParams, IngestRunResult } from './ingest-process';
import type { ServerProcessOptions } from './server-process';
import type { MqttConnectResult, MqttPublisherOptions, MqttRunResult } from './mqtt-publisher-process';
import type { MqttPeerReport } from './mqtt-peer-process';
import { startMosquitto, type BenchMosquitto } from './mosquitto';
import { runCommandRoundTrips } from './mqtt-command';
import { MQTT_FULL, MQTT_QUICK, searchCeiling, type MqttProfile, type SearchResult, type StepOutcome } from './mqtt-search';
import { generateFleet } from '../scenes/fleet';
import type { Device } from '../scenes/domain';
import { loadConfig, type ServerConfig } from '../server/config';
import { probeLatencies, ratio, round, summarizeLatency } from './stats';

export interface MqttBenchRow {
  figure: string;
  value: number | null | string;
  unit: string;
  peer: string;
  peerValue: number | null | string;
  ratio: number | null;
  goal: string;
}
interface ServerInfo {
  port: number;
  url: string;
  mqttPort?: number | null;
}
interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  ingestTotals: { accepted: number };
  loop?: { idle: number; active: number };
  loopDelayP99Ms?: number;
  loopDelayMaxMs?: number;
}

/** Share of the window the server's main thread was busy (event-loop utilisation), %: 100 = saturated whatever its CPU % says. */
function loopBusy(before: ServerStats, after: ServerStats): number | null {
  if (!before.loop || !after.loop) return null;
  const active = after.loop.active - before.loop.active;
  const idle = after.loop.idle - before.loop.idle;
  return active + idle > 0 ? round((active / (active + idle)) * 100, 0) : null;
}

/** What bench/run.ts lends the MQTT parts (its own helpers, so the processes are tracked and cleaned up alike). */
export interface MqttBenchContext {
  quick: boolean;
  P: BenchProfile;
  store: 'redis' | 'memory';
  spawn<I = unknown>(name: string, script: string, options: unknown, nodeFlags?: string[], profile?: boolean): Promise<BenchChild<I>>;
  startServer(name: string, o: Omit<ServerProcessOptions, 'redisUrl' | 'redisPrefix'>): Promise<BenchChild<ServerInfo>>;
  startSwarms(name: string, total: number, processes: number, base: Omit<ClientSwarmOptions, 'count' | 'maxDeltaSizeSamples'>): Promise<BenchChild[]>;
  swarmReports(list: BenchChild[]): Promise<SwarmReport>;
  resetSwarms(list: BenchChild[]): Promise<void>;
  cpuWindow(list: BenchChild[]): Promise<() => Promise<Record<string, number | null>>>;
  login(url: string, username: string): Promise<string>;
  stopAll(list: BenchChild[]): Promise<void>;
  set(key: string, value: unknown, reason?: string): void;
  rows: MqttBenchRow[];
  cpuByPhase: Record<string, Record<string, number | null>>;
  log(msg: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Development only: IOC_BENCH_MQTT_CONTENDERS=external,peer measures just those contenders
 * (embedded, http, http-single, external, peer; the command round trip runs with embedded). A result file from
 * such a run lacks the others' figures and ratios: do not quote it as a full run.
 */
const CONTENDERS = new Set((process.env.IOC_BENCH_MQTT_CONTENDERS ?? 'embedded,http,http-single,external,peer').split(',').map((s) => s.trim()));
const SKIPPED: SearchResult = { ceiling: null, best: undefined, steps: [], capped: false };
/** after the warm-up readings, time for the server to work off what it queued, ms */
const WARMUP_SETTLE_MS = 3_000;

/**
 * Config overrides that lift every per-source connection limit of the server: all the benchmark's
 * devices connect from 127.0.0.1. Any numeric `mqtt…Connect…` rate/burst setting is raised too,
 * whatever its name lands as.
 */
export function raisedConnectLimits(): Partial<ServerConfig> {
  const base = loadConfig({ NODE_ENV: 'test' }) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { unauthConnectionsPerSource: 1_000_000 };
  for (const [k, v] of Object.entries(base)) if (typeof v === 'number' && /^mqtt.*connect/i.test(k) && /(PerS|Rate|Burst)/.test(k)) out[k] = 1e9;
  return out as Partial<ServerConfig>;
}

/**
 * What every MQTT bench server is configured with. Only the load and probe devices of the fleet
 * send; the other ~18,000 never do, and one offline grace after start the silence check takes them
 * offline: an offline alert each, ≈ 50 KB of alerts in every screen frame for the seconds it lasts
 * (run 0647: the screens then received 47–64 MB/s instead of ≈ 1 MB/s, the server's loop stayed at
 * 100 % and every step and the command round trip after it failed on that, not on the MQTT load).
 * (The demo fleet starts with a state for every device, so the grace does not hold them: the
 * offline sweep itself is put past the run's end.) The bench measures ingest, not a fleet going dark.
 * Development only: IOC_BENCH_MQTT_BATCH_WINDOW_MS overrides the servers' MQTT batch window (config.mqttBatchWindowMs).
 */
function mqttServerConfig(): Partial<ServerConfig> {
  const v = process.env.IOC_BENCH_MQTT_BATCH_WINDOW_MS;
  return { offlineCheckIntervalMs: NO_OFFLINE_SWEEP_MS, ...(v === undefined ? {} : { mqttBatchWindowMs: Number(v) }) };
}
/** longer than any MQTT bench run, ms */
const NO_OFFLINE_SWEEP_MS = 6 * 3_600_000;

/**
 * Development only: IOC_BENCH_MQTT_COMMAND_LOAD=N skips the embedded ceiling search and runs the
 * command round trip under N readings/s of background load (not N × commandLoadFraction).
 */
function commandLoadOverride(): number | null {
  const v = process.env.IOC_BENCH_MQTT_COMMAND_LOAD;
  return v === undefined || !(Number(v) > 0) ? null : Number(v);
}

/** Whether this server can be a client of an external broker (IOC_MQTT_URL, issue 13). */
function externalBrokerSupported(): boolean {
  try {
    const c = loadConfig({ NODE_ENV: 'test', IOC_MQTT_URL: 'mqtt://127.0.0.1:1' }) as unknown as Record<string, unknown>;
    return Object.entries(c).some(([k, v]) => /^mqtt.*url$/i.test(k) && typeof v === 'string' && v.startsWith('mqtt://'));
  } catch {
    return false;
  }
}

/** Load publishers of the fleet's first `loadDevices` devices, split over `n` processes, probes and command devices by range. */
async function startPublishers(
  ctx: MqttBenchContext,
  M: MqttProfile,
  name: string,
  url: string,
  auth: MqttPublisherOptions['auth'],
  probeIds: string[],
  commandIds: string[],
  fleet: Device[],
): Promise<BenchChild[]> {
  const n = M.publishers;
  const per = Math.ceil(M.loadDevices / n);
  const from = M.loadFrom;
  const index = new Map(fleet.map((d, i) => [d.id, i]));
  const list = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      ctx.spawn(`${name}-${i + 1}`, 'mqtt-publisher-process.ts', {
        url,
        auth,
        fleetCount: M.fleetCount,
        fleetSeed: ctx.P.fleetSeed,
        loadFrom: from + i * per,
        loadTo: from + Math.min(M.loadDevices, (i + 1) * per),
        probeDeviceIds: probeIds.filter((_, k) => k % n === i),
        commandDeviceIds: commandIds.filter((id) => Math.floor((index.get(id)! - from) / per) === i),
        connectRatePerS: M.connectRatePerS,
        connectConcurrency: M.connectConcurrency,
        keepaliveS: M.keepaliveS,
        maxInflightPerConnection: M.maxInflightPerConnection,
      } satisfies MqttPublisherOptions),
    ),
  );
  const connected = await Promise.all(list.map((p) => p.call<MqttConnectResult>('connect', undefined, 600_000)));
  const failed = connected.reduce((a, c) => a + c.failed, 0);
  if (failed) throw new Error(`${name}: ${failed} device connections failed: ${connected.flatMap((c) => c.errors).join('; ')}`);
  const warm = await Promise.all(list.map((p) => p.call<{ acked: number }>('warmup', undefined, 300_000)));
  ctx.log(`${name}: ${connected.reduce((a, c) => a + c.connected, 0)} connections, warm-up ${warm.reduce((a, w) => a + w.acked, 0)} PUBACKs`);
  await sleep(WARMUP_SETTLE_MS);
  return list;
}

/** The overview screens of a City IOC rig (M.screens over 2 processes), watching for the probe devices. */
async function startScreens(ctx: MqttBenchContext, M: MqttProfile, name: string, url: string, probeDeviceIds: string[]): Promise<BenchChild[]> {
  const token = await ctx.login(url, 'screen1');
  return ctx.startSwarms(name, M.screens, 2, {
    kind: 'ioc',
    url,
    tokens: [token],
    scenes: ['overview'],
    connectConcurrency: 25,
    reporter: false,
    probeDeviceIds,
  });
}

/** Open-loop MQTT load over all publishers for one step. */
async function driveMqtt(pubs: BenchChild[], rate: number, M: MqttProfile): Promise<MqttRunResult> {
  const rs = await Promise.all(
    pubs.map((p) =>
      p.call<MqttRunResult>(
        'run',
        { ratePerS: rate / pubs.length, durationMs: M.stepMs, probesPerS: M.probesPerS / pubs.length },
        M.stepMs + 120_000,
      ),
    ),
  );
  return {
    elapsedMs: Math.max(...rs.map((r) => r.elapsedMs)),
    offered: rs.reduce((a, r) => a + r.offered, 0),
    sent: rs.reduce((a, r) => a + r.sent, 0),
    acked: rs.reduce((a, r) => a + r.acked, 0),
    skipped: rs.reduce((a, r) => a + r.skipped, 0),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    pubackP50Ms: Math.max(...rs.map((r) => r.pubackP50Ms ?? 0)),
    pubackP99Ms: Math.max(...rs.map((r) => r.pubackP99Ms ?? 0)),
    probeSent: rs.flatMap((r) => r.probeSent),
    firstError: rs.find((r) => r.firstError)?.firstError ?? null,
    disconnects: rs.reduce((a, r) => a + r.disconnects, 0),
  };
}

interface Load {
  offered: number;
  elapsedMs: number;
  errors: number;
  firstError: string | null;
  probeSent: [string, number][];
  pubackP99Ms?: number | null;
}

/**
 * A measurement window on the server: call it to start, await the answer to end. The CPU of the
 * server and `others` (% of one core) plus the server's event-loop busy share (`server-loop`), and
 * the server's stats at both ends.
 */
async function serverWindow(
  ctx: MqttBenchContext,
  server: BenchChild<ServerInfo>,
  others: BenchChild[],
): Promise<() => Promise<{ cpu: Record<string, number | null>; before: ServerStats; after: ServerStats }>> {
  const before = await server.call<ServerStats>('stats');
  const cpuDone = await ctx.cpuWindow([server, ...others]);
  return async () => {
    const cpu = await cpuDone();
    const after = await server.call<ServerStats>('stats');
    cpu['server-loop'] = loopBusy(before, after);
    return { cpu, before, after };
  };
}

/** One step against City IOC: load, then what the server ingested and what the screens saw. */
async function iocStep(
  ctx: MqttBenchContext,
  M: MqttProfile,
  rig: { server: BenchChild<ServerInfo>; swarms: BenchChild[]; loaders: BenchChild[]; mosquitto?: BenchMosquitto },
  rate: number,
  drive: (rate: number) => Promise<Load>,
): Promise<StepOutcome> {
  await ctx.resetSwarms(rig.swarms);
  const windowDone = await serverWindow(ctx, rig.server, [...rig.loaders, ...rig.swarms]);
  const brokerCpu = brokerCpuWindow(rig.mosquitto);
  const run = await drive(rate);
  await sleep(ctx.P.settleMs);
  const { cpu, before, after } = await windowDone();
  if (rig.mosquitto) cpu.mosquitto = brokerCpu();
  const report = await ctx.swarmReports(rig.swarms);
  const latency = summarizeLatency(probeLatencies(new Map(run.probeSent), report.probeReceipts));
  const accepted = after.ingestTotals.accepted - before.ingestTotals.accepted - run.probeSent.length;
  const seenProbes = new Set(report.probeReceipts.map(([id]) => id)).size;
  const passed =
    latency.p99 !== null &&
    latency.p99 < M.latencyBudgetMs &&
    accepted >= M.minAcceptedFraction * run.offered &&
    seenProbes >= M.minAcceptedFraction * run.probeSent.length &&
    run.errors === 0;
  return {
    ratePerS: rate,
    offeredPerS: round((run.offered / M.stepMs) * 1000, 0)!,
    acceptedPerS: round((accepted / M.stepMs) * 1000, 0)!,
    latency,
    probesSeen: `${seenProbes}/${run.probeSent.length}`,
    pubackP99Ms: round(run.pubackP99Ms ?? null),
    errors: run.errors,
    firstError: run.firstError,
    cpu,
    screens: {
      kbPerS: round(report.bytes / M.stepMs, 0)!,
      framesPerS: round((report.deltas / M.stepMs) * 1000, 0)!,
      devicePutsPerS: round((report.devicePuts / M.stepMs) * 1000, 0)!,
      disconnects: report.disconnects,
    },
    passed,
  };
}

/** CPU % of one core of the throwaway broker over a window (null without one). */
function brokerCpuWindow(m: BenchMosquitto | undefined): () => number | null {
  if (!m) return () => null;
  const c0 = m.cpuMicros();
  const t0 = performance.now();
  return () => round(((m.cpuMicros() - c0) / ((performance.now() - t0) * 1000)) * 100, 0);
}

/** The peer's step: the same publishes, counted and timed by the bare subscriber. */
async function peerStep(
  ctx: MqttBenchContext,
  M: MqttProfile,
  peer: BenchChild,
  pubs: BenchChild[],
  mosq: BenchMosquitto,
  rate: number,
): Promise<StepOutcome> {
  await peer.call('resetWindow');
  const cpuDone = await ctx.cpuWindow([peer, ...pubs]);
  const brokerCpu = brokerCpuWindow(mosq);
  const run = await driveMqtt(pubs, rate, M);
  await sleep(ctx.P.settleMs);
  const cpu = await cpuDone();
  cpu.mosquitto = brokerCpu();
  const rep = await peer.call<MqttPeerReport>('report');
  const passed =
    rep.latency.p99 !== null && rep.latency.p99 < M.latencyBudgetMs && rep.received >= M.minAcceptedFraction * run.offered && run.errors === 0;
  return {
    ratePerS: rate,
    offeredPerS: round((run.offered / M.stepMs) * 1000, 0)!,
    acceptedPerS: round((rep.received / M.stepMs) * 1000, 0)!,
    latency: rep.latency,
    probesSeen: null,
    pubackP99Ms: round(run.pubackP99Ms),
    errors: run.errors,
    firstError: run.firstError,
    cpu,
    passed,
  };
}

/** readings/s per core of the processes that do the work (server, plus the broker when it is a separate process). */
function perCore(s: StepOutcome | undefined, names: string[]): number | null {
  if (!s) return null;
  const pct = names.reduce((a, n) => a + (s.cpu[n] ?? 0), 0);
  return pct > 0 ? round(s.acceptedPerS / (pct / 100), 0) : null;
}

export async function measureMqttIngest(ctx: MqttBenchContext, withCommands: boolean): Promise<void> {
  const M = { ...(ctx.quick ? MQTT_QUICK : MQTT_FULL) };
  M.loadFrom = M.loadDevices;
  const fleet = generateFleet({ count: M.fleetCount, seed: ctx.P.fleetSeed });
  const tail = fleet.slice(fleet.length - 3 * M.probesPerRig).map((d) => d.id);
  const mqttProbes = tail.slice(0, M.probesPerRig);
  // HTTP in batches, then HTTP one reading per POST: each probe device is fresh only once
  const httpProbes = tail.slice(M.probesPerRig);
  // MQTT load devices follow the HTTP ones: both run on one server, and each sender numbers its own seq from 1
  const commandIds = fleet
    .slice(M.loadFrom, M.loadFrom + M.loadDevices)
    .filter((d) => d.kind === 'pump-station')
    .slice(0, M.commandDevices)
    .map((d) => d.id);

  // (a) embedded broker and (d) HTTP ingest: one server, the same screens and load devices
  const [embedded, http, httpSingle] =
    CONTENDERS.has('embedded') || CONTENDERS.has('http') || CONTENDERS.has('http-single')
      ? await measureEmbeddedAndHttp(ctx, M, fleet, tail, mqttProbes, httpProbes, commandIds, withCommands)
      : [SKIPPED, SKIPPED, SKIPPED];

  // (b) the server as a client of a throwaway Mosquitto, and (c) the bare subscriber on it
  const mosq = await startMosquitto();
  let external: Awaited<ReturnType<typeof searchCeiling>> | null = null;
  let peer: Awaited<ReturnType<typeof searchCeiling>> | null = null;
  const externalNote = externalBrokerSupported() ? null : 'the server has no IOC_MQTT_URL yet (external-broker mode not landed)';
  if (!mosq) {
    ctx.set('mqtt_peer_readings_per_s', null, 'mosquitto not installed (Debian package `mosquitto`)');
  } else {
    try {
      if (!externalNote && CONTENDERS.has('external')) external = await measureExternal(ctx, M, mosq, fleet, mqttProbes);
      if (CONTENDERS.has('peer')) {
        const extPubs = await startPublishers(ctx, M, 'mqtt-peer-devices', mosq.url, 'payload', [], [], fleet);
        const sub = await ctx.spawn('mqtt-peer', 'mqtt-peer-process.ts', { url: mosq.url, topic: 'ioc/v1/+/telemetry' });
        peer = await searchCeiling(
          'mqtt/peer',
          M,
          ctx.log,
          (rate) => peerStep(ctx, M, sub, extPubs, mosq, rate),
          () => recovered(ctx, 'mqtt/peer', () => waitForQuietPeer(sub)),
        );
        await ctx.stopAll([sub, ...extPubs]);
      }
    } finally {
      await mosq.stop();
    }
  }

  const embeddedPerCore = perCore(embedded.best, ['server-mqtt']);
  const httpPerCore = perCore(http.best, ['server-mqtt']);
  const httpSinglePerCore = perCore(httpSingle.best, ['server-mqtt']);
  ctx.set('mqtt_embedded_readings_per_s', embedded.ceiling, 'no step passed through the embedded broker');
  ctx.set('mqtt_embedded_steps', embedded.steps);
  ctx.set(
    'mqtt_external_readings_per_s',
    external?.ceiling ?? null,
    externalNote ?? (mosq ? 'no step passed through Mosquitto' : 'mosquitto not installed'),
  );
  ctx.set('mqtt_external_steps', external?.steps ?? null);
  ctx.set('mqtt_peer_readings_per_s', peer?.ceiling ?? null, mosq ? 'no step passed for the bare subscriber' : 'mosquitto not installed');
  ctx.set('mqtt_peer_steps', peer?.steps ?? null);
  // a peer that passed every step has no ceiling found: the ratios against it are upper bounds
  ctx.set('mqtt_peer_ceiling_is_lower_bound', peer?.capped ?? null);
  ctx.set('mqtt_http_readings_per_s', http.ceiling, 'no HTTP step passed');
  ctx.set('mqtt_http_steps', http.steps);
  ctx.set('mqtt_http_single_readings_per_s', httpSingle.ceiling, 'no step passed for HTTP with one reading per POST');
  ctx.set('mqtt_http_single_steps', httpSingle.steps);
  ctx.set('mqtt_embedded_per_core', embeddedPerCore);
  ctx.set('mqtt_external_per_core', perCore(external?.best, ['server-mqtt-external', 'mosquitto']));
  ctx.set('mqtt_peer_per_core', perCore(peer?.best, ['mqtt-peer', 'mosquitto']));
  ctx.set('mqtt_http_per_core', httpPerCore);
  ctx.set('mqtt_http_single_per_core', httpSinglePerCore);
  ctx.set('mqtt_embedded_vs_peer', ratio(embedded.ceiling, peer?.ceiling));
  ctx.set('mqtt_external_vs_peer', ratio(external?.ceiling, peer?.ceiling));
  ctx.set('mqtt_embedded_vs_http_per_core', ratio(embeddedPerCore, httpPerCore));
  ctx.set('mqtt_embedded_vs_http_single_per_core', ratio(embeddedPerCore, httpSinglePerCore));
  ctx.set('mqtt_profile', M);
  for (const [k, s] of [
    ['embedded', embedded.best],
    ['http', http.best],
    ['http_single', httpSingle.best],
    ['external', external?.best],
    ['peer', peer?.best],
  ] as const)
    if (s) ctx.cpuByPhase[`mqtt_ceiling_${k}`] = s.cpu;
  const fmtRatio = `${M.loadDevices.toLocaleString('en-US')} devices, QoS 1, 1 reading/message`;
  const peerLabel = `bare mqtt subscriber on Mosquitto${peer?.capped ? ' (passed every step: at least)' : ''}`;
  ctx.rows.push(
    {
      figure: `MQTT ingest ceiling, embedded (${fmtRatio})`,
      value: embedded.ceiling,
      unit: 'readings/s',
      peer: peerLabel,
      peerValue: peer?.ceiling ?? null,
      ratio: ratio(embedded.ceiling, peer?.ceiling),
      goal: '≥ 0.7×',
    },
    {
      figure: 'MQTT ingest ceiling, via Mosquitto',
      value: external?.ceiling ?? null,
      unit: 'readings/s',
      peer: peerLabel,
      peerValue: peer?.ceiling ?? null,
      ratio: ratio(external?.ceiling, peer?.ceiling),
      goal: '≥ 0.7×',
    },
    {
      figure: 'MQTT (embedded) ingest per server core',
      value: embeddedPerCore,
      unit: 'readings/s/core',
      peer: 'HTTP ingest per core (1,000/batch)',
      peerValue: httpPerCore,
      ratio: ratio(embeddedPerCore, httpPerCore),
      goal: '≥ 1×',
    },
    {
      figure: 'MQTT (embedded) ingest per server core, like for like',
      value: embeddedPerCore,
      unit: 'readings/s/core',
      peer: 'HTTP ingest per core (1 reading/POST)',
      peerValue: httpSinglePerCore,
      ratio: ratio(embeddedPerCore, httpSinglePerCore),
      goal: '≥ 1×',
    },
    {
      figure: 'MQTT (embedded) ingest ceiling',
      value: embedded.ceiling,
      unit: 'readings/s',
      peer: 'HTTP ingest, same server/devices',
      peerValue: http.ceiling,
      ratio: ratio(embedded.ceiling, http.ceiling),
      goal: '—',
    },
  );
  ctx.log(
    `mqtt: embedded ${embedded.ceiling}/s, external ${external?.ceiling ?? externalNote}/s, peer ${peer?.ceiling}/s, HTTP ${http.ceiling}/s (1/POST: ${httpSingle.ceiling}/s); per core ${embeddedPerCore} vs HTTP ${httpPerCore} (1/POST: ${httpSinglePerCore})`,
  );
}

/** (a) the embedded broker and (d) HTTP ingest on one server with the same screens and load devices. */
async function measureEmbeddedAndHttp(
  ctx: MqttBenchContext,
  M: MqttProfile,
  fleet: Device[],
  tail: string[],
  mqttProbes: string[],
  httpProbes: string[],
  commandIds: string[],
  withCommands: boolean,
): Promise<[SearchResult, SearchResult, SearchResult]> {
  const server = await ctx.startServer('server-mqtt', {
    store: ctx.store,
    devices: M.fleetCount,
    coalesceIntervalMs: ctx.P.ingest.coalesceIntervalMs,
    config: { mqttPort: 0, mqttPortExplicit: true, ...raisedConnectLimits(), ...mqttServerConfig() },
  });
  const mqttUrl = `mqtt://127.0.0.1:${server.info.mqttPort}`;
  if (!server.info.mqttPort) throw new Error('the bench server started without its embedded MQTT broker');
  const swarms = await startScreens(ctx, M, 'screens-mqtt', server.info.url, tail);
  let embedded = SKIPPED;
  if (CONTENDERS.has('embedded')) {
    const pubs = await startPublishers(ctx, M, 'mqtt-devices', mqttUrl, 'connection', mqttProbes, commandIds, fleet);
    await sleep(ctx.P.settleMs * 2);
    const fixedCommandLoad = commandLoadOverride();
    if (fixedCommandLoad === null)
      embedded = await searchCeiling(
        'mqtt/embedded',
        M,
        ctx.log,
        (rate) => iocStep(ctx, M, { server, swarms, loaders: pubs }, rate, (r) => driveMqtt(pubs, r, M)),
        () => recovered(ctx, 'mqtt/embedded', () => waitForQuietServer(ctx, server, [...swarms, ...pubs])),
      );
    if (withCommands)
      await measureCommands(
        ctx,
        M,
        server,
        pubs,
        swarms,
        commandIds,
        fixedCommandLoad ?? Math.round((embedded.ceiling ?? M.startRatePerS) * M.commandLoadFraction),
      );
    await ctx.stopAll(pubs);
  }
  const half = Math.floor(httpProbes.length / 2);
  const http = CONTENDERS.has('http')
    ? await httpCeiling(ctx, M, 'http-peer', { server, swarms }, httpProbes.slice(0, half), ctx.P.ingest.batchSize, ctx.P.ingest.maxInFlight)
    : SKIPPED;
  // what a device that posts each reading as it takes it costs (the same unit of work as one MQTT
  // message); devices after the MQTT ones (fresh seq)
  const httpSingle = CONTENDERS.has('http-single')
    ? await httpCeiling(ctx, M, 'http-single', { server, swarms }, httpProbes.slice(half), 1, HTTP_SINGLE_IN_FLIGHT, 2 * M.loadDevices)
    : SKIPPED;
  await ctx.stopAll([...swarms, server]);
  return [embedded, http, httpSingle];
}

/** POSTs in flight of the one-reading-per-POST contender: enough keep-alive sockets that latency does not cap its rate. */
const HTTP_SINGLE_IN_FLIGHT = 64;

/** The ingest ceiling of HTTP devices posting `batchSize` readings per request to the rig's server. */
async function httpCeiling(
  ctx: MqttBenchContext,
  M: MqttProfile,
  name: string,
  rig: { server: BenchChild<ServerInfo>; swarms: BenchChild[] },
  probeDeviceIds: string[],
  batchSize: number,
  maxInFlight: number,
  loadFrom = 0,
): Promise<SearchResult> {
  const ingest = await ctx.spawn(`ingest-${name}`, 'ingest-process.ts', {
    url: rig.server.info.url,
    fleetCount: M.fleetCount,
    fleetSeed: ctx.P.fleetSeed,
    loadDevices: M.loadDevices,
    loadFrom,
    probeDeviceIds,
    alarmDeviceIds: [],
    batchSize,
    maxInFlight,
  } satisfies IngestProcessOptions);
  try {
    return await searchCeiling(
      `mqtt/${name}`,
      M,
      ctx.log,
      (rate) =>
        iocStep(ctx, M, { ...rig, loaders: [ingest] }, rate, async (r) => {
          const run = await ingest.call<IngestRunResult>(
            'run',
            { mode: 'rate', ratePerS: r, durationMs: M.stepMs, probesPerS: M.probesPerS } satisfies IngestRunParams,
            M.stepMs + 120_000,
          );
          return {
            offered: run.offered,
            elapsedMs: run.elapsedMs,
            errors: run.httpErrors,
            firstError: run.firstError,
            probeSent: run.probeSent,
            pubackP99Ms: run.batchP99Ms,
          };
        }),
      () => recovered(ctx, `mqtt/${name}`, () => waitForQuietServer(ctx, rig.server, [...rig.swarms, ingest])),
    );
  } finally {
    await ctx.stopAll([ingest]);
  }
}

async function measureExternal(ctx: MqttBenchContext, M: MqttProfile, mosq: BenchMosquitto, fleet: Device[], probes: string[]) {
  const server = await ctx.startServer('server-mqtt-external', {
    store: ctx.store,
    devices: M.fleetCount,
    coalesceIntervalMs: ctx.P.ingest.coalesceIntervalMs,
    env: { IOC_MQTT_URL: mosq.url },
    config: mqttServerConfig(),
  });
  const swarms = await startScreens(ctx, M, 'screens-mqtt-external', server.info.url, probes);
  const pubs = await startPublishers(ctx, M, 'mqtt-ext-devices', mosq.url, 'payload', probes, [], fleet);
  try {
    await sleep(ctx.P.settleMs * 2);
    return await searchCeiling(
      'mqtt/external',
      M,
      ctx.log,
      (rate) => iocStep(ctx, M, { server, swarms, loaders: pubs, mosquitto: mosq }, rate, (r) => driveMqtt(pubs, r, M)),
      () => recovered(ctx, 'mqtt/external', () => waitForQuietServer(ctx, server, [...swarms, ...pubs])),
    );
  } finally {
    await ctx.stopAll([...pubs, ...swarms, server]);
  }
}

/** the load runs this long before the first command (connections busy, JIT warm), ms */
const COMMAND_WARMUP_MS = 3_000;
/** the server counts as quiet when its event loop was busy, and each other process of its rig used a core, less than this share of a 1 s window */
const QUIET_SHARE = 0.2;
const QUIET_MAX_WAIT_MS = 30_000;

/**
 * Waits (no load offered) until the server's event loop is mostly idle for a second AND the rig's
 * other processes (the screens above all: after an overload they decode the frames queued to them
 * for seconds after the server went idle, and every probe waits behind that) each used less than the
 * same share of a core; the ms it took and the last figures seen.
 */
async function waitForQuietServer(ctx: MqttBenchContext, server: BenchChild<ServerInfo>, others: BenchChild[]): Promise<Quiet> {
  const t0 = Date.now();
  let last = 'nothing measured';
  // the rig's processes and its throwaway Redis (cpuWindow's `redis`), not the machine or the server itself
  const names = new Set([...others.map((c) => c.name), 'redis']);
  while (Date.now() - t0 < QUIET_MAX_WAIT_MS) {
    const windowDone = await serverWindow(ctx, server, others);
    await sleep(1_000);
    const { cpu } = await windowDone();
    const busy = cpu['server-loop'] ?? null;
    let busiest: [string, number] = ['-', 0];
    for (const [k, v] of Object.entries(cpu)) if (names.has(k) && (v ?? 0) > busiest[1]) busiest = [k, v ?? 0];
    last = `loop ${busy ?? '?'} % busy, busiest other ${busiest[0]} ${busiest[1]} %`;
    if ((busy === null || busy < QUIET_SHARE * 100) && busiest[1] < QUIET_SHARE * 100) break;
  }
  return { ms: Date.now() - t0, last };
}

/** Waits (no load offered) until the bare subscriber has received nothing more for a second: Mosquitto's queue to it is drained. */
async function waitForQuietPeer(peer: BenchChild): Promise<Quiet> {
  const t0 = Date.now();
  let before = (await peer.call<MqttPeerReport>('report')).received;
  let grew = 0;
  while (Date.now() - t0 < QUIET_MAX_WAIT_MS) {
    await sleep(1_000);
    const after = (await peer.call<MqttPeerReport>('report')).received;
    grew = after - before;
    if (grew === 0) break;
    before = after;
  }
  return { ms: Date.now() - t0, last: `${grew} messages in the last second` };
}

/** how long a contender took to go quiet, and the last figure seen */
interface Quiet {
  ms: number;
  last: string;
}

/** A search's recovery after a failing step: waits for the contender and logs how long that took. */
async function recovered(ctx: MqttBenchContext, label: string, wait: () => Promise<Quiet>): Promise<void> {
  const q = await wait();
  ctx.log(`${label}: ${q.ms >= QUIET_MAX_WAIT_MS ? 'gave up waiting for quiet' : 'quiet again'} after ${q.ms} ms (${q.last})`);
}

/**
 * Development only: IOC_BENCH_MQTT_WINDOW_PROFILE_DIR=/tmp/x writes the server's CPU profile
 * (`npx tsx bench/profile-summary.ts`) and allocation sample (`npx tsx bench/alloc-summary.ts`) of
 * the command window there: a steady load, away from the start and from overloaded search steps.
 */
const WINDOW_PROFILE_DIR = process.env.IOC_BENCH_MQTT_WINDOW_PROFILE_DIR ?? '';

function startWindowProfiles(server: BenchChild<ServerInfo>): () => Promise<string[]> {
  const started = Promise.all([server.call('cpuProfileStart'), server.call('allocationSampleStart')]);
  return async () => {
    await started;
    const stamp = Date.now();
    return Promise.all([
      server.call<string>('cpuProfileStop', `${WINDOW_PROFILE_DIR}/mqtt-command-${stamp}.cpuprofile`, 60_000),
      server.call<string>('allocationSampleStop', `${WINDOW_PROFILE_DIR}/mqtt-command-${stamp}.heapprofile`, 60_000),
    ]);
  };
}

/** Command round trip under `rate` readings/s of background load (a fraction of the embedded ceiling), on the embedded rig. */
async function measureCommands(
  ctx: MqttBenchContext,
  M: MqttProfile,
  server: BenchChild<ServerInfo>,
  pubs: BenchChild[],
  screens: BenchChild[],
  commandIds: string[],
  rate: number,
): Promise<void> {
  const officer = await ctx.login(server.info.url, 'officer1');
  // the search ends on overloaded steps: their backlog drains first, so the figure is the round
  // trip under a steady 80 % load, not behind a queue the previous part left
  await recovered(ctx, 'mqtt command round trip', () => waitForQuietServer(ctx, server, [...screens, ...pubs]));
  const loadMs = M.commandMs + COMMAND_WARMUP_MS + 1_000;
  const load = driveMqtt(pubs, rate, { ...M, stepMs: loadMs, probesPerS: 0 });
  await sleep(COMMAND_WARMUP_MS);
  // the machine and the server's loop while the commands run: the figure swings between runs, and
  // these say whether the machine or the server was the busier
  await server.call('resetLoopDelay');
  const windowDone = await serverWindow(ctx, server, [...pubs, ...screens]);
  const profiling = WINDOW_PROFILE_DIR ? startWindowProfiles(server) : null;
  const r = await runCommandRoundTrips(server.info.url, officer, commandIds, { commandsPerS: M.commandsPerS, durationMs: M.commandMs });
  const { cpu, after } = await windowDone();
  if (profiling) ctx.log(`mqtt command round trip: window profiles ${(await profiling()).join(' ')}`);
  const window = { cpu, loopDelayP99Ms: round(after.loopDelayP99Ms, 0), loopDelayMaxMs: round(after.loopDelayMaxMs, 0) };
  ctx.set('mqtt_command_window', window);
  const run = await load;
  ctx.set('mqtt_command_background_readings_per_s', round((run.offered / loadMs) * 1000, 0));
  ctx.set('mqtt_command_p50_ms', r.latency?.p50 ?? null, r.skipped ?? 'no command was acknowledged');
  ctx.set('mqtt_command_p99_ms', r.latency?.p99 ?? null, r.skipped ?? 'no command was acknowledged');
  ctx.set('mqtt_command', r);
  ctx.rows.push({
    figure: `command round trip p99 (officer → device ack → officer), ${Math.round(M.commandLoadFraction * 100)} % MQTT load`,
    value: r.latency?.p99 ?? (r.skipped ? 'skipped' : null),
    unit: 'ms',
    peer: 'p50',
    peerValue: r.latency?.p50 ?? null,
    ratio: null,
    goal: '—',
  });
  ctx.log(
    r.skipped
      ? `mqtt command round trip: SKIPPED — ${r.skipped}`
      : `mqtt command round trip: p50/p99 ${r.latency?.p50}/${r.latency?.p99} ms, ${r.acknowledged}/${r.sent} acknowledged at ${rate} readings/s, cpu ${JSON.stringify(cpu)}, server loop delay p99/max ${window.loopDelayP99Ms}/${window.loopDelayMaxMs} ms`,
  );
}
