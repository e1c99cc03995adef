/**
 * The MQTT codec's debug calls cost nothing unless someone asked to see them.
 *
 * `mqtt-packet` (the codec under aedes and `mqtt`) calls its `debug` logger 5–10 times per packet,
 * and the `debug` package's logger is `function debug(...args) { if (!debug.enabled) return; … }`:
 * even switched off, every call allocates its argument array and runs the `enabled` getter. At the
 * MQTT ingest ceiling that was ≈ 3 % of the server's CPU and ≈ 6 % of everything it allocated
 * (bench window profiles, 2026-12-03). Importing this module first (server/main.ts, server/app.ts)
 * hands those namespaces a plain no-op instead, unless `DEBUG` enables them when the process starts
 * (`DEBUG=mqtt-packet:* npm start` still prints them). Every other namespace and every property of
 * the `debug` export pass through unchanged.
 */
import { createRequire } from 'node:module';

/** namespaces on the per-packet path; quieted when `DEBUG` does not enable them */
const HOT_NAMESPACES = /^mqtt-packet:/;

type DebugInstance = ((...args: unknown[]) => void) & { enabled: boolean; namespace: string };
type CreateDebug = ((namespace: string) => DebugInstance) & { enabled(namespace: string): boolean };

/** set on globalThis once installed (a module evaluated twice installs once): whether it was in time */
const INSTALLED = Symbol.for('ioc.quietDebug');

/** A logger that does nothing and says so (`enabled` false), shaped like a `debug` instance. */
export function silentDebug(namespace: string): DebugInstance {
  const noop = (() => undefined) as unknown as DebugInstance & { extend(sub: string): DebugInstance; destroy(): boolean; log(): void };
  noop.enabled = false;
  noop.namespace = namespace;
  noop.extend = (sub: string) => silentDebug(`${namespace}:${sub}`);
  noop.destroy = () => false;
  noop.log = () => undefined;
  return noop;
}

/** `createDebug` with the hot namespaces answered by `silentDebug` when they are not enabled. */
export function quietHotNamespaces(createDebug: CreateDebug): CreateDebug {
  return new Proxy(createDebug, {
    apply(target, thisArg, args: [string]) {
      const [namespace] = args;
      if (typeof namespace === 'string' && HOT_NAMESPACES.test(namespace) && !target.enabled(namespace)) return silentDebug(namespace);
      return Reflect.apply(target, thisArg, args) as DebugInstance;
    },
  });
}

/**
 * Replaces the `debug` package's export in Node's module cache (once). True when that happened
 * before the MQTT codec was loaded (else its loggers are the ones it already made).
 */
function install(): boolean {
  const g = globalThis as typeof globalThis & { [INSTALLED]?: boolean };
  if (g[INSTALLED] !== undefined) return g[INSTALLED];
  const require = createRequire(import.meta.url);
  const codecLoaded = Object.keys(require.cache).some((file) => /[\\/]mqtt-packet[\\/]parser\.js$/.test(file));
  const createDebug = require('debug') as CreateDebug;
  const cached = require.cache[require.resolve('debug')];
  if (cached) cached.exports = quietHotNamespaces(createDebug);
  g[INSTALLED] = cached !== undefined && !codecLoaded;
  return g[INSTALLED];
}

const quietBeforeCodec = install();

/** Whether the MQTT codec, when it loaded, got the quiet loggers (tests: the import order holds). */
export function codecDebugQuieted(): boolean {
  return quietBeforeCodec;
}
