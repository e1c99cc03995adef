import { describe, expect, it } from 'vitest';
import { dayLabels, districtOption, sceneTrendOption, slaOption } from './brief-charts';
import type { DailyCounts } from '@scenes/protocol';
import { DISTRICT_CODES, SCENE_IDS } from '@scenes/domain';

const zeros = () => [0, 0, 0, 0, 0, 0, 0];
/** Full DailyCounts (every scene and district, 7 zero days) with the given rows replaced. */
function counts(rows: { byScene?: Partial<DailyCounts['byScene']>; byDistrict?: Partial<DailyCounts['byDistrict']> }): DailyCounts {
  return {
    byScene: { ...Object.fromEntries(SCENE_IDS.map((s) => [s, zeros()])), ...rows.byScene } as DailyCounts['byScene'],
    byDistrict: { ...Object.fromEntries(DISTRICT_CODES.map((d) => [d, zeros()])), ...rows.byDistrict } as DailyCounts['byDistrict'],
    total: zeros(),
  };
}

const DAY = 86_400_000;
// 2025-06-09 00:00 Beijing = 2025-06-08T16:00Z
const START = Date.UTC(2025, 5, 8, 16);
const days = Array.from({ length: 7 }, (_, i) => START + i * DAY);

describe('briefing charts', () => {
  it('labels days in city time', () => {
    expect(dayLabels(days)).toEqual(['06-09', '06-10', '06-11', '06-12', '06-13', '06-14', '06-15']);
  });

  it('stacks one bar series per scene', () => {
    const o = sceneTrendOption(counts({ byScene: { water: [1, 2, 0, 0, 0, 0, 3] } }), days, 'en');
    const series = o.series as { id: string; data: number[]; stack: string }[];
    expect(series.map((s) => s.id)).toEqual(['emergency', 'bridge', 'water', 'community']);
    expect(series.find((s) => s.id === 'water')!.data).toEqual([1, 2, 0, 0, 0, 0, 3]);
    expect(new Set(series.map((s) => s.stack)).size).toBe(1);
  });

  it('shows districts by 7-day total, largest on top, without empty ones', () => {
    const o = districtOption(counts({ byDistrict: { '370202': [1, 1, 0, 0, 0, 0, 0], '370203': [5, 0, 0, 0, 0, 0, 0] } }), 'en');
    const y = (o.yAxis as { data: string[] }).data;
    expect(y).toHaveLength(2);
    expect((o.series as { data: number[] }[])[0]!.data).toEqual([2, 5]);
  });

  it('says "no data" inside the district chart when no district had an incident, and hides it once one has', () => {
    const empty = districtOption(counts({ byDistrict: {} }), 'zh', '暂无数据');
    const text = (o: typeof empty) => (o.graphic as { invisible: boolean; style: { text: string } }[])[0]!;
    expect(text(empty)).toMatchObject({ invisible: false, style: { text: '暂无数据' } });
    const some = districtOption(counts({ byDistrict: { '370202': [1, 0, 0, 0, 0, 0, 0] } }), 'zh', '暂无数据');
    expect(text(some).invisible).toBe(true);
  });

  it('leaves days without resolutions as gaps in the SLA line', () => {
    const o = slaOption({ dayStartTs: days, slaCompliancePct: [null, 100, 50, null, null, null, 75] }, 'SLA');
    expect((o.series as { data: unknown[] }[])[0]!.data).toEqual(['-', 100, 50, '-', '-', '-', 75]);
  });
});
