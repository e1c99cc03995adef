/**
 * A scheduled-reports service on a fake clock, for the ticker's tests and the store contract's:
 * two report readers, a generator that fails while told to and waits while held (a slow run),
 * every delivery recorded.
 */
import { createLogger } from '../logger';
import { ReportScheduleService } from '../report-schedules/report-schedule-service';
import { MemoryReportScheduleStore, type ReportScheduleStore, type StoredReportSchedule } from '../store/report-schedule-store';
import type { StoredUser } from '../store/store';
import { TestClock } from './test-clock';

/** epoch ms of a Beijing wall-clock time `YYYY-MM-DDTHH:mm:ss` */
export const bj = (iso: string): number => Date.parse(`${iso}+08:00`);
export const silentLog = createLogger('silent');

const user = (username: string, role: StoredUser['role'], districts?: string[]): StoredUser =>
  ({
    username,
    displayName: username,
    role,
    passwordHash: 'x',
    disabled: false,
    failedLogins: 0,
    lockedUntil: 0,
    createdTs: 0,
    ...(districts ? { districts } : {}),
  }) as StoredUser;

const USERS = new Map([
  ['leader1', user('leader1', 'leader')],
  ['officer1', user('officer1', 'officer', ['370202'])],
]);

/**
 * Holds every report generation until released. `entered` counts the history reads waiting (a
 * generation makes its reads at once, one or more): a count above the one after the first
 * generation entered means another generation started.
 */
export interface GenerationHold {
  entered: number;
  /** resolves once `n` reads are waiting */
  waitForEntered(n: number): Promise<void>;
  release(): void;
}

export function reportScheduleHarness(startIso: string, schedules: ReportScheduleStore = new MemoryReportScheduleStore()) {
  const clock = new TestClock(bj(startIso));
  /** the generator throws while `failing` */
  const faults = { failing: false };
  /** the hold in force: a generation counts itself in (`enter`) and waits for `released` */
  let hold: { enter(): void; released: Promise<void> } | null = null;
  const delivered: string[] = [];
  const source = async () => {
    if (hold) await hold.released;
    if (faults.failing) throw new Error('history store unavailable');
    return [];
  };
  const node = (options: { tryLeaseMs?: number } = {}) =>
    new ReportScheduleService({
      schedules,
      users: { getUser: async (u: string) => USERS.get(u) ?? null },
      generator: {
        source: {
          incidents: async () => {
            hold?.enter();
            return source();
          },
          alerts: source,
        },
        horizonMs: 0,
        fusion: { devices: new Map(), listHandlers: () => [] } as never,
        registry: { listAssets: () => [] },
      },
      log: silentLog,
      onDelivered: (run) => delivered.push(run.id),
      now: clock.now,
      ...options,
    });
  /** From now on every generation waits (a slow run) until `release()`. */
  const holdGenerations = (): GenerationHold => {
    let open!: () => void;
    const released = new Promise<void>((resolve) => (open = resolve));
    const waiters: { n: number; resolve: () => void }[] = [];
    const g: GenerationHold = {
      entered: 0,
      waitForEntered: (n) => (g.entered >= n ? Promise.resolve() : new Promise((resolve) => void waiters.push({ n, resolve }))),
      release: () => {
        hold = null;
        open();
      },
    };
    hold = {
      released,
      enter: () => {
        g.entered++;
        for (const w of waiters.filter((x) => g.entered >= x.n)) w.resolve();
      },
    };
    return g;
  };
  const daily: StoredReportSchedule = {
    id: 'daily-city',
    cron: '0 8 * * *',
    kind: 'daily',
    recipients: ['leader1'],
    createdBy: 'admin',
    createdTs: clock.ts,
    updatedTs: clock.ts,
  };
  return { clock, faults, schedules, delivered, node, daily, holdGenerations };
}
