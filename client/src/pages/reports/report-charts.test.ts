import { describe, expect, it } from 'vitest';
import type { Report } from '../../data/reports';
import { trendOption } from './report-charts';

const DAY_MS = 86_400_000;
const MONDAY = Date.UTC(2026, 10, 29, 16); // 2026-11-30 00:00 Beijing

function weekReport(generatedTs: number): Report {
  const trend = Array.from({ length: 7 }, (_, i) => ({ dayStartTs: MONDAY + i * DAY_MS, alerts: i < 2 ? 5 : 0, incidents: 1, resolved: 0 }));
  return { generatedTs, trend } as unknown as Report;
}

describe('trendOption', () => {
  it('draws no point for the days of the period that had not begun when the report was made', () => {
    const option = trendOption(weekReport(MONDAY + DAY_MS + 3_600_000), 'zh');
    const series = option.series as { id: string; data: (number | null)[] }[];
    expect(series.find((s) => s.id === 'alerts')!.data).toEqual([5, 5, null, null, null, null, null]);
    expect(series.find((s) => s.id === 'incidents')!.data).toEqual([1, 1, null, null, null, null, null]);
  });

  it('draws every day of a period that is over, zeros included', () => {
    const option = trendOption(weekReport(MONDAY + 8 * DAY_MS), 'zh');
    const series = option.series as { id: string; data: (number | null)[] }[];
    expect(series.find((s) => s.id === 'alerts')!.data).toEqual([5, 5, 0, 0, 0, 0, 0]);
  });
});
