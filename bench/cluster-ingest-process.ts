/**
 * Device load spread over the nodes of a benchmark cluster (issue 15, `cluster-concurrency`), in one
 * process: authenticated batches to `POST /api/ingest` of every node at an open-loop rate, and
 * telemetry probes (the first reading of a device never sent before: offline → online on screen)
 * sent to the nodes in turn.
 *
 * Load device k always reports to node k % nodes (a gateway per node), so its `seq` never races
 * itself across nodes; the nodes are offered equal shares of the rate. Send times are `Date.now()`
 * just before the request is written, the clock the client swarms on this machine record with.
 */
import { Agent, request } from 'node:http';
import { generateFleet } from '../scenes/fleet';
import type { Device } from '../scenes/domain';
import { deviceToken, DEV_DEVICE_SECRET } from '../server/device-token';
import { encodeSignedReading, safeMetrics, signedReadingPrefix } from './bench-readings';
import { childOptions, serveRpc } from './child-rpc';

export interface ClusterIngestOptions {
  /** the nodes, posted to directly */
  urls: string[];
  fleetCount: number;
  fleetSeed: number;
  /** devices [0, loadDevices) of the fleet carry the load */
  loadDevices: number;
  /** devices reserved for telemetry probes (never in the load), sent in this order */
  probeDeviceIds: string[];
  /** readings per POST at most */
  batchSize: number;
  /** POSTs in flight at most, per node */
  maxInFlightPerNode: number;
}

export interface ClusterIngestRunParams {
  /** offered readings per second, all nodes together */
  ratePerS: number;
  durationMs: number;
  /** telemetry probes per second, all nodes together */
  probesPerS: number;
}

export interface ClusterIngestRunResult {
  elapsedMs: number;
  offered: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  httpErrors: number;
  /** accepted readings per node (same order as `urls`) */
  acceptedPerNode: number[];
  /** (probe device id, send time epoch ms) */
  probeSent: [string, number][];
  /** (probe device id, index of the node it was posted to) */
  probeNode: [string, number][];
  firstError: string | null;
}

/** Scheduler tick of the open-loop sender, ms. */
const TICK_MS = 10;
/** An open-loop sender never owes a node more than this many batches (the rest is dropped, counted as offered). */
const MAX_BACKLOG_BATCHES = 4;
/** Probe requests in flight at most, per node. */
const PROBE_SOCKETS_PER_NODE = 4;

const opts = childOptions<ClusterIngestOptions>();
const fleet: Device[] = generateFleet({ count: opts.fleetCount, seed: opts.fleetSeed });
const byId = new Map(fleet.map((d) => [d.id, d]));

interface NodeLane {
  url: URL;
  loadAgent: Agent;
  probeAgent: Agent;
  /** indices into the load of the devices that report to this node */
  devices: number[];
  cursor: number;
  inFlight: number;
  /** readings owed by the open-loop schedule, not yet sent */
  owed: number;
}

const load = fleet.slice(0, opts.loadDevices);
const metricsOf = load.map((d) => safeMetrics(d.kind));
const prefixes = load.map((d, i) => signedReadingPrefix(d.id, deviceToken(DEV_DEVICE_SECRET, d.id), metricsOf[i]));
const seqs = new Uint32Array(load.length);
const lanes: NodeLane[] = opts.urls.map((u, n) => ({
  url: new URL(u),
  loadAgent: new Agent({ keepAlive: true, maxSockets: opts.maxInFlightPerNode }),
  probeAgent: new Agent({ keepAlive: true, maxSockets: PROBE_SOCKETS_PER_NODE }),
  devices: load.map((_, k) => k).filter((k) => k % opts.urls.length === n),
  cursor: 0,
  inFlight: 0,
  owed: 0,
}));
let probeCursor = 0;

/**
 * One request. A keep-alive socket the server closed just as it was reused fails with ECONNRESET
 * before anything was processed; that request is sent again once on a fresh socket (ingest is
 * idempotent per (device, seq)).
 */
function post(lane: NodeLane, agent: Agent, body: string, retried = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: lane.url.hostname,
        port: lane.url.port,
        path: '/api/ingest',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!retried && req.reusedSocket && err.code === 'ECONNRESET') post(lane, agent, body, true).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

function nextBatch(lane: NodeLane, n: number): string {
  const now = Date.now();
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = lane.devices[lane.cursor];
    lane.cursor = (lane.cursor + 1) % lane.devices.length;
    parts[i] = encodeSignedReading(prefixes[k], ++seqs[k], now);
  }
  return `{"readings":[${parts.join(',')}]}`;
}

