/**
 * Fan-out across a real cluster (issue 15, "Faults it must survive"): three node processes on one
 * redis-server behind nginx. Clients are pinned to nodes by connecting to them directly, so every
 * check crosses nodes: a reading posted to one node reaches a screen on another, an officer's
 * dispatch on one node reaches a handler on another and back, and two commands racing on two
 * nodes for one incident resolve by the store's compare-and-set, not by either node's memory.
 */
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device, Incident } from '../../scenes/domain';
import type { CommandResult } from '../../scenes/protocol';
import { DEFAULT_RULES } from '../../scenes/catalogue';
import type { ThresholdRule } from '../../scenes/domain';
import { startCluster, type TestCluster } from '../../tests/helpers/cluster';
import {
  SceneMirror,
  commandOn,
  devicesAt,
  incidentAt,
  incidentOf,
  ingestAt,
  liveSocketAt,
  loginAt,
  signReadings,
} from '../../tests/helpers/cluster-clients';

/** Node indexes (0-based, `cluster.nodes`): the roles the requirements name A, B and C. */
const A = 0;
const B = 1;
const C = 2;
/** Issue 15: a screen on another node than the ingest sees the alert within a second. */
const CROSS_NODE_ALERT_MS = 1_000;
/** How long a test waits for a push before it fails with the measured time (well above the limits asserted). */
const PUSH_WAIT_MS = 10_000;
/** Racing pairs in the compare-and-set test: several, so a lucky ordering cannot pass it alone. */
const RACE_ROUNDS = 3;

const gasRule = DEFAULT_RULES.find((r) => r.id === 'emergency.lel.threshold') as ThresholdRule;

let cluster: TestCluster | null = null;
const sockets: Socket[] = [];
let devices: Device[] = [];
let officerToken = '';

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3 });
  if (cluster === null) return;
  officerToken = await loginAt(cluster.nodeUrl(C), 'officer1');
  devices = await devicesAt(cluster.nodeUrl(A), officerToken);
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await cluster?.stop();
}, 60_000);

/** A socket for `username` connected straight to node `index`, closed after the file. */
async function socketOn(index: number, username: string): Promise<Socket> {
  const token = await loginAt(cluster!.nodeUrl(index), username);
  const s = await liveSocketAt(cluster!.nodeUrl(index), token);
  sockets.push(s);
  return s;
}

/** Resolves with the first `incident:update` for `id` that satisfies `pred`, and when it came. */
function incidentUpdate(socket: Socket, id: string, pred: (i: Incident) => boolean): Promise<{ incident: Incident; ts: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('incident:update', onUpdate);
      reject(new Error(`no incident:update for ${id} matching within ${PUSH_WAIT_MS} ms`));
    }, PUSH_WAIT_MS);
    const onUpdate = (i: Incident) => {
      if (i.id !== id || !pred(i)) return;
      clearTimeout(timer);
      socket.off('incident:update', onUpdate);
      resolve({ incident: i, ts: Date.now() });
    };
    socket.on('incident:update', onUpdate);
  });
}

/** A manual incident near `device`, created by `officer`. */
async function createIncident(officer: Socket, device: Device, title: string): Promise<Incident> {
  const created = await commandOn(officer, {
    type: 'incident.create',
    title,
    category: 'pipe-burst',
    scene: 'emergency',
    location: device.location,
    priority: 'P2',
  });
  return incidentOf(created);
}

