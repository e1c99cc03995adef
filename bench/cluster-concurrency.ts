/**
 * Cluster benchmark `cluster-concurrency` (issue 15, "Measure"): many concurrent clients spread over
 * 3 nodes — telemetry p99, heap per connection per node, drops — with the single-node peer (the same
 * clients and load on one node with IOC_CLUSTER=off) in the same run.
 *
 * - Nodes: bench/cluster-node-process.ts (bench/server-process.ts with IOC_NODE_ID node-1..3,
 *   IOC_CLUSTER=on, the streams adapter; MQTT off as in every NODE_ENV=test server) on the run's
 *   throwaway Redis under a fresh key prefix; node 1 starts first and seeds the fleet; every node
 *   answers `/healthz` 200 before anything is measured.
 * - Clients: City IOC `/live` screens (screen1's token) joined to `overview` (it shows every device,
 *   so every client must see every probe), connected to the nodes directly and evenly (nginx
 *   `ip_hash` would put every loopback client on one node): each node gets its own swarm processes
 *   (bench/client-swarm-process.ts, as the single-node `concurrency` part).
 * - Load: the single-node part's rate (1,000 readings/s, 10 probes/s) spread evenly over the nodes
 *   by bench/cluster-ingest-process.ts (device k always through node k % nodes; probes to the nodes
 *   in turn).
 * - Telemetry latency: a probe's POST → the frame that shows its device online at a client (the
 *   single-node part's definition); a probe seen by N clients gives N samples. Clients on another
 *   node than the probe's ingest see it through the shared log (their node fuses it and builds its
 *   own frame).
 * - Heap per connection: each node's heap after a full GC (`gcHeap`) after all its clients
 *   connected, minus the same after its first `heapWarmupClientsPerNode` clients, ÷ the sockets
 *   added in between — memory per added connection. From an empty node instead, the one-off JIT
 *   code of the first connections (≈ 2.5 MB per process, a V8 heap snapshot diff shows it as
 *   `code`) counts as if per connection: +0.75 KB at 3,333 per node, +0.25 KB at 10,000 on one —
 *   the earlier runs' cluster/single gap. That figure is reported too (`…_incl_warmup`).
 * - Drops: (probe, client) pairs never seen by the end of the drain (every connected client should
 *   see every probe), and disconnects not asked for.
 */
import { DEFAULT_FLEET, generateFleet } from '../scenes/fleet';
import type { ClientSwarmOptions } from './client-swarm-process';
import type { Device } from '../scenes/domain';
import { instantRedRule } from './bench-readings';
import type { BenchChild } from './child-rpc';
import { waitNodeReady, type ClusterBenchContext } from './cluster-bench';
import type { ClusterIngestOptions, ClusterIngestRunParams, ClusterIngestRunResult } from './cluster-ingest-process';
import type { SwarmReport } from './client-swarm-process';
import { serverNodeFlags } from './bench-config';
import { raisedConnectLimits } from './mqtt-bench';
import type { ServerProcessOptions } from './server-process';
import { probeLatencies, ratio, round, summarizeLatency, type LatencySummary } from './stats';

/** Sizes, rates and durations of `cluster-concurrency`. */
export interface ClusterConcurrencyProfile {
  /** clients in total, the same for the cluster and the single-node peer */
  clients: number;
  /** nodes of the cluster */
  nodes: number;
  /** client swarm processes per node of the cluster; the peer gets nodes × this many on its one node */
  swarmProcessesPerNode: number;
  /** sockets each swarm process opens at once while connecting */
  connectConcurrency: number;
  /** registered devices */
  fleetCount: number;
  /** tail devices kept out of the load for probes */
  reservedDevices: number;
  /** offered readings per second, all nodes together (the single-node `concurrency` part's rate) */
  readingsPerS: number;
  /** telemetry probes per second, all nodes together */
  probesPerS: number;
  /** measurement window, ms */
  windowMs: number;
  /** scene coalescing of every node, ms (the single-node part's) */
  coalesceIntervalMs: number;
  /** readings per POST at most */
  batchSize: number;
  /** POSTs in flight at most, per node */
  maxInFlightPerNode: number;
  /**
   * clients per node connected before the heap baseline: the first connections compile the
   * connection paths (≈ 2–3 MB of JIT code per process, once), which is not memory per connection;
   * they stay connected and are measured like the rest
   */
  heapWarmupClientsPerNode: number;
  /** pause after connecting / warming up before measuring, ms */
  settleMs: number;
  /** after the window, time for the last frames to reach the clients, ms */
  drainMs: number;
}

