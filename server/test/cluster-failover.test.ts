/**
 * `kill -9` of a node while readings and commands flow (issue 15, "Faults it must survive"):
 * three node processes on one redis-server behind nginx (`ip_hash`). A screen and an officer reach
 * the cluster THROUGH nginx, from a loopback source address that nginx hashes to the node holding
 * the cluster's leases, so the one kill tests every guarantee at once: the screen reconnects to a
 * survivor and resumes its scene gap-free within 2 s, every acknowledged command is in the store
 * exactly once, and the killed node's leases move to exactly one survivor each.
 *
 * The fault runs once, in beforeAll; each test asserts one property of what it recorded.
 */
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device, Incident } from '../../scenes/domain';
import { startCluster, type TestCluster } from '../../tests/helpers/cluster';
import {
  CommandFlow,
  ReadingsFlow,
  SceneMirror,
  commandOn,
  devicesAt,
  healthAt,
  incidentAt,
  incidentOf,
  liveSocketAt,
  loginAt,
  nodesAt,
  snapshotOn,
  stableView,
  waitUntil,
  type MirrorJoin,
  type StableSceneView,
} from '../../tests/helpers/cluster-clients';

/** Issue 15: a client of the killed node resumes on a survivor within this, ms. */
const RESUME_MS = 2_000;
/** Lease timing (server/cluster/lease.ts defaults): a dead holder's lease expires after ttl, a survivor retries every renew. */
const LEASE_TTL_MS = 5_000;
const LEASE_RENEW_MS = 1_000;
/** Node-list heartbeat (server/cluster/node-registry.ts): the list shows a takeover one heartbeat later at most. */
const NODE_HEARTBEAT_MS = 2_000;
/** Slack for a loaded 2-core machine on top of the protocol's own delays, ms. */
const MARGIN_MS = 3_000;
/** The list drops a dead node after `staleAfterMs` (6 s) without a heartbeat. */
const NODE_STALE_MS = 6_000;
/** Loopback source addresses tried to find one nginx hashes to the lease holder (`127.0.<n>.1`). */
const SOURCE_ADDRESSES = 32;
/** Gas detectors the readings flow drives, and how many of them swing between orange and red. */
const FLOW_DEVICES = 24;
const SWINGING_DEVICES = 4;
/** A POST every this many ms, one reading per device each (within the per-device ingest budget). */
const READINGS_PERIOD_MS = 500;
/** An officer's note every this many ms. */
const COMMAND_PERIOD_MS = 150;
/** Answer deadline of one command before it is resent with the same id, ms. */
const COMMAND_ACK_MS = 3_000;
/** Commands acknowledged before the kill, and after it, before the flow stops. */
const COMMANDS_BEFORE_KILL = 10;
const COMMANDS_AFTER_KILL = 5;
/** Deadline for phases that only wait for traffic, ms. */
const PHASE_MS = 20_000;
/** Deadline for the resumed model to match a fresh snapshot once the flow stopped, ms. */
const SETTLE_MS = 10_000;
/** Between two fresh snapshots while waiting (the join rate limit allows 2/s per socket), ms. */
const SNAPSHOT_POLL_MS = 600;

/** lel %LEL: well under the yellow limit, and the orange / red sides of the gas rule's red limit (25). */
const LEL_NORMAL = 3;
const LEL_ORANGE = 22;
const LEL_RED = 35;

interface FailoverRun {
  killed: number;
  killedId: string;
  /** the node the balancer sends the clients to after the kill */
  landedId: string;
  /** a survivor queried directly */
  verify: number;
  killTs: number;
  resumed: MirrorJoin;
  /** deltas the screen had applied when its re-join was answered */
  appliedAtResume: number;
  leasesBefore: string[];
  mirror: SceneMirror;
  commands: CommandFlow;
  noteIncidentId: string;
  readingsAccepted: number;
}

let cluster: TestCluster | null = null;
const sockets: Socket[] = [];
let adminToken = '';
let officerToken = '';
let run: FailoverRun | null = null;

function indexOfNode(nodeId: string): number {
  const i = cluster!.nodes.findIndex((_, k) => cluster!.nodeId(k) === nodeId);
  if (i < 0) throw new Error(`no node ${nodeId} in the cluster`);
  return i;
}

/** A loopback source address whose requests nginx sends to `nodeId`. */
async function sourceAddressFor(nodeId: string): Promise<string> {
  for (let n = 0; n < SOURCE_ADDRESSES; n++) {
    const localAddress = `127.0.${n}.1`;
    const h = await healthAt(cluster!.url, { localAddress });
    if (h.body.nodeId === nodeId) return localAddress;
  }
  throw new Error(`none of ${SOURCE_ADDRESSES} loopback source addresses hashes to ${nodeId} in nginx`);
}

