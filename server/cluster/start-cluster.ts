/**
 * A node's part in the cluster (issue 15), one call in app.ts:
 * - leases for the timers that act (offline alerts, the escalation ladder, plan triggers, the device
 *   state snapshot, store housekeeping): one holder cluster-wide, taken over when it dies;
 * - the node's revision lane (server/cluster/revision-lane.ts), so scene revisions never collide;
 * - the live node list (`/api/admin/nodes`, the admin page).
 * With the in-memory store there is one node: every lease is held, one lane, the list is this node.
 */
import type { Redis } from 'ioredis';
import { CLUSTER_LEASE_NAMES, type ClusterLeaseName } from '../../scenes/cluster-leases';
import type { Logger } from '../logger';
import { LOCAL_LEASE, RedisLeaseKeeper, type ClusterLease, type LeaseOptions } from './lease';
import { MemoryNodeRegistry, RedisNodeRegistry, type NodeRegistry, type NodeSelfInfo } from './node-registry';
import { RevisionLaneKeeper } from './revision-lane';

export { CLUSTER_LEASE_NAMES, type ClusterLeaseName };

export interface ClusterNode {
  readonly nodeId: string;
  readonly leases: Readonly<Record<ClusterLeaseName, ClusterLease>>;
  /** this node's revision lane (lane 0 of 1 on a single node) */
  readonly revisionLane: { lane: number; lanes: number };
  readonly nodes: NodeRegistry;
  /** names of the leases this node holds now */
  heldLeases(): string[];
  /** the revision lane moved (after a loss): wire the scene hub here */
  onLaneChanged(listener: (lane: number) => void): void;
  close(): Promise<void>;
}

export interface ClusterNodeDeps {
  nodeId: string;
  /** the store's client and key prefix (with its separator, e.g. `ioc:`); null = the in-memory store */
  redis: { client: Redis; keyPrefix: string } | null;
  /** this node's info for the node list, read at each heartbeat */
  self: () => Omit<NodeSelfInfo, 'leases'>;
  log: Logger;
  leaseOptions?: Partial<LeaseOptions>;
}

export async function startClusterNode(d: ClusterNodeDeps): Promise<ClusterNode> {
  const held = new Set<string>();
  const laneListeners: ((lane: number) => void)[] = [];
  const self = (): NodeSelfInfo => ({ ...d.self(), leases: [...held].sort() });
  if (!d.redis) {
    const leases = Object.fromEntries(CLUSTER_LEASE_NAMES.map((n) => [n, LOCAL_LEASE(n)])) as Record<ClusterLeaseName, ClusterLease>;
    for (const n of CLUSTER_LEASE_NAMES) held.add(n);
    const nodes = new MemoryNodeRegistry(self);
    return {
      nodeId: d.nodeId,
      leases,
      revisionLane: { lane: 0, lanes: 1 },
      nodes,
      heldLeases: () => [...held].sort(),
      onLaneChanged: () => undefined,
      close: () => nodes.stop(),
    };
  }
  const { client, keyPrefix } = d.redis;
  const lane = new RevisionLaneKeeper({
    redis: client,
    keyPrefix,
    nodeId: d.nodeId,
    log: d.log,
    onLaneChanged: (n) => {
      for (const l of laneListeners) l(n);
    },
  });
  const laneNo = await lane.take();
  const keepers = CLUSTER_LEASE_NAMES.map(
    (name) =>
      new RedisLeaseKeeper({
        redis: client,
        keyPrefix,
        name,
        nodeId: d.nodeId,
        ...(d.leaseOptions ? { options: d.leaseOptions } : {}),
        onChange: (isHeld, token) => {
          if (isHeld) held.add(name);
          else held.delete(name);
          d.log.info({ lease: name, held: isHeld, token }, isHeld ? 'cluster lease taken: this node acts' : 'cluster lease given up');
        },
      }),
  );
  for (const k of keepers) k.start();
  const leases = Object.fromEntries(keepers.map((k) => [k.name, k as ClusterLease])) as Record<ClusterLeaseName, ClusterLease>;
  const nodes = new RedisNodeRegistry(client, keyPrefix, self, {}, { logger: d.log });
  nodes.start();
  return {
    nodeId: d.nodeId,
    leases,
    revisionLane: { lane: laneNo, lanes: lane.lanes },
    nodes,
    heldLeases: () => [...held].sort(),
    onLaneChanged: (l) => laneListeners.push(l),
    close: async () => {
      await nodes.stop().catch(() => undefined);
      await Promise.all(keepers.map((k) => k.stop().catch(() => undefined)));
      await lane.stop();
    },
  };
}
