/**
 * The scheduled reports' ticker with a fake clock: a due slot is made once, two tickers on two
 * lease holders (a handover, or two nodes each believing they hold it) make one report, a run
 * after downtime catches up only the newest missed slot, a node without the lease does nothing;
 * a failed slot is tried again after 1, 5 and 15 min, once cluster-wide, then given up.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_LEASE, type ClusterLease } from '../cluster/lease';
import { bj, reportScheduleHarness as harness, silentLog as log } from '../test/report-schedule-helpers';
import { startReportScheduleTicker } from './report-schedule-ticker';

const NOT_HELD: ClusterLease = { name: 'reports', isHeld: async () => false, fencingToken: () => null };

describe('the scheduled reports ticker', () => {
  it('makes a due run once, for the day before, and nothing before its time', async () => {
    const h = harness('2026-12-01T07:00:00');
    await h.schedules.createSchedule(h.daily);
    const ticker = startReportScheduleTicker({ service: h.node(), lease: LOCAL_LEASE('reports'), log, intervalMs: 3_600_000 });
    await ticker.tick();
    expect(h.delivered).toEqual([]);
    h.clock.ts = bj('2026-12-01T08:00:30');
    await ticker.tick();
    await ticker.tick();
    expect(h.delivered).toHaveLength(1);
    const [run] = await h.schedules.listRuns();
    expect(run).toMatchObject({
      scheduleId: 'daily-city',
      date: '2026-11-30',
      trigger: 'schedule',
      slotTs: bj('2026-12-01T08:00:00'),
      recipients: ['leader1'],
    });
    expect((await h.schedules.getSchedule('daily-city'))?.lastRun).toMatchObject({ runId: run!.id, status: 'ok' });
    await ticker.stop();
  });

  it('makes one report when two tickers on two lease holders pass at the same slot', async () => {
    const h = harness('2026-12-01T07:00:00');
    await h.schedules.createSchedule(h.daily);
    const a = startReportScheduleTicker({ service: h.node(), lease: LOCAL_LEASE('reports'), log, intervalMs: 3_600_000 });
    const b = startReportScheduleTicker({ service: h.node(), lease: LOCAL_LEASE('reports'), log, intervalMs: 3_600_000 });
    h.clock.ts = bj('2026-12-01T08:00:05');
    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    expect(h.delivered).toHaveLength(1);
    expect(await h.schedules.listRuns()).toHaveLength(1);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('after downtime makes only the newest missed run', async () => {
    const h = harness('2026-11-20T09:00:00');
    await h.schedules.createSchedule(h.daily);
    const ticker = startReportScheduleTicker({ service: h.node(), lease: LOCAL_LEASE('reports'), log, intervalMs: 3_600_000 });
    h.clock.ts = bj('2026-12-01T10:00:00');
    await ticker.tick();
    await ticker.tick();
    const runs = await h.schedules.listRuns();
    expect(runs.map((r) => r.date)).toEqual(['2026-11-30']);
    await ticker.stop();
  });

  it('does nothing on a node that does not hold the lease', async () => {
    const h = harness('2026-12-01T07:00:00');
    await h.schedules.createSchedule(h.daily);
    const ticker = startReportScheduleTicker({ service: h.node(), lease: NOT_HELD, log, intervalMs: 3_600_000 });
    h.clock.ts = bj('2026-12-02T09:00:00');
    await ticker.tick();
    expect(h.delivered).toEqual([]);
    await ticker.stop();
  });

  it('skips at run time a recipient whose districts no longer cover the report', async () => {
    const h = harness('2026-12-01T07:00:00');
    await h.schedules.createSchedule({ ...h.daily, recipients: ['leader1', 'officer1'] });
    h.clock.ts = bj('2026-12-01T08:01:00');
    await h.node().runDue();
    expect((await h.schedules.listRuns())[0]?.recipients).toEqual(['leader1']);
  });
});

describe('a failed scheduled run', () => {
  const MIN = 60_000;

  it('is tried again after 1 and 5 min and delivered once, the admin list showing each try', async () => {
    const h = harness('2026-12-01T07:59:00');
    await h.schedules.createSchedule(h.daily);
    const service = h.node();
    h.faults.failing = true;
    h.clock.ts = bj('2026-12-01T08:00:10');
    await service.runDue();
    expect(h.delivered).toEqual([]);
    expect((await h.schedules.getSchedule('daily-city'))?.lastRun).toMatchObject({
      status: 'failed',
      error: 'history store unavailable',
      attempt: 1,
      retryTs: h.clock.ts + MIN,
    });
    h.clock.ts += 30_000;
    await service.runDue();
    expect((await h.schedules.getSchedule('daily-city'))?.lastRun?.attempt).toBe(1);
    h.clock.ts += 30_000;
    await service.runDue();
    expect((await h.schedules.getSchedule('daily-city'))?.lastRun).toMatchObject({ status: 'failed', attempt: 2, retryTs: h.clock.ts + 5 * MIN });
    h.faults.failing = false;
    h.clock.ts += 5 * MIN;
    await service.runDue();
    await service.runDue();
    expect(h.delivered).toHaveLength(1);
    const [run] = await h.schedules.listRuns();
    expect(run).toMatchObject({ date: '2026-11-30', slotTs: bj('2026-12-01T08:00:00') });
    expect((await h.schedules.getSchedule('daily-city'))?.lastRun).toEqual({ runId: run!.id, status: 'ok', ts: h.clock.ts, attempt: 3 });
    expect(await h.schedules.pendingAttempt('daily-city')).toBeNull();
  });

  it('is given up after the fourth try, shown as a final failure without a next try', async () => {
    const h = harness('2026-12-01T07:59:00');
    await h.schedules.createSchedule(h.daily);
    const service = h.node();
    h.faults.failing = true;
    h.clock.ts = bj('2026-12-01T08:00:00');
    const attempts: (number | undefined)[] = [];
    for (const waitMin of [0, 1, 5, 15, 60]) {
      h.clock.ts += waitMin * MIN;
      await service.runDue();
      attempts.push((await h.schedules.getSchedule('daily-city'))?.lastRun?.attempt);
    }
    expect(attempts).toEqual([1, 2, 3, 4, 4]);
    const lastRun = (await h.schedules.getSchedule('daily-city'))?.lastRun;
    expect(lastRun).toMatchObject({ status: 'failed', attempt: 4 });
    expect(lastRun?.retryTs).toBeUndefined();
    expect(await h.schedules.pendingAttempt('daily-city')).toBeNull();
    expect(h.delivered).toEqual([]);
  });

  it('is retried by one of two nodes passing at the same time', async () => {
    const h = harness('2026-12-01T07:59:00');
    await h.schedules.createSchedule(h.daily);
    const [a, b] = [h.node(), h.node()];
    h.faults.failing = true;
    h.clock.ts = bj('2026-12-01T08:00:00');
    await Promise.all([a.runDue(), b.runDue()]);
    h.faults.failing = false;
    h.clock.ts += MIN;
    await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
    expect(h.delivered).toHaveLength(1);
    expect((await h.schedules.getSchedule('daily-city'))?.lastRun).toMatchObject({ status: 'ok', attempt: 2 });
  });

  it('is retried when the first try was lost with its node (claimed, never settled), once its lease is over', async () => {
    const h = harness('2026-12-01T07:59:00');
    await h.schedules.createSchedule(h.daily);
    // a node claimed the slot and died before making it
    await h.schedules.claimSlot('daily-city', bj('2026-12-01T08:00:00'), {
      retryTs: bj('2026-12-01T08:01:00'),
      runningUntilTs: bj('2026-12-01T08:05:00'),
    });
    for (const iso of ['2026-12-01T08:00:30', '2026-12-01T08:01:00', '2026-12-01T08:04:59']) {
      h.clock.ts = bj(iso);
      await h.node().runDue();
      expect(h.delivered, iso).toEqual([]);
    }
    h.clock.ts = bj('2026-12-01T08:05:00');
    await h.node().runDue();
    expect(h.delivered).toHaveLength(1);
    expect((await h.schedules.getSchedule('daily-city'))?.lastRun).toMatchObject({ status: 'ok', attempt: 2 });
  });
});
