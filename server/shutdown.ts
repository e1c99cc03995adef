/**
 * Stopping the server's parts in order, each within a bound. A part that hangs (a flush waiting on
 * a store that went away, a socket that never closes) or throws is logged by name and the next part
 * stops anyway: the store's connection and the cluster's leases are released last whatever happened
 * before them, and a caller that awaits close() (a test's afterAll, main's shutdown) is not held
 * for ever by one part.
 */
import type { Logger } from './logger';

export interface ShutdownStep {
  /** names the part in the log line of a slow or failed stop */
  name: string;
  stop: () => void | Promise<void>;
  /** called once when `stop` is still running at its bound, before the next part stops (e.g. cut open sockets) */
  onTimeout?: () => void;
}

export interface ShutdownOutcome {
  /** parts that did not finish within the bound */
  timedOut: string[];
  /** parts whose stop threw or rejected */
  failed: string[];
}

/** A part of the server is given this long to stop, ms (main.ts cuts the whole shutdown at 10 s). */
export const SHUTDOWN_STEP_TIMEOUT_MS = 5_000;

export async function shutdownInOrder(
  steps: readonly ShutdownStep[],
  log: Logger,
  stepTimeoutMs = SHUTDOWN_STEP_TIMEOUT_MS,
): Promise<ShutdownOutcome> {
  const outcome: ShutdownOutcome = { timedOut: [], failed: [] };
  for (const step of steps) {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), stepTimeoutMs);
    });
    const run = Promise.resolve()
      .then(step.stop)
      .then(
        () => 'done' as const,
        (err: unknown) => {
          outcome.failed.push(step.name);
          log.error({ err, part: step.name }, 'shutdown: a part failed to stop; stopping the rest');
          return 'failed' as const;
        },
      );
    const result = await Promise.race([run, bound]);
    clearTimeout(timer);
    if (result === 'timeout') {
      outcome.timedOut.push(step.name);
      log.warn({ part: step.name, waitedMs: Date.now() - started }, 'shutdown: a part did not stop in time; stopping the rest');
      try {
        step.onTimeout?.();
      } catch (err) {
        log.error({ err, part: step.name }, 'shutdown: cutting a slow part short failed');
      }
    }
  }
  return outcome;
}
