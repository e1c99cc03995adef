import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertItem } from '@scenes/scene-model';
import { createAlertPulse, hasActiveAlerts } from './alert-pulse';

describe('alert pulse', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pulses only while an alert is not cleared', () => {
    const alert = (cleared: boolean) => ({ cleared }) as AlertItem;
    expect(hasActiveAlerts(null)).toBe(false);
    expect(hasActiveAlerts({ alerts: [alert(true)] })).toBe(false);
    expect(hasActiveAlerts({ alerts: [alert(true), alert(false)] })).toBe(true);
  });

  it('asks for a frame every pulse period while active, once per period however often it is synced', () => {
    const onFrame = vi.fn();
    const pulse = createAlertPulse(onFrame, 100);
    pulse.sync(true);
    pulse.sync(true);
    vi.advanceTimersByTime(350);
    expect(onFrame).toHaveBeenCalledTimes(3);
    pulse.sync(false);
    vi.advanceTimersByTime(1_000);
    expect(onFrame).toHaveBeenCalledTimes(3);
  });

  it('stops for good when stopped', () => {
    const onFrame = vi.fn();
    const pulse = createAlertPulse(onFrame, 100);
    pulse.sync(true);
    pulse.stop();
    vi.advanceTimersByTime(1_000);
    expect(onFrame).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
