import { describe, expect, it } from 'vitest';
import type { AlertItem } from '../scene-model';
import type { CameraView } from './camera-view';
import { chooseLinkage, linkageKey } from './camera-linkage';

const SITE: [number, number] = [120.38, 36.1];
const FAR: [number, number] = [120.6, 36.3];
const camera: CameraView = { id: 'cam-1', name: 'cam', location: [120.381, 36.1005], district: '370203', headingDeg: 240, fovDeg: 70, stream: null };

function alert(id: string, level: AlertItem['level'], firstTs: number, p = SITE, cleared = false): AlertItem {
  return {
    id,
    deviceId: `d-${id}`,
    deviceKind: 'gas-detector',
    scene: 'emergency',
    district: '370203',
    p,
    level,
    cleared,
    acknowledged: false,
    firstTs,
    lastTs: firstTs,
    count: 1,
    title: id,
    titleEn: id,
  };
}

describe('camera pop-up linkage', () => {
  it('pops up the cameras near an active orange or red alert, never yellow or blue or cleared', () => {
    expect(chooseLinkage([alert('y', 'yellow', 1), alert('b', 'blue', 2), alert('c', 'red', 3, SITE, true)], [camera], new Set(), null)).toBeNull();
    const l = chooseLinkage([alert('o', 'orange', 1)], [camera], new Set(), null);
    expect(l?.alert.id).toBe('o');
    expect(l?.cameras.map((c) => c.camera.id)).toEqual(['cam-1']);
  });

  it('prefers red over orange, then the newest, and skips alerts with no camera nearby', () => {
    const alerts = [alert('o-new', 'orange', 9), alert('r-old', 'red', 1), alert('r-new', 'red', 5), alert('r-far', 'red', 8, FAR)];
    expect(chooseLinkage(alerts, [camera], new Set(), null)?.alert.id).toBe('r-new');
  });

  it('keeps the shown alert while it stays eligible, and leaves closed or pre-existing alerts out by level', () => {
    const alerts = [alert('o', 'orange', 1), alert('r', 'red', 2)];
    expect(chooseLinkage(alerts, [camera], new Set(), 'o')?.alert.id).toBe('o');
    expect(chooseLinkage(alerts, [camera], new Set([linkageKey(alerts[1]!)]), null)?.alert.id).toBe('o');
    // closed at orange, it escalates to red: it pops up again
    expect(chooseLinkage([alert('o', 'red', 1)], [camera], new Set(['o:orange']), null)?.alert.id).toBe('o');
    expect(chooseLinkage([alert('o', 'orange', 1)], [camera], new Set(['o:orange']), 'o')).toBeNull();
  });
});
