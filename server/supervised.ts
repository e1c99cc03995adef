/**
 * A child of the `npm start` supervisor (scripts/start.mjs sets IOC_SUPERVISOR_PID) stops when
 * that supervisor is gone: a supervisor killed with SIGKILL cannot stop its children, and an
 * orphaned simulator would go on sending (after a reinstall, with stale tokens) to whatever server
 * comes up on the same port, an orphaned server would hold the port.
 */
export const SUPERVISOR_PID_ENV = 'IOC_SUPERVISOR_PID';
/** How often a supervised child checks that its supervisor is still its parent, ms. */
export const SUPERVISOR_CHECK_INTERVAL_MS = 1_000;

/** Calls `onGone` once when this process's parent is no longer the supervisor it was started by. */
export function stopWithSupervisor(onGone: () => void, env: NodeJS.ProcessEnv = process.env): void {
  const pid = Number(env[SUPERVISOR_PID_ENV]);
  if (!Number.isInteger(pid) || pid <= 0 || process.ppid !== pid) return;
  const timer = setInterval(() => {
    if (process.ppid === pid) return;
    clearInterval(timer);
    onGone();
  }, SUPERVISOR_CHECK_INTERVAL_MS);
  timer.unref();
}
