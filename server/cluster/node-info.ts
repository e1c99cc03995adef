/**
 * A server node's identity as the cluster sees it (issue 15): what each node publishes in the node
 * registry (server/cluster/node-registry.ts), what `GET /api/admin/nodes` lists and the admin page
 * shows, and the id `/healthz` and `/metrics` (`ioc_node_info`) carry.
 */
import { version as packageVersion } from '../../package.json';

/** One live server node. */
export interface NodeInfo {
  /** stable id of the node (IOC_NODE_ID or derived at start); unique in the cluster */
  nodeId: string;
  /** the node's own base URL (behind the balancer), e.g. `http://10.0.0.5:8081`; '' when unknown */
  url: string;
  /** operating-system process id */
  pid: number;
  /** epoch ms when the process started */
  startedTs: number;
  /** epoch ms of the node's last heartbeat in the registry */
  heartbeatTs: number;
  /** the server's package version */
  version: string;
  /** the node serves: store reachable and caught up from the store and the log */
  ready: boolean;
  /** Socket.IO clients connected to this node (all namespaces) */
  clients: number;
  /** names of the cluster-wide leases (timers that act) this node holds */
  leases: string[];
}

/** The node id of a single node that was given none (`npm start` on a laptop). */
export const DEFAULT_NODE_ID = 'local';

/** The server's version as package.json states it (inlined by the bundler). */
export const SERVER_VERSION: string = packageVersion;

/** Nodes in a stable order for display and comparison: by node id. */
export function sortNodesById(nodes: readonly NodeInfo[]): NodeInfo[] {
  return [...nodes].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}
