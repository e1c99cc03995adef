/**
 * The MQTT benchmark's sizes (full and quick) and its ceiling search, the same for every
 * contender: open-loop steps from `startRatePerS` up by `stepFactor` until one fails (at most
 * `maxSteps`), then `refineSteps` steps bisecting (geometric mean) between the last pass and the
 * lowest failure. A first step that fails halves the rate (at most 3 times). The ceiling is the
 * highest accepted rate of a step that passed. After a failing step the machine gets `recoverMs`,
 * then the contender's own `recover` (when given: it waits until the contender has worked off the
 * backlog that step left, e.g. its event loop is idle again), so the next step does not measure
 * the previous one's queue. Above the first pass,
 * a step that failed narrowly (everything offered taken, no errors, p99 under twice the budget) is
 * run again up to `failedStepRetries` times and counts as passed if any run passed: on a shared
 * 2-core machine one probe held up by another process' pause fails a whole step (p99 of ~50
 * probes is nearly their max). A step far over (a contender past its ceiling) is not run again:
 * a second overload would only deepen the backlog the next part starts on. A contender that
 * passed every step up to `maxSteps` has no ceiling found: its figure is a lower bound (`capped`).
 */
import type { LatencySummary } from './stats';

/** a failing first step halves the rate at most this often */
const MAX_HALVINGS = 3;

export interface MqttProfile {
  fleetCount: number;
  /** devices [loadFrom, loadFrom + loadDevices) carry the MQTT load, one connection each */
  loadDevices: number;
  loadFrom: number;
  publishers: number;
  /** fresh devices for telemetry probes, per contender that has screens */
  probesPerRig: number;
  screens: number;
  startRatePerS: number;
  stepFactor: number;
  maxSteps: number;
  stepMs: number;
  probesPerS: number;
  latencyBudgetMs: number;
  minAcceptedFraction: number;
  recoverMs: number;
  /**
   * steps bisecting (geometrically) between the last pass and the first failure; each halves the
   * uncertainty in log terms: with stepFactor 1.5, 1 step leaves the ceiling within 22 %, 2 within 11 %
   */
  refineSteps?: number;
  /** a failing step above the first pass is run again this often (see the module comment) */
  failedStepRetries?: number;
  maxInflightPerConnection: number;
  connectRatePerS: number;
  connectConcurrency: number;
  keepaliveS: number;
  /** pump stations among the load devices that answer commands */
  commandDevices: number;
  commandLoadFraction: number;
  commandsPerS: number;
  commandMs: number;
  /** mqtt-connections: connections held, over how many processes, at what total CONNECT rate, for how long */
  connections: number;
  connectionProcesses: number;
  connectionsRatePerS: number;
  holdMs: number;
}

export const MQTT_FULL: MqttProfile = {
  fleetCount: 20_000,
  loadDevices: 2_000,
  loadFrom: 0,
  publishers: 2,
  probesPerRig: 600,
  screens: 100,
  startRatePerS: 2_000,
  stepFactor: 1.5,
  // 2,000 × 1.5^9 ≈ 77k readings/s: beyond what 2 publisher processes offer on 2 cores, so every contender fails a step
  maxSteps: 10,
  stepMs: 5_000,
  probesPerS: 10,
  latencyBudgetMs: 250,
  minAcceptedFraction: 0.95,
  recoverMs: 3_000,
  refineSteps: 2,
  failedStepRetries: 1,
  maxInflightPerConnection: 20,
  connectRatePerS: 2_000,
  connectConcurrency: 100,
  keepaliveS: 30,
  commandDevices: 20,
  commandLoadFraction: 0.8,
  commandsPerS: 5,
  commandMs: 10_000,
  connections: 20_000,
  connectionProcesses: 4,
  connectionsRatePerS: 5_000,
  holdMs: 30_000,
};

export const MQTT_QUICK: MqttProfile = {
  ...MQTT_FULL,
  fleetCount: 10_000,
  loadDevices: 1_000,
  probesPerRig: 300,
  stepMs: 2_500,
  maxSteps: 7,
  refineSteps: 1,
  commandMs: 4_000,
  connections: 5_000,
  connectionProcesses: 2,
  holdMs: 10_000,
};

