import { describe, expect, it } from 'vitest';
import { DEFAULT_WALL_POPUP_MIN, MAX_WALL_POPUP_MIN, wallPopupSettings } from './wall-popup';

describe('wall camera pop-up settings', () => {
  it('is off unless the kiosk URL asks for it', () => {
    expect(wallPopupSettings({})).toBeNull();
    expect(wallPopupSettings({ cameraPopup: '0' })).toBeNull();
  });

  it('closes after the asked minutes, within bounds, else the default', () => {
    expect(wallPopupSettings({ cameraPopup: '1' })).toEqual({ autoCloseMs: DEFAULT_WALL_POPUP_MIN * 60_000 });
    expect(wallPopupSettings({ cameraPopup: ['1'], cameraPopupMin: '5' })).toEqual({ autoCloseMs: 5 * 60_000 });
    expect(wallPopupSettings({ cameraPopup: 'true', cameraPopupMin: '999' })).toEqual({ autoCloseMs: MAX_WALL_POPUP_MIN * 60_000 });
    expect(wallPopupSettings({ cameraPopup: '1', cameraPopupMin: 'x' })).toEqual({ autoCloseMs: DEFAULT_WALL_POPUP_MIN * 60_000 });
  });
});
