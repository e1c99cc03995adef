import { describe, expect, it } from 'vitest';
import type { SeriesOption } from 'echarts';
import { DEFAULT_RULES } from '@scenes/catalogue';
import { assembleHistory } from '@scenes/rollups/history-series';
import { deviceHistoryOption } from './device-history-chart';
import { DARK_CHART_THEME } from '../theme/palette';

const NOW = Date.UTC(2026, 11, 1, 8, 32);
const LABELS = { avg: '均值', min: '最小', max: '最大', count: '读数' };

function history(window: '24h' | '7d') {
  const stored = [
    { ts: Date.UTC(2026, 11, 1, 8, 20), aggregate: { min: 1, max: 4, sum: 10, count: 4 } },
    { ts: Date.UTC(2026, 11, 1, 8, 30), aggregate: { min: 2, max: 2, sum: 2, count: 1 } },
  ];
  return { deviceId: 'wl-1', metric: 'waterLevel', unit: 'm', window, ...assembleHistory(stored, window, NOW) };
}

describe('device history chart', () => {
  it('draws the average as a line over a min–max band and leaves gaps empty', () => {
    const option = deviceHistoryOption(history('24h'), { id: 'wl-1', kind: 'water-level' }, DEFAULT_RULES, LABELS, 'zh', DARK_CHART_THEME);
    const series = option.series as (SeriesOption & { data: [number, number | null][]; stack?: string })[];
    expect(series.map((s) => s.id)).toEqual(['band-min', 'band-range', 'wl-1.waterLevel.avg']);
    const at = (s: number, ts: number) => series[s]!.data.find((p) => p[0] === ts)?.[1];
    const bucket = Date.UTC(2026, 11, 1, 8, 20);
    expect([at(0, bucket), at(1, bucket), at(2, bucket)]).toEqual([1, 3, 2.5]);
    // a bucket without readings: null in every series, never 0
    const gap = Date.UTC(2026, 11, 1, 8, 25);
    expect([at(0, gap), at(1, gap), at(2, gap)]).toEqual([null, null, null]);
    expect(series[2]).toMatchObject({ connectNulls: false });
    expect(series[1]!.stack).toBe(series[0]!.stack);
  });

  it('keeps the rule limits of the metric as mark lines', () => {
    const option = deviceHistoryOption(history('24h'), { id: 'wl-1', kind: 'water-level' }, DEFAULT_RULES, LABELS, 'zh', DARK_CHART_THEME);
    const avg = (option.series as SeriesOption[])[2] as { markLine?: { data: unknown[] } };
    const limits = DEFAULT_RULES.filter((r) => r.type === 'threshold' && r.deviceKind === 'water-level' && r.metric === 'waterLevel');
    expect((avg.markLine?.data ?? []).length > 0).toBe(limits.length > 0);
  });

  it('labels a week by date and a day by time (Beijing)', () => {
    const fmt = (w: '24h' | '7d') =>
      (
        deviceHistoryOption(history(w), { id: 'wl-1', kind: 'water-level' }, [], LABELS, 'zh', DARK_CHART_THEME).xAxis as {
          axisLabel: { formatter: (v: number) => string };
        }
      ).axisLabel.formatter(Date.UTC(2026, 11, 1, 8, 30));
    expect(fmt('24h')).toBe('16:30');
    expect(fmt('7d')).toBe('12/01');
  });
});
