import { describe, expect, it } from 'vitest';
import { DISTRICT_CODES, SCENE_IDS } from '@scenes/domain';
import type { DailyCounts } from '@scenes/protocol';
import { lang } from '../../i18n/i18n';
import { dayLabels, sceneTrendOption } from './brief-charts';
import { briefKpis, briefingQuery, periodLabel, type BriefingAnswer, type BriefPeriodForm } from './brief-period';

const DAY = 86_400_000;
// 2026-11-01 00:00 Beijing
const START = Date.UTC(2026, 9, 31, 16);
const zeros = (n: number) => new Array<number>(n).fill(0);
const counts = (n: number): DailyCounts => ({
  byScene: Object.fromEntries(SCENE_IDS.map((s) => [s, zeros(n)])) as DailyCounts['byScene'],
  byDistrict: Object.fromEntries(DISTRICT_CODES.map((d) => [d, zeros(n)])) as DailyCounts['byDistrict'],
  total: zeros(n),
});

function answer(days: number, over: Partial<BriefingAnswer['period']> = {}): BriefingAnswer {
  return {
    generatedTs: START + days * DAY,
    dayStartTs: Array.from({ length: days }, (_, i) => START + i * DAY),
    today: {
      alertsRaised: 1,
      openAlertsByLevel: { red: 0, orange: 0, yellow: 0, blue: 0 },
      incidentsCreated: 1,
      incidentsOpen: 4,
      incidentsResolved: 0,
      incidentsClosed: 0,
      incidentsClosedUnresolved: { false_alarm: 0, duplicate: 0, cancelled: 0 },
      escalationsPending: 2,
      overdueOpen: 1,
      handlersOnDuty: 6,
      handlersBusy: 3,
      slaCompliancePct: null,
    },
    alerts: counts(days),
    incidents: counts(days),
    slaCompliancePct: zeros(days).map(() => null),
    planResponses: { count: 0, responseMsInPeriod: 0, dismissed: 0, recent: [] },
    period: {
      period: '30d',
      firstDayTs: START,
      days,
      toTs: START + days * DAY,
      alertsRaised: 120,
      incidentsCreated: 30,
      incidentsResolved: 25,
      incidentsClosed: 22,
      incidentsClosedUnresolved: { false_alarm: 3, duplicate: 0, cancelled: 0 },
      slaCompliancePct: 88.5,
      ...over,
    },
  };
}

const NOW_LABELS = { open: '在办事件', overdue: '超时在办', handlers: '在岗人员', busy: '处置中', escalations: '待批示事项', noData: '暂无数据' };

describe('the briefing period selector', () => {
  it('asks the server for the period, with the range only for a custom one', () => {
    expect(briefingQuery({ period: '30d', from: '2026-11-01', to: '2026-11-30' })).toBe('period=30d');
    expect(briefingQuery({ period: 'custom', from: '2026-11-01', to: '2026-11-30' })).toBe('period=custom&from=2026-11-01&to=2026-11-30');
  });

  it('names the period in Chinese by default, and a custom range by its dates', () => {
    lang.value = 'zh';
    expect(periodLabel({ period: '30d', from: '', to: '' })).toBe('近30天');
    expect(periodLabel({ period: 'custom', from: '2026-11-01', to: '2026-11-30' })).toBe('2026-11-01—2026-11-30');
  });

  it('shows the period sums in the tiles and the numbers of now beside them', () => {
    lang.value = 'zh';
    const form: BriefPeriodForm = { period: '30d', from: '', to: '' };
    const tiles = Object.fromEntries(briefKpis(answer(30), form, NOW_LABELS).map((k) => [k.key, k]));
    expect(tiles.alerts).toMatchObject({ label: '近30天告警', value: 120 });
    expect(tiles.new).toMatchObject({ value: 30 });
    expect(tiles.closed).toMatchObject({ value: 22, cls: 'good' });
    expect(tiles.sla).toMatchObject({ label: '近30天按时办结率', value: '88.5%' });
    expect(tiles.open).toMatchObject({ label: '在办事件', value: 4 });
    expect(tiles.overdue).toMatchObject({ value: 1, cls: 'bad' });
    expect(tiles.esc).toMatchObject({ value: 2, cls: 'warn' });
    expect(briefKpis(answer(30, { slaCompliancePct: null }), form, NOW_LABELS).find((k) => k.key === 'sla')).toMatchObject({
      value: '暂无数据',
      cls: 'nodata',
    });
  });

  it('draws a 30-day trend with one bar per day, labelled in city time', () => {
    const b = answer(30);
    expect(dayLabels(b.dayStartTs)).toHaveLength(30);
    expect(dayLabels(b.dayStartTs)[0]).toBe('11-01');
    expect(dayLabels(b.dayStartTs).at(-1)).toBe('11-30');
    const option = sceneTrendOption(b.alerts, b.dayStartTs, 'zh') as { series: { data: number[] }[] };
    expect(option.series.every((s) => s.data.length === 30)).toBe(true);
  });
});
