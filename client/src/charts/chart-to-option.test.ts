import { describe, expect, it } from 'vitest';
import type { ChartData } from '@scenes/scene-model';
import { chartStaleness, chartToOption, formatChartValue, markAxisBounds, markLabelPositions, niceStep } from './chart-to-option';
import { DARK_CHART_THEME } from '../theme/palette';

const theme = DARK_CHART_THEME;

const timeseries: ChartData = {
  kind: 'timeseries',
  title: '河道水位',
  titleEn: 'River levels',
  unit: 'm',
  lines: [
    {
      id: 'r1',
      name: '李村河',
      nameEn: 'Licun River',
      points: [
        [1, 2.1],
        [2, 2.4],
      ],
    },
    {
      id: 'r2',
      name: '张村河',
      nameEn: 'Zhangcun River',
      points: [
        [1, 1.1],
        [2, 1.3],
      ],
    },
  ],
  marks: [
    { name: '警戒水位', nameEn: 'Warning', value: 4.5, level: 'warning' },
    { name: '红色', nameEn: 'Red', value: 5.8, level: 'red' },
  ],
  dataTs: 2,
  expectedIntervalMs: 60_000,
};

describe('chartToOption', () => {
  it('turns a timeseries into line series with mark lines coloured by level', () => {
    const option = chartToOption(timeseries, 'zh', theme) as Record<string, any>;
    expect(option.series).toHaveLength(2);
    expect(option.series[0]).toMatchObject({
      type: 'line',
      id: 'r1',
      name: '李村河',
      data: [
        [1, 2.1],
        [2, 2.4],
      ],
    });
    const marks = option.series[0].markLine.data;
    expect(marks.map((m: any) => m.yAxis)).toEqual([4.5, 5.8]);
    expect(marks[0].lineStyle.color).toBe(theme.levelColors.warning);
    expect(marks[1].lineStyle.color).toBe(theme.levelColors.red);
    expect(option.series[1].markLine).toBeUndefined();
    // 4.5 and 5.8 are far apart: both labels above their lines
    expect(marks.map((m: any) => m.label.position)).toEqual(['insideEndTop', 'insideEndTop']);
    expect(option.xAxis.type).toBe('time');
    expect(option.yAxis.name).toBe('m');
    // the y axis always reaches the highest mark line
    expect(option.yAxis.max({ max: 2.4, min: 2.1 })).toBeGreaterThanOrEqual(5.8);
    // …with room above it for the mark's label (it used to run into the legend row)
    expect(option.yAxis.max({ max: 2.4, min: 2.1 })).toBeGreaterThanOrEqual(5.8 + 0.1 * (5.8 - 2.1));
    // data above every mark: the axis just covers the data
    expect(option.yAxis.max({ max: 9.93, min: 2.1 })).toBe(10);
  });

  it('puts the labels of two close marks at opposite ends of the chart', () => {
    const marks = [
      { name: '红色阈值', nameEn: 'Red', level: 'red', value: 0.7 },
      { name: '黄色阈值', nameEn: 'Yellow', level: 'yellow', value: 0.2 },
      { name: '橙色阈值', nameEn: 'Orange', level: 'orange', value: 0.16 },
    ] as const;
    const option = chartToOption({ ...timeseries, marks: [...marks] } as ChartData, 'zh', theme) as Record<string, any>;
    // sorted 0.16, 0.2, 0.7: right, left, right — 0.16 and 0.7 share the right end, far apart
    expect(option.series[0].markLine.data.map((m: any) => m.label.position)).toEqual(['insideEndTop', 'insideStartTop', 'insideEndTop']);
  });

  it('spreads the labels of four close marks (the warning and guarantee levels of two rivers) over both ends and both sides', () => {
    const marks = [
      { name: '李村河警戒水位', nameEn: 'Licun warning', level: 'yellow', value: 3.5 },
      { name: '李村河保证水位', nameEn: 'Licun guarantee', level: 'red', value: 4.8 },
      { name: '棘洪滩水库警戒水位', nameEn: 'Jihongtan warning', level: 'yellow', value: 4.5 },
      { name: '棘洪滩水库保证水位', nameEn: 'Jihongtan guarantee', level: 'red', value: 5.8 },
    ] as const;
    const option = chartToOption({ ...timeseries, marks: [...marks] } as ChartData, 'zh', theme) as Record<string, any>;
    const positions = option.series[0].markLine.data.map((m: any) => m.label.position);
    // sorted 3.5, 4.5, 4.8, 5.8 take turns right, left, right, left: neighbours never share an end
    expect(positions).toEqual(['insideEndTop', 'insideEndTop', 'insideStartTop', 'insideStartTop']);
    // still close at the same end: the lower label goes under its line
    expect(markLabelPositions([4.5, 4.6, 4.7, 4.8], 0.5)).toEqual(['insideEndBottom', 'insideStartBottom', 'insideEndTop', 'insideStartTop']);
    // far apart: all at the right end, above their lines
    expect(markLabelPositions([16, 30, 50, 70], 9.6)).toEqual(['insideEndTop', 'insideEndTop', 'insideEndTop', 'insideEndTop']);
  });

  it('uses English names when the UI is in English', () => {
    const option = chartToOption(timeseries, 'en', theme) as Record<string, any>;
    expect(option.series[0].name).toBe('Licun River');
    expect(option.series[0].markLine.data[0].name).toBe('Warning');
  });

  it('keeps an (empty) series for a timeseries without lines so mark lines still show', () => {
    const option = chartToOption({ ...timeseries, lines: [] }, 'zh', theme) as Record<string, any>;
    expect(option.series).toHaveLength(1);
    expect(option.series[0].markLine.data).toHaveLength(2);
  });

  it('turns a bar chart into bar series on a category axis, coloured by level when given', () => {
    const bar: ChartData = {
      kind: 'bar',
      title: '各区工单',
      titleEn: 'Incidents by district',
      unit: '件',
      categories: ['市南区', '市北区'],
      categoriesEn: ['Shinan', 'Shibei'],
      series: [
        { id: 'red', name: '红', nameEn: 'Red', values: [1, 2], level: 'red' },
        { id: 'blue', name: '蓝', nameEn: 'Blue', values: [3, 4], level: 'blue' },
      ],
      dataTs: 1,
      expectedIntervalMs: 1,
    };
    const option = chartToOption(bar, 'en', theme) as Record<string, any>;
    expect(option.xAxis).toMatchObject({ type: 'category', data: ['Shinan', 'Shibei'] });
    expect(option.series.map((s: any) => s.type)).toEqual(['bar', 'bar']);
    expect(option.series[0].itemStyle.color).toBe(theme.levelColors.red);
    expect(option.series[0].stack).toBe('total');
  });

  it('lays long category names (bridges) out horizontally with a label column wide enough for them', () => {
    const bar: ChartData = {
      kind: 'bar',
      title: '桥梁健康指数',
      titleEn: 'Bridge health',
      unit: '分',
      categories: ['胶州湾大桥', '海湾大桥红岛连接线'],
      categoriesEn: ['Jiaozhou Bay Bridge', 'Hongdao Link'],
      series: [{ id: 'h', name: '健康', nameEn: 'Health', values: [90, 80] }],
      dataTs: 1,
      expectedIntervalMs: 1,
    };
    const option = chartToOption(bar, 'zh', theme) as Record<string, any>;
    expect(option.yAxis).toMatchObject({ type: 'category' });
    expect(option.grid.left).toBeGreaterThanOrEqual(9 * theme.fontSizePx);
  });

  it('draws a bar chart with many categories horizontally, first category on top', () => {
    const categories = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const bar: ChartData = {
      kind: 'bar',
      title: 't',
      titleEn: 't',
      unit: '',
      categories,
      categoriesEn: categories,
      series: [{ id: 's', name: 's', nameEn: 's', values: categories.map((_, i) => i) }],
      dataTs: 1,
      expectedIntervalMs: 1,
    };
    const option = chartToOption(bar, 'zh', theme) as Record<string, any>;
    expect(option.yAxis.type).toBe('category');
    expect(option.yAxis.data.at(-1)).toBe('c0');
    expect(option.series[0].data.at(-1)).toBe(0);
    expect(option.series[0].stack).toBeUndefined();
  });

  it('writes the values beside two grouped series, leaving their zeros out', () => {
    const bar: ChartData = {
      kind: 'bar',
      title: '各区事件',
      titleEn: 'Incidents by district',
      unit: '件',
      categories: ['市南区', '市北区'],
      categoriesEn: ['Shinan', 'Shibei'],
      series: [
        { id: 'open', name: '处置中', nameEn: 'Open', values: [0, 2] },
        { id: 'done', name: '办结', nameEn: 'Done', values: [3, 0] },
      ],
      dataTs: 1,
      expectedIntervalMs: 1,
    };
    const option = chartToOption(bar, 'zh', theme) as Record<string, any>;
    expect(option.series[0].stack).toBeUndefined();
    expect(option.series.map((s: any) => s.label.show)).toEqual([true, true]);
    expect(option.series[0].label.formatter({ value: 0 })).toBe('');
    expect(option.series[0].label.formatter({ value: 2 })).toBe('2');
    // a count unit is Chinese only: no 件 on an English wall
    expect(option.yAxis.name).toBe('件');
    const en = chartToOption(bar, 'en', theme) as Record<string, any>;
    expect(en.yAxis.name).toBe('');
    expect(en.tooltip.valueFormatter(3)).toBe('3');
  });

  it('turns a pie chart into a donut whose level slices use the level colours', () => {
    const pie: ChartData = {
      kind: 'pie',
      title: '告警等级',
      titleEn: 'Alerts by level',
      unit: '条',
      slices: [
        { id: 'red', name: '红色', nameEn: 'Red', value: 2 },
        { id: 'smoke', name: '烟感', nameEn: 'Smoke', value: 5 },
        { id: 'none', name: '无', nameEn: 'None', value: 0 },
      ],
      dataTs: 1,
      expectedIntervalMs: 1,
    };
    const option = chartToOption(pie, 'zh', theme) as Record<string, any>;
    expect(option.series[0].type).toBe('pie');
    expect(option.series[0].data).toEqual([
      { name: '红色', value: 2, itemStyle: { color: theme.levelColors.red } },
      { name: '烟感', value: 5, itemStyle: { color: theme.palette[1] } },
    ]); // zero slices left out of the ring
    expect(option.series[0].label.position).toBeUndefined(); // values beside their slices
    // one non-zero slice is a full ring: its value in the middle, not hanging under the ring
    const one = chartToOption({ ...pie, slices: pie.slices.map((s) => (s.id === 'red' ? s : { ...s, value: 0 })) }, 'zh', theme) as Record<
      string,
      any
    >;
    expect(one.series[0].label.position).toBe('center');
  });
});

