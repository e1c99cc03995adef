/**
 * The id a server node goes by in the cluster (issue 15): in the lease keys, the node registry,
 * `/healthz` and `ioc_node_info`.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError } from '../config';

/** What a node id may look like: safe in Redis keys, log lines, metric labels and URLs. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Random bytes in a derived id (hex: twice as many characters), so two starts on one host and port differ. */
const DERIVED_ID_RANDOM_BYTES = 2;
/** Longest host-name part of a derived id, leaving room for `-<port>-<hex>` within the pattern's 64. */
const DERIVED_ID_MAX_HOST_CHARS = 48;

/**
 * `IOC_NODE_ID` when set (must match NODE_ID_PATTERN, else ConfigError), otherwise
 * `<hostname>-<port>-<4 random hex>`, the host name reduced to the pattern's characters. A derived
 * id changes at every start: a restarted node is a new node to the registry and the leases.
 */
export function resolveNodeId(env: NodeJS.ProcessEnv, port: number, host: string = hostname()): string {
  const configured = env.IOC_NODE_ID;
  if (configured !== undefined && configured !== '') {
    if (!NODE_ID_PATTERN.test(configured)) {
      throw new ConfigError(`IOC_NODE_ID '${configured}' must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    }
    return configured;
  }
  const safeHost = host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, DERIVED_ID_MAX_HOST_CHARS) || 'node';
  return `${safeHost}-${port}-${randomBytes(DERIVED_ID_RANDOM_BYTES).toString('hex')}`;
}
