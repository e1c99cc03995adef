import { describe, expect, it } from 'vitest';
import type { WarningItem } from '@scenes/scene-model';
import { wallWarningRows } from './wall-warning-rows';

const w = (id: string, level: WarningItem['level'], active: boolean, deviceCount = 4): WarningItem => ({
  id,
  ruleId: 'rain',
  scene: 'water',
  district: '370202',
  area: { kind: 'district', district: '370202' },
  level,
  title: id,
  titleEn: id,
  alertCount: deviceCount,
  deviceCount,
  firstTs: 0,
  lastTs: 0,
  active,
});

describe('wallWarningRows', () => {
  it('gives rows to active warnings only, worst first, and counts the eased ones in one line', () => {
    const v = wallWarningRows([w('a', 'yellow', false), w('b', 'yellow', true, 3), w('c', 'red', true), w('d', 'yellow', true, 9)], 5);
    expect(v.rows.map((r) => r.id)).toEqual(['c', 'd', 'b']);
    expect(v).toMatchObject({ moreActive: 0, eased: 1, active: 3 });
  });

  it('shows no row once every warning has eased (the card shrinks to its title and a count)', () => {
    const v = wallWarningRows([w('a', 'yellow', false), w('b', 'orange', false)], 5);
    expect(v.rows).toEqual([]);
    expect(v).toMatchObject({ moreActive: 0, eased: 2, active: 0 });
  });

  it('counts the active warnings that do not fit', () => {
    const v = wallWarningRows(
      Array.from({ length: 7 }, (_, i) => w(`w${i}`, 'yellow', true, i)),
      5,
    );
    expect(v.rows).toHaveLength(5);
    expect(v.rows[0]!.id).toBe('w6');
    expect(v.moreActive).toBe(2);
  });
});