async function runFailover(c: TestCluster): Promise<FailoverRun> {
  adminToken = await loginAt(c.nodeUrl(0), 'admin');
  officerToken = await loginAt(c.nodeUrl(0), 'officer1');

  // the node to kill: the one holding the most leases (node-1, which started alone, usually all)
  const before = await nodesAt(c.nodeUrl(0), adminToken);
  const holder = [...before.nodes].sort((a, b) => b.leases.length - a.leases.length)[0]!;
  const killed = indexOfNode(holder.nodeId);
  const source = await sourceAddressFor(holder.nodeId);
  const readingsTo = (killed + 1) % c.nodes.length;
  const verify = (killed + 2) % c.nodes.length;

  const gas = (await devicesAt(c.nodeUrl(verify), officerToken)).filter((d) => d.kind === 'gas-detector').slice(0, FLOW_DEVICES);
  const swinging = new Set(gas.slice(0, SWINGING_DEVICES).map((d) => d.id));
  const readings = new ReadingsFlow({
    targets: [c.nodeUrl(readingsTo)],
    devices: gas,
    periodMs: READINGS_PERIOD_MS,
    // a few detectors swing between orange and red every other POST: alert levels keep changing, so frames keep coming
    metricsOf: (d: Device, tick: number) => ({ lel: swinging.has(d.id) ? (Math.floor(tick / 2) % 2 === 0 ? LEL_RED : LEL_ORANGE) : LEL_NORMAL }),
  });

  // the screen and the officer reach the cluster through nginx, landing on the lease holder
  const screen = await liveSocketAt(c.url, await loginAt(c.url, 'screen1'), { reconnection: true, localAddress: source });
  const officer = await liveSocketAt(c.url, officerToken, { reconnection: true, localAddress: source });
  sockets.push(screen, officer);
  const mirror = new SceneMirror(screen, 'emergency');
  await mirror.join();

  const site = gas[gas.length - 1]!;
  const noteIncident = incidentOf(
    await commandOn(officer, {
      type: 'incident.create',
      title: '集群故障转移记录',
      category: 'gas-leak',
      scene: 'emergency',
      location: site.location,
      priority: 'P3',
    }),
  );
  const commands = new CommandFlow({
    tag: 'fo',
    periodMs: COMMAND_PERIOD_MS,
    send: (commandId, n) => commandOn(officer, { type: 'incident.note', commandId, incidentId: noteIncident.id, note: `记录 ${n}` }, COMMAND_ACK_MS),
  });

  readings.start();
  commands.start();
  try {
    await waitUntil('commands and frames before the kill', () => commands.acked.length >= COMMANDS_BEFORE_KILL && mirror.applied > 0, PHASE_MS);
    const listed = (await nodesAt(c.nodeUrl(verify), adminToken)).nodes.find((n) => n.nodeId === holder.nodeId);
    const leasesBefore = listed?.leases ?? [];

    // kill while a command is on its way: it is lost, or applied without an answer, and the resend
    // with the same id on the survivor must leave it applied exactly once either way
    await waitUntil('a command in flight', () => commands.inFlight, PHASE_MS, 1);
    const killTs = Date.now();
    await c.nodes[killed]!.kill9();
    const resumed = await mirror.waitForJoin(killTs, PHASE_MS);
    const appliedAtResume = mirror.applied;
    // the survivor's own frames must follow the resumed revision too: wait for some
    await waitUntil(
      'commands acknowledged and frames applied after the kill',
      () => commands.acked.filter((a) => a.ackedTs > killTs).length >= COMMANDS_AFTER_KILL && mirror.applied > appliedAtResume,
      PHASE_MS,
    );

    const landed = await healthAt(c.url, { localAddress: source });
    return {
      killed,
      killedId: holder.nodeId,
      landedId: landed.body.nodeId ?? '?',
      verify,
      killTs,
      resumed,
      appliedAtResume,
      leasesBefore,
      mirror,
      commands,
      noteIncidentId: noteIncident.id,
      readingsAccepted: readings.stats.accepted,
    };
  } finally {
    await Promise.all([readings.stop(), commands.stop()]);
  }
}

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3 });
  if (cluster === null) return;
  run = await runFailover(cluster);
  console.log(
    `[cluster-failover] killed ${run.killedId} (held ${run.leasesBefore.join(', ') || 'no leases'}); clients landed on ${run.landedId}; ` +
      `screen resumed ${run.resumed.answeredTs - run.killTs} ms after the kill (${run.resumed.mode}); ` +
      `${run.commands.acked.length} commands acknowledged (${run.commands.acked.filter((a) => a.attempts > 1).length} after a resend, ` +
      `${run.commands.acked.filter((a) => a.duplicate).length} answered as duplicates), ${run.readingsAccepted} readings accepted, ` +
      `${run.mirror.applied - run.appliedAtResume} frames applied after the resume`,
  );
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await cluster?.stop();
}, 60_000);

