import { describe, expect, it } from 'vitest';
import { DEMO_PLANS } from '@scenes/plans/demo-plans';
import { buildPlanResponses } from '@scenes/reports/plan-responses';
import { FIXTURE_A, FIXTURE_C, FIXTURE_DAY, FIXTURE_GENERATED_TS } from '@scenes/reports/plan-responses.fixture';
import { formatBeijingDateTime } from '../../time/beijing-time';
import { planResponseCells, responseDistrictsText, responseHours, responseLevelText } from './plan-response-text';

const rows = buildPlanResponses({
  instances: [FIXTURE_A, FIXTURE_C],
  plans: DEMO_PLANS,
  period: FIXTURE_DAY,
  generatedTs: FIXTURE_GENERATED_TS,
}).rows;

describe('how a contingency response reads on the report and the briefing', () => {
  it('names the level as the wall does, in Chinese by default and in English', () => {
    expect(responseLevelText('III', 'zh')).toBe('Ⅲ级响应');
    expect(responseLevelText('III', 'en')).toBe('Level III response');
  });

  it('names the districts, or the whole city', () => {
    expect(responseDistrictsText(['370202', '370203'], 'zh')).toBe('市南区、市北区');
    expect(responseDistrictsText([], 'zh')).toBe('全市');
    expect(responseDistrictsText([], 'en')).toBe('City-wide');
  });

  it('fills the report line of an ended and of a running response', () => {
    const [a, c] = rows.map((r) => planResponseCells(r, 'zh'));
    expect(a).toEqual([
      '青岛市城区防汛（暴雨内涝）应急预案',
      'Ⅲ级响应',
      '市南区',
      formatBeijingDateTime(FIXTURE_A.startedTs!, 'zh'),
      formatBeijingDateTime(FIXTURE_A.closedTs!, 'zh'),
      '3小时30分',
      '2/4 步',
      'officer1',
      'leader1',
    ]);
    expect(c).toEqual(['青岛市城区防汛（暴雨内涝）应急预案', 'Ⅰ级响应', '全市', expect.any(String), '响应中', '5小时', '0/7 步', '系统', '—']);
    expect(responseHours(3.5 * 3_600_000 + 2 * 60_000)).toBe(3.5);
  });
});