export const CLUSTER_CONCURRENCY_FULL: ClusterConcurrencyProfile = {
  clients: 10_000,
  nodes: 3,
  swarmProcessesPerNode: 2,
  connectConcurrency: 50,
  fleetCount: 2_000,
  reservedDevices: 500,
  readingsPerS: 1_000,
  probesPerS: 10,
  windowMs: 20_000,
  coalesceIntervalMs: 250,
  batchSize: 100,
  maxInFlightPerNode: 4,
  heapWarmupClientsPerNode: 100,
  settleMs: 1_200,
  drainMs: 2_000,
};

export const CLUSTER_CONCURRENCY_QUICK: ClusterConcurrencyProfile = {
  ...CLUSTER_CONCURRENCY_FULL,
  clients: 3_000,
  swarmProcessesPerNode: 1,
  windowMs: 5_000,
};

/** Socket.IO's documented heap per connection, B (the goal's reference). */
const SOCKET_IO_HEAP_BYTES_PER_CONNECTION = 9_800;
/** Issue 15's goal for heap per connection, B. */
const HEAP_GOAL_BYTES_PER_CONNECTION = 10_000;
/** Issue 15's goal for telemetry p99, ms. */
const TELEMETRY_P99_GOAL_MS = 1_000;
/** Timeout of the ingest warm-up RPC, ms. */
const WARMUP_RPC_TIMEOUT_MS = 300_000;
/** Slack on the ingest run RPC beyond its window, ms. */
const RUN_RPC_SLACK_MS = 120_000;
/** Environment variable the bench harness reads: IOC_BENCH_CCONC_CLIENTS overrides the client count (development with small N). */
const CLIENTS_OVERRIDE = Number(process.env.IOC_BENCH_CCONC_CLIENTS) || null;
/**
 * The clients: light `/live` screens (bench/light-ioc-client.ts: Socket.IO over bare ws, each
 * distinct frame read once per swarm process), so that 10,000 of them fit beside 3 nodes on 2 cores;
 * IOC_BENCH_CCONC_CLIENT=socket.io-client uses the stock client (one JSON.parse per frame and socket).
 */
const CLIENT_KIND = process.env.IOC_BENCH_CCONC_CLIENT === 'socket.io-client' ? 'ioc' : 'ioc-light';
/** Development only: IOC_BENCH_CCONC_PROFILE_DIR=/tmp/x writes each node's CPU profile of the measurement window there. */
const WINDOW_PROFILE_DIR = process.env.IOC_BENCH_CCONC_PROFILE_DIR ?? null;
/** Development only: IOC_BENCH_CCONC_ONLY_CLUSTER=1 measures the cluster and not its single-node peer (no figures are set). */
const ONLY_CLUSTER_RIG = process.env.IOC_BENCH_CCONC_ONLY_CLUSTER === '1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface NodeInfo {
  port: number;
  url: string;
}
interface NodeStats {
  rssBytes: number;
  clients: { live: number; device: number };
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  frameIntervalMs: number;
  hubFrames: number;
  gcPauses: { maxMs: number };
}

/** One measured configuration: the cluster, or its single-node peer. */
interface RigSpec {
  key: 'cluster' | 'single';
  label: string;
  nodes: number;
  swarmProcessesPerNode: number;
  env: Record<string, string>;
}

