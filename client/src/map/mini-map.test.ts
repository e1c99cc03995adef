import { describe, expect, it } from 'vitest';
import { CLICK_MAX_MOVE_PX, isClick } from './mini-map';

describe('mini map clicks', () => {
  it('is a click when the press did not move past the threshold, or was not seen', () => {
    expect(isClick([100, 100], [100, 100])).toBe(true);
    expect(isClick([100, 100], [100 + CLICK_MAX_MOVE_PX, 100])).toBe(true);
    expect(isClick(null, [5, 5])).toBe(true);
  });
  it('is a pan when the press moved further', () => {
    expect(isClick([100, 100], [100 + CLICK_MAX_MOVE_PX, 101])).toBe(false);
    expect(isClick([0, 0], [30, 40])).toBe(false);
  });
});
