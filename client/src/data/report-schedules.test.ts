import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReportReadyMessage } from '@scenes/reports/report-schedule';
import { createFakeTransport } from './fake-transport';
import { INBOX_FALLBACK_REFRESH_MS, watchReportInbox } from './report-schedules';

const READY: ReportReadyMessage = {
  runId: 'daily-city-mi1',
  scheduleId: 'daily-city',
  kind: 'daily',
  date: '2026-11-30',
  generatedTs: Date.UTC(2026, 11, 1),
};

describe('the report inbox watch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reloads at once on report.ready, after a reconnect, and only slowly otherwise', () => {
    const live = createFakeTransport();
    const reloads: string[] = [];
    const stop = watchReportInbox(live, (why) => reloads.push(why));
    live.emitServer('report.ready', READY);
    expect(reloads).toEqual(['ready']);
    live.connect(false);
    live.connect(true);
    expect(reloads).toEqual(['ready', 'reconnect']);
    vi.advanceTimersByTime(INBOX_FALLBACK_REFRESH_MS - 1);
    expect(reloads).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(reloads).toEqual(['ready', 'reconnect', 'poll']);
    stop();
    live.emitServer('report.ready', READY);
    vi.advanceTimersByTime(INBOX_FALLBACK_REFRESH_MS);
    expect(reloads).toHaveLength(3);
  });

  it('hands on the validated event and drops a malformed one', () => {
    const live = createFakeTransport();
    const seen: (ReportReadyMessage | undefined)[] = [];
    const stop = watchReportInbox(live, (_why, msg) => seen.push(msg));
    live.emitServer('report.ready', { ...READY, kind: 'hourly' } as unknown as ReportReadyMessage);
    live.emitServer('report.ready', { ...READY, district: '370202' });
    expect(seen).toEqual([{ ...READY, district: '370202' }]);
    stop();
  });

  it('polls without a live connection', () => {
    const reloads: string[] = [];
    const stop = watchReportInbox(null, (why) => reloads.push(why));
    vi.advanceTimersByTime(2 * INBOX_FALLBACK_REFRESH_MS);
    expect(reloads).toEqual(['poll', 'poll']);
    stop();
  });
});
