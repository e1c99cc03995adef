/**
 * Tunables of the demo's past (issue 16, "A demo with a past"): how densely the simulator's
 * physics are sampled, the one past rainstorm, how fast the demo duty team works and how often
 * it errs. Values carry their unit in their name; the generator reads nothing else.
 */
import type { DistrictCode, Priority, ResolutionCategory } from '../domain';
import type { ResponseLevel } from '../plans/plan-schema';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Prefix of every backfilled incident id and alert id: demo data is recognisable wherever it goes (UI, exports, search). */
export const DEMO_ID_PREFIX = 'demo-';

/** The demo duty officer (dispatches and closes) and the alert acknowledger; demo accounts of server/auth/accounts.ts. */
export const DEMO_OFFICERS = ['officer1', 'officer2'] as const;
/** The demo leader who ends a contingency response (only leaders and admins may); a demo account of server/auth/accounts.ts. */
export const DEMO_LEADER = 'leader1';

export interface DemoPastConfig {
  /** signal samples this far apart in the last `fineWindowMs` (the device card's 24 h view draws 5-minute points), ms */
  fineStepMs: number;
  /** the window sampled at `fineStepMs`, ending now, ms */
  fineWindowMs: number;
  /** signal samples this far apart before that (the 7 d view draws hours), ms */
  coarseStepMs: number;
  /** while a rule's condition holds or waits for its minimum duration, samples this far apart, ms */
  alertStepMs: number;
  /** an alert still open at the end of the past is cleared at most this long after its last sample, ms */
  finalClearMs: number;
  /** the past rainstorm: days before now it starts (whole days plus `stormStartHourBeijing`) */
  stormDaysAgo: number;
  stormStartHourBeijing: number;
  /** districts under the storm (Qingdao's urban districts) */
  stormDistricts: readonly DistrictCode[];
  /** rainfall keyframes from the storm's start: [ms, mm/h] */
  stormRainKeyframes: readonly (readonly [number, number])[];
  /** manual and field-report incidents per day, city-wide (Poisson mean) */
  manualIncidentsPerDay: number;
  /** share of incidents the duty officer closes as false alarms after checking (before anyone accepts) */
  falseAlarmShare: number;
  /** share of incidents whose handling runs past the SLA resolution deadline */
  overdueShare: number;
  /** delays of each lifecycle step, ms: [min, max), drawn uniformly; per priority where it matters */
  ackDelayMs: readonly [number, number];
  dispatchDelayMs: readonly [number, number];
  acceptDelayMs: readonly [number, number];
  travelMs: readonly [number, number];
  workMs: Readonly<Record<Priority, readonly [number, number]>>;
  closeDelayMs: readonly [number, number];
  falseAlarmCheckMs: readonly [number, number];
  /** every backfilled incident is closed at least this long before now (no open work in the live console), ms */
  closedBeforeNowMs: number;
  /** after-action category of a normal close, by incident category (default 'repaired') */
  resolutionByCategory: Readonly<Record<string, ResolutionCategory>>;
  /** a proposed contingency plan waits this long for the duty officer's start (or dismissal, when its triggers no longer hold), ms */
  planDecisionDelayMs: readonly [number, number];
  /**
   * Plans the duty officer started by hand for an incident of a category that the plan's own
   * triggers do not reach (e.g. a smoke alarm: the fire plan's level IV, 烟感报警，网格员现场核实):
   * once in the past, for the incident of the category that took longest to resolve.
   */
  manualPlanResponses: readonly { planId: string; category: string; level: ResponseLevel }[];
  /**
   * When the week's draws left no resolved incident of a manual response's category (a smoke alarm
   * is rare, and half of them are false), the duty officer takes such a call by phone (incident-
   * lifecycle.ts MANUAL_PLAN_CALLS) this many local days ago at this Beijing hour, so the demo
   * always shows a hand-started response.
   */
  manualPlanCallDaysAgo: number;
  manualPlanCallHourBeijing: number;
  /** a checklist step is ticked off this share of its expected duration after the start (> 1: late) */
  planStepDurationShare: readonly [number, number];
  /** the leader ends a response this long after its triggers stopped holding (and its last step was ticked), ms */
  planEndDelayMs: readonly [number, number];
}

export const DEFAULT_DEMO_PAST_CONFIG: DemoPastConfig = {
  fineStepMs: 5 * MINUTE_MS,
  fineWindowMs: 24 * HOUR_MS,
  coarseStepMs: HOUR_MS,
  alertStepMs: MINUTE_MS,
  finalClearMs: 5 * MINUTE_MS,
  stormDaysAgo: 3,
  stormStartHourBeijing: 15,
  stormDistricts: ['370202', '370203', '370212', '370213', '370214'],
  // a summer-afternoon rainstorm: builds over an hour to 60 mm/h (red), holds, then eases off
  stormRainKeyframes: [
    [0, 0],
    [HOUR_MS, 35],
    [2 * HOUR_MS, 60],
    [3 * HOUR_MS, 45],
    [4 * HOUR_MS, 12],
    [5 * HOUR_MS, 0],
  ],
  manualIncidentsPerDay: 4,
  falseAlarmShare: 0.12,
  overdueShare: 0.15,
  ackDelayMs: [MINUTE_MS, 12 * MINUTE_MS],
  dispatchDelayMs: [2 * MINUTE_MS, 10 * MINUTE_MS],
  acceptDelayMs: [MINUTE_MS, 8 * MINUTE_MS],
  travelMs: [8 * MINUTE_MS, 35 * MINUTE_MS],
  workMs: {
    P1: [20 * MINUTE_MS, 70 * MINUTE_MS],
    P2: [30 * MINUTE_MS, 150 * MINUTE_MS],
    P3: [40 * MINUTE_MS, 5 * HOUR_MS],
    P4: [HOUR_MS, 10 * HOUR_MS],
  },
  closeDelayMs: [5 * MINUTE_MS, 40 * MINUTE_MS],
  falseAlarmCheckMs: [6 * MINUTE_MS, 25 * MINUTE_MS],
  closedBeforeNowMs: 2 * MINUTE_MS,
  resolutionByCategory: {
    waterlogging: 'cleared',
    flood: 'contained',
    'gas-leak': 'contained',
    fire: 'contained',
    'fire-lane': 'cleared',
    'elderly-care': 'referred',
    elevator: 'repaired',
    'device-fault': 'repaired',
  },
  planDecisionDelayMs: [2 * MINUTE_MS, 9 * MINUTE_MS],
  manualPlanResponses: [{ planId: 'plan-community-fire', category: 'fire', level: 'IV' }],
  manualPlanCallDaysAgo: 2,
  manualPlanCallHourBeijing: 10,
  planStepDurationShare: [0.4, 1.3],
  planEndDelayMs: [20 * MINUTE_MS, 50 * MINUTE_MS],
};
