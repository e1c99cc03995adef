// Types of scripts/build-server-if-stale.mjs for TypeScript callers (the test harness).
export declare const root: string;
export declare const serverDistDir: string;
/** dist-server/main.mjs */
export declare const serverBundle: string;
export declare function serverBundleIsStale(): boolean;
/** Builds when stale (or when `force`); true when it built. Throws on a build error. */
export declare function buildServerIfStale(options?: { quiet?: boolean; force?: boolean }): boolean;
