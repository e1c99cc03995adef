/**
 * The cluster harness itself (issue 15): three real nodes on one real Redis (AOF on) behind a real
 * nginx with the shipped balancer config. Each node answers /healthz as itself, the balancer
 * answers as one of them, and one client stays on one node (ip_hash), which Socket.IO's
 * long-polling transport needs. Outside CI a missing `redis-server` or `nginx` is a loud skip
 * naming the package; in CI it fails.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../../tests/helpers/cluster';

/** Requests that must all land on one node for the stickiness check. */
const STICKY_REQUESTS = 20;
const NODES = 3;

interface Health {
  status: string;
  nodeId?: string;
  ready?: boolean;
}

/**
 * GET over a NEW TCP connection each time (no keep-alive agent): stickiness must come from the
 * balancer's choice per client, not from reusing one connection to one node.
 */
function getFresh(url: string): Promise<{ status: number; body: Health }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Health });
        } catch (err) {
          reject(new Error(`${url}: not JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: err }));
        }
      });
    });
    req.once('error', reject);
    req.end();
  });
}

let cluster: TestCluster | null = null;
// one start for the file: three nodes on a loaded 2-core machine take a while
beforeAll(async () => {
  cluster = await startCluster({ nodes: NODES });
}, 180_000);
afterAll(async () => {
  await cluster?.stop();
}, 60_000);

describe('cluster harness: three nodes, one Redis, nginx in front', () => {
  it('starts every node ready, each answering /healthz with its own node id', async (ctx) => {
    if (cluster === null) return ctx.skip(); // startCluster already warned loudly (and throws in CI)
    const answers = await Promise.all(cluster.nodes.map((_, i) => getFresh(`${cluster!.nodeUrl(i)}/healthz`)));
    answers.forEach((a, i) => {
      expect(a.status, `node ${i}`).toBe(200);
      expect(a.body).toMatchObject({ nodeId: cluster!.nodeId(i), ready: true });
    });
  });

  it('answers /healthz through the balancer as one of the nodes', async (ctx) => {
    if (cluster === null) return ctx.skip();
    const a = await getFresh(`${cluster.url}/healthz`);
    expect(a.status).toBe(200);
    const ids = cluster.nodes.map((_, i) => cluster!.nodeId(i));
    expect(ids).toContain(a.body.nodeId);
  });

  it(`keeps one client on one node for ${STICKY_REQUESTS} requests on fresh connections (ip_hash)`, async (ctx) => {
    if (cluster === null) return ctx.skip();
    const seen = new Set<string | undefined>();
    for (let i = 0; i < STICKY_REQUESTS; i++) seen.add((await getFresh(`${cluster.url}/healthz`)).body.nodeId);
    expect([...seen]).toHaveLength(1);
    expect(seen.has(undefined)).toBe(false);
  });
});
