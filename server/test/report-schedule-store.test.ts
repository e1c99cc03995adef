/**
 * Scheduled report store contract (server/store/report-schedule-store.ts): the same requirements
 * (slot claims, their retries and leases, runs written once) against the memory store and the Redis
 * one (a throwaway redis-server, also through the app's ACL user) — and the service on each: a slow
 * scheduled run overlapping its retry delivers one notification.
 */
import { describe, expect, it } from 'vitest';
import { storeImplementations } from '../../tests/helpers/store-contract';
import type { Report } from '../../scenes/reports/build-report';
import { reportScheduleStoreFor, type ReportRunMeta, type SlotTryTimes, type StoredReportSchedule } from '../store/report-schedule-store';
import { bj, reportScheduleHarness } from './report-schedule-helpers';

const implementations = await storeImplementations('rsched');

const T0 = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;

function schedule(id: string): StoredReportSchedule {
  return { id, cron: '0 8 * * *', kind: 'daily', recipients: ['leader1'], createdBy: 'admin', createdTs: T0, updatedTs: T0 };
}

function run(id: string, generatedTs: number, recipients = ['leader1']): ReportRunMeta {
  return { id, scheduleId: 's1', kind: 'daily', date: '2026-11-01', recipients, trigger: 'schedule', slotTs: generatedTs, generatedTs };
}

const report = (n: number) => ({ marker: n }) as unknown as Report;
const MIN = 60_000;
/** a try claimed at `ts`: retry after a minute, running for five */
const times = (ts: number, retry: boolean = true): SlotTryTimes => ({ retryTs: retry ? ts + MIN : null, runningUntilTs: ts + 5 * MIN });

