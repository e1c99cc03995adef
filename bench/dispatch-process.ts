/**
 * Dispatch round trips in their own process (one clock for every leg): an officer creates an
 * incident and dispatches it to a handler; the handler's client receives it; the handler accepts;
 * the officer's console and a wall screen see the acceptance. Sequential, `iterations` times.
 */
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, type CommandResult, type SceneDeltaMessage } from '../scenes/protocol';
import type { Incident } from '../scenes/domain';
import { childOptions, serveRpc } from './child-rpc';
import { summarizeLatency, type LatencySummary } from './stats';

export interface DispatchProcessOptions {
  url: string;
  officerToken: string;
  screenToken: string;
  /** username → session token */
  handlerTokens: Record<string, string>;
}

export interface DispatchRunParams {
  iterations: number;
  /** pause between iterations (stays under the per-socket command rate limit), ms */
  pauseMs: number;
  /** give up on one leg after this, ms */
  legTimeoutMs: number;
}

export interface DispatchRunResult {
  /** officer sends dispatch → handler's client receives it */
  dispatchToHandler: LatencySummary;
  /** handler sends accept → officer's console receives it */
  acceptToOfficer: LatencySummary;
  /** handler sends accept → a wall screen's scene delta shows it */
  acceptToScreen: LatencySummary;
  failures: number;
  firstError: string | null;
}

/** Incident location for the drill (Shinan district, Qingdao), [lng, lat]. */
const DRILL_LOCATION: [number, number] = [120.383, 36.067];
const ACK_TIMEOUT_MS = 10_000;

const opts = childOptions<DispatchProcessOptions>();

function connect(token: string): Promise<Socket> {
  const s = io(`${opts.url}/live`, { auth: { token, protocol: PROTOCOL_VERSION }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

function waitFor<T>(socket: Socket, event: string, pred: (x: T) => boolean, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const on = (x: T) => {
      if (!pred(x)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(performance.now());
    };
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    socket.on(event, on);
  });
}

async function command(socket: Socket, payload: Record<string, unknown>): Promise<Incident> {
  const r = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('command', payload)) as CommandResult;
  if (!r.ok) throw new Error(`${String(payload.type)}: ${r.error.code} ${r.error.message}`);
  if (!r.incident) throw new Error(`${String(payload.type)}: no incident in the result`);
  return r.incident;
}

const officer = await connect(opts.officerToken);
const screen = await connect(opts.screenToken);
const join = (await screen.timeout(ACK_TIMEOUT_MS).emitWithAck('scene:join', { scene: 'overview' })) as { ok: boolean };
if (!join.ok) throw new Error('screen could not join overview');
const handlers = await Promise.all(Object.entries(opts.handlerTokens).map(async ([name, token]) => ({ name, socket: await connect(token) })));
const runId = Date.now().toString(36);

async function run(p: DispatchRunParams): Promise<DispatchRunResult> {
  const dispatchMs: number[] = [];
  const acceptOfficerMs: number[] = [];
  const acceptScreenMs: number[] = [];
  let failures = 0;
  let firstError: string | null = null;
  for (let i = 0; i < p.iterations; i++) {
    const h = handlers[i % handlers.length];
    const cid = (leg: string) => `bench-${runId}-${i}-${leg}`;
    try {
      const created = await command(officer, {
        type: 'incident.create',
        commandId: cid('c'),
        title: `bench drill ${i}`,
        category: 'device-fault',
        scene: 'bridge',
        location: DRILL_LOCATION,
        priority: 'P3',
      });
      const id = created.id;
      const handlerGot = waitFor<Incident>(h.socket, 'incident:update', (x) => x.id === id && x.state === 'dispatched', p.legTimeoutMs);
      const t0 = performance.now();
      const dispatched = await command(officer, {
        type: 'incident.dispatch',
        commandId: cid('d'),
        incidentId: id,
        assignees: [h.name],
        expectedVersion: created.version,
      });
      dispatchMs.push((await handlerGot) - t0);

      const officerGot = waitFor<Incident>(officer, 'incident:update', (x) => x.id === id && x.state === 'accepted', p.legTimeoutMs);
      const screenGot = waitFor<SceneDeltaMessage>(
        screen,
        'scene:delta',
        (d) => !!d.delta.incidents?.put?.some((x) => x.id === id && x.state === 'accepted'),
        p.legTimeoutMs,
      );
      const t1 = performance.now();
      await command(h.socket, { type: 'incident.accept', commandId: cid('a'), incidentId: id, expectedVersion: dispatched.version });
      const [o, s] = await Promise.all([officerGot, screenGot]);
      acceptOfficerMs.push(o - t1);
      acceptScreenMs.push(s - t1);
    } catch (err) {
      failures++;
      firstError ??= String((err as Error).message);
    }
    await new Promise((r) => setTimeout(r, p.pauseMs));
  }
  return {
    dispatchToHandler: summarizeLatency(dispatchMs),
    acceptToOfficer: summarizeLatency(acceptOfficerMs),
    acceptToScreen: summarizeLatency(acceptScreenMs),
    failures,
    firstError,
  };
}

const rpc = serveRpc({ run: (p: DispatchRunParams) => run(p) }, async () => {
  for (const s of [officer, screen, ...handlers.map((h) => h.socket)]) s.close();
});
rpc.ready({ handlers: handlers.length });