describe('cluster failover: kill -9 of the node a screen and an officer are on', () => {
  it('reconnects the screen through nginx to a survivor that resumes its scene within 2 s', (ctx) => {
    if (cluster === null || run === null) return ctx.skip(); // startCluster already warned loudly (and throws in CI)
    expect(run.landedId).not.toBe(run.killedId);
    expect(run.resumed.answeredTs - run.killTs).toBeLessThanOrEqual(RESUME_MS);
  });

  it('never hands the screen a delta that does not follow its revision, before or after the failover', (ctx) => {
    if (cluster === null || run === null) return ctx.skip();
    expect(run.appliedAtResume, 'frames from the killed node').toBeGreaterThan(0);
    expect(run.mirror.applied, 'frames from the survivor after the resume').toBeGreaterThan(run.appliedAtResume);
    expect(run.mirror.refused).toEqual([]);
  });

  it("leaves the resumed screen with the same model as a fresh snapshot of the survivor's", async (ctx) => {
    if (cluster === null || run === null) return ctx.skip();
    const landed = indexOfNode(run.landedId);
    const fresh = await liveSocketAt(cluster.nodeUrl(landed), await loginAt(cluster.nodeUrl(landed), 'screen1'));
    sockets.push(fresh);
    const mirror = run.mirror;
    let last: { resumed: StableSceneView; fresh: StableSceneView } | null = null;
    try {
      // the flow has stopped; the screen's frames and a snapshot converge once the last changes are coalesced
      await waitUntil(
        'the resumed model to match a fresh snapshot',
        async () => {
          const snap = await snapshotOn(fresh, 'emergency');
          last = { resumed: stableView(mirror.model!), fresh: stableView(snap.model) };
          return JSON.stringify(last.resumed) === JSON.stringify(last.fresh);
        },
        SETTLE_MS,
        SNAPSHOT_POLL_MS,
      );
    } catch (err) {
      // the readable difference
      expect(last).not.toBeNull();
      expect(last!.resumed).toEqual(last!.fresh);
      throw err;
    }
    expect(mirror.refused).toEqual([]);
  });

  it('keeps every command acknowledged before and after the kill in the incident exactly once', async (ctx) => {
    if (cluster === null || run === null) return ctx.skip();
    const incident: Incident = await incidentAt(cluster.nodeUrl(run.verify), run.noteIncidentId, officerToken);
    const count = new Map<string, number>();
    for (const h of incident.history) count.set(h.commandId, (count.get(h.commandId) ?? 0) + 1);
    const acked = run.commands.acked;
    expect(acked.filter((a) => a.ackedTs < run!.killTs).length).toBeGreaterThanOrEqual(COMMANDS_BEFORE_KILL);
    const wrong = acked.filter((a) => count.get(a.commandId) !== 1).map((a) => ({ ...a, times: count.get(a.commandId) ?? 0 }));
    expect(wrong).toEqual([]);
    // nothing beyond what was sent: every note is an acknowledged command, or the one unanswered at the stop
    const known = new Set([...acked.map((a) => a.commandId), ...(run.commands.unanswered ? [run.commands.unanswered] : [])]);
    const stray = incident.history.filter((h) => h.action === 'note' && !known.has(h.commandId));
    expect(stray).toEqual([]);
    expect(run.commands.refused).toEqual([]);
  });

  it("hands every lease the killed node held to exactly one survivor within the lease's ttl and renew interval", async (ctx) => {
    if (cluster === null || run === null) return ctx.skip();
    expect(run.leasesBefore.length, 'the killed node held leases').toBeGreaterThan(0);
    const survivors = cluster.nodes.map((_, i) => cluster!.nodeId(i)).filter((id) => id !== run!.killedId);
    const deadline = run.killTs + LEASE_TTL_MS + LEASE_RENEW_MS + NODE_HEARTBEAT_MS + MARGIN_MS;
    const holdersOf = async (): Promise<Record<string, string[]>> => {
      const { nodes } = await nodesAt(cluster!.nodeUrl(run!.verify), adminToken);
      return Object.fromEntries(run!.leasesBefore.map((l) => [l, nodes.filter((n) => n.leases.includes(l)).map((n) => n.nodeId)]));
    };
    let holders: Record<string, string[]> = {};
    await waitUntil(
      "the killed node's leases on survivors",
      async () => {
        holders = await holdersOf();
        return Object.values(holders).every((ids) => ids.some((id) => survivors.includes(id)));
      },
      Math.max(0, deadline - Date.now()),
    ).catch(() => undefined);
    console.log(`[cluster-failover] lease holders ${Date.now() - run.killTs} ms after the kill: ${JSON.stringify(holders)}`);
    for (const [lease, ids] of Object.entries(holders)) {
      expect(
        ids.filter((id) => survivors.includes(id)),
        lease,
      ).toHaveLength(1);
    }

    // once the dead node has left the list, every lease has exactly one holder
    const gone = run.killTs + NODE_STALE_MS + NODE_HEARTBEAT_MS + MARGIN_MS;
    await waitUntil(
      `${run.killedId} to leave the node list`,
      async () => !(await nodesAt(cluster!.nodeUrl(run!.verify), adminToken)).nodes.some((n) => n.nodeId === run!.killedId),
      Math.max(0, gone - Date.now()),
    );
    holders = await holdersOf();
    for (const [lease, ids] of Object.entries(holders)) expect(ids, lease).toHaveLength(1);
  });
});
