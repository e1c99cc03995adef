/**
 * The alert pulse's clock: while the scene has an active (uncleared) alert, the map asks for its
 * layers every `pulseFrameMs` (≤ 10 fps); with nothing to pulse it asks for nothing.
 */
import type { SceneModel } from '@scenes/scene-model';
import { MAP_CONFIG } from './map-config';

/** Whether the scene has something to pulse: an alert not cleared. */
export function hasActiveAlerts(model: Pick<SceneModel, 'alerts'> | null): boolean {
  return !!model?.alerts.some((a) => !a.cleared);
}

export interface AlertPulse {
  /** runs the pulse while `active`, stops it otherwise */
  sync(active: boolean): void;
  stop(): void;
}

export function createAlertPulse(onFrame: () => void, pulseFrameMs: number = MAP_CONFIG.pulseFrameMs): AlertPulse {
  let timer: ReturnType<typeof setInterval> | null = null;
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  return {
    sync(active) {
      if (active && timer === null) timer = setInterval(onFrame, pulseFrameMs);
      if (!active) stop();
    },
    stop,
  };
}