/** What one configuration measured. */
export interface ConcurrencyOutcome {
  label: string;
  nodes: number;
  /** clients connected and joined, all nodes */
  clients: number;
  connectFailures: number;
  connectMs: number;
  /** accepted readings/s in the window, all nodes */
  readingsPerS: number | null;
  /** probe POST → frame at a client, all clients */
  telemetry: LatencySummary;
  /** clients on the node the probe was posted to / on another node (cluster only) */
  telemetrySameNode: LatencySummary;
  telemetryOtherNode: LatencySummary;
  /** split at the receiving frame's build time (its generatedTs): probe POST → frame built on the client's node, and built → client */
  serverPartP99Ms: number | null;
  deliveryPartP99Ms: number | null;
  probesSent: number;
  /** (probe, client) pairs never seen */
  missedReceipts: number;
  /** disconnects not asked for, all clients */
  disconnects: number;
  /** … by reason, and when the first and last happened (s after the clients began to connect) */
  disconnectReasons: Record<string, number>;
  disconnectFirstS: number | null;
  disconnectLastS: number | null;
  httpErrors: number;
  firstError: string | null;
  perNode: {
    /** `/live` sockets on the node after connecting */
    connections: number;
    /** heap after a full GC: before any client, after the warm-up clients, after all clients, B */
    heapEmptyBytes: number | null;
    heapBeforeBytes: number | null;
    heapAfterBytes: number | null;
    /** warm-up clients (connected before heapBeforeBytes) */
    warmupConnections: number;
    /** (after − before) ÷ the clients connected between them: memory per added connection */
    heapBytesPerConnection: number | null;
    /** (after − empty) ÷ all connections: also counts the first connections' one-off JIT code */
    heapBytesPerConnectionInclWarmup: number | null;
    rssBytesPerConnection: number | null;
    loopDelayP99Ms: number | null;
    loopDelayMaxMs: number | null;
    /** the telemetry frame interval in force after the drain (server/frame-pacing.ts; back at the base once the load stopped), ms */
    frameIntervalMs: number;
    /** overview frames the node sent per second over the window and drain (4/s unpaced at 250 ms) */
    framesPerS: number | null;
  }[];
  cpu: Record<string, number | null>;
}

function nodeOptions(ctx: ClusterBenchContext, P: ClusterConcurrencyProfile, spec: RigSpec, prefix: string, i: number): ServerProcessOptions {
  return {
    store: 'redis',
    redisUrl: ctx.redisUrl!,
    redisPrefix: prefix,
    devices: P.fleetCount,
    coalesceIntervalMs: P.coalesceIntervalMs,
    env: { IOC_NODE_ID: `node-${i + 1}`, IOC_CLUSTER: 'on', IOC_CLUSTER_ADAPTER: 'streams', ...spec.env },
    // every bench client connects from 127.0.0.1; MQTT stays off (no embedded broker)
    config: { ...raisedConnectLimits(), mqttPort: null },
  };
}

let prefixCounter = 0;

/** Node 1 first and alone (it seeds the empty store with the fleet), then the others; all ready. */
async function startNodes(ctx: ClusterBenchContext, P: ClusterConcurrencyProfile, spec: RigSpec): Promise<BenchChild<NodeInfo>[]> {
  const prefix = `ccbench${Date.now().toString(36)}${prefixCounter++}`;
  const start = async (i: number) => {
    const node = await ctx.spawn<NodeInfo>(
      `cconc-${spec.key}-node-${i + 1}`,
      'cluster-node-process.ts',
      nodeOptions(ctx, P, spec, prefix, i),
      serverNodeFlags(),
      true,
    );
    await waitNodeReady(node.info.url);
    return node;
  };
  const first = await start(0);
  const rest = await Promise.all(Array.from({ length: spec.nodes - 1 }, (_, i) => start(i + 1)));
  return [first, ...rest];
}

/** Tail devices of the fleet that are not of the instant-red kind (a probe raises nothing). */
function probeDevices(fleet: Device[], reserved: number): string[] {
  const alarmKind = instantRedRule().deviceKind;
  return fleet
    .slice(fleet.length - reserved)
    .filter((d) => d.kind !== alarmKind)
    .map((d) => d.id);
}