export interface StepOutcome {
  ratePerS: number;
  offeredPerS: number;
  /** ingested by the server (City IOC) or received by the subscriber (peer), per s */
  acceptedPerS: number;
  latency: LatencySummary;
  /** telemetry probes seen on a screen / sent (null for the peer, which times every message) */
  probesSeen: string | null;
  pubackP99Ms: number | null;
  errors: number;
  firstError: string | null;
  cpu: Record<string, number | null>;
  /** what the screens received over the step, per s, all screens together (City IOC contenders) */
  screens?: { kbPerS: number; framesPerS: number; devicePutsPerS: number; disconnects: number };
  passed: boolean;
}

export interface SearchResult {
  ceiling: number | null;
  best: StepOutcome | undefined;
  steps: StepOutcome[];
  /** every step passed up to maxSteps: `ceiling` is a lower bound, not a ceiling */
  capped: boolean;
}

export async function searchCeiling(
  label: string,
  M: Pick<MqttProfile, 'startRatePerS' | 'stepFactor' | 'maxSteps' | 'recoverMs' | 'failedStepRetries' | 'refineSteps'> &
    Partial<Pick<MqttProfile, 'latencyBudgetMs' | 'minAcceptedFraction'>>,
  log: (msg: string) => void,
  step: (ratePerS: number) => Promise<StepOutcome>,
  recover?: () => Promise<void>,
): Promise<SearchResult> {
  const steps: StepOutcome[] = [];
  const run = async (rate: number) => {
    const s = await step(Math.round(rate));
    steps.push(s);
    log(
      `${label}: offered ${s.offeredPerS}/s accepted ${s.acceptedPerS}/s p50/p99 ${s.latency.p50}/${s.latency.p99} ms${s.probesSeen ? ` probes ${s.probesSeen}` : ''} cpu ${JSON.stringify(s.cpu)}${s.screens ? ` screens ${JSON.stringify(s.screens)}` : ''} ${s.passed ? 'PASS' : `fail${s.firstError ? ` (${s.firstError})` : ''}`}`,
    );
    if (!s.passed) {
      await new Promise((r) => setTimeout(r, M.recoverMs));
      await recover?.();
    }
    return s.passed;
  };
  /** a step above the first pass, run again while it fails, up to failedStepRetries times */
  const narrowMiss = (s: StepOutcome) =>
    s.errors === 0 &&
    s.latency.p99 !== null &&
    s.latency.p99 < 2 * (M.latencyBudgetMs ?? Infinity) &&
    s.acceptedPerS >= (M.minAcceptedFraction ?? 0) * s.offeredPerS;
  const runAgainOnFailure = async (rate: number) => {
    for (let i = 0; i < (M.failedStepRetries ?? 0) && narrowMiss(steps[steps.length - 1]!); i++) if (await run(rate)) return true;
    return false;
  };
  let rate = M.startRatePerS;
  let lastPass: number | null = null;
  let firstFail: number | null = null;
  for (let halvings = 0; halvings <= MAX_HALVINGS && lastPass === null; halvings++) {
    if (await run(rate)) lastPass = rate;
    else {
      firstFail = rate;
      rate /= 2;
    }
  }
  if (lastPass !== null && (firstFail === null || firstFail > lastPass)) {
    for (let i = steps.length; i < M.maxSteps && firstFail === null; i++) {
      rate = lastPass * M.stepFactor;
      if ((await run(rate)) || (await runAgainOnFailure(rate))) lastPass = rate;
      else firstFail = rate;
    }
    // bisect (geometrically) between the last pass and the lowest failure
    for (let i = 0; i < (M.refineSteps ?? 1) && firstFail !== null && firstFail > lastPass; i++) {
      const between = Math.sqrt(lastPass * firstFail);
      if ((await run(between)) || (await runAgainOnFailure(between))) lastPass = between;
      else firstFail = between;
    }
  }
  const passing = steps.filter((s) => s.passed);
  const ceiling = passing.length ? Math.max(...passing.map((s) => s.acceptedPerS)) : null;
  return { ceiling, best: passing.find((s) => s.acceptedPerS === ceiling), steps, capped: lastPass !== null && firstFail === null };
}
