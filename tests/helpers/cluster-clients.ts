/**
 * Clients of a City IOC cluster for fault tests (issue 15): the same calls as server/test/helpers.ts
 * (login, live socket, signed ingest, acknowledged commands, scene joins) but against base URLs —
 * a node directly (`cluster.nodeUrl(i)`) or the balancer (`cluster.url`) — instead of an in-process
 * IocServer, so they work on real processes that can be killed.
 *
 * ```ts
 * const token = await loginAt(cluster.nodeUrl(0), 'screen1');
 * const screen = await liveSocketAt(cluster.nodeUrl(0), token);
 * const mirror = new SceneMirror(screen, 'emergency');
 * await mirror.join();                                   // snapshot, then ordered deltas
 * await ingestAt(cluster.nodeUrl(1), signReadings([...]));
 * await mirror.waitForModel((m) => m.alerts.length > 0, 1_000);
 * ```
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { Reading } from '../../scenes/domain';
import { PROTOCOL_VERSION, type CommandResult, type SceneDeltaMessage, type SceneJoinResult, type SignedReading } from '../../scenes/protocol';
import { applySceneDelta } from '../../scenes/scene-diff';
import type { SceneModel } from '../../scenes/scene-model';
import type { Device, Incident, ScreenSceneId } from '../../scenes/domain';
import { deviceToken, DEV_DEVICE_SECRET } from '../../server/device-token';
import type { NodesAnswer } from '../../server/cluster/nodes-router';

/** Password of every demo account (server/auth/accounts.ts) in a test install. */
export const DEMO_PASSWORD = 'ioc-demo-2026';
/** Deadline of one acknowledged socket request unless the caller gives one, ms. */
export const DEFAULT_ACK_TIMEOUT_MS = 5_000;
/** Deadline of one HTTP request of these helpers, ms (a dead node must fail a request, not hang it). */
export const HTTP_TIMEOUT_MS = 5_000;
/** Pause between two checks of `waitUntil`, ms. */
export const WAIT_POLL_MS = 50;

/** Resolves when `check` answers a value other than undefined/false; rejects with `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  pollMs = WAIT_POLL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      lastError = null;
    } catch (err) {
      // a probe that throws (a node down, a request refused) is one more failed check
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** POST /api/auth/login at `baseUrl`; the access token. */
export async function loginAt(baseUrl: string, username: string, password = DEMO_PASSWORD): Promise<string> {
  const r = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  if (!r.ok) throw new Error(`login ${username} at ${baseUrl} failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

export interface LiveSocketOptions {
  /**
   * Reconnect on its own after a drop, with socket.io-client's default delays — the browser
   * client's setting (client/src/connection.ts). Default false: a test socket pinned to one node.
   */
  reconnection?: boolean;
  /**
   * Connect from this loopback address (e.g. `127.0.3.1`): nginx's `ip_hash` keys on the first three
   * octets, so a source address picks the node a client behind the balancer lands on.
   */
  localAddress?: string;
}

/** A `/live` socket at `baseUrl` (WebSocket transport, like the browser client); resolves once connected. */
export async function liveSocketAt(baseUrl: string, token: string, options: LiveSocketOptions = {}): Promise<Socket> {
  // engine.io-client hands `localAddress` to the `ws` transport in Node (not in its typings)
  const opts: Partial<ManagerOptions & SocketOptions> & { localAddress?: string } = {
    auth: { token, protocol: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: options.reconnection ?? false,
    forceNew: true,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  };
  const s = io(`${baseUrl}/live`, opts);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', (e) => {
      s.close();
      reject(e);
    });
  });
  return s;
}

/** Readings with the device tokens of the test install's device secret. */
export function signReadings(readings: Reading[], secret = DEV_DEVICE_SECRET): SignedReading[] {
  return readings.map((r) => ({ ...r, token: deviceToken(secret, r.deviceId) }));
}

/** The answer of `POST /api/ingest`. */
export interface IngestAnswer {
  status: number;
  body: { accepted?: number; duplicates?: number; outOfOrder?: number; rejected?: unknown[]; error?: { code: string } };
  /** epoch ms when the answer arrived */
  answeredTs: number;
}

/** POST signed readings to `/api/ingest` at `baseUrl`. */
export async function ingestAt(baseUrl: string, readings: unknown[]): Promise<IngestAnswer> {
  const r = await fetch(`${baseUrl}/api/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ readings }),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const body = (await r.json()) as IngestAnswer['body'];
  return { status: r.status, body, answeredTs: Date.now() };
}

