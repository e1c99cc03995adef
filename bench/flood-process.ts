/**
 * Flood benchmark load, in its own process (one process per role so the flooder's CPU never delays
 * the fleet's clock):
 * - role `fleet`: every device of the fleet but the flood device reports at its catalogue interval
 *   (stable per-device phase) through a few gateways, each posting what is due every `tickMs` to
 *   `POST /api/ingest` on its own keep-alive connection; `run` returns the latency of those
 *   posts — "other devices' ingest latency";
 * - role `flood`: one device posting as many readings as asked (`ratePerS`, or closed-loop at
 *   `maxInFlight` batches when null); `run` returns what the server made of them.
 */
import { Agent, request } from 'node:http';
import { generateFleet } from '../scenes/fleet';
import { DEVICE_CATALOGUE } from '../scenes/catalogue';
import { deviceToken, DEV_DEVICE_SECRET } from '../server/device-token';
import { encodeSignedReading, safeMetrics, signedReadingPrefix } from './bench-readings';
import { childOptions, serveRpc } from './child-rpc';
import { summarizeLatency, type LatencySummary } from './stats';

export interface FloodProcessOptions {
  role: 'fleet' | 'flood';
  url: string;
  fleetCount: number;
  fleetSeed: number;
  /** the one device that floods (excluded from the fleet's own reports) */
  floodDeviceId: string;
  /** fleet: gateways (connections) the fleet reports through */
  gateways: number;
  /** fleet: each gateway posts what is due this often, ms */
  tickMs: number;
  /** flood: readings per post */
  batchSize: number;
  /** flood: posts in flight at most */
  maxInFlight: number;
}

export interface FloodRunParams {
  durationMs: number;
  /** flood role: readings per second offered; null = closed loop (as fast as the server answers) */
  ratePerS?: number | null;
}

export interface FloodRunResult {
  elapsedMs: number;
  posts: number;
  sent: number;
  accepted: number;
  rateLimited: number;
  otherRejected: number;
  httpErrors: number;
  /** fleet role: latency of the fleet's posts, ms */
  latency: LatencySummary | null;
  /** fleet role: every post's latency, ms (pooled over rounds by the caller) */
  latenciesMs: number[];
  firstError: string | null;
}

const opts = childOptions<FloodProcessOptions>();
/** another loopback address (Linux routes all of 127/8 to lo) */
const FLEET_SOURCE_ADDRESS = '127.0.0.2';
const fleet = generateFleet({ count: opts.fleetCount, seed: opts.fleetSeed });
const url = new URL(opts.url);

interface Sender {
  prefix: string;
  seq: number;
  intervalMs: number;
  nextDueMs: number;
}
const senderOf = (id: string, intervalMs: number, phase: number): Sender => {
  const d = fleet.find((x) => x.id === id)!;
  return { prefix: signedReadingPrefix(id, deviceToken(DEV_DEVICE_SECRET, id), safeMetrics(d.kind)), seq: 0, intervalMs, nextDueMs: phase };
};

const members = opts.role === 'fleet' ? fleet.filter((d) => d.id !== opts.floodDeviceId) : fleet.filter((d) => d.id === opts.floodDeviceId);
const senders = members.map((d, i) => {
  const intervalMs = DEVICE_CATALOGUE[d.kind].intervalMs;
  // stable phase spread over the interval: the fleet reports evenly, not in waves
  return senderOf(d.id, intervalMs, (((i * 7919) % 1000) / 1000) * intervalMs);
});
const agents = Array.from(
  { length: opts.role === 'fleet' ? opts.gateways : 1 },
  () => new Agent({ keepAlive: true, maxSockets: opts.role === 'fleet' ? 1 : opts.maxInFlight }),
);

