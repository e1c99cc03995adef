/**
 * One node of a benchmark cluster (issue 15): bench/server-process.ts (same options, same RPC) with
 * its `env` also set in `process.env` before the server starts — the node id comes from
 * `process.env.IOC_NODE_ID` (server/cluster/node-identity.ts), the rest from loadConfig, which
 * gets the same `env`.
 */
import { childOptions } from './child-rpc';
import type { ServerProcessOptions } from './server-process';

const opts = childOptions<ServerProcessOptions>();
for (const [key, value] of Object.entries(opts.env ?? {})) process.env[key] = value;
await import('./server-process');
