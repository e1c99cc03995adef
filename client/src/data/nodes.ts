/**
 * The live server nodes for the admin page (issue 15; server: GET /api/admin/nodes, admins only,
 * server/cluster/nodes-router.ts). The wire types are the server's; ages are measured against the
 * answering node's clock (`nowTs`), so a wall PC whose clock is off still reads them right.
 */
import type { NodeInfo } from '../../../server/cluster/node-info';
import type { NodesAnswer } from '../../../server/cluster/nodes-router';
import { call, type ApiResult } from './rest';

export type { NodeInfo, NodesAnswer };

/** How often the nodes tab asks again while it is open, ms. */
export const NODES_REFRESH_INTERVAL_MS = 5_000;
/** A heartbeat older than this is shown as late (red), ms: a live node beats well within it. */
export const NODE_HEARTBEAT_LATE_MS = 5_000;

export function fetchNodes(token: string): Promise<ApiResult<NodesAnswer>> {
  return call(token, '/api/admin/nodes');
}

/** How old a node's last heartbeat was when the list was answered, ms (never negative: clocks of two nodes may differ a little). */
export function heartbeatAgeMs(node: Pick<NodeInfo, 'heartbeatTs'>, answeredTs: number): number {
  return Math.max(0, answeredTs - node.heartbeatTs);
}

/** The heartbeat is late enough that the node may be gone (strictly beyond the bound). */
export function heartbeatLate(ageMs: number, lateAfterMs: number = NODE_HEARTBEAT_LATE_MS): boolean {
  return ageMs > lateAfterMs;
}

/** Whole seconds of an age, rounded down (the table shows "3 秒前"). */
export function ageSeconds(ageMs: number): number {
  return Math.floor(Math.max(0, ageMs) / 1000);
}
