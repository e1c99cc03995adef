/**
 * The scheduled reports' ticker with a fake clock: a due slot is made once, two tickers on two
 * lease holders (a handover, or two nodes each believing they hold it) make one report, a run
 * after downtime catches up only the newest missed slot, a node without the lease does nothing.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_LEASE, type ClusterLease } from '../cluster/lease';
import { createLogger } from '../logger';
import { MemoryReportScheduleStore, type StoredReportSchedule } from '../store/report-schedule-store';
import type { StoredUser } from '../store/store';
import { ReportScheduleService } from './report-schedule-service';
import { startReportScheduleTicker } from './report-schedule-ticker';

const bj = (iso: string): number => Date.parse(`${iso}+08:00`);
const log = createLogger('silent');

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

function harness(startIso: string) {
  const clock = { nowTs: bj(startIso) };
  const schedules = new MemoryReportScheduleStore();
  const delivered: string[] = [];
  const node = () =>
    new ReportScheduleService({
      schedules,
      users: { getUser: async (u: string) => USERS.get(u) ?? null },
      generator: {
        source: { incidents: async () => [], alerts: async () => [] },
        horizonMs: 0,
        fusion: { devices: new Map(), listHandlers: () => [] } as never,
        registry: { listAssets: () => [] },
      },
      log,
      onDelivered: (run) => delivered.push(run.id),
      now: () => clock.nowTs,
    });
  const daily: StoredReportSchedule = {
    id: 'daily-city',
    cron: '0 8 * * *',
    kind: 'daily',
    recipients: ['leader1'],
    createdBy: 'admin',
    createdTs: clock.nowTs,
    updatedTs: clock.nowTs,
  };
  return { clock, schedules, delivered, node, daily };
}

const NOT_HELD: ClusterLease = { name: 'reports', isHeld: async () => false, fencingToken: () => null };

describe('the scheduled reports ticker', () => {
  it('makes a due run once, for the day before, and nothing before its time', async () => {
    const h = harness('2026-12-01T07:00:00');
    await h.schedules.createSchedule(h.daily);
    const ticker = startReportScheduleTicker({ service: h.node(), lease: LOCAL_LEASE('reports'), log, intervalMs: 3_600_000 });
    await ticker.tick();
    expect(h.delivered).toEqual([]);
    h.clock.nowTs = bj('2026-12-01T08:00:30');
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
    h.clock.nowTs = bj('2026-12-01T08:00:05');
    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    expect(h.delivered).toHaveLength(1);
    expect(await h.schedules.listRuns()).toHaveLength(1);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('after downtime makes only the newest missed run', async () => {
    const h = harness('2026-11-20T09:00:00');
    await h.schedules.createSchedule(h.daily);
    const ticker = startReportScheduleTicker({ service: h.node(), lease: LOCAL_LEASE('reports'), log, intervalMs: 3_600_000 });
    h.clock.nowTs = bj('2026-12-01T10:00:00');
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
    h.clock.nowTs = bj('2026-12-02T09:00:00');
    await ticker.tick();
    expect(h.delivered).toEqual([]);
    await ticker.stop();
  });

  it('skips at run time a recipient whose districts no longer cover the report', async () => {
    const h = harness('2026-12-01T07:00:00');
    await h.schedules.createSchedule({ ...h.daily, recipients: ['leader1', 'officer1'] });
    h.clock.nowTs = bj('2026-12-01T08:01:00');
    await h.node().runDue();
    expect((await h.schedules.listRuns())[0]?.recipients).toEqual(['leader1']);
  });
});
