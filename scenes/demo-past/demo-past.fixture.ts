/**
 * A demo past for the tests of scenes/demo-past/: 300 generated devices plus the control devices
 * (the demo's 2,000 raise several times more), seven days back from a Tuesday noon in Beijing.
 */
import type { Alert, Device, Incident } from '../domain';
import { DEFAULT_RULES } from '../catalogue';
import { generateControlDevices, generateFleet } from '../fleet';
import { QINGDAO_ASSETS } from '../city/qingdao';
import { devicePast, type DemoRollupBucket } from './device-past';
import { demoPastFromTs, demoPastIncidents, demoPastWeather, type DemoPastInput } from './demo-past';
import { DEFAULT_DEMO_PAST_CONFIG } from './demo-past-config';

export const SEED = 20261121;
export const DAYS = 7;
/** a Tuesday noon in Beijing */
export const NOW = Date.UTC(2026, 11, 1, 4, 0, 0);
export const FLEET: Device[] = [...generateFleet({ count: 300, seed: SEED }), ...generateControlDevices(SEED)];
export const rulesFor = (d: Device) => DEFAULT_RULES.filter((r) => r.deviceKind === d.kind);
const assets = new Map(QINGDAO_ASSETS.map((a) => [a.id, a]));

/** Every device's past, then the incidents: what the writer computes, without the stores (also bench/demo-past.ts). */
export function runPast(
  nowTs = NOW,
  devices: readonly Device[] = FLEET,
  days = DAYS,
): { alerts: Alert[]; incidents: Incident[]; buckets: DemoRollupBucket[] } {
  const weather = demoPastWeather(SEED, nowTs);
  const raw: Alert[] = [];
  const buckets: DemoRollupBucket[] = [];
  for (const device of devices) {
    const asset = device.assetId ? assets.get(device.assetId) : undefined;
    const past = devicePast({
      device,
      ...(asset ? { asset } : {}),
      rules: rulesFor(device),
      weather,
      seed: SEED,
      fromTs: demoPastFromTs(nowTs, days),
      nowTs,
      config: DEFAULT_DEMO_PAST_CONFIG,
    });
    raw.push(...past.alerts);
    buckets.push(...past.buckets);
  }
  const input: DemoPastInput = { devices, rulesFor, seed: SEED, nowTs, days };
  return { ...demoPastIncidents(input, raw), buckets };
}
