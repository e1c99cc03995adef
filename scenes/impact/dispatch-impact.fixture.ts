/** A dispatch impact block as the console sends it: shared by the scenes and client tests. */
import type { DispatchImpact } from './dispatch-impact';

export const SAMPLE_DISPATCH_IMPACT: DispatchImpact = {
  radiusM: 500,
  center: [120.38, 36.07],
  counts: { communities: 2, shelters: 1, shelterFreePlaces: 300, facilities: null, otherAssets: 4, devices: 12, alertingDevices: 2 },
  resources: [
    { name: '市南消防救援站', nameEn: 'Shinan Fire Station', quantity: 7, unit: 'member' },
    { name: 'depot-x', quantity: 40 },
  ],
};