async function runRig(ctx: ClusterBenchContext, P: ClusterConcurrencyProfile, spec: RigSpec): Promise<ConcurrencyOutcome> {
  const fleet = generateFleet({ count: P.fleetCount, seed: DEFAULT_FLEET.seed });
  const probeIds = probeDevices(fleet, P.reservedDevices);
  const needed = Math.ceil((P.probesPerS * P.windowMs) / 1000);
  if (probeIds.length < needed) throw new Error(`cluster-concurrency: ${probeIds.length} probe devices, the window needs ${needed}`);
  const all: BenchChild[] = [];
  try {
    const nodes = await startNodes(ctx, P, spec);
    all.push(...nodes);
    const token = await ctx.login(nodes[0].info.url, 'screen1');
    const heapEmpty = await Promise.all(nodes.map((n) => n.call<number | null>('gcHeap')));
    const stats0 = await Promise.all(nodes.map((n) => n.call<NodeStats>('stats')));

    // clients: an even share per node, every node's swarms connecting at the same time; first a
    // few per node for the heap baseline (heapWarmupClientsPerNode)
    const perNode = nodes.map((_, i) => Math.floor(P.clients / nodes.length) + (i < P.clients % nodes.length ? 1 : 0));
    const warmPerNode = perNode.map((n) => Math.min(P.heapWarmupClientsPerNode, n));
    const swarmOptions = (url: string): Omit<ClientSwarmOptions, 'count' | 'maxDeltaSizeSamples'> => ({
      kind: CLIENT_KIND,
      url,
      tokens: [token],
      scenes: ['overview'],
      connectConcurrency: P.connectConcurrency,
      reporter: false,
      probeDeviceIds: probeIds,
    });
    const warmSwarms = await Promise.all(
      nodes.map((n, i) =>
        warmPerNode[i] > 0 ? ctx.startSwarms(`cconc-${spec.key}-warm-n${i + 1}`, warmPerNode[i], 1, swarmOptions(n.info.url)) : [],
      ),
    );
    all.push(...warmSwarms.flat());
    const heap0 = await Promise.all(nodes.map((n) => n.call<number | null>('gcHeap')));
    const t0 = performance.now();
    const t0Epoch = Date.now();
    const mainSwarms = await Promise.all(
      nodes.map((n, i) =>
        ctx.startSwarms(`cconc-${spec.key}-clients-n${i + 1}`, perNode[i] - warmPerNode[i], spec.swarmProcessesPerNode, swarmOptions(n.info.url)),
      ),
    );
    const connectMs = performance.now() - t0;
    const swarmsByNode = nodes.map((_, i) => [...warmSwarms[i]!, ...mainSwarms[i]!]);
    all.push(...mainSwarms.flat());
    const heap1 = await Promise.all(nodes.map((n) => n.call<number | null>('gcHeap')));
    const stats1 = await Promise.all(nodes.map((n) => n.call<NodeStats>('stats')));
    const connected = (await ctx.swarmReports(swarmsByNode.flat())).clients;

    const ingest = await ctx.spawn('cconc-' + spec.key + '-ingest', 'cluster-ingest-process.ts', {
      urls: nodes.map((n) => n.info.url),
      fleetCount: P.fleetCount,
      fleetSeed: DEFAULT_FLEET.seed,
      loadDevices: P.fleetCount - P.reservedDevices,
      probeDeviceIds: probeIds,
      batchSize: P.batchSize,
      maxInFlightPerNode: P.maxInFlightPerNode,
    } satisfies ClusterIngestOptions);
    all.push(ingest);
    await ingest.call('warmup', undefined, WARMUP_RPC_TIMEOUT_MS);
    await sleep(P.settleMs);

    await ctx.resetSwarms(swarmsByNode.flat());
    await Promise.all(nodes.map((n) => n.call('resetLoopDelay')));
    if (WINDOW_PROFILE_DIR) await Promise.all(nodes.map((n) => n.call('cpuProfileStart')));
    const statsW = await Promise.all(nodes.map((n) => n.call<NodeStats>('stats')));
    const tW = performance.now();
    const cpuDone = await ctx.cpuWindow([...nodes, ingest, ...swarmsByNode.flat()]);
    const run = await ingest.call<ClusterIngestRunResult>(
      'run',
      { ratePerS: P.readingsPerS, durationMs: P.windowMs, probesPerS: P.probesPerS } satisfies ClusterIngestRunParams,
      P.windowMs + RUN_RPC_SLACK_MS,
    );
    await sleep(P.drainMs);
    const cpu = await cpuDone();
    if (WINDOW_PROFILE_DIR) {
      const files = await Promise.all(
        nodes.map((n, i) =>
          n.call<string>('cpuProfileStop', `${WINDOW_PROFILE_DIR}/cconc-${spec.key}-node-${i + 1}-${Date.now()}.cpuprofile`, 60_000),
        ),
      );
      ctx.log(`cluster-concurrency: window CPU profiles ${files.join(' ')} (npx tsx bench/profile-summary.ts <file>)`);
    }
    const stats2 = await Promise.all(nodes.map((n) => n.call<NodeStats>('stats')));
    const windowS = (performance.now() - tW) / 1000;
    const reportsByNode = await Promise.all(swarmsByNode.map((list) => ctx.swarmReports(list)));

    const sentAt = new Map(run.probeSent);
    const probeNode = new Map(run.probeNode);
    const receipts = reportsByNode.flatMap((r) => r.probeReceipts);
    const same: [string, number][] = [];
    const other: [string, number][] = [];
    reportsByNode.forEach((r: SwarmReport, i) => {
      for (const rc of r.probeReceipts) (probeNode.get(rc[0]) === i ? same : other).push(rc);
    });
    const seen = receipts.filter(([id]) => sentAt.has(id)).length;
    // the part of the latency spent in the nodes (ingest, log, fusion, coalescing wait, build) and in delivery
    const serverPart: number[] = [];
    const deliveryPart: number[] = [];
    for (const r of reportsByNode) {
      r.probeReceipts.forEach(([id, at], k) => {
        const sent = sentAt.get(id);
        const built = r.probeFrameTs[k];
        if (sent === undefined || built === undefined) return;
        serverPart.push(built - sent);
        deliveryPart.push(at - built);
      });
    }
    return {
      label: spec.label,
      nodes: nodes.length,
      clients: connected,
      connectFailures: P.clients - connected,
      connectMs: round(connectMs, 0)!,
      readingsPerS: round((run.accepted / run.elapsedMs) * 1000, 0),
      telemetry: summarizeLatency(probeLatencies(sentAt, receipts)),
      telemetrySameNode: summarizeLatency(probeLatencies(sentAt, same)),
      telemetryOtherNode: summarizeLatency(probeLatencies(sentAt, other)),
      serverPartP99Ms: summarizeLatency(serverPart).p99,
      deliveryPartP99Ms: summarizeLatency(deliveryPart).p99,
      probesSent: run.probeSent.length,
      missedReceipts: run.probeSent.length * connected - seen,
      disconnects: reportsByNode.reduce((a, r) => a + r.disconnects, 0),
      ...disconnectTimes(reportsByNode, t0Epoch),
      httpErrors: run.httpErrors,
      firstError: run.firstError,
      perNode: nodes.map((_, i) => {
        const connections = stats1[i].clients.live;
        const [he, h0, h1] = [heapEmpty[i], heap0[i], heap1[i]];
        const added = connections - warmPerNode[i];
        return {
          connections,
          heapEmptyBytes: he,
          heapBeforeBytes: h0,
          heapAfterBytes: h1,
          warmupConnections: warmPerNode[i],
          heapBytesPerConnection: h0 !== null && h1 !== null && added > 0 ? round((h1 - h0) / added, 0) : null,
          heapBytesPerConnectionInclWarmup: he !== null && h1 !== null && connections > 0 ? round((h1 - he) / connections, 0) : null,
          rssBytesPerConnection: connections > 0 ? round((stats1[i].rssBytes - stats0[i].rssBytes) / connections, 0) : null,
          loopDelayP99Ms: round(stats2[i].loopDelayP99Ms),
          loopDelayMaxMs: round(stats2[i].loopDelayMaxMs),
          frameIntervalMs: stats2[i].frameIntervalMs,
          framesPerS: round((stats2[i].hubFrames - statsW[i].hubFrames) / windowS, 2),
        };
      }),
      cpu,
    };
  } finally {
    await ctx.stopAll(all);
  }
}

