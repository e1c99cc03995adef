/**
 * Node identity (issue 15): every node names itself at `/healthz` (anonymously too: balancers and
 * the cluster harness need id and readiness without a token) and in `/metrics` (`ioc_node_info`),
 * says not-ready (503) while it catches up, and administrators list the live nodes at
 * `GET /api/admin/nodes`.
 */
import { CLUSTER_LEASE_NAMES } from '../cluster/start-cluster';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { createHttpApp, type HttpDeps } from '../http';
import { SERVER_VERSION, type NodeInfo } from '../cluster/node-info';
import type { NodesAnswer } from '../cluster/nodes-router';
import { createMetrics } from '../metrics';
import { MetricsAccess } from '../security/metrics-access';
import { OriginPolicy } from '../security/origin-policy';
import { login, startTestServer } from './helpers';

const METRICS_TOKEN = 'node-identity-metrics-token-0123';

/** the node id a single test server is started with */
const SINGLE_NODE_ID = 'single-1';

describe('a single node (in-memory store): its own id, every lease held', () => {
  let server: IocServer;
  let adminToken: string;
  let officerToken: string;

  beforeAll(async () => {
    server = await startTestServer({ metricsToken: METRICS_TOKEN }, { nodeId: SINGLE_NODE_ID });
    [adminToken, officerToken] = await Promise.all([login(server, 'admin'), login(server, 'officer1')]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('tells anonymous callers its node id and readiness at /healthz', async () => {
    const r = await fetch(`${server.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok', nodeId: SINGLE_NODE_ID, ready: true });
  });

  it('puts the node id and the catching-up flag in the detailed /healthz', async () => {
    const r = await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok', nodeId: SINGLE_NODE_ID, ready: true, catchingUp: false });
  });

  it('exports ioc_node_info with its node id and version in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(text).toContain(`ioc_node_info{node_id="${SINGLE_NODE_ID}",version="${SERVER_VERSION}"} 1`);
  });

  it('refuses the node list without a session (401) and to an officer (403)', async () => {
    const anon = await fetch(`${server.url}/api/admin/nodes`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: { code: string } }).error.code).toBe('E_UNAUTHORIZED');
    const officer = await fetch(`${server.url}/api/admin/nodes`, { headers: { authorization: `Bearer ${officerToken}` } });
    expect(officer.status).toBe(403);
    expect(((await officer.json()) as { error: { code: string } }).error.code).toBe('E_FORBIDDEN');
  });

  it('lists itself, ready, to an administrator', async () => {
    const r = await fetch(`${server.url}/api/admin/nodes`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as NodesAnswer;
    expect(body.self).toBe(SINGLE_NODE_ID);
    expect(body.nowTs).toBeGreaterThanOrEqual(body.nodes[0]!.heartbeatTs);
    expect(body.nodes).toHaveLength(1);
    expect(body.nodes[0]).toMatchObject({
      nodeId: SINGLE_NODE_ID,
      pid: process.pid,
      version: SERVER_VERSION,
      ready: true,
      leases: [...CLUSTER_LEASE_NAMES].sort(),
    });
    expect(body.nodes[0]!.heartbeatTs).toBeGreaterThanOrEqual(body.nodes[0]!.startedTs);
  });
});

/**
 * The HTTP app alone with the cluster seams filled in (node id, readiness, registry) and the rest
 * stubbed: what app.ts passes in a cluster node. Only the routes under test touch the stubs.
 */
describe('a cluster node (the HTTP app with a node id, a readiness check and a registry)', () => {
  const ADMIN_TOKEN = 'admin-token';
  const NODE_ID = 'node-b';
  let caughtUp = false;
  let registryDown = false;
  let http: Server;
  let url: string;
  const node = (nodeId: string): NodeInfo => ({
    nodeId,
    url: `http://127.0.0.1/${nodeId}`,
    pid: 1,
    startedTs: 1,
    heartbeatTs: 2,
    version: SERVER_VERSION,
    ready: true,
    clients: 0,
    leases: nodeId === 'node-a' ? ['offline-check'] : [],
  });

  beforeAll(async () => {
    const stats = { devices: 0, online: 0, openAlerts: 0, openIncidents: 0 };
    const deps = {
      store: { kind: 'redis', ping: async () => true },
      fusion: { stats: () => stats },
      ingest: { deferredReadings: () => 0 },
      tokens: { verify: async (t: string) => (t === ADMIN_TOKEN ? { username: 'admin', role: 'admin' } : null) },
      users: { sessionRefusal: async () => null },
      registry: { limits: { maxImportBytes: 1_000 } },
      guard: { failureOf: (err: unknown) => ({ error: { code: 'E_INTERNAL', message: String(err) } }) },
      audit: { record: async () => undefined },
      log: { warn: () => undefined, error: () => undefined },
      metrics: createMetrics({
        connectedClients: () => ({ live: 0, device: 0 }),
        fusionStats: () => stats,
        readingsPerSecond: () => 0,
        nodeId: NODE_ID,
      }),
      metricsAccess: new MetricsAccess({ token: METRICS_TOKEN, allow: [] }),
      originPolicy: new OriginPolicy([]),
      connectedClients: () => ({ live: 0, device: 0 }),
      startedTs: Date.now(),
      maxBodyBytes: 1_000_000,
      maxPhotoBytes: 1_000_000,
      clientDist: null,
      limits: { replayPageMaxEvents: 1, replayPageMaxBytes: 1 },
      nodeId: NODE_ID,
      isReady: () => caughtUp,
      listNodes: async () => {
        if (registryDown) throw new Error('registry down');
        return [node('node-c'), node('node-a'), node(NODE_ID)];
      },
    } as unknown as HttpDeps;
    http = createHttpApp(deps).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => http.once('listening', () => resolve()));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });

  it('answers /healthz 503 not-ready while it catches up, then 200 ready', async () => {
    caughtUp = false;
    const before = await fetch(`${url}/healthz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ status: 'starting', nodeId: NODE_ID, ready: false });
    const detailed = await fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(await detailed.json()).toMatchObject({ nodeId: NODE_ID, ready: false, catchingUp: true, storeReachable: true });

    caughtUp = true;
    const after = await fetch(`${url}/healthz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ok', nodeId: NODE_ID, ready: true });
  });

  it('lists the registry nodes sorted by node id and names the answering node', async () => {
    const r = await fetch(`${url}/api/admin/nodes`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as NodesAnswer;
    expect(body.self).toBe(NODE_ID);
    expect(body.nodes.map((n) => n.nodeId)).toEqual(['node-a', NODE_ID, 'node-c']);
    expect(body.nodes[0]!.leases).toEqual(['offline-check']);
  });

  it('answers E_UNAVAILABLE, not an empty list, when the registry cannot be read', async () => {
    registryDown = true;
    try {
      const r = await fetch(`${url}/api/admin/nodes`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('E_UNAVAILABLE');
    } finally {
      registryDown = false;
    }
  });

  it('exports its own node id in ioc_node_info', async () => {
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(text).toContain(`ioc_node_info{node_id="${NODE_ID}",version="${SERVER_VERSION}"} 1`);
  });
});
