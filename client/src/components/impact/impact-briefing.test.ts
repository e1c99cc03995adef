import { describe, expect, it } from 'vitest';
import type { Incident } from '@scenes/domain';
import type { DispatchImpact } from '@scenes/impact/dispatch-impact';
import { dispatchImpactResourceText, dispatchImpactSentWith, dispatchImpactSummary, dispatchNoteOf, distanceText } from './impact-briefing';
import { SAMPLE_DISPATCH_IMPACT } from '@scenes/impact/dispatch-impact.fixture';

const impact: DispatchImpact = SAMPLE_DISPATCH_IMPACT;

const step = (action: string, extra: Partial<Incident['history'][number]> = {}) => ({ action, ...extra }) as Incident['history'][number];

describe('what the handler was sent with (随派单发送)', () => {
  it('writes distances in m below a kilometre and km above', () => {
    expect(distanceText(999)).toBe('999 m');
    expect(distanceText(1000)).toBe('1.0 km');
  });

  it("finds the note of the latest dispatch or reassignment for the handler's task", () => {
    expect(dispatchNoteOf({ history: [step('create', { note: 'a' }), step('dispatch', { note: '带上燃气检测仪' }), step('accept')] })).toBe(
      '带上燃气检测仪',
    );
    expect(dispatchNoteOf({ history: [step('dispatch', { note: 'old' }), step('reassign', { note: 'new' })] })).toBe('new');
    expect(dispatchNoteOf({ history: [step('dispatch')] })).toBeNull();
    expect(dispatchNoteOf({ history: [step('create', { note: 'x' })] })).toBeNull();
  });

  it('finds the impact block of the latest dispatch or reassignment, and none when that step was sent without one', () => {
    expect(dispatchImpactSentWith({ history: [step('create'), step('dispatch', { impact }), step('accept')] })).toEqual(impact);
    expect(dispatchImpactSentWith({ history: [step('dispatch', { impact }), step('reassign')] })).toBeNull();
    expect(dispatchImpactSentWith({ history: [step('create')] })).toBeNull();
  });

  it('sums the range in one line, leaving out schools/hospitals the registry does not mark', () => {
    expect(dispatchImpactSummary(impact, 'zh')).toBe('影响范围 半径 500 米 · 社区 2 · 避难场所 1（空余 300 人） · 其他设施 4 · 设备 12（告警 2）');
    const known = { ...impact, counts: { ...impact.counts, facilities: 3, alertingDevices: 0 } };
    expect(dispatchImpactSummary(known, 'en')).toBe(
      'Impact radius 500 m · Communities 2 · Shelters 1 (300 places free) · Schools/hospitals 3 · Other assets 4 · Devices 12',
    );
  });

  it('names each assigned resource with its quantity and unit, in the chosen language', () => {
    expect(impact.resources.map((r) => dispatchImpactResourceText(r, 'zh'))).toEqual(['市南消防救援站 × 7 人', 'depot-x × 40']);
    expect(dispatchImpactResourceText(impact.resources[0]!, 'en')).toBe('Shinan Fire Station × 7 members');
  });
});
