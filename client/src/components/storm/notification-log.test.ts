import { describe, expect, it } from 'vitest';
import type { NotificationLogEntry } from '../../../../server/notify/notify-types';
import { logProgress, logSummary, sortLog, stepAfterSent } from './notification-log';

function entry(id: string, ts: number, recipientStatus: NotificationLogEntry['recipientStatus'] = []): NotificationLogEntry {
  return {
    id,
    ts,
    type: 'incident.dispatched',
    recipients: recipientStatus.map((r) => r.username),
    title: { zh: '新任务', en: 'New task' },
    body: { zh: '…', en: '…' },
    url: '/mobile?incident=INC-1',
    recipientStatus,
  };
}

describe('notification log helpers', () => {
  it('lists the newest first and keeps the server order for equal times', () => {
    const list = [entry('a', 100), entry('b', 300), entry('c', 100), entry('d', 200)];
    expect(sortLog(list).map((e) => e.id)).toEqual(['b', 'd', 'a', 'c']);
    expect(list.map((e) => e.id)).toEqual(['a', 'b', 'c', 'd']); // not sorted in place
  });

  it('counts recipients reached and acknowledged, and names the progress', () => {
    const e = entry('x', 1, [
      { username: 'handler1', sentTs: 1, deliveredTs: 2, acknowledgedTs: 3 },
      { username: 'handler2', sentTs: 1, deliveredTs: 5 },
      { username: 'handler3', sentTs: 1 },
    ]);
    expect(logSummary(e)).toEqual({ n: 3, delivered: 2, acked: 1 });
    expect(logProgress(logSummary(e))).toBe('open');
    expect(logProgress({ n: 2, delivered: 2, acked: 1 })).toBe('delivered');
    expect(logProgress({ n: 2, delivered: 1, acked: 2 })).toBe('acked');
    expect(logProgress(logSummary(entry('y', 1)))).toBe('none');
  });

  it('gives a step its time and its delay after sending, or null when it has not happened', () => {
    const r = { username: 'handler1', sentTs: 10_000, deliveredTs: 12_500 };
    expect(stepAfterSent(r, 'deliveredTs')).toEqual({ ts: 12_500, afterMs: 2_500 });
    expect(stepAfterSent(r, 'acknowledgedTs')).toBeNull();
    // a clock skew between nodes never shows a negative delay
    expect(stepAfterSent({ username: 'u', sentTs: 10_000, acknowledgedTs: 9_000 }, 'acknowledgedTs')).toEqual({ ts: 9_000, afterMs: 0 });
  });
});