/** GET `path` at `baseUrl` with a bearer token; the status and the parsed body. */
export async function getJsonAt<T>(baseUrl: string, path: string, token: string): Promise<{ status: number; body: T }> {
  const r = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  return { status: r.status, body: (await r.json()) as T };
}

/** The registry's devices as `GET /api/devices` lists them. */
export async function devicesAt(baseUrl: string, token: string): Promise<Device[]> {
  const r = await getJsonAt<{ devices: Device[] }>(baseUrl, '/api/devices', token);
  if (r.status !== 200) throw new Error(`GET /api/devices at ${baseUrl}: ${r.status}`);
  return r.body.devices;
}

/** One incident as `GET /api/incidents/:id` answers it. */
export async function incidentAt(baseUrl: string, id: string, token: string): Promise<Incident> {
  const r = await getJsonAt<{ incident: Incident }>(baseUrl, `/api/incidents/${encodeURIComponent(id)}`, token);
  if (r.status !== 200) throw new Error(`GET /api/incidents/${id} at ${baseUrl}: ${r.status}`);
  return r.body.incident;
}

/** `GET /api/admin/nodes` (an administrator's token). */
export async function nodesAt(baseUrl: string, adminToken: string): Promise<NodesAnswer> {
  const r = await getJsonAt<NodesAnswer>(baseUrl, '/api/admin/nodes', adminToken);
  if (r.status !== 200) throw new Error(`GET /api/admin/nodes at ${baseUrl}: ${r.status}`);
  return r.body;
}

/** `/healthz` as an anonymous caller sees it. */
export interface HealthAnswer {
  status: number;
  body: { status: string; nodeId?: string; ready?: boolean };
}

/**
 * GET /healthz at `baseUrl` on a fresh connection (no keep-alive: the balancer chooses per
 * request), optionally from a given loopback source address (see `LiveSocketOptions.localAddress`).
 */
