import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY_FILTER, historyQueryString, parseBbox, presetRange } from './history';
import { AlertHistoryRequestSchema, IncidentHistoryRequestSchema } from '@scenes/history/history-query';

const NOW = Date.UTC(2026, 5, 10, 3, 30); // 11:30 in Beijing
const DAY_MS = 24 * 3600_000;

describe('history data module', () => {
  it('reads 今天 as since midnight Beijing time, and 7天 / 30天 as that many days back', () => {
    expect(presetRange({ ...EMPTY_HISTORY_FILTER, preset: 'today' }, NOW)).toEqual({ from: Date.UTC(2026, 5, 9, 16, 0), to: NOW });
    expect(presetRange({ ...EMPTY_HISTORY_FILTER, preset: '7d' }, NOW).from).toBe(NOW - 7 * DAY_MS);
    expect(presetRange({ ...EMPTY_HISTORY_FILTER, preset: 'custom', from: 5, to: null }, NOW)).toEqual({ from: 5, to: null });
  });

  it('sends only the filled-in filters, under the names the server validates, for each kind', () => {
    const form = {
      ...EMPTY_HISTORY_FILTER,
      district: '370202' as const,
      priority: 'P1' as const,
      person: ' handler1 ',
      text: ' 积水 ',
      bbox: parseBbox('120.3,36.0,120.5,36.2'),
    };
    const incidents = Object.fromEntries(new URLSearchParams(historyQueryString(form, NOW, { cursor: 'abc' })));
    expect(incidents).toEqual({
      from: String(NOW - 7 * DAY_MS),
      to: String(NOW),
      district: '370202',
      priority: 'P1',
      assignee: 'handler1',
      text: '积水',
      bbox: '120.3,36,120.5,36.2',
      cursor: 'abc',
      limit: '50',
    });
    expect(IncidentHistoryRequestSchema.safeParse(incidents).success).toBe(true);
    const alerts = Object.fromEntries(
      new URLSearchParams(historyQueryString({ ...form, kind: 'alerts', state: 'closed', category: 'water-level' }, NOW)),
    );
    expect(alerts).toMatchObject({ acknowledgedBy: 'handler1', state: 'closed', kind: 'water-level' });
    expect('priority' in alerts).toBe(false);
    expect(AlertHistoryRequestSchema.safeParse(alerts).success).toBe(true);
  });

  it('accepts a typed area only when it is a box', () => {
    expect(parseBbox('120.3, 36.0, 120.5, 36.2')).toEqual([120.3, 36.0, 120.5, 36.2]);
    expect(parseBbox('120.5,36,120.3,36.2')).toBeNull();
    expect(parseBbox('120,36,121')).toBeNull();
  });
});
