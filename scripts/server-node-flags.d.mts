// Types of scripts/server-node-flags.mjs for TypeScript callers (the bench).
/** V8 flags of every server process (npm start, npm run cluster, the bench's servers). */
export declare const SERVER_NODE_FLAGS: readonly string[];