export function healthAt(baseUrl: string, options: { timeoutMs?: number; localAddress?: string } = {}): Promise<HealthAnswer> {
  const url = `${baseUrl}/healthz`;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent: false,
        headers: { connection: 'close' },
        timeout: options.timeoutMs ?? HTTP_TIMEOUT_MS,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as HealthAnswer['body'] });
          } catch (err) {
            reject(new Error(`${url}: not JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: err }));
          }
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${url}: no answer within ${options.timeoutMs ?? HTTP_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end();
  });
}

/** An acknowledged socket request. */
export function emitAck<T>(socket: Socket, event: string, payload: unknown, timeoutMs = DEFAULT_ACK_TIMEOUT_MS): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/** A command id unique in the run (the server keeps ids for idempotency). */
export function newCommandId(tag: string): string {
  return `${tag}-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

/** Send a `command` with a fresh id unless `body` carries one. */
export function commandOn(socket: Socket, body: Record<string, unknown>, timeoutMs = DEFAULT_ACK_TIMEOUT_MS): Promise<CommandResult> {
  return emitAck<CommandResult>(socket, 'command', { commandId: newCommandId('cl'), ...body }, timeoutMs);
}

/** The incident a successful command answered with; throws with the error otherwise. */
export function incidentOf(result: CommandResult): Incident {
  if (!result.ok) throw new Error(`command refused: ${result.error.code} ${result.error.message}`);
  if (!result.incident) throw new Error('command answered without an incident');
  return result.incident;
}

/** Join `scene` on a socket, optionally resuming from `sinceRev`. */
export function joinSceneOn(socket: Socket, scene: ScreenSceneId, sinceRev?: number): Promise<SceneJoinResult> {
  return emitAck<SceneJoinResult>(socket, 'scene:join', sinceRev === undefined ? { scene } : { scene, sinceRev });
}

/** A fresh snapshot of `scene` as the node behind `socket` has it now. */
export async function snapshotOn(socket: Socket, scene: ScreenSceneId): Promise<{ rev: number; model: SceneModel }> {
  const r = await joinSceneOn(socket, scene);
  if (!r.ok) throw new Error(`scene:join ${scene} refused: ${r.error.code} ${r.error.message}`);
  if (r.mode !== 'snapshot') throw new Error(`scene:join ${scene} without sinceRev answered ${r.mode}, not a snapshot`);
  return { rev: r.snapshot.rev, model: r.snapshot.model };
}

/** A delta the mirror refused: it did not follow the revision the mirror held. */
export interface RefusedDelta {
  /** the mirror's revision when it arrived */
  heldRev: number;
  prevRev: number;
  rev: number;
  /** 'live' = a `scene:delta` push; 'join' = in a join's answer */
  via: 'live' | 'join';
}

/** One answer to a (re-)join of the mirror. */
export interface MirrorJoin {
  mode: 'snapshot' | 'deltas';
  /** the sinceRev sent, undefined for a plain join */
  sinceRev: number | undefined;
  /** the mirror's revision after the answer */
  rev: number;
  /** epoch ms when the answer arrived */
  answeredTs: number;
}

/**
 * A screen's model of one scene, kept the way the browser client keeps it (client/src/data/scene.ts):
 * a snapshot, then only deltas whose `prevRev` is the held revision; after a reconnect it re-joins
 * with `sinceRev`. Unlike the browser client it records every delta that did not follow (it never
 * applies one) so a test can assert there were none, then re-joins for a snapshot to stay usable.
 */
export class SceneMirror {
  model: SceneModel | null = null;
  rev = -1;
  /** deltas that did not follow the held revision (never applied) */
  readonly refused: RefusedDelta[] = [];
  /** every join answer, in order */
  readonly joins: MirrorJoin[] = [];
  /** deltas applied so far */
  applied = 0;
  /** epoch ms of the last `disconnect` */
  disconnectedTs: number | null = null;
  private pending: SceneDeltaMessage[] | null = null;
  private wanted = false;
  private listeners: (() => void)[] = [];

  constructor(
    readonly socket: Socket,
    readonly scene: ScreenSceneId,
  ) {
    socket.on('scene:delta', (d: SceneDeltaMessage) => {
      if (d.scene !== this.scene) return;
      // a join in flight answers first; what arrives meanwhile is applied after its answer
      if (this.pending) this.pending.push(d);
      else this.applyOne(d, 'live');
    });
    socket.on('disconnect', () => {
      this.disconnectedTs = Date.now();
    });
    socket.io.on('reconnect', () => {
      // resume where the model stands: the server answers the missed deltas or a snapshot
      if (this.wanted) void this.join(true).catch(() => undefined);
    });
  }

  /** Join (first time: snapshot) or resume from the held revision; resolves with the answer's mode. */
  async join(resume = false): Promise<MirrorJoin> {
    this.wanted = true;
    const sinceRev = resume && this.model ? this.rev : undefined;
    this.pending = [];
    let r: SceneJoinResult;
    try {
      r = await joinSceneOn(this.socket, this.scene, sinceRev);
    } catch (err) {
      this.flushPending();
      throw err;
    }
    if (!r.ok) {
      this.flushPending();
      throw new Error(`scene:join ${this.scene} refused: ${r.error.code} ${r.error.message}`);
    }
    if (r.mode === 'snapshot') {
      this.model = r.snapshot.model;
      this.rev = r.snapshot.rev;
    } else {
      for (const d of r.deltas) this.applyOne(d, 'join');
    }
    this.flushPending();
    const entry: MirrorJoin = { mode: r.mode, sinceRev, rev: this.rev, answeredTs: Date.now() };
    this.joins.push(entry);
    this.notify();
    return entry;
  }

  /** Resolves with the model once `pred` holds for it. */
  waitForModel(pred: (m: SceneModel) => boolean, timeoutMs: number, what = 'a matching scene model'): Promise<SceneModel> {
    if (this.model && pred(this.model)) return Promise.resolve(this.model);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.model || !pred(this.model)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve(this.model);
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} in scene ${this.scene}`));
      }, timeoutMs);
      this.listeners.push(check);
    });
  }

  /** Resolves with the first join answered after `afterTs`. */
  waitForJoin(afterTs: number, timeoutMs: number): Promise<MirrorJoin> {
    return waitUntil(`a re-join of scene ${this.scene}`, () => this.joins.find((j) => j.answeredTs >= afterTs), timeoutMs, 10);
  }

  private flushPending(): void {
    const queued = this.pending ?? [];
    this.pending = null;
    for (const d of queued) this.applyOne(d, 'live');
  }

  private applyOne(d: SceneDeltaMessage, via: RefusedDelta['via']): void {
    if (!this.model) return;
    // the server answers a join before the socket enters the room (server/realtime.ts), so even a
    // frame built while answering follows the snapshot: anything else is a gap or a duplicate
    if (d.prevRev !== this.rev) {
      this.refused.push({ heldRev: this.rev, prevRev: d.prevRev, rev: d.rev, via });
      // as the browser client does on a gap: a clean snapshot (never a wrong model)
      if (!this.pending) void this.join(false).catch(() => undefined);
      return;
    }
    this.model = applySceneDelta(this.model, d.delta);
    this.rev = d.rev;
    this.applied++;
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/**
 * The part of a scene model that does not depend on when or where it was built: device statuses,
 * open alerts with their levels, incidents with their states. Two nodes at the same log position
 * must agree on it exactly.
 */
export interface StableSceneView {
  /** `id:status`, sorted */
  devices: string[];
  /** `id:level`, sorted (the model lists open alerts only) */
  alerts: string[];
  /** `id:state`, sorted */
  incidents: string[];
}

export function stableView(model: SceneModel): StableSceneView {
  return {
    devices: model.devices.map((d) => `${d.id}:${d.s}`).sort(),
    alerts: model.alerts
      .filter((a) => !a.cleared)
      .map((a) => `${a.id}:${a.level}`)
      .sort(),
    incidents: model.incidents.map((i) => `${i.id}:${i.state}`).sort(),
  };
}

/** What a readings flow did so far. */
export interface ReadingsFlowStats {
  /** POSTs answered 200 */
  posts: number;
  /** readings the nodes accepted */
  accepted: number;
  /** POSTs that failed (node down, timeout, non-200) */
  failedPosts: number;
  lastError: string | null;
}

export interface ReadingsFlowOptions {
  /** base URLs the POSTs go to in turn; may be replaced while the flow runs (`flow.targets = …`) */
  targets: string[];
  devices: readonly Device[];
  /** the metrics of `device`'s reading number `tick` */
  metricsOf: (device: Device, tick: number) => Record<string, number>;
  /** pause between two POSTs, ms; each POST carries one reading of every device */
  periodMs: number;
  /** per-device last seq, shared by the flows of one cluster so seqs keep rising; default a fresh map */
  seqs?: Map<string, number>;
}

/**
 * Signed readings posted in a loop, one reading of every device per POST, each POST to the next
 * target. A POST that fails (its node was killed) is counted and the loop goes on.
 */
export class ReadingsFlow {
  targets: string[];
  readonly stats: ReadingsFlowStats = { posts: 0, accepted: 0, failedPosts: 0, lastError: null };
  private readonly seqs: Map<string, number>;
  private running: Promise<void> | null = null;
  private stopping = false;
  private tick = 0;

  constructor(private readonly opts: ReadingsFlowOptions) {
    this.targets = [...opts.targets];
    this.seqs = opts.seqs ?? new Map();
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Ends the loop after the POST in flight; resolves with the stats. */
  async stop(): Promise<ReadingsFlowStats> {
    this.stopping = true;
    await this.running;
    this.running = null;
    return this.stats;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const tick = this.tick++;
      const target = this.targets[tick % this.targets.length];
      const ts = Date.now();
      const readings = this.opts.devices.map((d) => {
        const seq = (this.seqs.get(d.id) ?? 0) + 1;
        this.seqs.set(d.id, seq);
        return { deviceId: d.id, ts, seq, metrics: this.opts.metricsOf(d, tick) };
      });
      if (target !== undefined) {
        try {
          const r = await ingestAt(target, signReadings(readings));
          if (r.status === 200) {
            this.stats.posts++;
            this.stats.accepted += r.body.accepted ?? 0;
          } else {
            this.stats.failedPosts++;
            this.stats.lastError = `${target}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
          }
        } catch (err) {
          this.stats.failedPosts++;
          this.stats.lastError = `${target}: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      await new Promise((r) => setTimeout(r, this.opts.periodMs));
    }
  }
}

/** One command the server acknowledged. */
export interface AckedCommand {
  commandId: string;
  /** the server said it had already applied this id (a resend after a lost answer) */
  duplicate: boolean;
  /** epoch ms of the answer */
  ackedTs: number;
  /** attempts it took (1 = answered the first time) */
  attempts: number;
}

export interface CommandFlowOptions {
  /** sends the command with this id; a resend after no answer uses the same id */
  send: (commandId: string, n: number) => Promise<CommandResult>;
  /** pause between two commands (and between two attempts of one), ms */
  periodMs: number;
  /** prefix of the command ids */
  tag: string;
}

/**
 * Commands sent one after another, each retried with the SAME command id until the server answers
 * (as a client with an outbox does across a reconnect), so every command ends up acknowledged once
 * and the server's idempotency is what keeps it from being applied twice.
 */
export class CommandFlow {
  readonly acked: AckedCommand[] = [];
  /** commands answered with an error other than E_UNAVAILABLE (never retried) */
  readonly refused: { commandId: string; code: string; message: string }[] = [];
  /** the id sent but not answered yet when the flow stopped (it may or may not have been applied) */
  unanswered: string | null = null;
  /** a command is on its way and not answered yet (a test kills a node at such a moment) */
  inFlight = false;
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly opts: CommandFlowOptions) {}

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.running = null;
  }

  private async loop(): Promise<void> {
    let n = 0;
    while (!this.stopping) {
      const commandId = newCommandId(this.opts.tag);
      this.unanswered = commandId;
      n++;
      for (let attempt = 1; !this.stopping; attempt++) {
        let result: CommandResult | null = null;
        this.inFlight = true;
        try {
          result = await this.opts.send(commandId, n);
        } catch {
          // no answer in time (the node died with it, or the socket is reconnecting): resend
        } finally {
          this.inFlight = false;
        }
        if (result?.ok) {
          this.acked.push({ commandId, duplicate: result.duplicate, ackedTs: Date.now(), attempts: attempt });
          this.unanswered = null;
          break;
        }
        if (result && !result.ok && result.error.code !== 'E_UNAVAILABLE') {
          this.refused.push({ commandId, code: result.error.code, message: result.error.message });
          this.unanswered = null;
          break;
        }
        await new Promise((r) => setTimeout(r, this.opts.periodMs));
      }
      await new Promise((r) => setTimeout(r, this.opts.periodMs));
    }
  }
}