describe.each(implementations)('$name report schedule store', ({ available, make }) => {
  describe.skipIf(!available)('contract', () => {
    it('creates a schedule once, replaces only an existing one, deletes it', async () => {
      const s = reportScheduleStoreFor(make());
      expect(await s.createSchedule(schedule('a'))).toBe(true);
      expect(await s.createSchedule({ ...schedule('a'), cron: '0 9 * * *' })).toBe(false);
      expect(await s.replaceSchedule({ ...schedule('b') })).toBe(false);
      expect(await s.replaceSchedule({ ...schedule('a'), kind: 'weekly' })).toBe(true);
      await s.createSchedule(schedule('0first'));
      expect((await s.listSchedules()).map((x) => [x.id, x.kind])).toEqual([
        ['0first', 'daily'],
        ['a', 'weekly'],
      ]);
      expect(await s.deleteSchedule('a')).toBe(true);
      expect(await s.deleteSchedule('a')).toBe(false);
      expect(await s.getSchedule('a')).toBeNull();
    });

    it('claims a slot once, and never one at or before a claimed slot', async () => {
      const s = reportScheduleStoreFor(make());
      expect(await s.lastSlot('a')).toBeNull();
      expect(await s.claimSlot('a', T0)).toBe(true);
      expect(await s.claimSlot('a', T0)).toBe(false);
      expect(await s.claimSlot('a', T0 - DAY)).toBe(false);
      expect(await s.claimSlot('b', T0)).toBe(true);
      expect(await s.claimSlot('a', T0 + DAY)).toBe(true);
      expect(await s.lastSlot('a')).toBe(T0 + DAY);
    });

    it('claims a slot for exactly one of two concurrent claimers', async () => {
      const store = make();
      const [x, y] = [reportScheduleStoreFor(store), reportScheduleStoreFor(store)];
      const results = await Promise.all([x.claimSlot('a', T0), y.claimSlot('a', T0), x.claimSlot('a', T0), y.claimSlot('a', T0)]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('keeps a claimed slot pending until settled, with the claim itself', async () => {
      const s = reportScheduleStoreFor(make());
      expect(await s.claimSlot('a', T0, times(T0))).toBe(true);
      expect(await s.pendingAttempt('a')).toEqual({ slotTs: T0, attempt: 1, retryTs: T0 + MIN, runningUntilTs: T0 + 5 * MIN });
      expect(await s.pendingAttempt('b')).toBeNull();
      await s.settleSlot('a', T0 - DAY);
      expect(await s.pendingAttempt('a')).not.toBeNull();
      await s.settleSlot('a', T0);
      expect(await s.pendingAttempt('a')).toBeNull();
      // a claim without retryTs keeps nothing pending
      expect(await s.claimSlot('a', T0 + DAY)).toBe(true);
      expect(await s.pendingAttempt('a')).toBeNull();
    });

    it('claims each retry of the pending slot once, in order, and none of an abandoned slot', async () => {
      const s = reportScheduleStoreFor(make());
      await s.claimSlot('a', T0, times(T0));
      const late = T0 + DAY - 1;
      expect(await s.claimRetry('a', T0, 3, times(late), late)).toBe(false);
      expect(await s.claimRetry('a', T0 - DAY, 2, times(late), late)).toBe(false);
      expect(await s.claimRetry('a', T0, 2, times(T0 + 10 * MIN), T0 + 10 * MIN)).toBe(true);
      expect(await s.claimRetry('a', T0, 2, times(late), late)).toBe(false);
      expect(await s.pendingAttempt('a')).toEqual({ slotTs: T0, attempt: 2, retryTs: T0 + 11 * MIN, runningUntilTs: T0 + 15 * MIN });
      expect(await s.claimRetry('a', T0, 3, times(T0 + 20 * MIN, false), T0 + 20 * MIN)).toBe(true);
      expect(await s.pendingAttempt('a')).toEqual({ slotTs: T0, attempt: 3, retryTs: null, runningUntilTs: T0 + 25 * MIN });
      // the last try has no retry, even long after
      expect(await s.claimRetry('a', T0, 4, times(late), late)).toBe(false);
      // the next slot's claim replaces the old slot's pending attempt
      await s.claimSlot('a', T0 + DAY, times(T0 + DAY));
      expect(await s.claimRetry('a', T0, 4, times(late), late)).toBe(false);
      expect(await s.pendingAttempt('a')).toMatchObject({ slotTs: T0 + DAY, attempt: 1 });
      await s.createSchedule(schedule('a'));
      await s.deleteSchedule('a');
      expect(await s.pendingAttempt('a')).toBeNull();
    });

    it('gives no retry while the try may still run: before its lease is over, unless it ended', async () => {
      const s = reportScheduleStoreFor(make());
      await s.claimSlot('a', T0, times(T0));
      // retry time (1 min) passed, the try's lease (5 min) not: it may still be generating
      expect(await s.claimRetry('a', T0, 2, times(T0 + 2 * MIN), T0 + 2 * MIN)).toBe(false);
      // a crashed try: its lease is over
      expect(await s.claimRetry('a', T0, 2, times(T0 + 5 * MIN), T0 + 5 * MIN)).toBe(true);
      // a try that failed ends its hold: its retry comes at the retry time
      await s.endTry('a', T0, 1); // not the pending try: nothing changes
      expect(await s.pendingAttempt('a')).toMatchObject({ attempt: 2, runningUntilTs: T0 + 10 * MIN });
      await s.endTry('a', T0, 2);
      expect(await s.pendingAttempt('a')).toEqual({ slotTs: T0, attempt: 2, retryTs: T0 + 6 * MIN, runningUntilTs: null });
      expect(await s.claimRetry('a', T0, 3, times(T0 + 6 * MIN - 1), T0 + 6 * MIN - 1)).toBe(false);
      expect(await s.claimRetry('a', T0, 3, times(T0 + 6 * MIN), T0 + 6 * MIN)).toBe(true);
    });

    it('gives a retry to exactly one of two concurrent claimers', async () => {
      const store = make();
      const [x, y] = [reportScheduleStoreFor(store), reportScheduleStoreFor(store)];
      await x.claimSlot('a', T0, times(T0));
      const at = T0 + 5 * MIN;
      const results = await Promise.all([
        x.claimRetry('a', T0, 2, times(at), at),
        y.claimRetry('a', T0, 2, times(at), at),
        x.claimRetry('a', T0, 2, times(at), at),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('writes a run once: a second run with its id is refused and changes nothing', async () => {
      const store = make();
      const [x, y] = [reportScheduleStoreFor(store), reportScheduleStoreFor(store)];
      const results = await Promise.all([x.saveRun(run('r1', T0), report(1), T0), y.saveRun(run('r1', T0 + 1), report(2), T0 + 1)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results[0] ? 1 : 2;
      expect(await x.saveRun(run('r1', T0 + 2), report(3), T0 + 2)).toBe(false);
      expect(await x.getRunReport('r1')).toEqual(report(winner));
      expect((await x.getRun('r1'))?.generatedTs).toBe(winner === 1 ? T0 : T0 + 1);
      expect(await x.listRuns()).toHaveLength(1);
    });

    it('keeps runs newest first with their report and read marks', async () => {
      const s = reportScheduleStoreFor(make());
      await s.saveRun(run('r1', T0), report(1), T0);
      await s.saveRun(run('r2', T0 + 1000, ['leader1', 'officer1']), report(2), T0 + 1000);
      expect((await s.listRuns()).map((r) => r.id)).toEqual(['r2', 'r1']);
      expect(await s.getRun('r2')).toEqual(run('r2', T0 + 1000, ['leader1', 'officer1']));
      expect(await s.getRunReport('r1')).toEqual(report(1));
      await s.markRead('officer1', 'r2', T0 + 2000);
      await s.markRead('officer1', 'nope', T0 + 2000);
      expect([...(await s.readRunIds('officer1', ['r1', 'r2', 'nope']))]).toEqual(['r2']);
      expect((await s.readRunIds('leader1', ['r1', 'r2'])).size).toBe(0);
    });

    it('prunes runs past the count and the age, with their reports', async () => {
      const s = reportScheduleStoreFor(make(), { maxRuns: 2, maxAgeMs: 10 * DAY });
      await s.saveRun(run('old', T0), report(0), T0);
      await s.saveRun(run('r1', T0 + 5 * DAY), report(1), T0 + 5 * DAY);
      await s.markRead('leader1', 'old', T0 + 1);
      // 11 days later: 'old' is past the age
      await s.saveRun(run('r2', T0 + 11 * DAY), report(2), T0 + 11 * DAY);
      expect((await s.listRuns()).map((r) => r.id)).toEqual(['r2', 'r1']);
      expect(await s.getRunReport('old')).toBeNull();
      await s.saveRun(run('r3', T0 + 12 * DAY), report(3), T0 + 12 * DAY);
      expect((await s.listRuns()).map((r) => r.id)).toEqual(['r3', 'r2']);
    });
  });

  describe.skipIf(!available)('delivery of a scheduled slot', () => {
    const SLOT = '2026-12-01T08:00:00';

    it('delivers once when a slow first try is still running at its retry time: the retry waits', async () => {
      const h = reportScheduleHarness('2026-12-01T07:59:00', reportScheduleStoreFor(make()));
      await h.schedules.createSchedule(h.daily);
      const [a, b] = [h.node(), h.node()];
      const hold = h.holdGenerations();
      h.clock.ts = bj(SLOT);
      const first = a.runDue();
      await hold.waitForEntered(1);
      // past the 1-minute retry time, within the try's lease: another node's pass makes nothing
      h.clock.ts = bj(SLOT) + 2 * MIN;
      const afterFirst = hold.entered;
      expect(await b.runDue()).toEqual([]);
      expect(hold.entered).toBe(afterFirst);
      hold.release();
      expect((await first).map((r) => r.slotTs)).toEqual([bj(SLOT)]);
      // nothing is left to retry later either
      for (const minutes of [6, 20, 60]) {
        h.clock.ts = bj(SLOT) + minutes * MIN;
        await b.runDue();
      }
      expect(h.delivered).toHaveLength(1);
      expect(await h.schedules.listRuns()).toHaveLength(1);
      expect(await h.schedules.pendingAttempt('daily-city')).toBeNull();
    });

    it('delivers once when a try outlives its lease and its retry runs beside it', async () => {
      const h = reportScheduleHarness('2026-12-01T07:59:00', reportScheduleStoreFor(make()));
      await h.schedules.createSchedule(h.daily);
      const [a, b] = [h.node({ tryLeaseMs: 2 * MIN }), h.node({ tryLeaseMs: 2 * MIN })];
      const hold = h.holdGenerations();
      h.clock.ts = bj(SLOT);
      const first = a.runDue();
      await hold.waitForEntered(1);
      const afterFirst = hold.entered;
      // the first try looks dead (lease over): the retry is claimed and generates beside it
      h.clock.ts = bj(SLOT) + 2 * MIN;
      const retry = b.runDue();
      await hold.waitForEntered(afterFirst + 1);
      hold.release();
      const made = [...(await first), ...(await retry)];
      expect(made).toHaveLength(1);
      expect(h.delivered).toEqual([made[0]!.id]);
      expect(await h.schedules.listRuns()).toHaveLength(1);
      expect(await h.schedules.pendingAttempt('daily-city')).toBeNull();
      h.clock.ts = bj(SLOT) + 30 * MIN;
      await Promise.all([a.runDue(), b.runDue()]);
      expect(h.delivered).toHaveLength(1);
    });

    it('retries a failed try at its retry time, not after its lease', async () => {
      const h = reportScheduleHarness('2026-12-01T07:59:00', reportScheduleStoreFor(make()));
      await h.schedules.createSchedule(h.daily);
      const node = h.node();
      h.faults.failing = true;
      h.clock.ts = bj(SLOT);
      await node.runDue();
      h.faults.failing = false;
      h.clock.ts = bj(SLOT) + MIN;
      await node.runDue();
      expect(h.delivered).toHaveLength(1);
      expect((await h.schedules.getSchedule('daily-city'))?.lastRun).toMatchObject({ status: 'ok', attempt: 2 });
    });
  });
});