function post(agent: Agent, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/api/ingest',
        method: 'POST',
        agent,
        // the fleet's gateways and the flooder are different sources (per-source limits are per address)
        localAddress: opts.role === 'fleet' ? FLEET_SOURCE_ADDRESS : undefined,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function emptyResult(): FloodRunResult {
  return {
    elapsedMs: 0,
    posts: 0,
    sent: 0,
    accepted: 0,
    rateLimited: 0,
    otherRejected: 0,
    httpErrors: 0,
    latency: null,
    latenciesMs: [],
    firstError: null,
  };
}

function tally(r: FloodRunResult, res: { status: number; text: string }): void {
  if (res.status !== 200) {
    r.httpErrors++;
    r.firstError ??= `HTTP ${res.status}: ${res.text.slice(0, 200)}`;
    return;
  }
  const b = JSON.parse(res.text) as { accepted: number; outOfOrder: number; rejected: { code: string }[] };
  r.accepted += b.accepted + b.outOfOrder;
  for (const x of b.rejected) {
    if (x.code === 'E_RATE_LIMIT') r.rateLimited++;
    else r.otherRejected++;
  }
}

async function runFleet(p: FloodRunParams): Promise<FloodRunResult> {
  const r = emptyResult();
  const latencies: number[] = [];
  const t0 = performance.now();
  const startMs = Date.now();
  for (const s of senders) s.nextDueMs = startMs + (s.nextDueMs % s.intervalMs);
  const busy = new Array<boolean>(agents.length).fill(false);
  const pending = new Set<Promise<void>>();
  while (performance.now() - t0 < p.durationMs) {
    const now = Date.now();
    const due: string[][] = agents.map(() => []);
    for (let i = 0; i < senders.length; i++) {
      const s = senders[i]!;
      if (s.nextDueMs > now) continue;
      s.nextDueMs += s.intervalMs;
      due[i % agents.length]!.push(encodeSignedReading(s.prefix, ++s.seq, now));
    }
    due.forEach((parts, g) => {
      // a gateway whose previous post is still out keeps the readings for its next tick
      if (parts.length === 0 || busy[g]) return;
      busy[g] = true;
      r.posts++;
      r.sent += parts.length;
      const sentAt = performance.now();
      const pr = post(agents[g]!, `{"readings":[${parts.join(',')}]}`)
        .then(
          (res) => {
            latencies.push(performance.now() - sentAt);
            tally(r, res);
          },
          (err: unknown) => {
            r.httpErrors++;
            r.firstError ??= String(err);
          },
        )
        .finally(() => {
          busy[g] = false;
          pending.delete(pr);
        });
      pending.add(pr);
    });
    await new Promise((res) => setTimeout(res, opts.tickMs));
  }
  await Promise.allSettled([...pending]);
  r.elapsedMs = performance.now() - t0;
  r.latency = summarizeLatency(latencies);
  r.latenciesMs = latencies.map((x) => Math.round(x * 100) / 100);
  return r;
}

async function runFlood(p: FloodRunParams): Promise<FloodRunResult> {
  const r = emptyResult();
  const s = senders[0]!;
  const t0 = performance.now();
  let offered = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const send = (n: number) => {
    const now = Date.now();
    const parts = Array.from({ length: n }, () => encodeSignedReading(s.prefix, ++s.seq, now));
    r.posts++;
    r.sent += n;
    inFlight++;
    const pr = post(agents[0]!, `{"readings":[${parts.join(',')}]}`)
      .then(
        (res) => tally(r, res),
        (err: unknown) => {
          r.httpErrors++;
          r.firstError ??= String(err);
        },
      )
      .finally(() => {
        inFlight--;
        pending.delete(pr);
      });
    pending.add(pr);
  };
  while (performance.now() - t0 < p.durationMs) {
    if (p.ratePerS == null) {
      while (inFlight < opts.maxInFlight) send(opts.batchSize);
      await new Promise((res) => setTimeout(res, 1));
      continue;
    }
    const owed = Math.floor((p.ratePerS * (performance.now() - t0)) / 1000) - offered;
    if (owed > 0 && inFlight < opts.maxInFlight) {
      const n = Math.min(owed, opts.batchSize);
      offered += n;
      send(n);
    }
    await new Promise((res) => setTimeout(res, opts.tickMs));
  }
  await Promise.allSettled([...pending]);
  r.elapsedMs = performance.now() - t0;
  return r;
}

/** One reading from every sender (fleet role), so the windows measured see no offline → online wave. */
async function warmup(): Promise<{ accepted: number }> {
  const r = emptyResult();
  const now = Date.now();
  for (let i = 0; i < senders.length; i += opts.batchSize) {
    const parts = senders.slice(i, i + opts.batchSize).map((s) => encodeSignedReading(s.prefix, ++s.seq, now));
    tally(r, await post(agents[0]!, `{"readings":[${parts.join(',')}]}`));
  }
  return { accepted: r.accepted };
}

const rpc = serveRpc(
  {
    warmup,
    run: (p: FloodRunParams) => (opts.role === 'fleet' ? runFleet(p) : runFlood(p)),
  },
  async () => {
    for (const a of agents) a.destroy();
  },
);
rpc.ready({ role: opts.role, devices: senders.length });