describe('cluster fan-out: clients on different nodes see each other', () => {
  it('shows a screen on node A the alert raised by readings posted to node B within a second', async (ctx) => {
    if (cluster === null) return ctx.skip(); // startCluster already warned loudly (and throws in CI)
    const screen = await socketOn(A, 'screen1');
    const mirror = new SceneMirror(screen, 'emergency');
    await mirror.join();
    const detector = devices.find((d) => d.kind === 'gas-detector' && d.scene === 'emergency');
    expect(detector, 'a gas detector in the demo fleet').toBeDefined();
    const over = gasRule.limits.red! * 2;

    // watching before the POST: the frame may well arrive before the POST's answer does
    const seenTs = mirror
      .waitForModel((m) => m.alerts.some((a) => a.deviceId === detector!.id && a.level === 'red'), PUSH_WAIT_MS, `a red alert of ${detector!.id}`)
      .then(() => Date.now());
    const posted = await ingestAt(cluster.nodeUrl(B), signReadings([{ deviceId: detector!.id, ts: Date.now(), seq: 1, metrics: { lel: over } }]));
    expect(posted.status).toBe(200);
    expect(posted.body.accepted).toBe(1);

    // negative: the screen had it before the POST's answer came back
    const latencyMs = (await seenTs) - posted.answeredTs;
    console.log(`[cluster-fanout] ingest on node B → alert in node A's screen model: ${latencyMs} ms after the POST's answer`);
    expect(latencyMs).toBeLessThanOrEqual(CROSS_NODE_ALERT_MS);
    // node A's frames follow its own revisions without a gap
    expect(mirror.refused).toEqual([]);
  });

  it("delivers an officer's dispatch on node C to a handler on node A, and the handler's accept back to C", async (ctx) => {
    if (cluster === null) return ctx.skip();
    const officer = await socketOn(C, 'officer1');
    const handler = await socketOn(A, 'handler1');
    const site = devices.find((d) => d.scene === 'emergency')!;
    const incident = await createIncident(officer, site, '集群派单测试');

    const dispatchedOnA = incidentUpdate(handler, incident.id, (i) => i.state === 'dispatched');
    const sentTs = Date.now();
    const dispatched = await commandOn(officer, {
      type: 'incident.dispatch',
      incidentId: incident.id,
      assignees: ['handler1'],
      expectedVersion: incident.version,
    });
    expect(dispatched).toMatchObject({ ok: true, duplicate: false });
    const heard = await dispatchedOnA;
    console.log(`[cluster-fanout] dispatch on node C → handler socket on node A: ${heard.ts - sentTs} ms`);
    expect(heard.incident.assignees).toEqual(['handler1']);

    const acceptedOnC = incidentUpdate(officer, incident.id, (i) => i.state === 'accepted');
    const accepted = await commandOn(handler, { type: 'incident.accept', incidentId: incident.id });
    expect(accepted.ok ? accepted.incident?.state : accepted.error).toBe('accepted');
    const seen = await acceptedOnC;
    expect(seen.incident.version).toBe(incidentOf(accepted).version);
  });

  it('lets exactly one of two commands racing on nodes B and C for one incident win; the other answers E_CONFLICT', async (ctx) => {
    if (cluster === null) return ctx.skip();
    const creator = await socketOn(A, 'officer1');
    const onB = await socketOn(B, 'officer1');
    const onC = await socketOn(C, 'officer2');
    const site = devices.find((d) => d.scene === 'emergency')!;
    for (let round = 0; round < RACE_ROUNDS; round++) {
      const incident = await createIncident(creator, site, `集群竞争测试 ${round + 1}`);
      const base = { type: 'incident.dispatch', incidentId: incident.id, expectedVersion: incident.version };
      const [b, c] = await Promise.all([commandOn(onB, { ...base, assignees: ['handler2'] }), commandOn(onC, { ...base, assignees: ['handler3'] })]);
      const results: CommandResult[] = [b, c];
      expect(
        results.filter((r) => r.ok),
        `round ${round + 1}: ${JSON.stringify(results.map((r) => (r.ok ? 'ok' : r.error.code)))}`,
      ).toHaveLength(1);
      const loser = results.find((r) => !r.ok);
      expect(loser && !loser.ok && loser.error.code).toBe('E_CONFLICT');

      // the store holds the winner's step once, whichever node is asked
      const winner = incidentOf(results.find((r) => r.ok)!);
      for (const i of [A, B, C]) {
        const stored = await incidentAt(cluster.nodeUrl(i), incident.id, officerToken);
        expect(stored.version, `node ${i}`).toBe(incident.version + 1);
        expect(stored.assignees, `node ${i}`).toEqual(winner.assignees);
        expect(
          stored.history.filter((h) => h.action === 'dispatch'),
          `node ${i}`,
        ).toHaveLength(1);
      }
    }
  });
});
