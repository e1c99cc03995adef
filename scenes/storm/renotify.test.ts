import { describe, expect, it } from 'vitest';
import { DEFAULT_RENOTIFY_POLICY, dueRenotifications } from './renotify';
import type { RenotifyItem, SentNotification } from './renotify';
import { MINUTE_MS, T0 } from './fixtures/storm-fixtures';

const policy = DEFAULT_RENOTIFY_POLICY; // every 5 min, 2 per recipient, 6 attempts in all
const task: RenotifyItem = { key: 'task:INC-1:h1', sinceTs: T0, acknowledged: false, recipients: ['h1', 'officer1', 'leader1'] };
const min = (m: number) => T0 + m * MINUTE_MS;

/** Simulates the server: one call per minute, sends what is due and logs it. */
function simulate(untilMin: number, item: RenotifyItem = task, restartAtMin = -1): SentNotification[] {
  let log: SentNotification[] = [];
  for (let m = 0; m <= untilMin; m++) {
    if (m === restartAtMin) log = JSON.parse(JSON.stringify(log)) as SentNotification[]; // a restart: only the persisted log survives
    for (const n of dueRenotifications([item], policy, log, min(m)))
      log.push({ itemKey: n.itemKey, attempt: n.attempt, recipient: n.recipient, ts: min(m) });
  }
  return log;
}

describe('re-notify until acknowledged', () => {
  it('sends again after 5 min, then moves up the ladder, and stops after the last attempt', () => {
    expect(simulate(60).map((s) => [s.attempt, s.recipient, (s.ts - T0) / MINUTE_MS])).toEqual([
      [1, 'h1', 5],
      [2, 'officer1', 10],
      [3, 'officer1', 15],
      [4, 'leader1', 20],
      [5, 'leader1', 25],
    ]);
  });

  it('sends nothing once acknowledged', () => {
    expect(dueRenotifications([{ ...task, acknowledged: true }], policy, [], min(30))).toEqual([]);
  });

  it('gives each attempt an idempotency key and never repeats one after a restart', () => {
    const log = simulate(60, task, 12);
    expect(new Set(log.map((s) => s.attempt)).size).toBe(log.length);
    expect(dueRenotifications([task], policy, [], min(5))[0].key).toBe('task:INC-1:h1:1');
  });

  it('sends at most one attempt per call after a long downtime', () => {
    expect(dueRenotifications([task], policy, [], min(120))).toHaveLength(1);
  });
});
