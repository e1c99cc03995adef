/**
 * A City IOC cluster on loopback for integration tests (issue 15): one throwaway `redis-server`
 * with the append-only file on, N server nodes as real processes sharing it (tests/helpers/
 * server-process.ts: `kill9()`, `restart()`), and a real nginx in front with the shipped balancer
 * config (tests/helpers/nginx.ts, `ip_hash`).
 *
 * ```ts
 * const cluster = await startCluster({ nodes: 3 });       // null: redis-server or nginx missing (outside CI)
 * await fetch(`${cluster.url}/healthz`);                   // through nginx
 * await fetch(`${cluster.nodeUrl(1)}/healthz`);            // node-2 directly
 * await cluster.nodes[0].kill9();                          // its clients fail over through nginx
 * await cluster.restartRedis();                            // same port and dir: the AOF is replayed
 * await cluster.stop();
 * ```
 *
 * Node i (0-based, as in `nodes`) runs with IOC_NODE_ID=node-<i+1>, its own free port and spool
 * dir, the embedded MQTT broker off, and the cluster's IOC_REDIS_PREFIX. node-1 starts first and
 * alone: it seeds an empty store with the demo fleet, so the others find it instead of racing to.
 */
import { startNginx, type TestNginx } from './nginx';
import { startRedisServer, type TestRedisServer } from './redis-server';
import { startServerProcess, type ServerProcess, type ServerProcessOptions } from './server-process';

/** Key prefix of every cluster the harness starts (each on its own throwaway Redis). */
export const TEST_CLUSTER_PREFIX = 'ioc-cluster';

export interface StartClusterOptions {
  /** server nodes; default 3 */
  nodes?: number;
  /** demo fleet size the first node seeds (IOC_DEMO_DEVICES); default 200 */
  devices?: number;
  /** extra environment of every node (wins over the harness's) */
  env?: Record<string, string>;
  /** extra environment of node i (0-based; wins over `env`) */
  nodeEnv?: (index: number) => Record<string, string>;
  /** AOF fsync policy of the test Redis; default `everysec` (the production layout's) */
  aofFsync?: 'everysec' | 'always';
  /** IOC_LOG_LEVEL of the nodes; default 'warn' */
  logLevel?: string;
}

export interface TestCluster {
  redis: TestRedisServer;
  /** the nodes, index i = `node-<i+1>` */
  nodes: ServerProcess[];
  nginx: TestNginx;
  /** the balancer: `http://127.0.0.1:<nginx port>` */
  url: string;
  /** IOC_REDIS_PREFIX of every node */
  prefix: string;
  /** node i directly (0-based), bypassing nginx */
  nodeUrl(index: number): string;
  /** IOC_NODE_ID of node i (0-based): `node-<i+1>` */
  nodeId(index: number): string;
  /** Kill Redis (SIGKILL, as a crash) and start it again on the same port and dir; resolves when it answers PING (AOF loaded). */
  restartRedis(): Promise<void>;
  /** Stop nginx, the nodes, then Redis (each removes its temp dir). */
  stop(): Promise<void>;
}

/** IOC_NODE_ID of the node at a 0-based index. */
export function clusterNodeId(index: number): string {
  return `node-${index + 1}`;
}

export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster | null> {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`startCluster: nodes must be a positive integer (got ${count})`);
  const redis = await startRedisServer({ aof: { fsync: options.aofFsync ?? 'everysec' } });
  if (redis === null) return null;

  const nodes: ServerProcess[] = [];
  let nginx: TestNginx | null = null;
  const stopAll = async (): Promise<void> => {
    await nginx?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  };

  const nodeOptions = (index: number): ServerProcessOptions => ({
    redisUrl: redis.url,
    devices: options.devices ?? 200,
    logLevel: options.logLevel ?? 'warn',
    env: {
      IOC_NODE_ID: clusterNodeId(index),
      IOC_REDIS_PREFIX: TEST_CLUSTER_PREFIX,
      // MQTT off: every node would want the same default broker port
      IOC_MQTT_PORT: '0',
      ...options.env,
      ...options.nodeEnv?.(index),
    },
  });

  try {
    nodes.push(await startServerProcess(nodeOptions(0)));
    const rest = await Promise.allSettled(Array.from({ length: count - 1 }, (_, i) => startServerProcess(nodeOptions(i + 1))));
    for (const r of rest) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    nginx = await startNginx({ upstreamPorts: nodes.map((n) => n.port) });
    if (nginx === null) {
      await stopAll();
      return null;
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  const balancer = nginx;
  return {
    redis,
    nodes,
    nginx: balancer,
    url: balancer.url,
    prefix: TEST_CLUSTER_PREFIX,
    nodeUrl: (index) => {
      const node = nodes[index];
      if (node === undefined) throw new Error(`no node ${index} (the cluster has ${nodes.length})`);
      return node.url;
    },
    nodeId: clusterNodeId,
    restartRedis: () => redis.restart(),
    stop: stopAll,
  };
}
