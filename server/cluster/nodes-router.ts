/**
 * The live server nodes for the admin page (issue 15), administrators only:
 *   GET /api/admin/nodes → { nodes: NodeInfo[] sorted by nodeId, self: the answering node's id, nowTs }
 * `nowTs` lets a browser whose clock is off still tell how old each heartbeat is.
 * Not audited: like `GET /api/users` it is an administrator's operational read; only reads of the
 * audit log itself are recorded. A registry that cannot be read answers E_UNAVAILABLE.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Role } from '../../scenes/domain';
import type { SessionClaims } from '../auth/tokens';
import { httpStatusOf, iocError } from '../errors';
import { sortNodesById, type NodeInfo } from './node-info';

type AuthedRequest = Request & { user?: SessionClaims };
type RouteHandler = (req: AuthedRequest, res: Response) => unknown;

export interface NodesRouterDeps {
  /** the id of the node this router runs in */
  nodeId: string;
  /** the live nodes (server/cluster/node-registry.ts; a single node lists itself) */
  listNodes: () => Promise<NodeInfo[]>;
  /** http.ts's guard wrapper: a throw becomes a typed answer */
  route: (entry: string, handler: RouteHandler) => RequestHandler;
  /** http.ts's session check for the given roles */
  auth: (...roles: Role[]) => RequestHandler;
  now?: () => number;
}

/** The answer of `GET /api/admin/nodes`. */
export interface NodesAnswer {
  nodes: NodeInfo[];
  /** the id of the node that answered */
  self: string;
  /** epoch ms on the answering node when it answered (heartbeat ages are measured against it) */
  nowTs: number;
}

export function createNodesRouter(d: NodesRouterDeps): Router {
  const r = express.Router();
  const now = d.now ?? Date.now;
  r.get(
    '/admin/nodes',
    d.auth('admin'),
    d.route('admin-nodes', async (_req, res) => {
      let nodes: NodeInfo[];
      try {
        nodes = await d.listNodes();
      } catch {
        // the registry lives in the store: while it is down the list is unknown, not empty
        const e = iocError('E_UNAVAILABLE', 'the node registry could not be read; try again when the store answers');
        return res.status(httpStatusOf(e.code)).json({ error: e });
      }
      const answer: NodesAnswer = { nodes: sortNodesById(nodes), self: d.nodeId, nowTs: now() };
      res.json(answer);
    }),
  );
  return r;
}