async function run(p: ClusterIngestRunParams): Promise<ClusterIngestRunResult> {
  const r: ClusterIngestRunResult = {
    elapsedMs: 0,
    offered: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    httpErrors: 0,
    acceptedPerNode: lanes.map(() => 0),
    probeSent: [],
    probeNode: [],
    firstError: null,
  };
  const pending = new Set<Promise<unknown>>();
  const track = (pr: Promise<unknown>) => {
    pending.add(pr);
    void pr.finally(() => pending.delete(pr));
  };
  const noteError = (e: unknown) => {
    r.httpErrors++;
    r.firstError ??= String((e as Error)?.message ?? e);
  };
  const sendBatch = (n: number, lane: NodeLane, laneIndex: number) => {
    const body = nextBatch(lane, n);
    lane.inFlight++;
    track(
      post(lane, lane.loadAgent, body)
        .then((res) => {
          if (res.status !== 200) return noteError(new Error(`ingest HTTP ${res.status}: ${res.text.slice(0, 200)}`));
          const b = JSON.parse(res.text) as { accepted: number; duplicates: number; rejected: unknown[] };
          r.accepted += b.accepted;
          r.acceptedPerNode[laneIndex] += b.accepted;
          r.duplicates += b.duplicates;
          r.rejected += b.rejected.length;
        }, noteError)
        .finally(() => lane.inFlight--),
    );
  };
  const sendProbe = () => {
    const id = opts.probeDeviceIds[probeCursor];
    if (!id) return;
    const n = probeCursor % lanes.length;
    probeCursor++;
    const d = byId.get(id)!;
    const now = Date.now();
    r.probeSent.push([id, now]);
    r.probeNode.push([id, n]);
    const body = `{"readings":[${encodeSignedReading(signedReadingPrefix(d.id, deviceToken(DEV_DEVICE_SECRET, d.id), safeMetrics(d.kind)), 1, now)}]}`;
    track(
      post(lanes[n], lanes[n].probeAgent, body)
        .then((res) => (res.status === 200 ? undefined : noteError(new Error(`probe HTTP ${res.status}: ${res.text.slice(0, 200)}`))))
        .catch(noteError),
    );
  };

  for (const lane of lanes) lane.owed = 0;
  const due = (perS: number, elapsedMs: number) => Math.floor((perS * elapsedMs) / 1000);
  const t0 = performance.now();
  let probes = 0;
  while (performance.now() - t0 < p.durationMs) {
    const elapsed = performance.now() - t0;
    const offered = due(p.ratePerS, elapsed);
    // the new share of the schedule goes to the nodes in turn, one reading at a time
    for (let i = r.offered; i < offered; i++) lanes[i % lanes.length].owed++;
    r.offered = offered;
    lanes.forEach((lane, n) => {
      lane.owed = Math.min(lane.owed, opts.batchSize * MAX_BACKLOG_BATCHES);
      while (lane.owed > 0 && lane.inFlight < opts.maxInFlightPerNode) {
        const k = Math.min(opts.batchSize, lane.owed);
        lane.owed -= k;
        sendBatch(k, lane, n);
      }
    });
    for (; probes < due(p.probesPerS, elapsed); probes++) sendProbe();
    await new Promise((res) => setTimeout(res, TICK_MS));
  }
  await Promise.allSettled([...pending]);
  r.elapsedMs = performance.now() - t0;
  return r;
}

const rpc = serveRpc(
  {
    /** one reading to every load device, each through its own node, so the window sees no offline → online flood */
    warmup: async () => {
      const t0 = performance.now();
      let accepted = 0;
      await Promise.all(
        lanes.map(async (lane) => {
          for (let sent = 0; sent < lane.devices.length; sent += opts.batchSize) {
            const res = await post(lane, lane.loadAgent, nextBatch(lane, Math.min(opts.batchSize, lane.devices.length - sent)));
            if (res.status === 200) accepted += (JSON.parse(res.text) as { accepted: number }).accepted;
          }
          lane.cursor = 0;
        }),
      );
      return { accepted, ms: performance.now() - t0 };
    },
    run: (p: ClusterIngestRunParams) => run(p),
  },
  async () => {
    for (const lane of lanes) {
      lane.loadAgent.destroy();
      lane.probeAgent.destroy();
    }
  },
);
rpc.ready({ loadDevices: load.length, nodes: lanes.length });