/**
 * Heap per connection over all nodes together, B: Σ heap growth ÷ Σ connections added, from the
 * warm-up baseline (default) or from the empty node (`inclWarmup`: counts the one-off JIT code too).
 */
function pooledHeapPerConnection(o: ConcurrencyOutcome, inclWarmup = false): number | null {
  const from = (n: ConcurrencyOutcome['perNode'][number]) => (inclWarmup ? n.heapEmptyBytes : n.heapBeforeBytes);
  if (o.perNode.some((n) => from(n) === null || n.heapAfterBytes === null)) return null;
  const delta = o.perNode.reduce((a, n) => a + (n.heapAfterBytes! - from(n)!), 0);
  const conns = o.perNode.reduce((a, n) => a + n.connections - (inclWarmup ? 0 : n.warmupConnections), 0);
  return conns > 0 ? round(delta / conns, 0) : null;
}

export async function measureClusterConcurrency(ctx: ClusterBenchContext): Promise<void> {
  if (!ctx.redisUrl) return ctx.set('cluster_concurrency_p99_ms', null, 'redis-server not available');
  const base = ctx.quick ? CLUSTER_CONCURRENCY_QUICK : CLUSTER_CONCURRENCY_FULL;
  const P: ClusterConcurrencyProfile = CLIENTS_OVERRIDE ? { ...base, clients: CLIENTS_OVERRIDE } : base;
  // the cluster first, then the peer: never both at once on 2 cores
  const cluster = await runRig(ctx, P, {
    key: 'cluster',
    label: `${P.nodes} nodes, streams adapter`,
    nodes: P.nodes,
    swarmProcessesPerNode: P.swarmProcessesPerNode,
    env: {},
  });
  ctx.log(summaryLine(cluster));
  if (ONLY_CLUSTER_RIG) return;
  const single = await runRig(ctx, P, {
    key: 'single',
    label: '1 node, IOC_CLUSTER=off',
    nodes: 1,
    swarmProcessesPerNode: P.swarmProcessesPerNode * P.nodes,
    env: { IOC_CLUSTER: 'off' },
  });
  ctx.log(summaryLine(single));
  ctx.cpuByPhase.cluster_concurrency = cluster.cpu;
  ctx.cpuByPhase.cluster_concurrency_single = single.cpu;

  const heapPerNode = cluster.perNode.map((n) => n.heapBytesPerConnection);
  const heapPooled = pooledHeapPerConnection(cluster);
  const heapSingle = pooledHeapPerConnection(single);
  const heapPooledAll = pooledHeapPerConnection(cluster, true);
  const heapSingleAll = pooledHeapPerConnection(single, true);
  const drops = (o: ConcurrencyOutcome) => o.missedReceipts + o.disconnects + o.connectFailures;
  ctx.set('cluster_concurrency', { cluster, single });
  ctx.set('cluster_concurrency_clients', cluster.clients);
  ctx.set('cluster_concurrency_nodes', cluster.nodes);
  ctx.set('cluster_concurrency_readings_per_s', cluster.readingsPerS);
  ctx.set('cluster_concurrency_p50_ms', cluster.telemetry.p50);
  ctx.set('cluster_concurrency_p99_ms', cluster.telemetry.p99, 'no probe reached the clients');
  ctx.set('cluster_concurrency_same_node_p99_ms', cluster.telemetrySameNode.p99);
  ctx.set('cluster_concurrency_other_node_p99_ms', cluster.telemetryOtherNode.p99);
  ctx.set('cluster_concurrency_samples', cluster.telemetry.n);
  ctx.set('cluster_concurrency_server_part_p99_ms', cluster.serverPartP99Ms);
  ctx.set('cluster_concurrency_delivery_part_p99_ms', cluster.deliveryPartP99Ms);
  ctx.set('cluster_concurrency_heap_bytes_per_connection', heapPooled, 'nodes not started with --expose-gc');
  ctx.set('cluster_concurrency_heap_bytes_per_connection_per_node', heapPerNode);
  ctx.set('cluster_concurrency_heap_bytes_per_connection_incl_warmup', heapPooledAll);
  ctx.set('cluster_concurrency_single_heap_bytes_per_connection_incl_warmup', heapSingleAll);
  ctx.set(
    'cluster_concurrency_connections_per_node',
    cluster.perNode.map((n) => n.connections),
  );
  ctx.set('cluster_concurrency_missed_receipts', cluster.missedReceipts);
  ctx.set('cluster_concurrency_disconnects', cluster.disconnects);
  ctx.set('cluster_concurrency_connect_failures', cluster.connectFailures);
  ctx.set('cluster_concurrency_drops', drops(cluster));
  ctx.set('cluster_concurrency_single_clients', single.clients);
  ctx.set('cluster_concurrency_single_p50_ms', single.telemetry.p50);
  ctx.set('cluster_concurrency_single_p99_ms', single.telemetry.p99, 'no probe reached the single-node clients');
  ctx.set('cluster_concurrency_single_heap_bytes_per_connection', heapSingle);
  ctx.set('cluster_concurrency_single_drops', drops(single));
  ctx.set(
    'cluster_concurrency_what',
    'overview screens spread evenly over the nodes (direct); readings and probes spread over the nodes; p99 = probe POST → frame showing the device online at a client; drops = (probe, client) pairs never seen + disconnects + failed connects; peer = the same clients and load on one node, IOC_CLUSTER=off',
  );

  ctx.rows.push(
    {
      figure: `cluster telemetry p99, ${cluster.clients} clients over ${cluster.nodes} nodes (${cluster.readingsPerS} readings/s)`,
      value: cluster.telemetry.p99,
      unit: 'ms',
      peer: `1 node, IOC_CLUSTER=off, ${single.clients} clients`,
      peerValue: single.telemetry.p99,
      ratio: ratio(cluster.telemetry.p99, single.telemetry.p99),
      goal: `< ${TELEMETRY_P99_GOAL_MS} ms`,
    },
    {
      figure: '  … client on the ingest node / on another node p99',
      value: `${cluster.telemetrySameNode.p99} / ${cluster.telemetryOtherNode.p99}`,
      unit: 'ms',
      peer: '—',
      peerValue: '—',
      ratio: null,
      goal: 'report',
    },
    {
      figure: '  … of which probe → frame built / built → client p99',
      value: `${cluster.serverPartP99Ms} / ${cluster.deliveryPartP99Ms}`,
      unit: 'ms',
      peer: '1 node, IOC_CLUSTER=off',
      peerValue: `${single.serverPartP99Ms} / ${single.deliveryPartP99Ms}`,
      ratio: null,
      goal: 'report',
    },
    {
      figure: '  … heap per connection (all nodes pooled)',
      value: heapPooled,
      unit: 'B',
      peer: '1 node, IOC_CLUSTER=off',
      peerValue: heapSingle,
      ratio: ratio(heapPooled, heapSingle),
      goal: `≤ ${HEAP_GOAL_BYTES_PER_CONNECTION} B (Socket.IO ≈ ${SOCKET_IO_HEAP_BYTES_PER_CONNECTION} B)`,
    },
    {
      figure: `  … the same from the empty node (+ the first connections' JIT code)`,
      value: heapPooledAll,
      unit: 'B',
      peer: '1 node, IOC_CLUSTER=off',
      peerValue: heapSingleAll,
      ratio: ratio(heapPooledAll, heapSingleAll),
      goal: 'report',
    },
    {
      figure: '  … heap per connection per node',
      value: heapPerNode.map((h) => h ?? 'null').join(' / '),
      unit: 'B',
      peer: 'connections per node',
      peerValue: cluster.perNode.map((n) => n.connections).join(' / '),
      ratio: null,
      goal: 'report',
    },
    {
      figure: '  … drops (missed probe receipts + disconnects + failed connects)',
      value: drops(cluster),
      unit: 'count',
      peer: '1 node, IOC_CLUSTER=off',
      peerValue: drops(single),
      ratio: null,
      goal: '0',
    },
  );
}

