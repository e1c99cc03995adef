// Types of scripts/nginx-balancer.mjs for TypeScript callers (tests/helpers/nginx.ts).
import type { ChildProcess, StdioOptions } from 'node:child_process';

/** deploy/nginx/ioc-cluster.conf.template */
export declare const NGINX_TEMPLATE: string;
export declare const NGINX_PACKAGE: string;
/** a node that refused a connection is skipped this long, s */
export declare const NGINX_START_TIMEOUT_MS: number;
export declare function findNginxBinary(): string | null;
/** the hard open-file limit (`ulimit -Hn`) */
export declare function hardOpenFileLimit(): number;
export declare function renderNginxConfig(options: {
  dir: string;
  listen: string | number;
  upstreamPorts: number[];
  template?: string;
  nofile?: number;
}): string;
export declare function writeNginxConfig(options: { dir: string; listen: string | number; upstreamPorts: number[] }): string;
export declare function probePort(port: number): Promise<boolean>;

export interface SpawnedNginx {
  child: ChildProcess;
  /** path of the nginx.conf written */
  conf: string;
  /** captured stdout/stderr plus the tail of error.log */
  output(): string;
  /** Rewrite the upstream list, check it with `nginx -t`, reload gracefully; resolves when the new worker runs. */
  reload(upstreamPorts: number[]): Promise<void>;
}
export declare function spawnNginx(options: {
  binary: string;
  dir: string;
  port: number;
  listen?: string;
  upstreamPorts: number[];
  stdio?: StdioOptions;
}): Promise<SpawnedNginx>;
