/**
 * Scheduled report store contract (server/store/report-schedule-store.ts): the same requirements
 * (slot claims and their retries) against the memory store and the Redis one (a throwaway redis-server, also through the app's ACL user).
 */
import { describe, expect, it } from 'vitest';
import { storeImplementations } from '../../tests/helpers/store-contract';
import type { Report } from '../../scenes/reports/build-report';
import { reportScheduleStoreFor, type ReportRunMeta, type StoredReportSchedule } from '../store/report-schedule-store';

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
      expect(await s.claimSlot('a', T0, T0 + 60_000)).toBe(true);
      expect(await s.pendingAttempt('a')).toEqual({ slotTs: T0, attempt: 1, retryTs: T0 + 60_000 });
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
      await s.claimSlot('a', T0, T0 + 60_000);
      expect(await s.claimRetry('a', T0, 3, null)).toBe(false);
      expect(await s.claimRetry('a', T0 - DAY, 2, null)).toBe(false);
      expect(await s.claimRetry('a', T0, 2, T0 + 300_000)).toBe(true);
      expect(await s.claimRetry('a', T0, 2, T0 + 300_000)).toBe(false);
      expect(await s.pendingAttempt('a')).toEqual({ slotTs: T0, attempt: 2, retryTs: T0 + 300_000 });
      expect(await s.claimRetry('a', T0, 3, null)).toBe(true);
      expect(await s.pendingAttempt('a')).toEqual({ slotTs: T0, attempt: 3, retryTs: null });
      // the next slot's claim replaces the old slot's pending attempt
      await s.claimSlot('a', T0 + DAY, T0 + DAY + 60_000);
      expect(await s.claimRetry('a', T0, 4, null)).toBe(false);
      expect(await s.pendingAttempt('a')).toMatchObject({ slotTs: T0 + DAY, attempt: 1 });
      await s.createSchedule(schedule('a'));
      await s.deleteSchedule('a');
      expect(await s.pendingAttempt('a')).toBeNull();
    });

    it('gives a retry to exactly one of two concurrent claimers', async () => {
      const store = make();
      const [x, y] = [reportScheduleStoreFor(store), reportScheduleStoreFor(store)];
      await x.claimSlot('a', T0, T0 + 60_000);
      const results = await Promise.all([x.claimRetry('a', T0, 2, null), y.claimRetry('a', T0, 2, null), x.claimRetry('a', T0, 2, null)]);
      expect(results.filter(Boolean)).toHaveLength(1);
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
});