/** Disconnects by reason over all swarms, and their first and last time in s after `t0Epoch`. */
function disconnectTimes(
  reports: SwarmReport[],
  t0Epoch: number,
): Pick<ConcurrencyOutcome, 'disconnectReasons' | 'disconnectFirstS' | 'disconnectLastS'> {
  const reasons: Record<string, number> = {};
  for (const r of reports) for (const [k, n] of Object.entries(r.disconnectReasons)) reasons[k] = (reasons[k] ?? 0) + n;
  const at = (xs: (number | null)[], pick: (...v: number[]) => number) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? round((pick(...v) - t0Epoch) / 1000, 1) : null;
  };
  return {
    disconnectReasons: reasons,
    disconnectFirstS: at(
      reports.map((r) => r.disconnectFirstMs),
      Math.min,
    ),
    disconnectLastS: at(
      reports.map((r) => r.disconnectLastMs),
      Math.max,
    ),
  };
}

function summaryLine(o: ConcurrencyOutcome): string {
  return (
    `cluster-concurrency ${o.label}: ${o.clients} clients (${o.perNode.map((n) => n.connections).join('/')}) in ${o.connectMs} ms, ` +
    `${o.readingsPerS} readings/s, p50/p99 ${o.telemetry.p50}/${o.telemetry.p99} ms (n=${o.telemetry.n}, built ${o.serverPartP99Ms} + delivery ${o.deliveryPartP99Ms}, same-node p99 ${o.telemetrySameNode.p99}, other-node p99 ${o.telemetryOtherNode.p99}), ` +
    `heap/conn ${o.perNode.map((n) => n.heapBytesPerConnection).join('/')} B, missed ${o.missedReceipts}, disconnects ${o.disconnects} ${JSON.stringify(o.disconnectReasons)} at ${o.disconnectFirstS}–${o.disconnectLastS} s, ` +
    `http errors ${o.httpErrors}${o.firstError ? ` (${o.firstError})` : ''}, loop p99 ${o.perNode.map((n) => n.loopDelayP99Ms).join('/')} ms, frames/s ${o.perNode.map((n) => n.framesPerS).join('/')}, CPU ${JSON.stringify(o.cpu)}`
  );
}
