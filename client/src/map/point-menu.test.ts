import { describe, expect, it } from 'vitest';
import { pointUnderPointer } from './point-menu';

describe('right-click point', () => {
  // a view where one canvas px is 0.001° and the box's top left is at [120, 36]
  const viewport = { unproject: ([x, y]: number[]) => [120 + x! * 0.001, 36 - y! * 0.001] };

  it('reads the point under the pointer relative to the map box, not the page', () => {
    const p = pointUnderPointer(viewport, { left: 100, top: 50 }, 300, 150);
    expect(p![0]).toBeCloseTo(120.2, 9);
    expect(p![1]).toBeCloseTo(35.9, 9);
  });

  it('gives no point where the view has none', () => {
    expect(pointUnderPointer({ unproject: () => [NaN, 36] }, { left: 0, top: 0 }, 1, 1)).toBeNull();
    expect(pointUnderPointer({ unproject: () => [] }, { left: 0, top: 0 }, 1, 1)).toBeNull();
  });
});
