/**
 * Device load generator in its own process: authenticated batches to `POST /api/ingest` over
 * keep-alive HTTP, either closed-loop (as fast as the server answers) or open-loop at a target
 * rate, plus probes on their own connection:
 * - telemetry probes: the first reading of a device that was never sent before (offline → online
 *   on screen); the swarms record when the change appears;
 * - alarm probes: one reading over an instant red limit on a fresh device;
 * - ping probes: `GET /__bench/ping` (the bare Socket.IO emit peer of the alarm).
 * Send times are `Date.now()` just before the request is written.
 */
import { Agent, request } from 'node:http';
import { generateFleet } from '../scenes/fleet';
import type { Device } from '../scenes/domain';
import { deviceToken, DEV_DEVICE_SECRET } from '../server/device-token';
import { alarmMetrics, encodeSignedReading, instantRedRule, naiveReadingFrameBytes, safeMetrics, signedReadingPrefix } from './bench-readings';
import { childOptions, serveRpc } from './child-rpc';
import { percentile } from './stats';

export interface IngestProcessOptions {
  url: string;
  fleetCount: number;
  fleetSeed: number;
  /** devices [loadFrom, loadFrom + loadDevices) of the fleet carry the background load */
  loadDevices: number;
  /** first load device (default 0): another sender on the same server takes fresh devices, its seq starting at 1 */
  loadFrom?: number;
  /** devices reserved for telemetry probes (never in the load) */
  probeDeviceIds: string[];
  /** devices reserved for alarm probes (kind of instantRedRule) */
  alarmDeviceIds: string[];
  /** readings per POST */
  batchSize: number;
  /** POSTs in flight at most */
  maxInFlight: number;
}

export interface IngestRunParams {
  mode: 'max' | 'rate';
  /** offered readings per second (mode 'rate') */
  ratePerS?: number;
  durationMs: number;
  probesPerS?: number;
  alarmsPerS?: number;
  pingsPerS?: number;
}

export interface IngestRunResult {
  elapsedMs: number;
  offered: number;
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  httpErrors: number;
  batches: number;
  batchP50Ms: number | null;
  batchP99Ms: number | null;
  probeSent: [string, number][];
  alarmSent: [string, number][];
  pingSent: [string, number][];
  /** bytes one client would receive if every accepted reading were broadcast */
  naiveBytes: number;
  /** first error seen, for the report */
  firstError: string | null;
}

/** Scheduler tick of the open-loop sender, ms. */
const TICK_MS = 10;
/** An open-loop sender never owes more than this many batches, or ticks of readings when batches are small (the rest is dropped, counted). */
const MAX_BACKLOG_BATCHES = 4;
/** Probe requests in flight at most. */
const PROBE_SOCKETS = 8;

const opts = childOptions<IngestProcessOptions>();
const fleet: Device[] = generateFleet({ count: opts.fleetCount, seed: opts.fleetSeed });
const byId = new Map(fleet.map((d) => [d.id, d]));
const load = fleet.slice(opts.loadFrom ?? 0, (opts.loadFrom ?? 0) + opts.loadDevices);
const metricsOf = load.map((d) => safeMetrics(d.kind));
const prefixes = load.map((d, i) => signedReadingPrefix(d.id, deviceToken(DEV_DEVICE_SECRET, d.id), metricsOf[i]));
const seqs = new Uint32Array(load.length);
let cursor = 0;
const alarmRule = instantRedRule();
let probeCursor = 0;
let alarmCursor = 0;
let pingCounter = 0;

const url = new URL(opts.url);
const loadAgent = new Agent({ keepAlive: true, maxSockets: opts.maxInFlight });
const probeAgent = new Agent({ keepAlive: true, maxSockets: PROBE_SOCKETS });

/**
 * One request. A keep-alive socket the server closed just as it was reused fails with ECONNRESET
 * before anything was processed; that request is sent again once on a fresh socket (Node's
 * documented `req.reusedSocket` pattern). Ingest is idempotent per (device, seq) anyway.
 */
function post(agent: Agent, path: string, body: string | null, retried = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: body === null ? 'GET' : 'POST',
        agent,
        headers: body === null ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!retried && req.reusedSocket && err.code === 'ECONNRESET') post(agent, path, body, true).then(resolve, reject);
      else reject(err);
    });
    req.end(body ?? undefined);
  });
}

function nextBatch(n: number): { body: string; naive: number } {
  const now = Date.now();
  const parts: string[] = new Array(n);
  let naive = 0;
  for (let i = 0; i < n; i++) {
    const k = cursor;
    cursor = (cursor + 1) % load.length;
    const seq = ++seqs[k];
    parts[i] = encodeSignedReading(prefixes[k], seq, now);
    if (i === 0) naive = naiveReadingFrameBytes(load[k].id, metricsOf[k], seq, now);
  }
  // every reading of a batch has nearly the same encoded size: estimate from the first one
  return { body: `{"readings":[${parts.join(',')}]}`, naive: naive * n };
}

function signedOne(device: Device, metrics: Record<string, number>, ts: number): string {
  return `{"readings":[${encodeSignedReading(signedReadingPrefix(device.id, deviceToken(DEV_DEVICE_SECRET, device.id), metrics), 1, ts)}]}`;
}