describe('chartStaleness', () => {
  it('marks a panel stale only once its data is older than the expected interval', () => {
    expect(chartStaleness({ dataTs: 1_000, expectedIntervalMs: 5_000 }, 6_000)).toEqual({ stale: false, ageMs: 5_000 });
    expect(chartStaleness({ dataTs: 1_000, expectedIntervalMs: 5_000 }, 6_001)).toEqual({ stale: true, ageMs: 5_001 });
  });

  it('picks nice steps and axis bounds on their multiples, without float noise', () => {
    expect([0.9, 1.5, 2.2, 4, 7, 0.13, 15.7].map(niceStep)).toEqual([1, 2, 2.5, 5, 10, 0.2, 20]);
    // rain: data 0–12 mm/h, marks 16–70: room above 70 for its label, and 80 rather than 79
    expect(markAxisBounds({ min: 0, max: 12 }, 16, 70)).toEqual({ min: 0, max: 80 });
    // pipe pressure: data 0.33, marks 0.16–0.7: 0–0.8, not 0.16–0.77
    expect(markAxisBounds({ min: 0.33, max: 0.34 }, 0.16, 0.7)).toEqual({ min: 0, max: 0.8 });
  });

  it('writes values with 1 decimal from 10 up and 2 below, without trailing zeros', () => {
    expect(formatChartValue(45)).toBe('45');
    expect(formatChartValue(8.001)).toBe('8');
    expect(formatChartValue(2.1)).toBe('2.1');
    expect(formatChartValue(7.614)).toBe('7.61');
    expect(formatChartValue(78.94)).toBe('78.9');
    expect(formatChartValue(-0.004)).toBe('0');
    expect(formatChartValue(Number.NaN)).toBe('');
  });
});