async function run(p: IngestRunParams): Promise<IngestRunResult> {
  const r: IngestRunResult = {
    elapsedMs: 0,
    offered: 0,
    sent: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    httpErrors: 0,
    batches: 0,
    batchP50Ms: null,
    batchP99Ms: null,
    probeSent: [],
    alarmSent: [],
    pingSent: [],
    naiveBytes: 0,
    firstError: null,
  };
  const batchMs: number[] = [];
  let inFlight = 0;
  const pendingAll = new Set<Promise<unknown>>();
  const track = (pr: Promise<unknown>) => {
    pendingAll.add(pr);
    void pr.finally(() => pendingAll.delete(pr));
  };
  const noteError = (e: unknown) => {
    r.httpErrors++;
    r.firstError ??= String((e as Error)?.message ?? e);
  };

  const sendBatch = (n: number) => {
    const { body, naive } = nextBatch(n);
    inFlight++;
    r.sent += n;
    const t0 = performance.now();
    track(
      post(loadAgent, '/api/ingest', body)
        .then((res) => {
          batchMs.push(performance.now() - t0);
          r.batches++;
          if (res.status !== 200) return noteError(new Error(`ingest HTTP ${res.status}: ${res.text.slice(0, 200)}`));
          const b = JSON.parse(res.text) as { accepted: number; duplicates: number; rejected: unknown[] };
          r.accepted += b.accepted;
          r.duplicates += b.duplicates;
          r.rejected += b.rejected.length;
          r.naiveBytes += (naive * b.accepted) / n;
        }, noteError)
        .finally(() => inFlight--),
    );
  };

  const sendProbe = () => {
    const id = opts.probeDeviceIds[probeCursor++];
    if (!id) return;
    const d = byId.get(id)!;
    const now = Date.now();
    r.probeSent.push([id, now]);
    track(post(probeAgent, '/api/ingest', signedOne(d, safeMetrics(d.kind), now)).catch(noteError));
  };
  const sendAlarm = () => {
    const id = opts.alarmDeviceIds[alarmCursor++];
    if (!id) return;
    const now = Date.now();
    r.alarmSent.push([id, now]);
    track(post(probeAgent, '/api/ingest', signedOne(byId.get(id)!, alarmMetrics(alarmRule), now)).catch(noteError));
  };
  const sendPing = () => {
    const id = `ping-${++pingCounter}`;
    r.pingSent.push([id, Date.now()]);
    track(post(probeAgent, `/__bench/ping?id=${id}`, null).catch(noteError));
  };

  const t0 = performance.now();
  const due = (perS: number | undefined, elapsedMs: number) => Math.floor(((perS ?? 0) * elapsedMs) / 1000);
  let probes = 0;
  let alarms = 0;
  let pings = 0;
  let owed = 0;
  while (performance.now() - t0 < p.durationMs) {
    const elapsed = performance.now() - t0;
    if (p.mode === 'max') {
      while (inFlight < opts.maxInFlight) sendBatch(opts.batchSize);
    } else {
      const offered = due(p.ratePerS, elapsed);
      owed += offered - r.offered;
      r.offered = offered;
      // small batches: at least what 4 ticks offer, or one-reading POSTs could never exceed 4 per tick
      owed = Math.min(owed, Math.max(opts.batchSize * MAX_BACKLOG_BATCHES, Math.ceil((p.ratePerS! * TICK_MS * MAX_BACKLOG_BATCHES) / 1000)));
      while (owed > 0 && inFlight < opts.maxInFlight) {
        const n = Math.min(opts.batchSize, owed);
        owed -= n;
        sendBatch(n);
      }
    }
    for (; probes < due(p.probesPerS, elapsed); probes++) sendProbe();
    for (; alarms < due(p.alarmsPerS, elapsed); alarms++) sendAlarm();
    for (; pings < due(p.pingsPerS, elapsed); pings++) sendPing();
    await new Promise((res) => setTimeout(res, p.mode === 'max' ? 1 : TICK_MS));
  }
  if (p.mode === 'max') r.offered = r.sent;
  await Promise.allSettled([...pendingAll]);
  r.elapsedMs = performance.now() - t0;
  r.batchP50Ms = percentile(batchMs, 50);
  r.batchP99Ms = percentile(batchMs, 99);
  return r;
}

const rpc = serveRpc(
  {
    /** one reading to every load device (closed loop), so later windows see no offline → online flood */
    warmup: async () => {
      const t0 = performance.now();
      cursor = 0;
      let accepted = 0;
      const rounds = Math.ceil(load.length / opts.batchSize);
      for (let i = 0; i < rounds; i += opts.maxInFlight) {
        const batch = [];
        for (let j = i; j < Math.min(rounds, i + opts.maxInFlight); j++) {
          const n = Math.min(opts.batchSize, load.length - j * opts.batchSize);
          batch.push(post(loadAgent, '/api/ingest', nextBatch(n).body));
        }
        for (const res of await Promise.all(batch)) if (res.status === 200) accepted += (JSON.parse(res.text) as { accepted: number }).accepted;
      }
      cursor = 0;
      return { accepted, ms: performance.now() - t0 };
    },
    run: (p: IngestRunParams) => run(p),
    remaining: () => ({ probes: opts.probeDeviceIds.length - probeCursor, alarms: opts.alarmDeviceIds.length - alarmCursor }),
  },
  async () => {
    loadAgent.destroy();
    probeAgent.destroy();
  },
);
rpc.ready({ loadDevices: load.length });
